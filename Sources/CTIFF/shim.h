#ifndef SLIPLINE_CTIFF_SHIM_H
#define SLIPLINE_CTIFF_SHIM_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

/* libtiff reports errors and warnings through printf-style callbacks with a va_list, which
   Swift cannot implement. These format the message into a caller-owned buffer (the opener's
   user data, at least 512 bytes) so the Swift wrapper can put it in its error; warnings are
   dropped, and nothing is printed on stderr. */
static inline int slipline_tiff_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    if (user == NULL) return 1;
    char *buffer = (char *)user;
    int used = 0;
    if (module != NULL && module[0] != 0) used = snprintf(buffer, 512, "%s: ", module);
    if (used < 0 || used >= 512) used = 0;
    vsnprintf(buffer + used, 512 - (size_t)used, fmt, ap);
    return 1;
}

static inline int slipline_tiff_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}

/* Opens `path` read-only with the handlers above and a cap on any single allocation libtiff
   makes (a corrupt header cannot make it allocate gigabytes). */
static inline TIFF *slipline_tiff_open(const char *path, char *message, tmsize_t maxAlloc) {
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (opts == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, slipline_tiff_error, message);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, slipline_tiff_warning, NULL);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, maxAlloc);
    TIFF *tif = TIFFOpenExt(path, "rm", opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

/* The same for writing (tests write their own TIFF files through libtiff). */
static inline TIFF *slipline_tiff_create(const char *path, const char *mode, char *message) {
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (opts == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, slipline_tiff_error, message);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, slipline_tiff_warning, NULL);
    TIFF *tif = TIFFOpenExt(path, mode, opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

/* TIFFGetField is variadic; typed wrappers for the tags Slipline reads. */
static inline int slipline_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int slipline_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int slipline_tiff_get_float(TIFF *tif, uint32_t tag, float *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int slipline_tiff_get_string(TIFF *tif, uint32_t tag, const char **value) {
    return TIFFGetField(tif, tag, value);
}
static inline int slipline_tiff_set_u16(TIFF *tif, uint32_t tag, uint16_t value) {
    return TIFFSetField(tif, tag, (int)value);
}
static inline int slipline_tiff_set_u32(TIFF *tif, uint32_t tag, uint32_t value) {
    return TIFFSetField(tif, tag, value);
}
static inline int slipline_tiff_set_float(TIFF *tif, uint32_t tag, float value) {
    return TIFFSetField(tif, tag, (double)value);
}
static inline int slipline_tiff_set_string(TIFF *tif, uint32_t tag, const char *value) {
    return TIFFSetField(tif, tag, value);
}
#endif
