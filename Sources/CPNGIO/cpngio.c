#include "cpngio.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slp_png_reader {
    png_structp png;
    png_infop info;
    FILE *file;
    char message[256];
};

/* Keeps the message and jumps back to the caller's setjmp (png_jmpbuf) itself: if this
 * returned, libpng's default handler would print the message to stderr first. */
static void slp_error(png_structp png, png_const_charp text) {
    char *message = (char *)png_get_error_ptr(png);
    if (message != NULL) {
        snprintf(message, 256, "%s", text != NULL ? text : "error");
    }
    png_longjmp(png, 1);
}

/* Warnings (e.g. a bad CRC in an ancillary chunk) are not errors and must not go to stderr. */
static void slp_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

slp_png_reader *slp_png_open(const char *path) {
    slp_png_reader *r = (slp_png_reader *)calloc(1, sizeof(*r));
    if (r == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    r->file = fopen(path, "rb");
    if (r->file == NULL) {
        int saved = errno;
        free(r);
        errno = saved;
        return NULL;
    }
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r->message, slp_error, slp_warning);
    if (r->png != NULL) {
        r->info = png_create_info_struct(r->png);
    }
    if (r->png == NULL || r->info == NULL) {
        slp_png_close(r);
        errno = ENOMEM;
        return NULL;
    }
    png_init_io(r->png, r->file);
    return r;
}

void slp_png_close(slp_png_reader *r) {
    if (r == NULL) return;
    if (r->png != NULL) {
        png_destroy_read_struct(&r->png, r->info != NULL ? &r->info : NULL, NULL);
    }
    if (r->file != NULL) fclose(r->file);
    free(r);
}

const char *slp_png_message(const slp_png_reader *r) {
    return r != NULL ? r->message : "";
}

int slp_png_read_info(slp_png_reader *r, slp_png_info *out) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    png_read_info(r->png, r->info);
    png_uint_32 width = 0, height = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(r->png, r->info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    out->width = width;
    out->height = height;
    out->bit_depth = depth;
    out->color_type = color;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(r->png, r->info, PNG_INFO_tRNS) != 0;
    out->has_srgb = png_get_valid(r->png, r->info, PNG_INFO_sRGB) != 0;
    out->has_iccp = png_get_valid(r->png, r->info, PNG_INFO_iCCP) != 0;
    png_fixed_point gamma = 0;
    out->has_gama = png_get_gAMA_fixed(r->png, r->info, &gamma) != 0;
    out->gamma_fixed = gamma;
    return 0;
}

int slp_png_start_rows(slp_png_reader *r, int swap16, size_t *rowbytes) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    if (png_get_interlace_type(r->png, r->info) != PNG_INTERLACE_NONE) {
        png_error(r->png, "interlaced files need the full-image path");
    }
    if (swap16 && png_get_bit_depth(r->png, r->info) == 16) png_set_swap(r->png);
    png_read_update_info(r->png, r->info);
    *rowbytes = png_get_rowbytes(r->png, r->info);
    return 0;
}

int slp_png_read_rows(slp_png_reader *r, uint8_t *rows, size_t stride, uint32_t count) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    for (uint32_t i = 0; i < count; i++) {
        png_read_row(r->png, rows + (size_t)i * stride, NULL);
    }
    return 0;
}

/* State of one write, kept in a struct so nothing setjmp-sensitive lives in locals. */
typedef struct {
    png_structp png;
    png_infop info;
    FILE *file;
    char message[256];
} slp_png_writer;

static int slp_png_write_body(slp_png_writer *w, uint32_t width, uint32_t height, int bit_depth,
                              const void *pixels, size_t stride, int level, int filters,
                              int linear) {
    if (setjmp(png_jmpbuf(w->png))) return -1;
    png_init_io(w->png, w->file);
    png_set_IHDR(w->png, w->info, width, height, bit_depth, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    if (linear) {
        png_set_gAMA_fixed(w->png, w->info, PNG_GAMMA_LINEAR);
    } else {
        png_set_sRGB_gAMA_and_cHRM(w->png, w->info, PNG_sRGB_INTENT_PERCEPTUAL);
    }
    png_set_compression_level(w->png, level);
    png_set_filter(w->png, PNG_FILTER_TYPE_BASE, filters);
    png_write_info(w->png, w->info);
    if (bit_depth == 16) {
        uint16_t probe = 1;
        if (*(uint8_t *)&probe == 1) png_set_swap(w->png); /* little-endian host */
    }
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(w->png, (png_const_bytep)pixels + (size_t)y * stride);
    }
    png_write_end(w->png, w->info);
    return 0;
}

int slp_png_write_gray(const char *path, uint32_t width, uint32_t height, int bit_depth,
                       const void *pixels, size_t stride, int level, int filters, int linear,
                       char *message, size_t message_size) {
    slp_png_writer *w = (slp_png_writer *)calloc(1, sizeof(*w));
    int result = -1;
    if (message_size > 0) message[0] = 0;
    if (w == NULL) {
        snprintf(message, message_size, "out of memory");
        return -1;
    }
    if (bit_depth != 8 && bit_depth != 16) {
        snprintf(message, message_size, "bit depth %d is not 8 or 16", bit_depth);
        free(w);
        return -1;
    }
    w->file = fopen(path, "wb");
    if (w->file == NULL) {
        int saved = errno;
        snprintf(message, message_size, "%s", strerror(saved));
        free(w);
        errno = saved;
        return -1;
    }
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, w->message, slp_error, slp_warning);
    if (w->png != NULL) w->info = png_create_info_struct(w->png);
    if (w->png == NULL || w->info == NULL) {
        snprintf(w->message, sizeof(w->message), "out of memory");
    } else {
        result = slp_png_write_body(w, width, height, bit_depth, pixels, stride,
                                    level < 0 ? -1 : level, filters, linear);
    }
    if (w->png != NULL) png_destroy_write_struct(&w->png, w->info != NULL ? &w->info : NULL);
    if (fclose(w->file) != 0 && result == 0) {
        snprintf(w->message, sizeof(w->message), "%s", strerror(errno));
        result = -1;
    }
    if (result != 0) snprintf(message, message_size, "%s", w->message);
    free(w);
    return result;
}
