#include "ctemsimd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

int slp_tem_has_avx(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx") ? 1 : 0;
    }
    return known;
}

#define AVX __attribute__((target("avx")))

/* Every expression below is the Swift loop's, operation for operation (no contraction into
 * fused multiply-adds: -ffp-contract is off for these explicit intrinsics). */

AVX static inline __m256 vabs(__m256 v) {
    return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
}

AVX void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, int k,
                                   int w, int h, float beta, float pair_guard, float *response, float *normal) {
    const __m256 zero = _mm256_setzero_ps(), half_c = _mm256_set1_ps(0.5f), two = _mm256_set1_ps(2.0f);
    const __m256 vbeta = _mm256_set1_ps(beta), neg_guard = _mm256_set1_ps(-pair_guard);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int y = 1; y < h - 1; y++) {
        for (int x = 1; x + 8 <= w - 1; x += 8) {
            const ptrdiff_t i = (ptrdiff_t)y * w + x;
            __m256 best = zero, best_u = zero, best_v = zero, fa = zero, fb = zero, fc = zero;
            for (int si = 0; si < k; si++) {
                const __m256 norm = _mm256_set1_ps(norms[si]);
                const float *p = planes + si * plane_stride + i;
                const __m256 cen = _mm256_loadu_ps(p), l = _mm256_loadu_ps(p - 1), r = _mm256_loadu_ps(p + 1);
                const __m256 up = _mm256_loadu_ps(p - w), dn = _mm256_loadu_ps(p + w);
                const __m256 cen2 = _mm256_mul_ps(two, cen);
                /* a = (l + r − 2·cen)·norm, c = (up + dn − 2·cen)·norm */
                const __m256 a = _mm256_mul_ps(_mm256_sub_ps(_mm256_add_ps(l, r), cen2), norm);
                const __m256 c = _mm256_mul_ps(_mm256_sub_ps(_mm256_add_ps(up, dn), cen2), norm);
                /* b = (pp − pm − mp + mm)·(0.25·norm) */
                const __m256 bsum = _mm256_add_ps(
                    _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(p + w + 1), _mm256_loadu_ps(p + w - 1)),
                                  _mm256_loadu_ps(p - w + 1)),
                    _mm256_loadu_ps(p - w - 1));
                const __m256 b = _mm256_mul_ps(bsum, _mm256_set1_ps(0.25f * norms[si]));
                const __m256 half = _mm256_mul_ps(_mm256_sub_ps(a, c), half_c);
                const __m256 root = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(half, half), _mm256_mul_ps(b, b)));
                const __m256 mid = _mm256_mul_ps(_mm256_add_ps(a, c), half_c);
                const __m256 raw = _mm256_sub_ps(_mm256_add_ps(mid, root),
                                                 _mm256_mul_ps(vbeta, vabs(_mm256_sub_ps(mid, root))));
                /* max(0, ·) by clearing every lane whose sign bit is set (−0 → +0), as the Swift loop. */
                __m256 resp = _mm256_blendv_ps(raw, zero, raw); /* blendv reads each lane's sign bit */
                if (si == 0) {
                    fa = a; fb = b; fc = c;
                } else if (pair_guard > 0) {
                    __m256 inv = _mm256_div_ps(one, root);
                    inv = _mm256_blendv_ps(inv, zero, _mm256_cmp_ps(root, zero, _CMP_EQ_OQ));
                    const __m256 across = _mm256_add_ps(
                        _mm256_mul_ps(_mm256_add_ps(fa, fc), half_c),
                        _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(fa, fc), half_c), half),
                                                    _mm256_mul_ps(fb, b)),
                                      inv));
                    resp = _mm256_blendv_ps(resp, zero, _mm256_cmp_ps(across, neg_guard, _CMP_LT_OQ));
                }
                const __m256 u = _mm256_sub_ps(a, c), v = _mm256_mul_ps(two, b);
                if (si == 0) {
                    best = resp; best_u = u; best_v = v;
                } else {
                    const __m256 better = _mm256_cmp_ps(resp, best, _CMP_GT_OQ);
                    best = _mm256_blendv_ps(best, resp, better);
                    best_u = _mm256_blendv_ps(best_u, u, better);
                    best_v = _mm256_blendv_ps(best_v, v, better);
                }
            }
            __m256 d = _mm256_blendv_ps(_mm256_set1_ps(3.0f), _mm256_set1_ps(1.0f), _mm256_cmp_ps(best_v, zero, _CMP_GT_OQ));
            const __m256 horizontal = _mm256_blendv_ps(_mm256_set1_ps(2.0f), zero, _mm256_cmp_ps(best_u, zero, _CMP_GT_OQ));
            d = _mm256_blendv_ps(d, horizontal, _mm256_cmp_ps(vabs(best_v), vabs(best_u), _CMP_LT_OQ));
            _mm256_storeu_ps(response + i, best);
            _mm256_storeu_ps(normal + i, d);
        }
    }
}

AVX int slp_tem_hsym_row_avx(const float *c, int width, int r, const float *taps, float *out) {
    int x = 0;
    for (; x + 8 <= width; x += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(c + x), _mm256_set1_ps(taps[0]));
        for (int j = 1; j <= r; j++) {
            const __m256 s = _mm256_add_ps(_mm256_loadu_ps(c + x + j), _mm256_loadu_ps(c + x - j));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(s, _mm256_set1_ps(taps[j])));
        }
        _mm256_storeu_ps(out + x, acc);
    }
    return x;
}

AVX int slp_tem_vsym_row_avx(const float *const *plus, const float *const *minus, int r, const float *taps,
                             int width, float *out) {
    int x = 0;
    for (; x + 16 <= width; x += 16) {
        const __m256 t0 = _mm256_set1_ps(taps[0]);
        __m256 acc0 = _mm256_mul_ps(_mm256_loadu_ps(plus[0] + x), t0);
        __m256 acc1 = _mm256_mul_ps(_mm256_loadu_ps(plus[0] + x + 8), t0);
        for (int j = 1; j <= r; j++) {
            const __m256 t = _mm256_set1_ps(taps[j]);
            acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(plus[j] + x), _mm256_loadu_ps(minus[j] + x)), t));
            acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(plus[j] + x + 8), _mm256_loadu_ps(minus[j] + x + 8)), t));
        }
        _mm256_storeu_ps(out + x, acc0);
        _mm256_storeu_ps(out + x + 8, acc1);
    }
    return x;
}

#else

int slp_tem_has_avx(void) { return 0; }
void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, int k,
                               int w, int h, float beta, float pair_guard, float *response, float *normal) {
    (void)planes; (void)plane_stride; (void)norms; (void)k; (void)w; (void)h; (void)beta; (void)pair_guard;
    (void)response; (void)normal;
}
int slp_tem_hsym_row_avx(const float *c, int width, int r, const float *taps, float *out) {
    (void)c; (void)width; (void)r; (void)taps; (void)out; return 0;
}
int slp_tem_vsym_row_avx(const float *const *plus, const float *const *minus, int r, const float *taps,
                         int width, float *out) {
    (void)plus; (void)minus; (void)r; (void)taps; (void)width; (void)out; return 0;
}

#endif
