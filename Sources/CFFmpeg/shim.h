#ifndef SLIPLINE_CFFMPEG_SHIM_H
#define SLIPLINE_CFFMPEG_SHIM_H
#include <errno.h>
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
#endif
