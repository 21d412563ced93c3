#ifndef SLIPLINE_CFFMPEG_SHIM_H
#define SLIPLINE_CFFMPEG_SHIM_H
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

/* FFmpeg's error codes are function-like macros, which Swift does not import. */
static inline int slipline_av_eagain(void) { return AVERROR(EAGAIN); }
static inline int slipline_av_eof(void) { return AVERROR_EOF; }
static inline int slipline_av_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t slipline_av_nopts(void) { return AV_NOPTS_VALUE; }

/* libav* print to stderr by default; Slipline reports their error codes in its own errors. */
static inline void slipline_av_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

/* An I/O deadline (microseconds of av_gettime_relative; 0 = none): libavformat polls the
   callback in its read loops, so a damaged file that makes a demuxer spin ends as an error. */
static inline int slipline_av_interrupt(void *opaque) {
    const int64_t *deadline = (const int64_t *)opaque;
    return *deadline > 0 && av_gettime_relative() > *deadline;
}
static inline void slipline_av_set_deadline_callback(AVFormatContext *context, int64_t *deadline) {
    context->interrupt_callback.callback = slipline_av_interrupt;
    context->interrupt_callback.opaque = deadline;
}

/* How to take grey from a decoded frame of `format` without swscale: returns the bytes per
   luma sample (1 or 2, native little-endian) when plane 0 holds the luma (or grey) samples
   contiguously, else 0 (RGB, palette, packed YUV, big-endian, float: convert with swscale).
   `depth` gets the luma bit depth; `is_yuv` is 1 for YUV formats (whose range may be limited),
   0 for grey. */
static inline int slipline_av_luma_plane(enum AVPixelFormat format, int *depth, int *is_yuv) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    if (d == NULL || d->nb_components < 1) return 0;
    const uint64_t refused = AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                             AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_BAYER;
    if (d->flags & refused) return 0;
    const AVComponentDescriptor c = d->comp[0];
    int bytes = c.depth <= 8 ? 1 : (c.depth <= 16 ? 2 : 0);
    if (bytes == 0 || c.plane != 0 || c.shift != 0 || c.offset != 0 || c.step != bytes) return 0;
    int grey = d->nb_components <= 2;
    if (!grey && !(d->flags & AV_PIX_FMT_FLAG_PLANAR)) return 0;
    *depth = c.depth;
    *is_yuv = !grey;
    return bytes;
}
/* In-memory input for libavformat: a read-only byte range with a cursor. The callbacks below
   serve an AVIOContext from it (slipline_av_memory_io), so a video held in memory is demuxed
   without a file. */
typedef struct {
    const uint8_t *data;
    int64_t size;
    int64_t position;
} slipline_av_memory;

static inline int slipline_av_memory_read(void *opaque, uint8_t *buffer, int wanted) {
    slipline_av_memory *m = (slipline_av_memory *)opaque;
    int64_t left = m->size - m->position;
    if (left <= 0 || wanted <= 0) return AVERROR_EOF;
    int n = left < wanted ? (int)left : wanted;
    memcpy(buffer, m->data + m->position, (size_t)n);
    m->position += n;
    return n;
}

static inline int64_t slipline_av_memory_seek(void *opaque, int64_t offset, int whence) {
    slipline_av_memory *m = (slipline_av_memory *)opaque;
    if (whence & AVSEEK_SIZE) return m->size;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = m->position; break;
    case SEEK_END: base = m->size; break;
    default: return AVERROR(EINVAL);
    }
    /* Overflow-safe bounds check: a damaged index can ask for any 64-bit offset. */
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0 || base + offset > m->size) return AVERROR(EINVAL);
    m->position = base + offset;
    return m->position;
}

/* An AVIOContext reading `memory` through a `buffer_size`-byte buffer, or NULL when out of
   memory. Free with slipline_av_memory_io_free (the buffer may have been replaced by libavformat). */
static inline AVIOContext *slipline_av_memory_io(slipline_av_memory *memory, int buffer_size) {
    unsigned char *buffer = (unsigned char *)av_malloc((size_t)buffer_size);
    if (buffer == NULL) return NULL;
    AVIOContext *io = avio_alloc_context(buffer, buffer_size, 0, memory, slipline_av_memory_read, NULL, slipline_av_memory_seek);
    if (io == NULL) av_free(buffer);
    return io;
}

static inline void slipline_av_memory_io_free(AVIOContext **io) {
    if (io == NULL || *io == NULL) return;
    av_freep(&(*io)->buffer);
    avio_context_free(io);
}
#endif
