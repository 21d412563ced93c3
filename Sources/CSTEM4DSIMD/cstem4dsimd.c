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

int slp_stem4d_has_avx512bw(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        /* The compiler's CPU model checks that the OS saves the 512-bit state too. */
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
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

/* Adds 32-bit sums in unpack order (`lo`: pixels 0-3 and 8-11, `hi`: 4-7 and 12-15) to the 16
 * uint32 pixel sums at `s`, in pixel order. */
__attribute__((target("avx2"))) static inline void add_u32(uint32_t *s, __m256i lo, __m256i hi) {
    __m256i a = _mm256_permute2x128_si256(lo, hi, 0x20), b = _mm256_permute2x128_si256(lo, hi, 0x31);
    _mm256_storeu_si256((__m256i *)s, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)s), a));
    _mm256_storeu_si256((__m256i *)(s + 8), _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(s + 8)), b));
}

/* Adds 16 uint16 sums to the 16 uint32 pixel sums at `s`. */
__attribute__((target("avx2"))) static inline void add_u16(uint32_t *s, __m256i v) {
    __m256i a = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(v)), b = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(v, 1));
    _mm256_storeu_si256((__m256i *)s, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)s), a));
    _mm256_storeu_si256((__m256i *)(s + 8), _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(s + 8)), b));
}

__attribute__((target("avx2"))) static inline void raise_u16(uint16_t *m, __m256i v) {
    _mm256_storeu_si256((__m256i *)m, _mm256_max_epu16(_mm256_loadu_si256((const __m256i *)m), v));
}

/* Folds the mask entries of chunks c0 ..< c1 into the plan's accumulators: for every entry and
 * frame, the 16 masked pixels widened to eight uint32 lanes (pairs of pixels share a lane: only
 * the total matters) and added to acc[mask · frames + frame]. The pattern pass has just read
 * these chunks of every frame of the group, so the loads hit L1. Exact for any 16-bit values:
 * a binary mask covers at most 65 536 pixels, so its total stays below 2^32. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline))
void fold_masks(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int c0, int c1, const slp_stem4d_mask_plan *plan) {
    const int32_t *start = plan->chunk_start;
    if (start[c0] == start[c1]) return;
    const __m256i zero = _mm256_setzero_si256();
    __m256i *acc = (__m256i *)plan->acc;
    for (int c = c0; c < c1; c++) {
        for (int32_t e = start[c]; e < start[c + 1]; e++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(plan->entry_bits + 16 * (ptrdiff_t)e));
            __m256i *a = acc + (ptrdiff_t)plan->entry_mask[e] * frames;
            const uint16_t *q = group + (ptrdiff_t)c * 16;
            for (int f = 0; f < frames; f++, q += frame_pixels) {
                __m256i v = _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)q));
                a[f] = _mm256_add_epi32(a[f], _mm256_add_epi32(_mm256_unpacklo_epi16(v, zero), _mm256_unpackhi_epi16(v, zero)));
            }
        }
    }
}

/* Software prefetch of `lines` 64-byte lines `bytes` ahead of q (nothing when bytes is 0; a
 * prefetch never faults, so running past the last frame is harmless). With binary masks folded
 * into the pass, the hardware prefetchers alone leave the frames' streams short of data (on
 * 64² frames most): a C probe of the pass on 64² frames (512 MiB MAP_SHARED file, one thread, thread CPU
 * time against the read probe, 6 December, load 4–12) read at 40–71 % of the probe with 1–8
 * masks and 60–82 % with the two lines of each frame and step prefetched 1 KiB ahead (no loss
 * in any run), while the pass without masks lost 7–9 points to them at load 4. The caller asks
 * for it (plan->prefetch) only with masks: 1 KiB ahead on small frames, 256 B on large ones
 * (STEM4DVectorUnits.prefetchBytes). */
static inline __attribute__((always_inline)) void prefetch_ahead(const uint16_t *q, ptrdiff_t bytes, int lines) {
    if (bytes) {
        for (int l = 0; l < lines; l++) _mm_prefetch((const char *)q + bytes + 64 * l, _MM_HINT_T0);
    }
}

/* Horizontal sum of eight uint32 lanes (wrapping; callers keep totals below 2^32). */
__attribute__((target("avx2"))) static inline uint32_t hsum32(__m256i v) {
    __m128i a = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0x4e));
    a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(a);
}

__attribute__((target("avx2"))) static void plan_begin(const slp_stem4d_mask_plan *plan, int frames) {
    __m256i *acc = (__m256i *)plan->acc;
    for (ptrdiff_t i = 0; i < (ptrdiff_t)plan->masks * frames; i++) acc[i] = _mm256_setzero_si256();
}

/* Each mask's exact total per frame, rounded to float once and added to its image. */
__attribute__((target("avx2"))) static void plan_end(const slp_stem4d_mask_plan *plan, int frames) {
    const __m256i *acc = (const __m256i *)plan->acc;
    const ptrdiff_t step = plan->img_step > 1 ? plan->img_step : 1;
    for (int m = 0; m < plan->masks; m++)
        for (int f = 0; f < frames; f++) plan->img[(ptrdiff_t)m * plan->img_stride + f * step] += (float)hsum32(acc[(ptrdiff_t)m * frames + f]);
}

__attribute__((target("avx2"))) static inline __attribute__((always_inline))
uint16_t patterns_int_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                           uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan) {
    const __m256i zero = _mm256_setzero_si256();
    /* 16-bit sums of the group are exact where every frame's value is at most 65 535 / frames. */
    const __m256i limit = _mm256_set1_epi16((short)(uint16_t)(frames > 0 ? 65535 / frames : 65535));
    __m256i all = zero;
    const ptrdiff_t pf = plan ? plan->prefetch : 0;
    int c = 0;
    for (; c + 2 <= chunks; c += 2) {
        const uint16_t *p = group + (ptrdiff_t)c * 16;
        __m256i m0 = zero, m1 = zero;
        if (try16) {
            /* One add per 16 pixels; the maximum, needed anyway, proves afterwards whether the
             * sums wrapped. */
            __m256i a0 = zero, a1 = zero;
            const uint16_t *q = p;
            for (int f = 0; f < frames; f++, q += frame_pixels) {
                prefetch_ahead(q, pf, 1);
                __m256i v0 = _mm256_loadu_si256((const __m256i *)q), v1 = _mm256_loadu_si256((const __m256i *)(q + 16));
                a0 = _mm256_add_epi16(a0, v0);
                a1 = _mm256_add_epi16(a1, v1);
                m0 = _mm256_max_epu16(m0, v0);
                m1 = _mm256_max_epu16(m1, v1);
            }
            __m256i mm = _mm256_max_epu16(m0, m1);
            if (_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_max_epu16(mm, limit), limit)) == -1) {
                add_u16(sum + c * 16, a0);
                add_u16(sum + c * 16 + 16, a1);
                raise_u16(max + c * 16, m0);
                raise_u16(max + c * 16 + 16, m1);
                all = _mm256_max_epu16(all, mm);
                if (plan) fold_masks(group, frames, frame_pixels, c, c + 2, plan);
                continue;
            }
            /* Counts too large for 16-bit sums: this chunk pair again in 32-bit lanes (its lines
             * are still near), and the rest of the group straight in 32-bit lanes. */
            try16 = 0;
            m0 = zero;
            m1 = zero;
        }
        __m256i lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero;
        for (int f = 0; f < frames; f++, p += frame_pixels) {
            prefetch_ahead(p, pf, 1);
            __m256i v0 = _mm256_loadu_si256((const __m256i *)p), v1 = _mm256_loadu_si256((const __m256i *)(p + 16));
            lo0 = _mm256_add_epi32(lo0, _mm256_unpacklo_epi16(v0, zero));
            hi0 = _mm256_add_epi32(hi0, _mm256_unpackhi_epi16(v0, zero));
            lo1 = _mm256_add_epi32(lo1, _mm256_unpacklo_epi16(v1, zero));
            hi1 = _mm256_add_epi32(hi1, _mm256_unpackhi_epi16(v1, zero));
            m0 = _mm256_max_epu16(m0, v0);
            m1 = _mm256_max_epu16(m1, v1);
        }
        add_u32(sum + c * 16, lo0, hi0);
        add_u32(sum + c * 16 + 16, lo1, hi1);
        raise_u16(max + c * 16, m0);
        raise_u16(max + c * 16 + 16, m1);
        all = _mm256_max_epu16(all, _mm256_max_epu16(m0, m1));
        if (plan) fold_masks(group, frames, frame_pixels, c, c + 2, plan);
    }
    if (c < chunks) {
        /* The odd last chunk. */
        const uint16_t *p = group + (ptrdiff_t)c * 16;
        __m256i lo0 = zero, hi0 = zero, m0 = zero;
        for (int f = 0; f < frames; f++, p += frame_pixels) {
            __m256i v0 = _mm256_loadu_si256((const __m256i *)p);
            lo0 = _mm256_add_epi32(lo0, _mm256_unpacklo_epi16(v0, zero));
            hi0 = _mm256_add_epi32(hi0, _mm256_unpackhi_epi16(v0, zero));
            m0 = _mm256_max_epu16(m0, v0);
        }
        add_u32(sum + c * 16, lo0, hi0);
        raise_u16(max + c * 16, m0);
        all = _mm256_max_epu16(all, m0);
        if (plan) fold_masks(group, frames, frame_pixels, c, c + 1, plan);
    }
    uint16_t lanes[16], best = 0;
    _mm256_storeu_si256((__m256i *)lanes, all);
    for (int i = 0; i < 16; i++) best = lanes[i] > best ? lanes[i] : best;
    return best;
}

/* Adds 32 uint16 sums to the 32 uint32 pixel sums at `s`. */
__attribute__((target("avx512f,avx512bw"))) static inline void add_u16_512(uint32_t *s, __m512i v) {
    __m512i a = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(v)), b = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v, 1));
    _mm512_storeu_si512((void *)s, _mm512_add_epi32(_mm512_loadu_si512((const void *)s), a));
    _mm512_storeu_si512((void *)(s + 16), _mm512_add_epi32(_mm512_loadu_si512((const void *)(s + 16)), b));
}

/* Adds 32 exact pixel sums, given as their value mod 2^16 (`low`) and the sum of their high
 * bytes (`high`), to the uint32 sums at `s`. The low bytes' sum L = low − 256·high (mod 2^16) is
 * exact while it stays below 2^16 (at most 257 frames of 255), and the sum is 256·high + L. */
__attribute__((target("avx512f,avx512bw"))) static inline void add_split_512(uint32_t *s, __m512i low, __m512i high) {
    __m512i l = _mm512_sub_epi16(low, _mm512_slli_epi16(high, 8));
    __m512i la = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(l)), lb = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(l, 1));
    __m512i ha = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(high)), hb = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(high, 1));
    __m512i a = _mm512_add_epi32(_mm512_slli_epi32(ha, 8), la), b = _mm512_add_epi32(_mm512_slli_epi32(hb, 8), lb);
    _mm512_storeu_si512((void *)s, _mm512_add_epi32(_mm512_loadu_si512((const void *)s), a));
    _mm512_storeu_si512((void *)(s + 16), _mm512_add_epi32(_mm512_loadu_si512((const void *)(s + 16)), b));
}

/* Adds split sums (`low` mod 2^16, `high` the high bytes' sum) of 32 pixels to the carried
 * ones at c (low) and c + pixels (high): two 16-bit adds instead of widening every group. */
__attribute__((target("avx512f,avx512bw"))) static inline void carry_add_512(uint16_t *c, ptrdiff_t pixels, __m512i low, __m512i high) {
    _mm512_storeu_si512((void *)c, _mm512_add_epi16(_mm512_loadu_si512((const void *)c), low));
    _mm512_storeu_si512((void *)(c + pixels), _mm512_add_epi16(_mm512_loadu_si512((const void *)(c + pixels)), high));
}

__attribute__((target("avx512f,avx512bw"))) static inline void raise_u16_512(uint16_t *m, __m512i v) {
    _mm512_storeu_si512((void *)m, _mm512_max_epu16(_mm512_loadu_si512((const void *)m), v));
}

/* At most 256 frames (the split sums' limit); the caller cuts longer groups. */
__attribute__((target("avx512f,avx512bw"))) static inline __attribute__((always_inline))
uint16_t patterns_int_avx512(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                             uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i limit = _mm512_set1_epi16((short)(uint16_t)(frames > 0 ? 65535 / frames : 65535));
    __m512i all = zero;
    const ptrdiff_t pf = plan ? plan->prefetch : 0;
    uint16_t *const carry = plan ? plan->carry : NULL;
    const ptrdiff_t carry_pixels = plan ? plan->carry_pixels : 0;
    int c = 0;
    /* Four chunks (two 64-byte lines, 64 pixels) of every frame per step. */
    for (; c + 4 <= chunks; c += 4) {
        const uint16_t *p = group + (ptrdiff_t)c * 16;
        __m512i m0 = zero, m1 = zero;
        if (try16) {
            /* One add per 32 pixels; the maximum proves afterwards whether the sums wrapped. */
            __m512i a0 = zero, a1 = zero;
            const uint16_t *q = p;
            for (int f = 0; f < frames; f++, q += frame_pixels) {
                prefetch_ahead(q, pf, 2);
                __m512i v0 = _mm512_loadu_si512((const void *)q), v1 = _mm512_loadu_si512((const void *)(q + 32));
                a0 = _mm512_add_epi16(a0, v0);
                a1 = _mm512_add_epi16(a1, v1);
                m0 = _mm512_max_epu16(m0, v0);
                m1 = _mm512_max_epu16(m1, v1);
            }
            __m512i mm = _mm512_max_epu16(m0, m1);
            if (_mm512_cmpgt_epu16_mask(mm, limit) == 0) {
                if (carry) {
                    /* An exact sum below 2^16 as its split form (low bytes at most 255). */
                    carry_add_512(carry + c * 16, carry_pixels, a0, _mm512_srli_epi16(a0, 8));
                    carry_add_512(carry + c * 16 + 32, carry_pixels, a1, _mm512_srli_epi16(a1, 8));
                } else {
                    add_u16_512(sum + c * 16, a0);
                    add_u16_512(sum + c * 16 + 32, a1);
                }
                raise_u16_512(max + c * 16, m0);
                raise_u16_512(max + c * 16 + 32, m1);
                all = _mm512_max_epu16(all, mm);
                if (plan) fold_masks(group, frames, frame_pixels, c, c + 4, plan);
                continue;
            }
            /* Counts too large for 16-bit sums: these chunks again as split sums (their lines
             * are still near), and the rest of the group straight as split sums. */
            try16 = 0;
            m0 = zero;
            m1 = zero;
        }
        /* Full range without widening: the sum mod 2^16 and the sum of the high bytes, both in
         * 16-bit lanes (two adds and a shift per 32 pixels instead of two unpacks and four
         * 32-bit adds); exact for any 16-bit values. */
        __m512i s0 = zero, s1 = zero, h0 = zero, h1 = zero;
        for (int f = 0; f < frames; f++, p += frame_pixels) {
            prefetch_ahead(p, pf, 2);
            __m512i v0 = _mm512_loadu_si512((const void *)p), v1 = _mm512_loadu_si512((const void *)(p + 32));
            s0 = _mm512_add_epi16(s0, v0);
            s1 = _mm512_add_epi16(s1, v1);
            h0 = _mm512_add_epi16(h0, _mm512_srli_epi16(v0, 8));
            h1 = _mm512_add_epi16(h1, _mm512_srli_epi16(v1, 8));
            m0 = _mm512_max_epu16(m0, v0);
            m1 = _mm512_max_epu16(m1, v1);
        }
        if (carry) {
            carry_add_512(carry + c * 16, carry_pixels, s0, h0);
            carry_add_512(carry + c * 16 + 32, carry_pixels, s1, h1);
        } else {
            add_split_512(sum + c * 16, s0, h0);
            add_split_512(sum + c * 16 + 32, s1, h1);
        }
        raise_u16_512(max + c * 16, m0);
        raise_u16_512(max + c * 16 + 32, m1);
        all = _mm512_max_epu16(all, _mm512_max_epu16(m0, m1));
        if (plan) fold_masks(group, frames, frame_pixels, c, c + 4, plan);
    }
    uint16_t best = (uint16_t)_mm512_reduce_max_epu32(_mm512_max_epu32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(all)),
                                                                       _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(all, 1))));
    if (c < chunks) {
        /* The last one to three chunks: the AVX2 pass. */
        uint16_t rest = patterns_int_avx2(group + (ptrdiff_t)c * 16, frames, frame_pixels, chunks - c,
                                          sum + c * 16, max + c * 16, try16, NULL);
        best = rest > best ? rest : best;
        if (plan) fold_masks(group, frames, frame_pixels, c, chunks, plan);
    }
    return best;
}

__attribute__((target("avx512f,avx512bw")))
static uint16_t patterns_masks_avx512(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                      uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan) {
    return patterns_int_avx512(group, frames, frame_pixels, chunks, sum, max, try16, plan);
}

__attribute__((target("avx2")))
static uint16_t patterns_masks_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                    uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan) {
    return patterns_int_avx2(group, frames, frame_pixels, chunks, sum, max, try16, plan);
}

/* The passes with the frame count fixed at 4 or 8 (the kernel's group sizes), so that every
 * frame loop above is unrolled whole: each load instruction then reads one frame of the group,
 * line after line at a constant stride, which the CPU's per-instruction stride prefetcher
 * follows. In a rolled loop one load instruction jumps from frame to frame (a stride of a frame,
 * then back) and that prefetcher gives up: a C probe of the bare loop (add and max, 512 MiB
 * MAP_SHARED file, one thread, thread CPU time, 6 December) read 64² frames at 42–50 % of the
 * sequential read probe with the loop rolled and 86–99 % unrolled, for 2, 4 and 8 frames alike. */
#define SLP_FIXED_FRAMES(NAME, TARGET, BODY, G)                                                                       \
    __attribute__((target(TARGET))) static uint16_t NAME##_##G(const uint16_t *group, ptrdiff_t frame_pixels,         \
                                                               int chunks, uint32_t *sum, uint16_t *max, int try16,   \
                                                               const slp_stem4d_mask_plan *plan) {                    \
        return BODY(group, G, frame_pixels, chunks, sum, max, try16, plan);                                           \
    }
SLP_FIXED_FRAMES(fixed_avx512, "avx512f,avx512bw", patterns_int_avx512, 4)
SLP_FIXED_FRAMES(fixed_avx512, "avx512f,avx512bw", patterns_int_avx512, 8)
SLP_FIXED_FRAMES(fixed_avx2, "avx2", patterns_int_avx2, 4)
SLP_FIXED_FRAMES(fixed_avx2, "avx2", patterns_int_avx2, 8)

/* The pass over one group of at most 256 frames: unrolled for 4 and 8 frames unless `rolled`
 * (the loop as before, to compare), the rolled loop for other counts. */
static uint16_t patterns_dispatch(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks, uint32_t *sum,
                                  uint16_t *max, int try16, const slp_stem4d_mask_plan *plan, int wide, int rolled) {
    if (!rolled && frames == 8)
        return wide ? fixed_avx512_8(group, frame_pixels, chunks, sum, max, try16, plan)
                    : fixed_avx2_8(group, frame_pixels, chunks, sum, max, try16, plan);
    if (!rolled && frames == 4)
        return wide ? fixed_avx512_4(group, frame_pixels, chunks, sum, max, try16, plan)
                    : fixed_avx2_4(group, frame_pixels, chunks, sum, max, try16, plan);
    return wide ? patterns_masks_avx512(group, frames, frame_pixels, chunks, sum, max, try16, plan)
                : patterns_masks_avx2(group, frames, frame_pixels, chunks, sum, max, try16, plan);
}

uint16_t slp_stem4d_u16_patterns_int_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                          uint32_t *sum, uint16_t *max, int try16) {
    return patterns_dispatch(group, frames, frame_pixels, chunks, sum, max, try16, NULL, 0, 0);
}

uint16_t slp_stem4d_u16_patterns_int_avx512(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                            uint32_t *sum, uint16_t *max, int try16) {
    uint16_t best = 0;
    for (int f0 = 0; f0 < frames; f0 += 256) {
        int n = frames - f0 < 256 ? frames - f0 : 256;
        uint16_t b = patterns_dispatch(group + (ptrdiff_t)f0 * frame_pixels, n, frame_pixels, chunks, sum, max, try16, NULL, 1, 0);
        best = b > best ? b : best;
    }
    return best;
}

uint16_t slp_stem4d_u16_patterns_masks(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                       uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan, int unit) {
    if (frames > 256) frames = 256; /* the caller's contract; the split sums' limit */
    plan_begin(plan, frames);
    uint16_t best = patterns_dispatch(group, frames, frame_pixels, chunks, sum, max, try16, plan, unit & 1, unit & 2);
    plan_end(plan, frames);
    return best;
}

__attribute__((target("avx512f,avx512bw"))) static void carry_flush_avx512(uint16_t *carry, ptrdiff_t pixels, ptrdiff_t high, uint32_t *sum) {
    const __m512i zero = _mm512_setzero_si512();
    ptrdiff_t i = 0;
    for (; i + 32 <= pixels; i += 32) {
        add_split_512(sum + i, _mm512_loadu_si512((const void *)(carry + i)), _mm512_loadu_si512((const void *)(carry + high + i)));
        _mm512_storeu_si512((void *)(carry + i), zero);
        _mm512_storeu_si512((void *)(carry + high + i), zero);
    }
    for (; i < pixels; i++) {
        sum[i] += 256u * carry[high + i] + (uint16_t)(carry[i] - (uint16_t)(carry[high + i] << 8));
        carry[i] = 0;
        carry[high + i] = 0;
    }
}

void slp_stem4d_carry_flush(uint16_t *carry, ptrdiff_t pixels, ptrdiff_t high, uint32_t *sum) {
    if (slp_stem4d_has_avx512bw()) { carry_flush_avx512(carry, pixels, high, sum); return; }
    for (ptrdiff_t i = 0; i < pixels; i++) {
        sum[i] += 256u * carry[high + i] + (uint16_t)(carry[i] - (uint16_t)(carry[high + i] << 8));
        carry[i] = 0;
        carry[high + i] = 0;
    }
}

/* Adds 16 uint16 lanes to eight uint32 lanes (pairs of pixels share a lane: only the total matters). */
__attribute__((target("avx2"))) static inline __m256i widen_add(__m256i acc, __m256i v) {
    const __m256i zero = _mm256_setzero_si256();
    return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_unpacklo_epi16(v, zero), _mm256_unpackhi_epi16(v, zero)));
}

__attribute__((target("avx2")))
void slp_stem4d_u16_mask_sums_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, const ptrdiff_t *offsets,
                                   const uint16_t *bits, ptrdiff_t entries, ptrdiff_t run, uint32_t *totals) {
    if (run < 1) run = 1;
    int f = 0;
    /* Four frames at a time: each entry's bits are loaded once for all four, and four
     * independent accumulator chains keep the adds in flight. */
    for (; f + 4 <= frames; f += 4) {
        const uint16_t *p0 = group + (ptrdiff_t)f * frame_pixels, *p1 = p0 + frame_pixels, *p2 = p1 + frame_pixels, *p3 = p2 + frame_pixels;
        __m256i t0 = _mm256_setzero_si256(), t1 = t0, t2 = t0, t3 = t0;
        for (ptrdiff_t e = 0; e < entries;) {
            ptrdiff_t stop = entries - e > run ? e + run : entries;
            if (run == 1) {
                /* Full-range counts: every chunk widens at once. */
                for (; e < stop; e++) {
                    __m256i b = _mm256_loadu_si256((const __m256i *)(bits + 16 * e));
                    ptrdiff_t o = offsets[e];
                    t0 = widen_add(t0, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p0 + o))));
                    t1 = widen_add(t1, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p1 + o))));
                    t2 = widen_add(t2, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p2 + o))));
                    t3 = widen_add(t3, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p3 + o))));
                }
            } else {
                /* `run` chunks cannot overflow 16-bit lanes: add there, widen once per run. */
                __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
                for (; e < stop; e++) {
                    __m256i b = _mm256_loadu_si256((const __m256i *)(bits + 16 * e));
                    ptrdiff_t o = offsets[e];
                    a0 = _mm256_add_epi16(a0, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p0 + o))));
                    a1 = _mm256_add_epi16(a1, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p1 + o))));
                    a2 = _mm256_add_epi16(a2, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p2 + o))));
                    a3 = _mm256_add_epi16(a3, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p3 + o))));
                }
                t0 = widen_add(t0, a0);
                t1 = widen_add(t1, a1);
                t2 = widen_add(t2, a2);
                t3 = widen_add(t3, a3);
            }
        }
        totals[f] = hsum32(t0);
        totals[f + 1] = hsum32(t1);
        totals[f + 2] = hsum32(t2);
        totals[f + 3] = hsum32(t3);
    }
    for (; f < frames; f++) {
        const uint16_t *p0 = group + (ptrdiff_t)f * frame_pixels;
        __m256i t0 = _mm256_setzero_si256();
        for (ptrdiff_t e = 0; e < entries;) {
            ptrdiff_t stop = entries - e > run ? e + run : entries;
            __m256i a0 = _mm256_setzero_si256();
            for (; e < stop; e++) {
                __m256i b = _mm256_loadu_si256((const __m256i *)(bits + 16 * e));
                a0 = _mm256_add_epi16(a0, _mm256_and_si256(b, _mm256_loadu_si256((const __m256i *)(p0 + offsets[e]))));
            }
            t0 = widen_add(t0, a0);
        }
        totals[f] = hsum32(t0);
    }
}

__attribute__((target("avx2")))
void slp_stem4d_flush_patterns(uint32_t *sum32, uint16_t *max16, double *sum, float *max, ptrdiff_t n, int clear) {
    ptrdiff_t i = 0;
    const __m256i zero = _mm256_setzero_si256();
    for (; i + 8 <= n; i += 8) {
        __m256i s = _mm256_loadu_si256((const __m256i *)(sum32 + i));
        __m128i m = _mm_loadu_si128((const __m128i *)(max16 + i));
        /* uint32 -> double exactly: the low 31 bits signed, plus 2^31 where the top bit is set. */
        __m256i top = _mm256_srli_epi32(s, 31), low = _mm256_and_si256(s, _mm256_set1_epi32(0x7fffffff));
        __m256d lo4 = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(low)),
                                    _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(top)), _mm256_set1_pd(2147483648.0)));
        __m256d hi4 = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(low, 1)),
                                    _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(top, 1)), _mm256_set1_pd(2147483648.0)));
        _mm256_storeu_pd(sum + i, _mm256_add_pd(_mm256_loadu_pd(sum + i), lo4));
        _mm256_storeu_pd(sum + i + 4, _mm256_add_pd(_mm256_loadu_pd(sum + i + 4), hi4));
        _mm256_storeu_ps(max + i, _mm256_max_ps(_mm256_loadu_ps(max + i), _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(m))));
        if (clear) {
            _mm256_storeu_si256((__m256i *)(sum32 + i), zero);
            _mm_storeu_si128((__m128i *)(max16 + i), _mm_setzero_si128());
        }
    }
    for (; i < n; i++) {
        sum[i] += (double)sum32[i];
        float v = (float)max16[i];
        max[i] = max[i] > v ? max[i] : v;
        if (clear) { sum32[i] = 0; max16[i] = 0; }
    }
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

int slp_stem4d_has_avx512bw(void) { return 0; }

uint16_t slp_stem4d_u16_patterns_int_avx512(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                            uint32_t *sum, uint16_t *max, int try16) {
    (void)group; (void)frames; (void)frame_pixels; (void)chunks; (void)sum; (void)max; (void)try16;
    return 0;
}

uint16_t slp_stem4d_u16_patterns_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                      double *sum, float *max) {
    (void)group; (void)frames; (void)frame_pixels; (void)chunks; (void)sum; (void)max;
    return 0;
}

uint16_t slp_stem4d_u16_patterns_int_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                          uint32_t *sum, uint16_t *max, int try16) {
    (void)group; (void)frames; (void)frame_pixels; (void)chunks; (void)sum; (void)max; (void)try16;
    return 0;
}

void slp_stem4d_u16_mask_sums_avx2(const uint16_t *group, int frames, ptrdiff_t frame_pixels, const ptrdiff_t *offsets,
                                   const uint16_t *bits, ptrdiff_t entries, ptrdiff_t run, uint32_t *totals) {
    (void)group; (void)frame_pixels; (void)offsets; (void)bits; (void)entries; (void)run;
    for (int f = 0; f < frames; f++) totals[f] = 0;
}

uint64_t slp_stem4d_read_sum_avx2(const void *data, size_t bytes) {
    (void)data; (void)bytes;
    return 0;
}

void slp_stem4d_flush_patterns(uint32_t *sum32, uint16_t *max16, double *sum, float *max, ptrdiff_t n, int clear) {
    for (ptrdiff_t i = 0; i < n; i++) {
        sum[i] += (double)sum32[i];
        float v = (float)max16[i];
        max[i] = max[i] > v ? max[i] : v;
        if (clear) { sum32[i] = 0; max16[i] = 0; }
    }
}

uint16_t slp_stem4d_u16_patterns_masks(const uint16_t *group, int frames, ptrdiff_t frame_pixels, int chunks,
                                       uint32_t *sum, uint16_t *max, int try16, const slp_stem4d_mask_plan *plan, int wide) {
    (void)group; (void)frames; (void)frame_pixels; (void)chunks; (void)sum; (void)max; (void)try16; (void)plan; (void)wide;
    return 0;
}

void slp_stem4d_carry_flush(uint16_t *carry, ptrdiff_t pixels, ptrdiff_t high, uint32_t *sum) {
    for (ptrdiff_t i = 0; i < pixels; i++) {
        sum[i] += 256u * carry[high + i] + (uint16_t)(carry[i] - (uint16_t)(carry[high + i] << 8));
        carry[i] = 0;
        carry[high + i] = 0;
    }
}

#endif
