#ifndef SLIPLINE_CPNGIO_H
#define SLIPLINE_CPNGIO_H

/* libpng's low-level API behind setjmp.
 *
 * libpng reports errors by longjmp, which Swift cannot catch (a longjmp across Swift frames is
 * undefined behaviour). Every function here that calls into libpng sets its own setjmp point
 * first, so a corrupt or truncated file comes back as a -1 return and a message, and no libpng
 * call ever unwinds through Swift. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slp_png_reader slp_png_reader;

/* The IHDR fields and the colour-handling chunks that decide how a file must be decoded. */
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;       /* 1, 2, 4, 8 or 16 */
    int color_type;      /* PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
    int interlaced;      /* 1 for Adam7 */
    int has_trns;        /* tRNS chunk (transparency) before IDAT */
    int has_gama;        /* gAMA chunk; gamma_fixed is its value ×100000 */
    int32_t gamma_fixed;
    int has_srgb;        /* sRGB chunk */
    int has_iccp;        /* iCCP chunk */
} slp_png_info;

/* Opens `path` for reading. Returns NULL when the file cannot be opened (errno is set) or
 * memory runs out. */
slp_png_reader *slp_png_open(const char *path);

/* Frees everything and closes the file. NULL is allowed. */
void slp_png_close(slp_png_reader *reader);

/* The last error message (empty when there was none). */
const char *slp_png_message(const slp_png_reader *reader);

/* Reads the signature and every chunk up to the first IDAT. 0 on success, -1 on error. */
int slp_png_read_info(slp_png_reader *reader, slp_png_info *info);

/* Prepares row reading without transforms except, when `swap16` is set, byte-swapping 16-bit
 * samples to little-endian. Only for non-interlaced files. Sets `*rowbytes` to the bytes per
 * decoded row. 0 on success, -1 on error. */
int slp_png_start_rows(slp_png_reader *reader, int swap16, size_t *rowbytes);

/* Decodes the next `count` rows into `rows`, `stride` bytes apart. 0 on success, -1 on error. */
int slp_png_read_rows(slp_png_reader *reader, uint8_t *rows, size_t stride, uint32_t count);

/* Writes a grey PNG (bit depth 8 or 16; 16-bit samples in native byte order) with zlib
 * `level` (0–9, or -1 for zlib's default) and the PNG filter mask `filters` (the PNG_FILTER_*
 * bits; several bits = libpng's adaptive choice per row). `linear` marks the file gAMA 1.0,
 * otherwise it carries an sRGB chunk (the simplified API's conventions for 16- and 8-bit).
 * 0 on success; -1 with `message` (NUL-terminated, at most `message_size` bytes) on error;
 * errno is set when the file could not be created. */
int slp_png_write_gray(const char *path, uint32_t width, uint32_t height, int bit_depth,
                       const void *pixels, size_t stride, int level, int filters, int linear,
                       char *message, size_t message_size);

/* PNG_FILTER_* bits, for Swift (the png.h macros are expressions Swift cannot import). */
enum {
    SLP_PNG_FILTER_NONE = 0x08,
    SLP_PNG_FILTER_SUB = 0x10,
    SLP_PNG_FILTER_UP = 0x20,
    SLP_PNG_FILTER_AVG = 0x40,
    SLP_PNG_FILTER_PAETH = 0x80,
    SLP_PNG_ALL_FILTERS = 0xF8
};

#ifdef __cplusplus
}
#endif

#endif
