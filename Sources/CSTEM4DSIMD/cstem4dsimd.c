#include "cstem4dsimd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

int slp_stem4d_has_avx2(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known;
}

/* Sums of 16 pixels in two 8 × uint32 registers: `lo` holds pixels 0-3 and 8-11, `hi` 4-7 and
 * 12-15 (unpack works within 128-bit lanes); `add_sums` puts them back in pixel order. */
__attribute__((target("avx2"))) static inline void add_sums(double *sum, __m256i lo, __m256i hi) {
    __m128i p0 = _mm256_castsi256_si128(lo), p2 = _mm256_extracti128_si256(lo, 1);
    __m128i p1 = _mm256_castsi256_si128(hi), p3 = _mm256_extracti128_si256(hi, 1);
    /* Sums stay below 2^31 (frames <= 65 536 by the header; callers use 16), so a signed convert is exact. */
    _mm256_storeu_pd(sum + 0, _mm256_add_pd(_mm256_loadu_pd(sum + 0), _mm256_cvtepi32_pd(p0)));
    _mm256_storeu_pd(sum + 4, _mm256_add_pd(_mm256_loadu_pd(sum + 4), _mm256_cvtepi32_pd(p1)));
    _mm256_storeu_pd(sum + 8, _mm256_add_pd(_mm256_loadu_pd(sum + 8), _mm256_cvtepi32_pd(p2)));
    _mm256_storeu_pd(sum + 12, _mm256_add_pd(_mm256_loadu_pd(sum + 12), _mm256_cvtepi32_pd(p3)));
}

__attribute__((target("avx2"))) static inline void raise_max(float *max, __m256i m) {
    __m256i a = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(m));
    __m256i b = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(m, 1));
    _mm256_storeu_ps(max + 0, _mm256_max_ps(_mm256_loadu_ps(max + 0), _mm256_cvtepi32_ps(a)));
    _mm256_storeu_ps(max + 8, _mm256_max_ps(_mm256_loadu_ps(max + 8), _mm256_cvtepi32_ps(b)));
}

__attribute__((target("avx2")))
uint16_t slp_stem4d_u16_patterns_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                      double *sum, float *max) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i all = zero;
    /* Two chunks (one 64-byte line) of every frame per step: the frames' power-of-two stride
     * maps the group onto one cache set, so a line is used up while it is in L1. */
    for (int c = 0; c < chunks; c += 2) {
        const int two = c + 1 < chunks;
        const uint16_t *p = group + (ptrdiff_t)c * 16;
        __m256i lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero, m0 = zero, m1 = zero;
        for (int f = 0; f < frames; f++, p += frame_pixels) {
            __m256i v0 = _mm256_loadu_si256((const __m256i *)p);
            __m256i v1 = two ? _mm256_loadu_si256((const __m256i *)(p + 16)) : zero;
            lo0 = _mm256_add_epi32(lo0, _mm256_unpacklo_epi16(v0, zero));
            hi0 = _mm256_add_epi32(hi0, _mm256_unpackhi_epi16(v0, zero));
            lo1 = _mm256_add_epi32(lo1, _mm256_unpacklo_epi16(v1, zero));
            hi1 = _mm256_add_epi32(hi1, _mm256_unpackhi_epi16(v1, zero));
            m0 = _mm256_max_epu16(m0, v0);
            m1 = _mm256_max_epu16(m1, v1);
        }
        add_sums(sum + c * 16, lo0, hi0);
        raise_max(max + c * 16, m0);
        all = _mm256_max_epu16(all, _mm256_max_epu16(m0, m1));
        if (two) {
            add_sums(sum + (c + 1) * 16, lo1, hi1);
            raise_max(max + (c + 1) * 16, m1);
        }
    }
    uint16_t lanes[16], best = 0;
    _mm256_storeu_si256((__m256i *)lanes, all);
    for (int i = 0; i < 16; i++) best = lanes[i] > best ? lanes[i] : best;
    return best;
}

__attribute__((target("avx2")))
uint64_t slp_stem4d_read_sum_avx2(const void *data, size_t bytes) {
    const char *p = (const char *)data;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 128 <= bytes; i += 128) {
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(p + i)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
    }
    for (; i + 32 <= bytes; i += 32) a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(p + i)));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

#else

int slp_stem4d_has_avx2(void) { return 0; }

uint16_t slp_stem4d_u16_patterns_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                      double *sum, float *max) {
    (void)group; (void)frames; (void)frame_pixels; (void)chunks; (void)sum; (void)max;
    return 0;
}

uint64_t slp_stem4d_read_sum_avx2(const void *data, size_t bytes) {
    (void)data; (void)bytes;
    return 0;
}

#endif
