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
 * codes written there. The caller does the frame border and the columns left over. */
void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, int k,
                               int w, int h, float beta, float pair_guard, float *response, float *normal);

/* GaussianFilter.horizontalSymmetricRow's vector part: out[x] = taps[0]·c[x] + Σ_j taps[j]·(c[x+j] + c[x−j])
 * for x = 0 … 8·⌊width/8⌋ − 1, where c points at the row inside its padding (r floats readable
 * before it and after its end). Returns the first x not written. */
int slp_tem_hsym_row_avx(const float *c, int width, int r, const float *taps, float *out);

/* GaussianFilter.verticalSymmetricRow's vector part for a symmetric kernel (sign +1):
 * out[x] = taps[0]·plus[0][x] + Σ_j taps[j]·(plus[j][x] + minus[j][x]), 16 columns at a time.
 * Returns the first x not written. */
int slp_tem_vsym_row_avx(const float *const *plus, const float *const *minus, int r, const float *taps,
                         int width, float *out);

#ifdef __cplusplus
}
#endif

#endif
