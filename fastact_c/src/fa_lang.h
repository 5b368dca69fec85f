/* fa_lang.h - the words of the math source's language in C (fastact/_math.py; the Python
 * targets' are in fastact/backends/_mathlang.py): bit casts, fused multiply-add, inf, NaN.
 * The generated fa_math.h is written in these words. */
#ifndef FASTACT_FA_LANG_H
#define FASTACT_FA_LANG_H

#include "fa_inline.h"

#include <stdint.h>
#include <string.h>

/* bit casts through memcpy (compile to nothing) */
FA_INLINE uint64_t fa_i_d2u(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
FA_INLINE double fa_i_u2d(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
FA_INLINE uint32_t fa_i_f2u(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
FA_INLINE float fa_i_u2f(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
FA_INLINE double fa_i_inf(void) { return fa_i_u2d(UINT64_C(0x7ff0000000000000)); }
FA_INLINE double fa_i_nan(void) { return fa_i_u2d(UINT64_C(0x7ff8000000000000)); }
FA_INLINE float fa_i_inff(void) { return fa_i_u2f(UINT32_C(0x7f800000)); }
FA_INLINE float fa_i_nanf(void) { return fa_i_u2f(UINT32_C(0x7fc00000)); }

/* a*b + c rounded once: one vfmadd in the x86-64-v3/v4 clones, a correctly rounded libm call
 * in the baseline clone, llvm.fma in Numba, cuda.fma on the GPU: the same bits everywhere. */
FA_INLINE double fa_i_fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
FA_INLINE float fa_i_fmaf(float a, float b, float c) { return __builtin_fmaf(a, b, c); }

#endif /* FASTACT_FA_LANG_H */
