/*
 * fa_math.h - vectorizable elementary functions for fastact.
 *
 * Every function here is `static inline`, branch-free (all paths are
 * computed and the result is chosen with ternary selects), uses no lookup
 * tables and calls nothing from libm, so the compiler can auto-vectorize
 * loops such as (checked with GCC 12 -fopt-info-vec-optimized at
 * -march=x86-64, x86-64-v3 and x86-64-v4, f64 and f32 variants)
 *
 *     #pragma omp simd
 *     for (size_t i = 0; i < n; i++) y[i] = fa_exp_f64(x[i]);
 *
 * Flags: -O3 -fno-trapping-math -fopenmp-simd (plus -march=... for wide
 * vectors).  -fno-trapping-math is required for vectorization: without it
 * GCC 12 keeps the ternary selects as control flow and the loops stay
 * scalar (still correct).  -ffp-contract=fast and =off both work: the code
 * never relies on a*b+c being fused or not, and the accuracy figures below
 * hold for both.  -ffast-math is NOT needed and must not be used: it breaks
 * the NaN/Inf handling below.
 *
 * Accuracy, measured against mpmath (50 digits) on ~2.5M inputs per
 * function (uniform, log-uniform 1e-300..1e300, random bit patterns, range
 * ends, reduction boundaries), with and without FMA: max error of the double
 * versions 0.95 (exp), 0.91 (expm1), 0.87 (log1p), 0.80 (log), 1.18 (tanh)
 * ulp.  The float versions compute in double and round once; they matched
 * (float)glibc_double(x) on all 2^32 float inputs, i.e. they are correctly
 * rounded except for possible double-rounding cases (<= 1 ulp).
 * Special values follow C99 Annex F / glibc (see each function).
 *
 * Building blocks:
 *  - int <-> double bit casts through memcpy (compiles to nothing);
 *  - round-to-nearest-integer with the "magic number" trick
 *    (v + 0x1.8p52) - 0x1.8p52, valid for |v| < 2^51;
 *  - 2^k for an integral double k in [-1022, 1023] built directly in the
 *    exponent field: the low 11 bits of bits(k + 0x1.8p52 + 1023) are
 *    k + 1023, so a 64-bit left shift by 52 gives the bits of 2^k.
 *    Only 64-bit add/and/or/shift are used, which SSE2/AVX2 have.
 *
 * C99, no dependencies besides <stdint.h> and <string.h>.
 */
#ifndef FASTACT_FA_MATH_H
#define FASTACT_FA_MATH_H

#include "fa_inline.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* internal helpers                                                         */
/* ------------------------------------------------------------------------ */

FA_INLINE uint64_t fa_i_d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

FA_INLINE double fa_i_u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

FA_INLINE double fa_i_inf(void) { return fa_i_u2d(UINT64_C(0x7ff0000000000000)); }
FA_INLINE double fa_i_nan(void) { return fa_i_u2d(UINT64_C(0x7ff8000000000000)); }

/* a*b + c rounded once: one vfmadd in the x86-64-v3/v4 clones, a correctly
 * rounded libm call in the baseline clone, llvm.fma in the Numba port: the
 * same bits everywhere. */
FA_INLINE double fa_i_fma(double a, double b, double c) { return __builtin_fma(a, b, c); }

/* Round to nearest integer (ties to even) for |v| < 2^51. */
FA_INLINE double fa_i_round(double v)
{
    return (v + 0x1.8p52) - 0x1.8p52;
}

/* 2^k for integral k in [-1022, 1023] (k given as a double). */
FA_INLINE double fa_i_pow2i(double k)
{
    return fa_i_u2d(fa_i_d2u(k + (0x1.8p52 + 1023.0)) << 52);
}

/* Cody-Waite split of ln2: LN2_HI has 32 significant bits, so n*LN2_HI is
 * exact for |n| < 2^21 and x - n*LN2_HI is exact near the reduction point. */
#define FA_I_LN2_HI  0x1.62e42fee00000p-1
#define FA_I_LN2_LO  0x1.a39ef35793c76p-33
#define FA_I_INV_LN2 0x1.71547652b82fep+0

/* expm1(r) - r for |r| <= ~0.3472 (a bit more than ln2/2): r^2 * h(r),
 * h = near-minimax (Chebyshev) degree-10 fit of (expm1(r) - r) / r^2, so
 * expm1(r) = r + expm1_tail(r) is a degree-12 polynomial with approximation
 * error < 2^-60 relative to expm1(r); Horner with FMAs. */
FA_INLINE double fa_i_expm1_tail(double r)
{
    double h = 0x1.1f7385560be05p-29;
    h = fa_i_fma(h, r, 0x1.af4ecd2129492p-26);
    h = fa_i_fma(h, r, 0x1.27e4db25ce3adp-22);
    h = fa_i_fma(h, r, 0x1.71de01c3fc936p-19);
    h = fa_i_fma(h, r, 0x1.a01a01a6ec522p-16);
    h = fa_i_fma(h, r, 0x1.a01a01ac0a9eep-13);
    h = fa_i_fma(h, r, 0x1.6c16c16c162b0p-10);
    h = fa_i_fma(h, r, 0x1.111111111009cp-7);
    h = fa_i_fma(h, r, 0x1.5555555555556p-5);
    h = fa_i_fma(h, r, 0x1.5555555555557p-3);
    h = fa_i_fma(h, r, 0.5);
    return (r * r) * h;
}

/* log(1+f) - f + f*f/2 (i.e. the tail s*(hfsq + R) of the fdlibm scheme),
 * for f in [sqrt(1/2)-1, sqrt(2)-1), s = f/(2+f).  R(z), z = s^2, is the
 * fdlibm minimax polynomial of degree 7 (error < 2^-58.45). */
FA_INLINE double fa_i_log_tail(double s, double hfsq)
{
    const double z = s * s;
    double R = 0x1.2f112df3e5244p-3;
    R = fa_i_fma(R, z, 0x1.39a09d078c69fp-3);
    R = fa_i_fma(R, z, 0x1.7466496cb03dep-3);
    R = fa_i_fma(R, z, 0x1.c71c51d8e78afp-3);
    R = fa_i_fma(R, z, 0x1.2492494229359p-2);
    R = fa_i_fma(R, z, 0x1.999999997fa04p-2);
    R = fa_i_fma(R, z, 0x1.5555555555593p-1);
    R = R * z;
    return s * (hfsq + R);
}

/* Split a positive normal double u as u = 2^k * m with m in
 * [sqrt(1/2), sqrt(2)).  Returns m, stores k (as an integral double). */
FA_INLINE double fa_i_log_split(double u, double *k)
{
    /* shift so that [sqrt(1/2), sqrt(2)) maps onto one binade */
    const uint64_t off = UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e667f3bcd);
    const uint64_t iu = fa_i_d2u(u) + off;
    /* exponent field -> double without an int64->double conversion
     * (AVX2 has none): 2^52 + e is exact, subtract 2^52 + 1023. */
    *k = fa_i_u2d((iu >> 52) | UINT64_C(0x4330000000000000)) - (0x1p52 + 1023.0);
    return fa_i_u2d((iu & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e667f3bcd));
}

/* ------------------------------------------------------------------------ */
/* exp                                                                      */
/* ------------------------------------------------------------------------ */

/* fa_exp_f64: e^x.
 * Method: n = round(x/ln2), r = x - n*ln2 with a two-part ln2 and FMAs
 * (|r| <= ln2/2), x outside [-746, 710] selects 0 or inf, e^r = 1 + (r + expm1_tail(r)) (degree 12), the result is
 * (e^r * 2^n1) * 2^n2 with n1 + n2 = n, so that 2^n1, 2^n2 are normal for
 * every n in [-1076, 1024]; the last multiply rounds once into the
 * subnormal range and overflows to inf when x > ~709.78.
 * Error: < 1 ulp (max measured 0.95), also in subnormal ulps for subnormal
 * results.
 * Specials: exp(-inf) = 0, exp(+inf) = inf, exp(NaN) = NaN, overflow -> inf,
 * underflow -> subnormal / 0 for x < ~-745.13. */
FA_INLINE double fa_exp_f64(double x)
{
    /* no clamp of x (see fa_exp_f32): out-of-range lanes are selected */
    const double n = fa_i_round(x * FA_I_INV_LN2);
    const double r = fa_i_fma(n, -FA_I_LN2_LO, fa_i_fma(n, -FA_I_LN2_HI, x));
    const double p = 1.0 + (r + fa_i_expm1_tail(r));
    const double n1 = fa_i_round(n * 0.5);
    double y = (p * fa_i_pow2i(n1)) * fa_i_pow2i(n - n1);
    y = x > 710.0 ? fa_i_inf() : y;         /* NaN passes through */
    return x < -746.0 ? 0.0 : y;
}

/* fa_expn_f64: e^x as fa_exp_f64 with one scaling by 2^n, valid for n in
 * [-1022, 1023] (x in about [-708, 708]), where it gives fa_exp_f64's bits;
 * garbage elsewhere (see fa_expn_f32). */
FA_INLINE double fa_expn_f64(double x)
{
    const double n = fa_i_round(x * FA_I_INV_LN2);
    const double r = fa_i_fma(n, -FA_I_LN2_LO, fa_i_fma(n, -FA_I_LN2_HI, x));
    return (1.0 + (r + fa_i_expm1_tail(r))) * fa_i_pow2i(n);
}

/* ------------------------------------------------------------------------ */
/* expm1                                                                    */
/* ------------------------------------------------------------------------ */

/* expm1(x) as an unevaluated sum, for x in [-40, 710] (NaN propagates;
 * other x give garbage that the callers select away):
 * expm1(x) = (hi + *lo) * *f, where *f = 2 for n = 1024 and 1 otherwise.
 * expm1_dd(+0) = (+0, +0). */
FA_INLINE double fa_i_expm1_dd(double x, double *lo, double *f)
{
    const double n = fa_i_round(x * FA_I_INV_LN2);
    const double rh = x - n * FA_I_LN2_HI;       /* exact */
    const double nl = n * FA_I_LN2_LO;
    const double r = rh - nl;
    const double c = (rh - r) - nl;              /* rounding error of r */
    /* expm1(r + c) = r + t, t ~= r^2 h(r) + c e^r */
    const double t = fa_i_expm1_tail(r) + (c + c * r);
    /* expm1(x) = (s - 1) + s*r + s*t with s = 2^n.  s*r is exact, and
     * s - 1 is exact for n <= 53 (for n < -53 the result is -1 within an
     * ulp anyway); for n >= 54 the -1 is moved into the low part instead.
     * A + B is formed exactly with Fast2Sum (|A| >= |B| or A = 0), so the
     * cancellation-prone step is exact and the result has one final
     * rounding plus the small error of s*t.  For |x| < ln2/2 (n = 0) this
     * is just r + t.  n = 1024 uses s = 2^1023 and a final factor 2. */
    const double ns = n > 1023.0 ? 1023.0 : n;
    const double s = fa_i_pow2i(ns);
    const double m1 = n < 53.5 ? 1.0 : 0.0;
    const double A = s - m1;
    const double B = s * r;
    const double S = A + B;
    const double e = B - (S - A);
    *lo = (s * t + e) - (1.0 - m1);
    *f = 1.0 + (n - ns);
    return S;
}

/* fa_expm1_f64: e^x - 1.
 * Method: same reduction and polynomial as exp (|r| <= ln2/2, degree 12),
 * with the rounding error of r carried along; reconstruction
 * (2^n - 1) + 2^n*r + 2^n*tail with an exact Fast2Sum for the first two
 * terms (see fa_i_expm1_dd), so for |x| < ln2/2 the polynomial is used
 * directly and there is no cancellation for x < 0.  x > 709.8 gives inf and
 * x < -40 gives -1 by selection.  Error < 1 ulp (max measured 0.91).
 * Specials: expm1(+-0) = +-0, expm1(-inf) = -1, expm1(+inf) = inf,
 * overflow (x > ~709.78) -> inf, expm1(tiny) = tiny, NaN -> NaN. */
FA_INLINE double fa_expm1_f64(double x)
{
    /* no clamping of x: out-of-range lanes are replaced at the end (a clamp
     * makes GCC duplicate the whole computation for the constant paths) */
    double lo, f;
    const double hi = fa_i_expm1_dd(x, &lo, &f);
    double y = (hi + lo) * f;
    y = x > 709.8 ? fa_i_inf() : y;   /* n <= 1024 below; overflows from 709.78 */
    y = x < -40.0 ? -1.0 : y;         /* expm1(x) rounds to -1 below ~-37.4 */
    return x == 0.0 ? x : y;          /* keep the sign of zero */
}

/* ------------------------------------------------------------------------ */
/* log                                                                      */
/* ------------------------------------------------------------------------ */

/* fa_log_f64: natural logarithm.
 * Method (fdlibm): subnormals are pre-scaled by 2^52; x = 2^k * m with
 * m in [sqrt(1/2), sqrt(2)) from the bits, f = m - 1 (exact),
 * s = f/(2+f), log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)) with a degree-7
 * minimax R (degree 15 in s), log x = k*ln2_hi + (log(1+f) + k*ln2_lo).
 * Error < 1 ulp (max measured 0.80).
 * Specials: log(+-0) = -inf, log(x<0) = NaN, log(+inf) = inf,
 * log(NaN) = NaN, log(1) = +0, subnormals handled exactly. */
FA_INLINE double fa_log_f64(double x)
{
    const int sub = x < 0x1p-1022;              /* also true for x <= 0 */
    const double xs = sub ? x * 0x1p52 : x;
    double k;
    const double m = fa_i_log_split(xs, &k);
    k = sub ? k - 52.0 : k;
    const double f = m - 1.0;
    const double s = f / (2.0 + f);
    const double hfsq = 0.5 * f * f;
    const double y = k * FA_I_LN2_HI
                   - ((hfsq - (fa_i_log_tail(s, hfsq) + k * FA_I_LN2_LO)) - f);
    /* specials: 0 -> -inf, <0 -> NaN, +inf -> inf, NaN -> NaN */
    const double sp = x == 0.0 ? -fa_i_inf() : (x < 0.0 ? fa_i_nan() : x + x);
    return ((x > 0.0) & (x < fa_i_inf())) ? y : sp;
}

/* ------------------------------------------------------------------------ */
/* log1p                                                                    */
/* ------------------------------------------------------------------------ */

/* fa_log1p_f64: log(1 + x).
 * Method: u = 1 + x rounded, c = x - (u - 1) its exact rounding error
 * (exact whenever it matters, i.e. u < 2^53); u = 2^k * m as in log,
 * f = m - 1, and log1p x = k*ln2 + log(1+f) + c/u, where
 * c/u = (c*2^-k) * (1/m) and 1/m = (1-s)/(1+s) ~= 1 - 2s(1-s) is accurate
 * enough because c/u is below 2^-53 relative to the result.  When k = 0
 * this is log(1+f) + c/(1+f) with f + c = x exactly, so there is no
 * cancellation for small x.  u is never subnormal for x > -1.
 * Error < 1 ulp (max measured 0.87).
 * Specials: log1p(+-0) = +-0, log1p(tiny) = tiny, log1p(-1) = -inf,
 * log1p(x < -1) = NaN, log1p(+inf) = inf, NaN -> NaN. */
FA_INLINE double fa_i_log1p_core(double x)
{
    const double u = 1.0 + x;
    const double c = x - (u - 1.0);
    double k;
    const double m = fa_i_log_split(u, &k);
    const double f = m - 1.0;
    const double s = f / (2.0 + f);
    const double hfsq = 0.5 * f * f;
    /* c * 2^-k: c only matters for k <= 53; clamp keeps 2^-k normal */
    const double kc = k > 60.0 ? 60.0 : k;
    const double cm = (c * fa_i_pow2i(-kc)) * (1.0 - 2.0 * s * (1.0 - s));
    return k * FA_I_LN2_HI - ((hfsq - (fa_i_log_tail(s, hfsq) + (k * FA_I_LN2_LO + cm))) - f);
}

FA_INLINE double fa_log1p_f64(double x)
{
    double y = fa_i_log1p_core(x);
    y = x == 0.0 ? x : y;                       /* log1p(-0) = -0 */
    /* specials: -1 -> -inf, < -1 -> NaN, +inf -> inf, NaN -> NaN */
    const double sp = x == -1.0 ? -fa_i_inf() : (x < -1.0 ? fa_i_nan() : x + x);
    return ((x > -1.0) & (x < fa_i_inf())) ? y : sp;
}

/* fa_log1pn_f64: fa_log1p_f64 for x in (0, 1] without its special cases
 * (the fast forms' log1p of an exp(-|z|)): the same bits there. */
FA_INLINE double fa_log1pn_f64(double x) { return fa_i_log1p_core(x); }

/* ------------------------------------------------------------------------ */
/* tanh                                                                     */
/* ------------------------------------------------------------------------ */

/* fa_tanh_f64: hyperbolic tangent.
 * Method: a = |x|, t = expm1(2a) >= 0 kept as a double-double (th + tl),
 * tanh a = t / (t + 2) with t + 2 also formed exactly and one correction
 * step after the division; the sign of x is OR-ed back in.  This form does
 * not amplify the error of t (d log T / d log t <= 1).  a > 22 gives 1 by
 * selection (tanh rounds to 1 beyond ~19.06).  For tiny x, t = 2a exactly
 * and the result is a.  Error < 2 ulp (max measured 1.18).
 * Specials: tanh(+-0) = +-0, tanh(+-inf) = +-1, tanh(tiny) = tiny,
 * tanh(NaN) = NaN. */
FA_INLINE double fa_tanh_f64(double x)
{
    const uint64_t ux = fa_i_d2u(x);
    const uint64_t sign = ux & UINT64_C(0x8000000000000000);
    const double a = fa_i_u2d(ux ^ sign);
    /* t = expm1(2a) = th + tl, renormalized with Fast2Sum */
    double tl, f;
    const double th = fa_i_expm1_dd(2.0 * a, &tl, &f);   /* f = 1 here */
    const double nh = th + tl;
    const double nl = tl - (nh - th);
    /* t + 2 = dh + dl (Fast2Sum on max/min of nh, 2): rounding t + 2
     * alone would cost up to 1 ulp of the result. */
    const double dh = nh + 2.0;
    const double big = nh > 2.0 ? nh : 2.0;
    const double small = nh > 2.0 ? 2.0 : nh;
    const double dl = ((big - dh) + small) + nl;
    /* (nh + nl)/(dh + dl) ~= q + (nl - q*dl)/dh, q = nh/dh, 1/dh ~= (1-q)/2 */
    const double q = nh / dh;
    double y = q + (nl - q * dl) * (0.5 * (1.0 - q));
    y = a > 22.0 ? 1.0 : y;            /* tanh rounds to 1 from ~19.06 */
    return fa_i_u2d(fa_i_d2u(y) | sign);
}

/* fa_tanhn_f64: the fast forms' name for tanh in double (no fast form yet: fa_tanh_f64) */
FA_INLINE double fa_tanhn_f64(double x) { return fa_tanh_f64(x); }

/* ------------------------------------------------------------------------ */
/* float versions: float arithmetic with fused multiply-adds                */
/* ------------------------------------------------------------------------ */

/* The float functions run in float (16 lanes per AVX-512 vector, twice the
 * double width) with explicit FMAs: __builtin_fmaf is one vfmadd in the
 * x86-64-v3/v4 clones and a correctly rounded libm call in the baseline
 * clone, so every clone (and the Numba port, which uses llvm.fma) gives the
 * same bits.  Polynomials: near-minimax fits (least squares on Chebyshev
 * nodes, coefficients rounded to float).  Errors below are the maxima over
 * all 2^32 float inputs against glibc's double functions (tools/ulp_sweep). */

FA_INLINE uint32_t fa_i_f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

FA_INLINE float fa_i_u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

FA_INLINE float fa_i_fmaf(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
FA_INLINE float fa_i_inff(void) { return fa_i_u2f(UINT32_C(0x7f800000)); }
FA_INLINE float fa_i_nanf(void) { return fa_i_u2f(UINT32_C(0x7fc00000)); }

/* round to nearest integer for |v| < 2^22 */
FA_INLINE float fa_i_roundf(float v) { return (v + 0x1.8p23f) - 0x1.8p23f; }

/* 2^k for integral k in [-126, 127]: k + 127 lands in the low mantissa bits
 * of k + 0x1.8p23 + 127, and a 32-bit shift by 23 moves it to the exponent. */
FA_INLINE float fa_i_pow2if(float k)
{
    return fa_i_u2f(fa_i_f2u(k + (0x1.8p23f + 127.0f)) << 23);
}

/* ln2 = LN2F_HI + LN2F_LO; LN2F_HI has 16 significant bits, so n*LN2F_HI is
 * exact for |n| < 2^8 and x - n*LN2F_HI is exact near the reduction point. */
#define FA_I_LN2F_HI  0x1.62e4p-1f
#define FA_I_LN2F_LO  0x1.7f7d1cp-20f
#define FA_I_INV_LN2F 0x1.715476p+0f

/* expm1(r) for |r| <= 0.347: r + r^2 h(r), h of degree 4 (relative error of
 * the polynomial 2^-22.8 in h, i.e. < 2^-27 in expm1(r)). */
FA_INLINE float fa_i_expm1_polyf(float r)
{
    float h = 0x1.6c37eep-10f;
    h = fa_i_fmaf(h, r, 0x1.120b06p-7f);
    h = fa_i_fmaf(h, r, 0x1.5555eap-5f);
    h = fa_i_fmaf(h, r, 0x1.5554dep-3f);
    h = fa_i_fmaf(h, r, 0.5f);
    return fa_i_fmaf(r * r, h, r);
}

/* fa_exp_f32: e^x.  n = round(x/ln2), r = x - n ln2, e^r = 1 + expm1(r),
 * result (e^r 2^n1) 2^n2 with n1 + n2 = n: 2^n1 and 2^n2 are normal for
 * |x| <= 150, so the last multiply rounds once into the subnormal range and
 * overflows to inf by itself from 88.73 on; beyond |x| = 150 the result is
 * selected.  No clamp of x on purpose: GCC splits a clamped lane's constant
 * result off into masked code and leaves the lanes a caller discards (elu's
 * x > 0 in backward) with stale register bits, subnormals that hit the slow
 * microcode path (8x slower).
 * Specials: exp(-inf) = 0, exp(inf) = inf, NaN -> NaN, overflow -> inf. */
FA_INLINE float fa_exp_f32(float x)
{
    const float n = fa_i_roundf(x * FA_I_INV_LN2F);
    float r = fa_i_fmaf(n, -FA_I_LN2F_HI, x);
    r = fa_i_fmaf(n, -FA_I_LN2F_LO, r);
    const float p = 1.0f + fa_i_expm1_polyf(r);
    const float n1 = fa_i_roundf(n * 0.5f);
    float y = (p * fa_i_pow2if(n1)) * fa_i_pow2if(n - n1);
    y = x > 150.0f ? fa_i_inff() : y;       /* NaN passes through */
    return x < -150.0f ? 0.0f : y;
}

/* fa_expn_f32: e^x as fa_exp_f32 without its range handling: one scaling
 * by 2^n, valid while n = round(x/ln2) is in [-126, 127], i.e. x in about
 * [-87.6, 88.3], where it gives fa_exp_f32's bits (both round the exact
 * e^r 2^n once).  Other x give garbage: only for the fast forms of the
 * kernels, whose guard keeps x in range (Activation.fast_when). */
FA_INLINE float fa_expn_f32(float x)
{
    const float n = fa_i_roundf(x * FA_I_INV_LN2F);
    float r = fa_i_fmaf(n, -FA_I_LN2F_HI, x);
    r = fa_i_fmaf(n, -FA_I_LN2F_LO, r);
    return (1.0f + fa_i_expm1_polyf(r)) * fa_i_pow2if(n);
}

/* e^(hi + lo) as (return value) * (*s) for |lo| <= ulp(hi): the reduced
 * argument r = hi - n ln2 + lo carries lo, so the result has the error of
 * e^r (one rounding of 1 + expm1(r)) and of the scaling only.  The returned
 * e^r 2^n1 is normal and *s = 2^n2, so a caller can multiply other factors
 * in first and round into the subnormal range once, at the end.  Valid for
 * hi in [-150, 150]; other hi give garbage that callers select away. */
FA_INLINE float fa_i_exp2parts_f32(float hi, float lo, float *s)
{
    const float n = fa_i_roundf(hi * FA_I_INV_LN2F);
    float r = fa_i_fmaf(n, -FA_I_LN2F_HI, hi);
    r = fa_i_fmaf(n, -FA_I_LN2F_LO, r) + lo;
    const float p = 1.0f + fa_i_expm1_polyf(r);
    const float n1 = fa_i_roundf(n * 0.5f);
    *s = fa_i_pow2if(n - n1);
    return p * fa_i_pow2if(n1);
}

/* fa_expsub_f32: e^(a - b), with a - b = hi + lo exactly (TwoSum), so the
 * rounding of the difference does not multiply the error by |a - b| (as in
 * softmax's exp(x - max)).  inf - inf and NaN give NaN; a - b > 88.73 -> inf,
 * a - b < -150 -> 0. */
FA_INLINE float fa_expsub_f32(float a, float b)
{
    const float hi = a - b;
    const float bb = hi - a;
    const float lo = (a - (hi - bb)) - (b + bb);
    float s;
    const float m = fa_i_exp2parts_f32(hi, lo, &s);
    float y = m * s;
    y = hi > 150.0f ? fa_i_inff() : y;       /* NaN passes through */
    return hi < -150.0f ? 0.0f : y;
}

/* fa_expm1_f32: e^x - 1 = 2^n expm1(r) + (2^n - 1), one FMA, so there is no
 * cancellation for x < 0 and expm1(r) is used directly for |x| < ln2/2.
 * n = 128 uses 2^127 and a final factor 2.  Specials: expm1(+-0) = +-0,
 * expm1(-inf) = -1, expm1(inf) = inf, overflow -> inf, NaN -> NaN. */
FA_INLINE float fa_expm1_f32(float x)
{
    /* no clamp of x (see fa_exp_f32); out-of-range lanes are selected */
    const float n = fa_i_roundf(x * FA_I_INV_LN2F);
    float r = fa_i_fmaf(n, -FA_I_LN2F_HI, x);
    r = fa_i_fmaf(n, -FA_I_LN2F_LO, r);
    const float u = fa_i_expm1_polyf(r);
    const float big = n > 127.0f ? 1.0f : 0.0f;
    const float s = fa_i_pow2if(n - big);
    float y = fa_i_fmaf(s, u, s - 1.0f) * (1.0f + big);
    y = x > 89.0f ? fa_i_inff() : y;        /* 88.73 .. 89 overflow above */
    y = x < -18.0f ? -1.0f : y;             /* expm1 rounds to -1 below -17.33 */
    return x == 0.0f ? x : y;               /* keep the sign of zero */
}

/* log(1+f) - f for f = m - 1, m in [sqrt(1/2), sqrt(2)), s = f/(2+f):
 * -(hfsq - s (hfsq + R)), R = z Q(z), z = s^2, Q of degree 2 (fdlibm's
 * scheme; polynomial error < 2^-30 relative to log(1+f)). */
FA_INLINE float fa_i_log_tailf(float f)
{
    const float hfsq = 0.5f * f * f;
    const float s = f / (2.0f + f);
    const float z = s * s;
    float Q = 0x1.2e769ap-2f;
    Q = fa_i_fmaf(Q, z, 0x1.997ffep-2f);
    Q = fa_i_fmaf(Q, z, 0x1.555558p-1f);
    return fa_i_fmaf(s, fa_i_fmaf(z, Q, hfsq), -hfsq);
}

/* u = 2^k m, m in [sqrt(1/2), sqrt(2)), for a positive normal float u.
 * Returns m, stores k as an integral float. */
FA_INLINE float fa_i_log_splitf(float u, float *k)
{
    const uint32_t iu = fa_i_f2u(u) + (UINT32_C(0x3f800000) - UINT32_C(0x3f3504f3));
    *k = fa_i_u2f((iu >> 23) | UINT32_C(0x4b000000)) - (0x1p23f + 127.0f);
    return fa_i_u2f((iu & UINT32_C(0x007fffff)) + UINT32_C(0x3f3504f3));
}

/* ln2 split for log: k*LN2F_LOG_HI exact for |k| <= 2^8 */
#define FA_I_LN2F_LOG_HI 0x1.62e3p-1f
#define FA_I_LN2F_LOG_LO 0x1.2fefa4p-17f

/* fa_log1p_f32: log(1 + x).  u = 1 + x = 2^k m, log1p = k ln2 +
 * log(1+f) + c/u where c is the rounding error of 1 + x (fdlibm).
 * Specials: log1p(+-0) = +-0, log1p(-1) = -inf, x < -1 -> NaN,
 * log1p(inf) = inf, NaN -> NaN. */
FA_INLINE float fa_i_log1p_coref(float x)
{
    const float u = 1.0f + x;
    float k;
    const float m = fa_i_log_splitf(u, &k);
    const float f = m - 1.0f;
    float c = u >= 2.0f ? 1.0f - (u - x) : x - (u - 1.0f);  /* exact; NaN propagates */
    c = c / u;
    return fa_i_fmaf(k, FA_I_LN2F_LOG_HI, f + (fa_i_log_tailf(f) + fa_i_fmaf(k, FA_I_LN2F_LOG_LO, c)));
}

FA_INLINE float fa_log1p_f32(float x)
{
    float y = fa_i_log1p_coref(x);
    y = x == fa_i_inff() ? x : y;
    y = x == -1.0f ? -fa_i_inff() : y;
    y = x < -1.0f ? fa_i_nanf() : y;
    return x == 0.0f ? x : y;
}

/* fa_log1pn_f32: fa_log1p_f32 for x in (0, 1] without its special cases
 * (the fast forms' log1p of an exp(-|z|)): the same bits there. */
FA_INLINE float fa_log1pn_f32(float x) { return fa_i_log1p_coref(x); }

/* fa_log_f32: natural logarithm (subnormals pre-scaled by 2^23).
 * Specials: log(+-0) = -inf, log(x<0) = NaN, log(inf) = inf, NaN -> NaN. */
FA_INLINE float fa_log_f32(float x)
{
    const float xs = x < 0x1p-126f ? x * 0x1p23f : x;
    float k;
    const float m = fa_i_log_splitf(xs, &k);
    k = x < 0x1p-126f ? k - 23.0f : k;
    const float f = m - 1.0f;
    float y = fa_i_fmaf(k, FA_I_LN2F_LOG_HI, f + fa_i_fmaf(k, FA_I_LN2F_LOG_LO, fa_i_log_tailf(f)));
    y = x > 0x1.fffffep127f ? x : y;        /* inf */
    y = x == 0.0f ? -fa_i_inff() : y;
    y = x < 0.0f ? fa_i_nanf() : y;
    return x != x ? x : y;
}

/* fa_tanh_f32: |x| < 0.55: x + x^3 T(x^2), T of degree 4; otherwise
 * 1 - 2/(e^2|x| + 1) (-> 1 exactly once e^2|x| overflows).  tanh(+-0) =
 * +-0, tanh(+-inf) = +-1, NaN -> NaN. */
/* tanh from x and e = e^(2|x|) (fa_tanh_f32, fa_tanhn_f32) */
FA_INLINE float fa_i_tanh_f32(float x, float e)
{
    const uint32_t sign = fa_i_f2u(x) & UINT32_C(0x80000000);
    const float a = fa_i_u2f(fa_i_f2u(x) ^ sign);
    const float z = a * a;
    float T = -0x1.b3a682p-8f;
    T = fa_i_fmaf(T, z, 0x1.5d88fep-6f);
    T = fa_i_fmaf(T, z, -0x1.b9ab56p-5f);
    T = fa_i_fmaf(T, z, 0x1.11102p-3f);
    T = fa_i_fmaf(T, z, -0x1.555554p-2f);
    const float small = fa_i_fmaf(a * z, T, a);
    const float large = 1.0f - 2.0f / (e + 1.0f);
    const float y = a < 0.55f ? small : large;
    return fa_i_u2f(fa_i_f2u(y) | sign);
}

FA_INLINE float fa_tanh_f32(float x)
{
    return fa_i_tanh_f32(x, fa_exp_f32(2.0f * fa_i_u2f(fa_i_f2u(x) & UINT32_C(0x7fffffff))));
}

/* fa_tanhn_f32: fa_tanh_f32 for |x| <= 44 (the fast forms'), with fa_expn: the same bits */
FA_INLINE float fa_tanhn_f32(float x)
{
    return fa_i_tanh_f32(x, fa_expn_f32(2.0f * fa_i_u2f(fa_i_f2u(x) & UINT32_C(0x7fffffff))));
}


/* ------------------------------------------------------------------------ */
/* erf, erfc, normal cdf and density                                        */
/* ------------------------------------------------------------------------ */

/* fa_erf_f64, fa_erfc_f64, fa_ncdf_f64 (standard normal CDF Phi) and
 * fa_npdf_f64 (its density phi), with float versions; what exact GELU needs:
 * gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x).  Same constraints as
 * above (branch-free, table-free, no libm, vectorizable at -march=x86-64,
 * x86-64-v3 and x86-64-v4 with -fno-trapping-math).
 * Accuracy, measured against mpmath (50 digits) on >= 2.1e5 inputs per
 * function (uniform [-1,1], [-6,6], [-40,40], log-uniform 1e-320..1e-4 and
 * 1e-4..40, the underflow ranges, interval ends, specials) plus ~3e5
 * focused inputs: max error 0.96 (erf), 0.95 (erfc), 1.02 (ncdf),
 * 0.75 (npdf) ulp; erfc and ncdf are relatively accurate down to their
 * underflow (erfc: x ~= 27.226, ncdf: x ~= -38.485, npdf: |x| ~= 38.580),
 * subnormal results within 1 subnormal ulp.  Identical bits at -O0/-O3,
 * with and without -march (with -ffp-contract=off; with FMA contraction the
 * results change in the last bit only, max error about 1 ulp).  The float
 * versions were correctly rounded on all ~8.6e5 float inputs tested.
 *
 * Building blocks: exact splitting by masking (fa_i_hi26), Dekker products
 * and Fast2Sum/2Sum, e^-(X + Xl) in the form 2^n (1 + r + T) (fa_i_expneg)
 * so that a product with it rounds once (fa_i_mul_exp). */

/* v with the low 27 bits of the significand cleared: hi = fa_i_hi26(v) has at
 * most 26 significant bits and v - hi is exact with at most 27, so products
 * of two such high parts, or of a high and a low part, are exact.  Unlike
 * Veltkamp's split (c*v - (c*v - v)) it stays exact if the compiler
 * contracts a*b + c into an FMA. */
FA_INLINE double fa_i_hi26(double v)
{
    return fa_i_u2d(fa_i_d2u(v) & UINT64_C(0xfffffffff8000000));
}

/* e^-(X + Xl) = 2^n * (1 + r + *T) for 0 <= X < 2^20 and |Xl| < 2^-12 (or
 * NaN): returns r (|r| < 0.347), stores T (|T| < 0.068) and n (integral
 * double).  X - n*ln2_hi is exact and the rounding error of the reduced
 * argument is carried along as in fa_i_expm1_dd, so r + T = expm1 of the
 * reduced argument with an absolute error of about 2^-58.  Keeping r and T
 * apart lets the caller form m*(1 + r + T) with an exact m*r. */
FA_INLINE double fa_i_expneg(double X, double Xl, double *T, double *n)
{
    const double k = fa_i_round(-X * FA_I_INV_LN2);
    const double rh = -X - k * FA_I_LN2_HI;             /* exact */
    const double rl = k * FA_I_LN2_LO + Xl;
    const double r = rh - rl;
    const double c = (rh - r) - rl;                     /* rounding error of r */
    *T = fa_i_expm1_tail(r) + (c + c * r);
    *n = k;
    return r;
}

/* (mh + ml) * (1 + r + T) rounded once, for |ml| < 2^-50 |mh|, |r| < 0.35,
 * |T| < 0.07: mh*r is formed exactly (Dekker, high parts by masking) and
 * added to mh with Fast2Sum. */
FA_INLINE double fa_i_mul_exp(double mh, double ml, double r, double T)
{
    const double m1 = fa_i_hi26(mh), m2 = mh - m1;
    const double r1 = fa_i_hi26(r), r2 = r - r1;
    const double ph = mh * r;
    const double pl = ((m1 * r1 - ph) + m1 * r2) + (m2 * r1 + m2 * r2);
    const double s = mh + ph;
    const double se = ph - (s - mh);
    return s + ((se + pl) + (mh * T + ml * (1.0 + (r + T))));
}

/* y * 2^n for integral n in [-2000, 2000] and 2^-20 < |y| < 2^20: exact, or
 * rounded once when the result is subnormal. */
FA_INLINE double fa_i_ldexp(double y, double n)
{
    const double n1 = fa_i_round(n * 0.5);
    return (y * fa_i_pow2i(n1)) * fa_i_pow2i(n - n1);
}

/* erfc(a + al) * 2^e0 for a >= 0 (+inf included) or NaN, where al is a low
 * part, |al| <= 2^-50 a, and e0 is 0 or -1.
 * Method: erfc(a) = e^(-a^2) * erfcx(a) with
 *  - e^(-a^2) = 2^n (1 + r + T) from fa_i_expneg on a^2 = X + Xl, X = h*h
 *    exact (h = a with 26 bits), Xl = (a - h)(a + h) + 2 a al, so a^2 is
 *    not rounded (rounding it would cost up to 2 a^2 ulp);
 *  - erfcx(a) = V(t) / (a + 7/8), t = (a - 4)/(a + 4) in [-1, 0.75] for a in
 *    [0, 28] (the variable of Shepherd & Laframboise), V a degree-23
 *    near-minimax polynomial of (a + 7/8) erfcx(a) (relative error
 *    < 2^-57.4 with the stored coefficients).  The factor a + 7/8 (instead
 *    of the usual a + 4) makes V flat (0.58 < V < 0.876, |dV/dt| / V < 0.34),
 *    so V hardly depends on the rounding of t (< 0.34 * 1.5 * 2^-53) and
 *    evaluates accurately; its last two steps are done in double-double,
 *    1/(a + 7/8) is a double-double wh (1 + ew) from an exact residual,
 *    V * wh is formed exactly, and fa_i_mul_exp multiplies by e^(-a^2)
 *    with a single rounding (a second one in the subnormal range).
 *  Error: < 1 ulp relative (max measured 0.95), also for al != 0.
 * a > 28 gives 0 by selection (erfc(28) < 2^-1136). */
FA_INLINE double fa_i_erfc_core(double a, double al, double e0)
{
    /* e^(-a^2) = 2^n (1 + r + T) */
    const double h = fa_i_hi26(a);
    double T, n;
    const double r = fa_i_expneg(h * h, (a - h) * (a + h) + 2.0 * a * al, &T, &n);
    /* t = (a - 4)/(a + 4), rounded */
    const double t = (a - 4.0) / (a + 4.0);
    /* w = 1/(a + 7/8) = wh (1 + ew): a + 7/8 = Dh + Dl (Fast2Sum), wh = 1/Dh,
     * 1 - Dh*wh from exact partial products */
    const double Dh = a + 0.875;
    const double Dl = ((a > 0.875 ? a - Dh : 0.875 - Dh) + (a > 0.875 ? 0.875 : a)) + al;
    const double wh = 1.0 / Dh;
    const double d1 = fa_i_hi26(Dh), d2 = Dh - d1;
    const double w1 = fa_i_hi26(wh), w2 = wh - w1;
    const double ew = ((((1.0 - d1 * w1) - d1 * w2) - d2 * w1) - d2 * w2) - Dl * wh;
    /* V(t) = v0 + t (v1 + t s2(t)) with v0, v1 double-double; s2 (degree 21)
     * in four interleaved chains (a shorter dependency chain than Horner);
     * v1 + t s2 by Fast2Sum (|t s2| < 0.38 |v1|), t s by Dekker, v0 + t s by
     * Fast2Sum (|t s| < 0.32 v0) */
    const double tt = t * t, t4 = tt * tt;
    double A = 0x1.17d3a7619d131p-30;
    A = A * t4 + 0x1.937075d2a6cf9p-25;
    A = A * t4 - 0x1.2e7149163ab42p-18;
    A = A * t4 - 0x1.95d936f875530p-12;
    A = A * t4 - 0x1.5f13b3393300ep-6;
    A = A * t4 + 0x1.6f7371be1c3bdp-4;
    double B = 0x1.47bb6eb0a957dp-31;
    B = B * t4 + 0x1.a876ade8c1be4p-25;
    B = B * t4 + 0x1.6a9e55f98ca47p-19;
    B = B * t4 - 0x1.25a4459598ac3p-14;
    B = B * t4 + 0x1.c3204c65ff1c2p-7;
    B = B * t4 - 0x1.c3595544906dcp-6;
    double C = -0x1.54eebc8701d4cp-27;
    C = C * t4 + 0x1.59b1235e4473dp-25;
    C = C * t4 + 0x1.18661d7ce19b7p-14;
    C = C * t4 - 0x1.aefb78b89e9a4p-8;
    C = C * t4 - 0x1.3c7c0a6c9a237p-7;
    double D = -0x1.b70ac4d437b7cp-28;
    D = D * t4 - 0x1.94934f73854f2p-22;
    D = D * t4 - 0x1.b14d0e2e764b7p-17;
    D = D * t4 + 0x1.227f1acefd85cp-9;
    D = D * t4 + 0x1.7c1ffdb50eaf5p-6;
    const double s2 = (A + t * B) + tt * (C + t * D);
    const double m1 = t * s2;
    const double s = -0x1.55efb0613c39bp-3 + m1;
    const double sl = ((-0x1.55efb0613c39bp-3 - s) + m1) + 0x1.ea340688b5859p-58;
    const double m0 = t * s;
    const double t1 = fa_i_hi26(t), t2 = t - t1;
    const double s1 = fa_i_hi26(s), s2l = s - s1;
    const double m0e = ((t1 * s1 - m0) + t1 * s2l) + (t2 * s1 + t2 * s2l);
    const double Vh = 0x1.55f35d8d2d29fp-1 + m0;
    const double Vl = ((0x1.55f35d8d2d29fp-1 - Vh) + m0) + ((m0e + t * sl) - 0x1.2bf5f2f506c3fp-55);
    /* erfcx(a) = (Vh + Vl) wh (1 + ew) = mh + ml */
    const double v1 = fa_i_hi26(Vh), v2 = Vh - v1;
    const double mh = Vh * wh;
    const double ml = (((v1 * w1 - mh) + v1 * w2) + (v2 * w1 + v2 * w2)) + (Vl + Vh * ew) * wh;
    /* erfc = (mh + ml)(1 + r + T) 2^(n + e0) */
    const double y = fa_i_ldexp(fa_i_mul_exp(mh, ml, r, T), n + e0);
    return a > 28.0 ? 0.0 : y;        /* NaN passes */
}

/* ------------------------------------------------------------------------ */
/* erf, erfc                                                                */
/* ------------------------------------------------------------------------ */

/* fa_erf_f64: error function.
 * Method: |x| < 0.84375: erf x = x + x*y(x^2), y a degree-10 near-minimax
 * polynomial of erf(x)/x - 1 (relative error < 2^-55.9 of erf(x)/x); for
 * |x| < 2^-1000 x * (2/sqrt(pi)) instead, one rounding in the subnormal range.
 * |x| >= 0.84375: erf x = +-(1 - erfc|x|) (erfc|x| < 0.233, see
 * fa_i_erfc_core).  Both are computed for every x and selected.
 * Error < 1 ulp (max measured 0.96, near |x| = 0.835).
 * Specials: erf(+-0) = +-0, erf(+-inf) = +-1, erf(tiny) = tiny*2/sqrt(pi),
 * erf(NaN) = NaN. */
FA_INLINE double fa_erf_f64(double x)
{
    const uint64_t ux = fa_i_d2u(x);
    const uint64_t sign = ux & UINT64_C(0x8000000000000000);
    const double a = fa_i_u2d(ux ^ sign);
    const double z = x * x;
    double p = 0x1.701fc904cbe37p-27;
    p = p * z - 0x1.515e1beec475cp-23;
    p = p * z + 0x1.b84261949c5e4p-20;
    p = p * z - 0x1.f4b38c1e16ae4p-17;
    p = p * z + 0x1.f9a1b11d293cdp-14;
    p = p * z - 0x1.c02da892b6fcep-11;
    p = p * z + 0x1.565bccd67d280p-8;
    p = p * z - 0x1.b82ce311487f5p-6;
    p = p * z + 0x1.ce2f21a03f0f0p-4;
    p = p * z - 0x1.812746b0379a2p-2;
    double ys = x + x * (p * z + 0x1.06eba8214db68p-3);
    ys = a < 0x1p-1000 ? x * 0x1.20dd750429b6dp+0 : ys;
    const double yb = fa_i_u2d(fa_i_d2u(1.0 - fa_i_erfc_core(a, 0.0, 0.0)) | sign);
    return a < 0.84375 ? ys : yb;
}

/* fa_erfc_f64: complementary error function 1 - erf(x).
 * Method: erfc|x| from fa_i_erfc_core (relative error < 1 ulp everywhere,
 * down to the underflow at x ~= 27.226), erfc x = 2 - erfc|x| for x < 0.
 * Error < 1 ulp (max measured 0.95).
 * Specials: erfc(-inf) = 2, erfc(+inf) = +0, erfc(NaN) = NaN. */
FA_INLINE double fa_erfc_f64(double x)
{
    const double a = fa_i_u2d(fa_i_d2u(x) & UINT64_C(0x7fffffffffffffff));
    const double y = fa_i_erfc_core(a, 0.0, 0.0);
    return x < 0.0 ? 2.0 - y : y;
}

/* ------------------------------------------------------------------------ */
/* standard normal distribution                                             */
/* ------------------------------------------------------------------------ */

/* fa_ncdf_f64: Phi(x) = erfc(-x/sqrt(2)) / 2, the standard normal CDF.
 * Method: a = |x|/sqrt(2) is formed as a double-double ah + al (exact
 * product with a double-double 1/sqrt(2); a rounded a would cost up to
 * ~a^2 ulp), Phi(-|x|) = erfc(ah + al)/2 from fa_i_erfc_core with the 1/2
 * folded into the final scaling, Phi(x) = 1 - Phi(-x) for x >= 0.
 * Relatively accurate in the whole lower tail, subnormal results down to
 * the underflow at x ~= -38.485 within 1 subnormal ulp.
 * Error about 1 ulp (max measured 1.02).
 * Specials: Phi(-inf) = +0, Phi(+inf) = 1, Phi(NaN) = NaN. */
FA_INLINE double fa_ncdf_f64(double x)
{
    const double xa = fa_i_u2d(fa_i_d2u(x) & UINT64_C(0x7fffffffffffffff));
    /* 1/sqrt(2) = c1 + c2 + c3: c1 + c2 is the double nearest to it, c1 has
     * 26 bits (= fa_i_hi26(c1 + c2)), c2 27 */
    const double c1 = 0x1.6a09e60000000p-1, c2 = 0x1.9fcef34000000p-27, c3 = 0x1.bdd3413b26456p-55;
    const double ah = xa * (c1 + c2);
    const double x1 = fa_i_hi26(xa), x2 = xa - x1;
    const double al = ((((x1 * c1 - ah) + x1 * c2) + x2 * c1) + x2 * c2) - xa * c3;
    const double y = fa_i_erfc_core(ah, al, -1.0);     /* Phi(-|x|) */
    return x < 0.0 ? y : 1.0 - y;
}

/* fa_npdf_f64: phi(x) = e^(-x^2/2) / sqrt(2 pi), the standard normal density.
 * Method: x^2/2 = X + Xl with X = h*h/2 exact (h = |x| with 26 bits, the
 * square is never rounded: that would cost up to x^2/2 ulp), e^-(X + Xl) =
 * 2^n (1 + r + T) from fa_i_expneg, phi = 2^n C (1 + r + T) with a
 * double-double C = 1/sqrt(2 pi) by fa_i_mul_exp, rounded once (twice if
 * subnormal).  |x| > 40 gives 0 by selection (phi underflows from
 * |x| ~= 38.580).
 * Error < 1 ulp (max measured 0.75).
 * Specials: phi(+-inf) = +0, phi(NaN) = NaN. */
FA_INLINE double fa_npdf_f64(double x)
{
    const double xa = fa_i_u2d(fa_i_d2u(x) & UINT64_C(0x7fffffffffffffff));
    const double h = fa_i_hi26(xa);
    double T, n;
    const double r = fa_i_expneg(0.5 * (h * h), 0.5 * ((xa - h) * (xa + h)), &T, &n);
    const double y = fa_i_ldexp(fa_i_mul_exp(0x1.9884533d43651p-2, -0x1.cbc0d30ebfd15p-56, r, T), n);
    return xa > 40.0 ? 0.0 : y;       /* phi(40) < 2^-1154; NaN passes */
}

/* fa_erf_f32, fa_erfc_f32: computed in double, rounded once (<= 1 ulp,
 * correctly rounded on all inputs tested; no activation calls them in a
 * hot loop). */
FA_INLINE float fa_erf_f32(float x)  { return (float)fa_erf_f64((double)x); }
FA_INLINE float fa_erfc_f32(float x) { return (float)fa_erfc_f64((double)x); }

/* exp(-x^2/2) in float as (return value) * (*s), see fa_i_exp2parts_f32:
 * x^2 = h + l exactly (FMA), e^(-h/2 - l/2).  |x| <= 17.3; larger |x|
 * give garbage that callers select away. */
FA_INLINE float fa_i_expnhsq_f32(float x, float *s)
{
    const float h = x * x;
    const float l = fa_i_fmaf(x, x, -h);
    return fa_i_exp2parts_f32(-0.5f * h, -0.5f * l, s);
}

/* fa_npdf_f32: phi(x) = exp(-x^2/2)/sqrt(2 pi) in float.  phi(|x| > 15) =
 * 0 (the float result is 0 from |x| ~= 14.2); phi(NaN) = NaN. */
FA_INLINE float fa_npdf_f32(float x)
{
    float s;
    const float m = fa_i_expnhsq_f32(x, &s);
    const float y = (m * 0x1.988454p-2f) * s;
    return fa_i_u2f(fa_i_f2u(x) & UINT32_C(0x7fffffff)) > 15.0f ? 0.0f : y;
}

/* Q(a) = 1 - Phi(a) for a = |x| as (return value) * (*s), see
 * fa_i_expnhsq_f32: Q(a) = exp(-a^2/2) R(a), R = Q(a) exp(a^2/2) as a
 * degree-10 polynomial in t = (a - 5)/(a + 5) (near-minimax fit on a in
 * [0, 14], relative error 2^-24.6 with float coefficients). */
FA_INLINE float fa_i_ncdf_lower_f32(float a, float *s)
{
    const float t = (a - 5.0f) / (a + 5.0f);
    float R = -0x1.03e6ap-15f;
    R = fa_i_fmaf(R, t, 0x1.4e052ap-13f);
    R = fa_i_fmaf(R, t, 0x1.b48356p-13f);
    R = fa_i_fmaf(R, t, -0x1.39b922p-9f);
    R = fa_i_fmaf(R, t, 0x1.26abd4p-7f);
    R = fa_i_fmaf(R, t, -0x1.7f9034p-6f);
    R = fa_i_fmaf(R, t, 0x1.8807d4p-5f);
    R = fa_i_fmaf(R, t, -0x1.4b4d26p-4f);
    R = fa_i_fmaf(R, t, 0x1.db6afap-4f);
    R = fa_i_fmaf(R, t, -0x1.25cd12p-3f);
    R = fa_i_fmaf(R, t, 0x1.3b0fbcp-4f);
    return fa_i_expnhsq_f32(a, s) * R;
}

/* fa_ncdf_f32: Phi(x) in float: Q(|x|) for x < 0 and 1 - Q(|x|) otherwise,
 * so the lower tail keeps its relative accuracy.
 * Phi(-inf) = 0, Phi(inf) = 1, NaN -> NaN. */
FA_INLINE float fa_ncdf_f32(float x)
{
    const float a = fa_i_u2f(fa_i_f2u(x) & UINT32_C(0x7fffffff));
    float s;
    float q = fa_i_ncdf_lower_f32(a, &s) * s;
    q = a > 15.0f ? 0.0f : q;               /* NaN passes */
    return x < 0.0f ? q : 1.0f - q;
}

/* fa_xncdf_f32: x Phi(x) (exact GELU) in float.  For x < 0 the product
 * x Q(|x|) is formed in the normal range and scaled into the subnormal range
 * by one last multiply (rounded once).  x Phi(x) = -0 for -inf < x < -15,
 * NaN at -inf (inf * 0, like x * fa_ncdf_f32(x)). */
FA_INLINE float fa_xncdf_f32(float x)
{
    const float a = fa_i_u2f(fa_i_f2u(x) & UINT32_C(0x7fffffff));
    float s;
    const float qm = fa_i_ncdf_lower_f32(a, &s);
    const float q = a > 15.0f ? 0.0f : qm * s;
    const float neg = a > 15.0f ? x * 0.0f : (x * qm) * s;
    return x < 0.0f ? neg : x * (1.0f - q);
}

/* fa_expsub_f64: e^(a - b) (the double difference rounds; row-wise float64
 * kernels accept the resulting |a - b| ulp). */
FA_INLINE double fa_expsub_f64(double a, double b) { return fa_exp_f64(a - b); }

/* fa_xncdf_f64: x Phi(x) in double */
FA_INLINE double fa_xncdf_f64(double x) { return x * fa_ncdf_f64(x); }

#undef FA_I_LN2_HI
#undef FA_I_LN2_LO
#undef FA_I_INV_LN2

#endif /* FASTACT_FA_MATH_H */
