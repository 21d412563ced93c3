#ifndef SLIPLINE_CTEMSIMD_H
#define SLIPLINE_CTEMSIMD_H

/* Run-time dispatched AVX loops of the TEM ridge filter (Kernels/TEM/RidgeFilter.swift,
 * GaussianFilter.swift).
 *
 * The Swift targets are built for baseline x86-64, where SIMD8<Float> is two 4-lane SSE
 * registers; these functions are compiled with __attribute__((target("avx"))) and do the same
 * operations on one 8-lane register, in the same order and without fused multiply-adds, so
 * their results are bit-for-bit those of the Swift loops they replace (which remain their
 * reference and run on any other CPU: Tests/KernelsTests/TEMRidgeAVXTests.swift). Call them
 * only when slp_tem_has_avx() is 1. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this CPU runs the AVX functions below (checked once), else 0. */
int slp_tem_has_avx(void);

/* The vector part of RidgeFilter.combine: rows 1 … h−2, columns 1 … 8·⌊(w−2)/8⌋ (eight at a
 * time), all `k` scales (planes `plane_stride` floats apart), response and quantised normal
 * codes written there. The caller does the frame border and the columns left over. `keys` NULL:
 * the largest response wins (RidgeFilter.ScaleChoice.significance); else the scale with the
 * largest response·keys[si] gives the response and the normal (`weighted`). */
void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                               int w, int h, float beta, float pair_guard, float *response, float *normal);

/* Everything of RidgeFilter.combine the call above leaves: the frame border and, in rows
 * 1 … h−2, columns x_from … w−2, with the Swift scalar path's own arithmetic (its association,
 * not the vector loop's), so every pixel keeps the value the Swift loops give it. */
void slp_tem_ridge_combine_rest_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                                    int w, int h, float beta, float pair_guard, int x_from,
                                    float *response, float *normal);

/* GaussianFilter.horizontalSymmetricRow's vector part: out[x] = taps[0]·c[x] + Σ_j taps[j]·(c[x+j] + c[x−j])
 * for x = 0 … 8·⌊width/8⌋ − 1, where c points at the row inside its padding (r floats readable
 * before it and after its end). Returns the first x not written. */
int slp_tem_hsym_row_avx(const float *c, int width, int r, const float *taps, float *out);

/* slp_tem_hsym_row_avx for the groups x0, x0 + 8, … < x1 only (x1 − x0 a multiple of 8); c must
 * be readable r floats either side of them. */
void slp_tem_hsym_range_avx(const float *c, int x0, int x1, int r, const float *taps, float *out);

/* RidgeFilter.responseNoise's samples (dark-line ridge response of every `stride`-th interior
 * pixel, the Swift loop's arithmetic), into samples (room for the count + 8); returns the count. */
int slp_tem_response_samples_avx(const float *plane, int w, int h, float beta, int stride, float *samples);

/* RidgeThreshold.robustStats' gather: the positive values among values[0], values[stride], …
 * (n values in all) into out, in order, with their minimum and maximum (±infinity when none).
 * Returns how many. Branch-free; plain C, any CPU. */
int slp_tem_positive_samples(const float *values, ptrdiff_t n, ptrdiff_t stride, float *out, float *lo, float *hi);

/* RidgeThreshold.robustStats' histogram median (AVX: call only when slp_tem_has_avx() is 1): the
 * first of `bins` bins of ⌊(x − lo)·scale⌋ (x = |sample − centre| when use_centre), clamped, at
 * which the cumulative count c has 2c ≥ count; −1 if none. hist: 4·bins ints of scratch. */
int slp_tem_histogram_median_bin(const float *samples, int count, float lo, float scale, float centre, int use_centre,
                                 int bins, int *hist);

/* GaussianFilter.verticalSymmetricRow's vector part for a symmetric kernel (sign +1):
 * out[x] = taps[0]·plus[0][x] + Σ_j taps[j]·(plus[j][x] + minus[j][x]), 16 columns at a time.
 * Returns the first x not written. */
int slp_tem_vsym_row_avx(const float *const *plus, const float *const *minus, int r, const float *taps,
                         int width, float *out);

/* ClosestDistance.sum (AVX: call only when slp_tem_has_avx() is 1): Σ over the points a[0..na)
 * (x, y interleaved doubles) of the distance to the polyline b[0..nb) (nb ≥ 2), in order; bit for
 * bit TEMPolyline.meanClosestDistanceReference's sum. */
double slp_tem_closest_distance_sum_avx(const double *a, ptrdiff_t na, const double *b, ptrdiff_t nb);

#ifdef __cplusplus
}
#endif

#endif
