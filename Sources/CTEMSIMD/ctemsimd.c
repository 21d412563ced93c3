#include "ctemsimd.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* RidgeThreshold.robustStats' gather: the positive values of every `stride`-th sample, with their
 * minimum and maximum, without a branch per sample (about half the ridge responses are zero, so
 * the Swift loop's branch was mispredicted on half of them). Same values, same order. */
int slp_tem_positive_samples(const float *values, ptrdiff_t n, ptrdiff_t stride, float *out, float *lo, float *hi) {
    int count = 0;
    /* Every value is written, the count moves on only for positive ones (a set-on-compare, no
     * branch); the minimum and maximum are taken afterwards over the kept values (a compiler turns
     * a conditional min into a branch again). */
    for (ptrdiff_t i = 0; i < n; i += stride) {
        const float v = values[i];
        out[count] = v;
        count += v > 0;
    }
    float mn = INFINITY, mx = -INFINITY;
    int k = 0;
#if defined(__SSE2__)
    __m128 mn4 = _mm_set1_ps(INFINITY), mx4 = _mm_set1_ps(-INFINITY);
    for (; k + 4 <= count; k += 4) {
        const __m128 x = _mm_loadu_ps(out + k);
        mn4 = _mm_min_ps(mn4, x);
        mx4 = _mm_max_ps(mx4, x);
    }
    float lanes[4];
    _mm_storeu_ps(lanes, mn4);
    for (int j = 0; j < 4; j++) mn = lanes[j] < mn ? lanes[j] : mn;
    _mm_storeu_ps(lanes, mx4);
    for (int j = 0; j < 4; j++) mx = lanes[j] > mx ? lanes[j] : mx;
#endif
    for (; k < count; k++) {
        mn = out[k] < mn ? out[k] : mn;
        mx = out[k] > mx ? out[k] : mx;
    }
    *lo = mn;
    *hi = mx;
    return count;
}


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

/* The pair guard's curvature of the finest scale (a, b, c = fa, fb, fc) across the direction of
 * the current scale's eigenvector: (fa + fc)/2 + ((fa − fc)/2 · half + fb · b) · inv, with half =
 * (a − c)/2 and inv = 1/root of the current scale (0 where root is 0). */
AVX static inline __m256 fine_across(__m256 fa, __m256 fb, __m256 fc, __m256 half, __m256 b, __m256 inv) {
    const __m256 half_c = _mm256_set1_ps(0.5f);
    return _mm256_add_ps(
        _mm256_mul_ps(_mm256_add_ps(fa, fc), half_c),
        _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(fa, fc), half_c), half),
                                    _mm256_mul_ps(fb, b)),
                      inv));
}

/* The normal's direction code of `RidgeFilter.combine` (0: x, 1: (1, 1), 2: y, 3: (1, −1), as Float) from the winning
 * eigenvector (u, v): one definition for the vector groups and the tail. */
AVX static inline __m256 direction_code(__m256 best_u, __m256 best_v) {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 vertical = _mm256_blendv_ps(_mm256_set1_ps(3.0f), _mm256_set1_ps(1.0f), _mm256_cmp_ps(best_v, zero, _CMP_GT_OQ));
    const __m256 horizontal = _mm256_blendv_ps(_mm256_set1_ps(2.0f), zero, _mm256_cmp_ps(best_u, zero, _CMP_GT_OQ));
    return _mm256_blendv_ps(vertical, horizontal, _mm256_cmp_ps(vabs(best_v), vabs(best_u), _CMP_LT_OQ));
}

AVX void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                                   int w, int h, float beta, float pair_guard, float *response, float *normal) {
    const __m256 zero = _mm256_setzero_ps(), half_c = _mm256_set1_ps(0.5f), two = _mm256_set1_ps(2.0f);
    const __m256 vbeta = _mm256_set1_ps(beta), neg_guard = _mm256_set1_ps(-pair_guard);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int y = 1; y < h - 1; y++) {
        for (int x = 1; x + 8 <= w - 1; x += 8) {
            const ptrdiff_t i = (ptrdiff_t)y * w + x;
            __m256 best = zero, best_u = zero, best_v = zero, best_key = zero, fa = zero, fb = zero, fc = zero;
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
                    const __m256 across = fine_across(fa, fb, fc, half, b, inv);
                    resp = _mm256_blendv_ps(resp, zero, _mm256_cmp_ps(across, neg_guard, _CMP_LT_OQ));
                }
                const __m256 u = _mm256_sub_ps(a, c), v = _mm256_mul_ps(two, b);
                if (si == 0) {
                    best = resp; best_u = u; best_v = v;
                    if (keys) best_key = _mm256_mul_ps(resp, _mm256_set1_ps(keys[0]));
                } else if (keys) {
                    /* ScaleChoice.weighted: the scale with the largest resp·key wins. */
                    const __m256 key = _mm256_mul_ps(resp, _mm256_set1_ps(keys[si]));
                    const __m256 better = _mm256_cmp_ps(key, best_key, _CMP_GT_OQ);
                    best_key = _mm256_blendv_ps(best_key, key, better);
                    best_u = _mm256_blendv_ps(best_u, u, better);
                    best_v = _mm256_blendv_ps(best_v, v, better);
                    best = _mm256_blendv_ps(best, resp, better);
                } else {
                    const __m256 better = _mm256_cmp_ps(resp, best, _CMP_GT_OQ);
                    best = _mm256_blendv_ps(best, resp, better);
                    best_u = _mm256_blendv_ps(best_u, u, better);
                    best_v = _mm256_blendv_ps(best_v, v, better);
                }
            }
            _mm256_storeu_ps(response + i, best);
            _mm256_storeu_ps(normal + i, direction_code(best_u, best_v));
        }
    }
}

/* The Swift scalar path of RidgeFilter.combine (`scalar(x, y)`), operation for operation and in
 * its association: a = (r − 2·cen) + l, c = (dn − 2·cen) + up, b = 0.25·(((pp − pm) − mp) + mm),
 * each times the norm; root = √((a − c)·(a − c)·0.25 + b·b); max(0, ·) as Swift's
 * (x ≥ 0 ? x : 0); the guard's root from (a − c)·0.5 as `fineAcross`. The vector tail below and
 * the border pixels use it, so the columns the 8-pixel groups do not reach keep the values the
 * Swift scalar gives them (bit for bit), only faster. */
static inline float tail_direction(float a, float b, float c) {
    const float u = a - c, v = 2 * b;
    if (fabsf(v) < fabsf(u)) return u > 0 ? 0.0f : 2.0f;
    return v > 0 ? 1.0f : 3.0f;
}

static void combine_scalar_pixel(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                                 int w, int h, float beta, float pair_guard, int x, int y, float *response, float *normal) {
    const ptrdiff_t i = (ptrdiff_t)y * w + x;
    const ptrdiff_t xm = x > 0 ? x - 1 : 0, xp = x < w - 1 ? x + 1 : w - 1;
    const ptrdiff_t ym = (ptrdiff_t)(y > 0 ? y - 1 : 0) * w, yp = (ptrdiff_t)(y < h - 1 ? y + 1 : h - 1) * w;
    const ptrdiff_t yc = (ptrdiff_t)y * w;
    float fa = 0, fb = 0, fc = 0, best_key = 0;
    for (int si = 0; si < k; si++) {
        const float *s = planes + si * plane_stride;
        const float norm = norms[si];
        const float a0 = s[yc + xp] - 2 * s[yc + x] + s[yc + xm];
        const float c0 = s[yp + x] - 2 * s[yc + x] + s[ym + x];
        const float b0 = 0.25f * (s[yp + xp] - s[yp + xm] - s[ym + xp] + s[ym + xm]);
        const float a = a0 * norm, b = b0 * norm, c = c0 * norm;
        const float root = sqrtf((a - c) * (a - c) * 0.25f + b * b);
        const float l1 = (a + c) * 0.5f + root, l2 = (a + c) * 0.5f - root;
        const float raw = l1 - beta * fabsf(l2);
        float r = raw >= 0 ? raw : 0.0f;
        if (si == 0) {
            fa = a; fb = b; fc = c;
        } else if (pair_guard > 0) {
            const float half = (a - c) * 0.5f;
            const float rt = sqrtf(half * half + b * b);
            const float inv = rt > 0 ? 1 / rt : 0.0f;
            const float across = (fa + fc) * 0.5f + ((fa - fc) * 0.5f * half + fb * b) * inv;
            if (across < -pair_guard) r = 0;
        }
        if (keys) {
            const float key = r * keys[si];
            if (si == 0 || key > best_key) {
                best_key = key;
                response[i] = r;
                normal[i] = tail_direction(a, b, c);
            }
        } else if (si == 0 || r > response[i]) {
            response[i] = r;
            normal[i] = tail_direction(a, b, c);
        }
    }
}

/* Eight pixels p[0 … 7] (p = row y, column x ≥ 1, x + 8 ≤ w − 1) in the scalar's association,
 * `up` and `dn` the offsets of the rows above and below (−w and +w, or 0 at the frame's top and
 * bottom rows, where the scalar clamps); the lanes at columns ≥ x_from are stored. */
AVX static inline void scalar_order_group(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys,
                                          int k, float beta, float pair_guard, ptrdiff_t i, ptrdiff_t up, ptrdiff_t dn,
                                          __m256i store_mask, float *response, float *normal) {
    const __m256 zero = _mm256_setzero_ps(), half_c = _mm256_set1_ps(0.5f), quarter = _mm256_set1_ps(0.25f);
    const __m256 two = _mm256_set1_ps(2.0f), one = _mm256_set1_ps(1.0f);
    const __m256 vbeta = _mm256_set1_ps(beta), neg_guard = _mm256_set1_ps(-pair_guard);
    __m256 best = zero, best_u = zero, best_v = zero, best_key = zero, fa = zero, fb = zero, fc = zero;
    for (int si = 0; si < k; si++) {
        const __m256 norm = _mm256_set1_ps(norms[si]);
        const float *p = planes + si * plane_stride + i;
        const __m256 cen2 = _mm256_mul_ps(two, _mm256_loadu_ps(p));
        const __m256 a0 = _mm256_add_ps(_mm256_sub_ps(_mm256_loadu_ps(p + 1), cen2), _mm256_loadu_ps(p - 1));
        const __m256 c0 = _mm256_add_ps(_mm256_sub_ps(_mm256_loadu_ps(p + dn), cen2), _mm256_loadu_ps(p + up));
        const __m256 b0 = _mm256_mul_ps(quarter, _mm256_add_ps(
            _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(p + dn + 1), _mm256_loadu_ps(p + dn - 1)), _mm256_loadu_ps(p + up + 1)),
            _mm256_loadu_ps(p + up - 1)));
        const __m256 a = _mm256_mul_ps(a0, norm), b = _mm256_mul_ps(b0, norm), c = _mm256_mul_ps(c0, norm);
        const __m256 amc = _mm256_sub_ps(a, c);
        const __m256 root = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(amc, amc), quarter), _mm256_mul_ps(b, b)));
        const __m256 mid = _mm256_mul_ps(_mm256_add_ps(a, c), half_c);
        const __m256 raw = _mm256_sub_ps(_mm256_add_ps(mid, root), _mm256_mul_ps(vbeta, vabs(_mm256_sub_ps(mid, root))));
        __m256 resp = _mm256_and_ps(raw, _mm256_cmp_ps(raw, zero, _CMP_GE_OQ)); /* raw ≥ 0 ? raw : 0 */
        if (si == 0) {
            fa = a; fb = b; fc = c;
        } else if (pair_guard > 0) {
            const __m256 half = _mm256_mul_ps(amc, half_c);
            const __m256 rt = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(half, half), _mm256_mul_ps(b, b)));
            const __m256 inv = _mm256_and_ps(_mm256_div_ps(one, rt), _mm256_cmp_ps(rt, zero, _CMP_GT_OQ));
            const __m256 across = fine_across(fa, fb, fc, half, b, inv);
            resp = _mm256_blendv_ps(resp, zero, _mm256_cmp_ps(across, neg_guard, _CMP_LT_OQ));
        }
        const __m256 v = _mm256_mul_ps(two, b);
        if (si == 0) {
            best = resp; best_u = amc; best_v = v;
            if (keys) best_key = _mm256_mul_ps(resp, _mm256_set1_ps(keys[0]));
        } else {
            __m256 better;
            if (keys) {
                const __m256 key = _mm256_mul_ps(resp, _mm256_set1_ps(keys[si]));
                better = _mm256_cmp_ps(key, best_key, _CMP_GT_OQ);
                best_key = _mm256_blendv_ps(best_key, key, better);
            } else {
                better = _mm256_cmp_ps(resp, best, _CMP_GT_OQ);
            }
            best = _mm256_blendv_ps(best, resp, better);
            best_u = _mm256_blendv_ps(best_u, amc, better);
            best_v = _mm256_blendv_ps(best_v, v, better);
        }
    }
    _mm256_maskstore_ps(response + i, store_mask, best);
    _mm256_maskstore_ps(normal + i, store_mask, direction_code(best_u, best_v));
}

AVX void slp_tem_ridge_combine_rest_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                                        int w, int h, float beta, float pair_guard, int x_from,
                                        float *response, float *normal) {
    const __m256i all = _mm256_set1_epi32(-1);
    /* The last group ends at column w − 2, overlapping the vector groups before it: only its lanes
     * at columns ≥ the first column not yet written are stored. */
    const int x0 = w - 9;
    const __m256 lane_col = _mm256_set_ps(7, 6, 5, 4, 3, 2, 1, 0);
    #define TAIL_MASK(from) _mm256_castps_si256(_mm256_cmp_ps(_mm256_add_ps(lane_col, _mm256_set1_ps((float)x0)), \
                                                              _mm256_set1_ps((float)(from)), _CMP_GE_OQ))
    const __m256i interior_mask = TAIL_MASK(x_from);
    for (int y = 0; y < h; y++) {
        const int edge = y == 0 || y == h - 1;
        if (w < 10) {
            /* Too narrow for a group (the vector groups wrote nothing: x_from is 1): every pixel
             * by the scalar's own formula. */
            for (int x = 0; x < w; x++)
                combine_scalar_pixel(planes, plane_stride, norms, keys, k, w, h, beta, pair_guard, x, y, response, normal);
            continue;
        }
        const ptrdiff_t row = (ptrdiff_t)y * w;
        const ptrdiff_t up = y > 0 ? -(ptrdiff_t)w : 0, dn = y < h - 1 ? (ptrdiff_t)w : 0;
        combine_scalar_pixel(planes, plane_stride, norms, keys, k, w, h, beta, pair_guard, 0, y, response, normal);
        int from = x_from;
        if (edge) {
            /* The top and bottom rows (rows clamped as the scalar clamps them): whole groups. */
            int x = 1;
            for (; x + 8 <= w - 1; x += 8)
                scalar_order_group(planes, plane_stride, norms, keys, k, beta, pair_guard, row + x, up, dn, all, response, normal);
            from = x;
        }
        if (from <= w - 2)
            scalar_order_group(planes, plane_stride, norms, keys, k, beta, pair_guard, row + x0, up, dn,
                               edge ? TAIL_MASK(from) : interior_mask, response, normal);
        combine_scalar_pixel(planes, plane_stride, norms, keys, k, w, h, beta, pair_guard, w - 1, y, response, normal);
    }
    #undef TAIL_MASK
}

/* RidgeThreshold.robustStats' histogram median: bin ⌊(x − lo)·scale⌋ clamped to 0 … bins−1 of
 * every sample x (|x − centre| when use_centre), eight bin indices per vector (the same float
 * subtraction and multiplication as the Swift loop, clamped before the truncation, which gives
 * the same bin for every finite value), counted into four interleaved histograms (`hist`: 4·bins
 * scratch) so that runs of equal bins do not wait on each other's stores. Returns the first bin
 * whose cumulative count c has 2c ≥ count, or −1. */
AVX int slp_tem_histogram_median_bin(const float *samples, int count, float lo, float scale, float centre, int use_centre,
                                     int bins, int *hist) {
    memset(hist, 0, sizeof(int) * 4 * (size_t)bins);
    int *h0 = hist, *h1 = hist + bins, *h2 = hist + 2 * bins, *h3 = hist + 3 * bins;
    const __m256 vlo = _mm256_set1_ps(lo), vscale = _mm256_set1_ps(scale), vc = _mm256_set1_ps(centre);
    const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps((float)(bins - 1));
    int idx[8] __attribute__((aligned(32)));
    int k = 0;
    for (; k + 8 <= count; k += 8) {
        __m256 v = _mm256_loadu_ps(samples + k);
        if (use_centre) v = vabs(_mm256_sub_ps(v, vc));
        __m256 t = _mm256_mul_ps(_mm256_sub_ps(v, vlo), vscale);
        t = _mm256_min_ps(_mm256_max_ps(t, zero), top); /* max_ps gives 0 for NaN */
        _mm256_store_si256((__m256i *)idx, _mm256_cvttps_epi32(t));
        h0[idx[0]]++; h1[idx[1]]++; h2[idx[2]]++; h3[idx[3]]++;
        h0[idx[4]]++; h1[idx[5]]++; h2[idx[6]]++; h3[idx[7]]++;
    }
    for (; k < count; k++) {
        float v = samples[k];
        if (use_centre) v = fabsf(v - centre);
        float t = (v - lo) * scale;
        t = t > 0 ? t : 0.0f;
        t = t < (float)(bins - 1) ? t : (float)(bins - 1);
        h0[(int)t]++;
    }
    long acc = 0;
    for (int b = 0; b < bins; b++) {
        acc += (long)h0[b] + h1[b] + h2[b] + h3[b];
        if (2 * acc >= count) return b;
    }
    return -1;
}

/* RidgeFilter.responseNoise's samples: the dark-line ridge response of every `stride`-th pixel of
 * the interior (from index w + 1, skipping the first and last column), eight sampled pixels per
 * vector with the neighbours loaded straight into lanes (the Swift loop stored them to a
 * transposed buffer and loaded that back, which stalls every load on eight stores), in the Swift
 * loop's association: a = (r − 2·cen) + l, c = (dn − 2·cen) + up, b = 0.25·(((pp − pm) − mp) + mm),
 * root = √((a − c)·(a − c)·0.25 + b·b), R = l1 − β·|l2|, negative R set to 0 (−0 and NaN kept, as
 * there). Writes `samples` (room for the count + 8) and returns the count. */
AVX int slp_tem_response_samples_avx(const float *plane, int w, int h, float beta, int stride, float *samples) {
    const __m256 zero = _mm256_setzero_ps(), half_c = _mm256_set1_ps(0.5f), quarter = _mm256_set1_ps(0.25f);
    const __m256 two = _mm256_set1_ps(2.0f), vbeta = _mm256_set1_ps(beta);
    const ptrdiff_t W = w;
    const ptrdiff_t end = W * (h - 1) - 1;
    const float *q[8];
    int lanes = 0, count = 0;
    ptrdiff_t i = W + 1, x = i % W;
    for (;;) {
        const int done = i >= end;
        if (!done && x > 0 && x < w - 1) q[lanes++] = plane + i;
        if (lanes == 8 || (done && lanes > 0)) {
            for (int k = lanes; k < 8; k++) q[k] = q[0];
#define LANES(o) _mm256_setr_ps(q[0][o], q[1][o], q[2][o], q[3][o], q[4][o], q[5][o], q[6][o], q[7][o])
            const __m256 cen = LANES(0), l = LANES(-1), r = LANES(1), up = LANES(-W), dn = LANES(W);
            const __m256 pp = LANES(W + 1), pm = LANES(W - 1), mp = LANES(-W + 1), mm = LANES(-W - 1);
#undef LANES
            const __m256 cen2 = _mm256_mul_ps(two, cen);
            const __m256 a = _mm256_add_ps(_mm256_sub_ps(r, cen2), l);
            const __m256 c = _mm256_add_ps(_mm256_sub_ps(dn, cen2), up);
            const __m256 b = _mm256_mul_ps(quarter, _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(pp, pm), mp), mm));
            const __m256 amc = _mm256_sub_ps(a, c);
            const __m256 root = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(amc, amc), quarter), _mm256_mul_ps(b, b)));
            const __m256 mid = _mm256_mul_ps(_mm256_add_ps(a, c), half_c);
            const __m256 l2 = _mm256_sub_ps(mid, root);
            /* |l2| as the Swift loop takes it: −l2 where l2 < 0. */
            const __m256 abs_l2 = _mm256_blendv_ps(l2, _mm256_sub_ps(zero, l2), _mm256_cmp_ps(l2, zero, _CMP_LT_OQ));
            __m256 resp = _mm256_sub_ps(_mm256_add_ps(mid, root), _mm256_mul_ps(vbeta, abs_l2));
            resp = _mm256_blendv_ps(resp, zero, _mm256_cmp_ps(resp, zero, _CMP_LT_OQ));
            _mm256_storeu_ps(samples + count, resp);
            count += lanes;
            lanes = 0;
        }
        if (done) break;
        i += stride;
        x += stride;
        while (x >= W) x -= W;
    }
    return count;
}

/* slp_tem_hsym_row_avx over the groups x = x0, x0 + 8, … < x1 only (x1 − x0 a multiple of 8): the
 * caller reads the interior of a row in place and only its ends through a padded copy. */
AVX void slp_tem_hsym_range_avx(const float *c, int x0, int x1, int r, const float *taps, float *out) {
    for (int x = x0; x + 8 <= x1; x += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(c + x), _mm256_set1_ps(taps[0]));
        for (int j = 1; j <= r; j++) {
            const __m256 s = _mm256_add_ps(_mm256_loadu_ps(c + x + j), _mm256_loadu_ps(c + x - j));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(s, _mm256_set1_ps(taps[j])));
        }
        _mm256_storeu_ps(out + x, acc);
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

/* ClosestDistance.sum (TEMPolyline.meanClosestDistance) on one 4-lane register: Σ over the points
 * a[0..na) (x, y interleaved) of the distance to the polyline b[0..nb) (nb ≥ 2), in order. Each
 * lane does the plain loop's operations in its order (q − a, the projection over |ab|², the clamps
 * as max(0, ·) and min(1, ·) select them, the foot a + t·ab, the squared distance; compiled for
 * AVX without FMA, so nothing is contracted), the smallest squared distance kept by an ordered <
 * (a NaN never replaces it), one square root per point. */
AVX double slp_tem_closest_distance_sum_avx(const double *a, ptrdiff_t na, const double *b, ptrdiff_t nb) {
#pragma STDC FP_CONTRACT OFF
    double s = 0;
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    for (ptrdiff_t k = 0; k < na; k += 4) {
        const ptrdiff_t lanes = na - k < 4 ? na - k : 4;
        /* The last group's missing lanes repeat its last point; only the real lanes are summed. */
        const ptrdiff_t i1 = k + (lanes > 1 ? 1 : 0), i2 = k + (lanes > 2 ? 2 : lanes - 1), i3 = k + (lanes > 3 ? 3 : lanes - 1);
        const __m256d qx = _mm256_setr_pd(a[2 * k], a[2 * i1], a[2 * i2], a[2 * i3]);
        const __m256d qy = _mm256_setr_pd(a[2 * k + 1], a[2 * i1 + 1], a[2 * i2 + 1], a[2 * i3 + 1]);
        __m256d best = _mm256_set1_pd(INFINITY);
        double sx = b[0], sy = b[1];
        for (ptrdiff_t i = 1; i < nb; i++) {
            const double ex = b[2 * i], ey = b[2 * i + 1];
            const double abx = ex - sx, aby = ey - sy;
            const double l2 = abx * abx + aby * aby;
            const __m256d ax = _mm256_set1_pd(sx), ay = _mm256_set1_pd(sy);
            const __m256d vabx = _mm256_set1_pd(abx), vaby = _mm256_set1_pd(aby);
            __m256d t = zero;
            if (l2 > 0) {
                const __m256d num = _mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(qx, ax), vabx), _mm256_mul_pd(_mm256_sub_pd(qy, ay), vaby));
                t = _mm256_div_pd(num, _mm256_set1_pd(l2));
                t = _mm256_blendv_pd(zero, t, _mm256_cmp_pd(t, zero, _CMP_GE_OQ)); /* t >= 0 ? t : 0 */
                t = _mm256_blendv_pd(one, t, _mm256_cmp_pd(t, one, _CMP_LT_OQ));  /* t < 1 ? t : 1 */
            }
            const __m256d dx = _mm256_sub_pd(qx, _mm256_add_pd(ax, _mm256_mul_pd(t, vabx)));
            const __m256d dy = _mm256_sub_pd(qy, _mm256_add_pd(ay, _mm256_mul_pd(t, vaby)));
            const __m256d d2 = _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy));
            best = _mm256_blendv_pd(best, d2, _mm256_cmp_pd(d2, best, _CMP_LT_OQ)); /* d < best ? d : best */
            sx = ex; sy = ey;
        }
        double lane[4];
        _mm256_storeu_pd(lane, best);
        for (ptrdiff_t j = 0; j < lanes; j++) s += sqrt(lane[j]);
    }
    return s;
}

#else

int slp_tem_has_avx(void) { return 0; }
void slp_tem_ridge_combine_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                               int w, int h, float beta, float pair_guard, float *response, float *normal) {
    (void)planes; (void)plane_stride; (void)norms; (void)keys; (void)k; (void)w; (void)h; (void)beta; (void)pair_guard;
    (void)response; (void)normal;
}
void slp_tem_ridge_combine_rest_avx(const float *planes, ptrdiff_t plane_stride, const float *norms, const float *keys, int k,
                                    int w, int h, float beta, float pair_guard, int x_from,
                                    float *response, float *normal) {
    (void)keys; (void)planes; (void)plane_stride; (void)norms; (void)k; (void)w; (void)h; (void)beta; (void)pair_guard;
    (void)x_from; (void)response; (void)normal;
}
int slp_tem_histogram_median_bin(const float *samples, int count, float lo, float scale, float centre, int use_centre,
                                 int bins, int *hist) {
    (void)samples; (void)count; (void)lo; (void)scale; (void)centre; (void)use_centre; (void)bins; (void)hist; return -1;
}
int slp_tem_response_samples_avx(const float *plane, int w, int h, float beta, int stride, float *samples) {
    (void)plane; (void)w; (void)h; (void)beta; (void)stride; (void)samples; return 0;
}
void slp_tem_hsym_range_avx(const float *c, int x0, int x1, int r, const float *taps, float *out) {
    (void)c; (void)x0; (void)x1; (void)r; (void)taps; (void)out;
}
int slp_tem_hsym_row_avx(const float *c, int width, int r, const float *taps, float *out) {
    (void)c; (void)width; (void)r; (void)taps; (void)out; return 0;
}
int slp_tem_vsym_row_avx(const float *const *plus, const float *const *minus, int r, const float *taps,
                         int width, float *out) {
    (void)plus; (void)minus; (void)r; (void)taps; (void)width; (void)out; return 0;
}

double slp_tem_closest_distance_sum_avx(const double *a, ptrdiff_t na, const double *b, ptrdiff_t nb) {
    (void)a; (void)na; (void)b; (void)nb; return 0;
}

#endif
