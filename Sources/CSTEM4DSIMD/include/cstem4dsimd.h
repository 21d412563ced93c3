#ifndef SLIPLINE_CSTEM4DSIMD_H
#define SLIPLINE_CSTEM4DSIMD_H

/* Run-time dispatched AVX2 loops of the 4D-STEM kernels.
 *
 * The Swift targets are built for baseline x86-64 (SSE2), which has no unsigned 16-bit maximum
 * and no 256-bit integer adds; Swift cannot compile one function for another target. These
 * functions are compiled with __attribute__((target("avx2"))) and called only when
 * slp_stem4d_has_avx2() says the CPU has AVX2. They are pure functions over buffers; the Swift
 * loops they replace are their reference (Tests/KernelsTests/STEM4DAVX2Tests.swift). */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this CPU runs the AVX2 functions below (checked once), else 0 (any other CPU or
 * architecture: the callers keep their Swift loops). */
int slp_stem4d_has_avx2(void);

/* Pattern pass over one group of `frames` uint16 frames of `frame_pixels` pixels each, for
 * the first `chunks` 16-pixel chunks (chunks * 16 <= frame_pixels): adds each pixel's sum over
 * the group to sum[i] and raises max[i] to its maximum, exactly for any 16-bit values
 * (frames <= 65 536). Returns the largest value seen. Only call when slp_stem4d_has_avx2(). */
uint16_t slp_stem4d_u16_patterns_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                      double *sum, float *max);

/* The same pattern pass into integer accumulators: adds each pixel's sum over the group to
 * sum[i] and raises max[i], for the first `chunks` chunks; returns the largest value. Exact for
 * any 16-bit values while sum[i] stays below 2^32 (the caller flushes them at least every 65 536
 * frames). With `try16` the sums go in 16-bit lanes (one add per 16 pixels instead of two
 * unpacks and two adds) and are kept only where the group's maximum proves they did not wrap
 * (max <= 65 535 / frames); at the first chunk pair where it does not, that pair is summed again
 * in 32-bit lanes and so is the rest of the group. The accumulators stay integers across
 * groups, so the Double/Float patterns are touched once per flush instead of once per group.
 * Only call when slp_stem4d_has_avx2(). */
uint16_t slp_stem4d_u16_patterns_int_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                          uint32_t *sum, uint16_t *max, int try16);

/* 1 when this CPU (and OS) runs AVX-512F + BW code (checked once), else 0. */
int slp_stem4d_has_avx512bw(void);

/* slp_stem4d_u16_patterns_int_avx2 with 512-bit registers (AVX-512BW): the same results for
 * the same arguments. Where the 16-bit attempt fails (or without it) the sums are kept as their
 * value mod 2^16 and the sum of the high bytes, both in 16-bit lanes, instead of being widened:
 * exact for any 16-bit values, cut into blocks of 256 frames. The last chunks that do not fill
 * four go to the AVX2 pass. Only call when slp_stem4d_has_avx512bw(). */
uint16_t slp_stem4d_u16_patterns_int_avx512(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                            uint32_t *sum, uint16_t *max, int try16);

/* Mask pass of one group for one binary mask: totals[f] = the sum over entries e of the 16
 * pixels frame_f[offsets[e] .. offsets[e] + 15] AND bits[16e .. 16e + 15] (bits 0 or 0xFFFF
 * per lane), for f < frames. `run` chunks at a time are added in 16-bit lanes (the caller
 * proves run * max < 2^16), then widened; run <= 1 widens every chunk (full-range counts).
 * Exact while a mask's total stays below 2^32. Only call when slp_stem4d_has_avx2(). */
void slp_stem4d_u16_mask_sums_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, const ptrdiff_t *offsets,
                                   const uint16_t *bits, ptrdiff_t entries, ptrdiff_t run, uint32_t *totals);

/* A read-bandwidth probe: the wrapping sum of the `bytes / 32` whole 32-byte words of `data`
 * as 64-bit lanes (the result only keeps the loads from being optimised away). */
/* Binary masks of 16-bit frames folded into the integer pattern pass: each mask chunk entry is
 * summed right after the pattern pass has read its chunk, while the group's lines of that chunk
 * are in L1 (one pass over the frame per group instead of a second pass per mask).
 * Entries are chunk-major: chunk c owns entries chunk_start[c] ..< chunk_start[c + 1], each with
 * its mask's index and 16 lanes of bits (0 or 0xffff). `acc` is scratch of masks × frames × 32
 * bytes (32-byte aligned). At the end of the call, img[m * img_stride + f] += (float)(exact uint32
 * sum of mask m over frame f). */
typedef struct {
    int masks;
    const int32_t *chunk_start;
    const int32_t *entry_mask;
    const uint16_t *entry_bits;
    void *acc;
    float *img;
    ptrdiff_t img_stride;
    /* Columns from one frame of the group to the next (0 or 1: consecutive frames). */
    ptrdiff_t img_step;
    /* Bytes ahead in each frame's stream that the pass prefetches (into L1) while it reads a
     * line of the frame; 0: none (the hardware prefetchers alone). */
    ptrdiff_t prefetch;
    /* NULL, or (AVX-512 pass only) split sums carried across groups in 16-bit lanes instead of
     * widened into `sum` every group: carry[i] the sum mod 2^16 of pixel i, carry[carry_pixels +
     * i] the sum of its high bytes, for the pass's whole 64-pixel steps (carry_pixels at least
     * their pixel count; not a multiple of 4 KiB in bytes, or the two halves alias). Exact while
     * at most 256 frames are carried; slp_stem4d_carry_flush adds them to the uint32 sums. */
    uint16_t *carry;
    ptrdiff_t carry_pixels;
} slp_stem4d_mask_plan;

/* The integer pattern pass (AVX-512BW when `unit & 1`, else AVX2; the same results as
 * slp_stem4d_u16_patterns_int_avx2/avx512) with the masks of `plan` folded in. frames <= 256.
 * Groups of 4 and 8 frames run with their frame loops unrolled unless `unit & 2` (the rolled
 * loop, the same results, to compare speeds). `frame_pixels` is the distance in pixels from one
 * frame of the group to the next (the frame size for consecutive frames; the chunks read are
 * the first `chunks` · 16 pixels of each), and frame f's totals go to img[m * img_stride +
 * f * img_step]. */
uint16_t slp_stem4d_u16_patterns_masks(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                       uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan, int unit);

/* sum[i] += sum32[i], max[i] = max(max[i], max16[i]) for i < n (exact: sums below 2^53); with
 * `clear`, sum32 and max16 are zeroed. AVX2. */
void slp_stem4d_flush_patterns(uint32_t *sum32, uint16_t *max16, double *sum, float *max, ptrdiff_t n, int clear);

/* sum[i] += the exact sum held split in carry[i] (mod 2^16) and carry[high + i] (high bytes),
 * for i < pixels, and zeroes both (at most 256 frames carried). */
void slp_stem4d_carry_flush(uint16_t *carry, ptrdiff_t pixels, ptrdiff_t high, uint32_t *sum);

uint64_t slp_stem4d_read_sum_avx2(const void *data, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
