/*
 * fa_random.h - the counter-based generator behind dropout and rrelu.
 *
 * u(seed, i) = top 24 bits of mix64(mix64(seed) + (i + 1) * golden) / 2^24,
 * where mix64 is SplitMix64's finalizer (Steele, Lea, Flood 2014) and golden
 * = 0x9E3779B97F4A7C15. Element i of a call with `offset` uses counter
 * offset + i (its flat C-order index), so the same mask comes out for any
 * layout, thread count or backend, and a backward pass regenerates it instead
 * of storing it. u has 24 random bits, exact in float and double, in [0, 1).
 * Only integer adds, multiplies, shifts and xors: it vectorizes.
 * fastact/backends/_numba_math.py mirrors it bit for bit.
 */
#ifndef FASTACT_FA_RANDOM_H
#define FASTACT_FA_RANDOM_H

#include <stdint.h>

#include "fa_inline.h"

#define FA_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

FA_INLINE uint64_t fa_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* key = fa_mix64(seed), computed once per call */
FA_INLINE double fa_uniform24(uint64_t key, uint64_t counter)
{
    const uint64_t h = fa_mix64(key + (counter + 1) * FA_GOLDEN);
    return (double)(int32_t)(h >> 40) * 0x1p-24;
}

#endif /* FASTACT_FA_RANDOM_H */
