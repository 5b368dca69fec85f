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

/* Always inline: inside GCC target_clones loops a call would neither vectorize
 * nor use the clone's instruction set. */
#ifndef FA_INLINE
#if defined(__GNUC__)
#define FA_INLINE static inline __attribute__((always_inline))
#else
#define FA_INLINE static inline
#endif
#endif

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
 * error < 2^-60 relative to expm1(r). */
FA_INLINE double fa_i_expm1_tail(double r)
{
    double h = 0x1.1f7385560be05p-29;
    h = h * r + 0x1.af4ecd2129492p-26;
    h = h * r + 0x1.27e4db25ce3adp-22;
    h = h * r + 0x1.71de01c3fc936p-19;
    h = h * r + 0x1.a01a01a6ec522p-16;
    h = h * r + 0x1.a01a01ac0a9eep-13;
    h = h * r + 0x1.6c16c16c162b0p-10;
    h = h * r + 0x1.111111111009cp-7;
    h = h * r + 0x1.5555555555556p-5;
    h = h * r + 0x1.5555555555557p-3;
    h = h * r + 0.5;
    return (r * r) * h;
}

/* log(1+f) - f + f*f/2 (i.e. the tail s*(hfsq + R) of the fdlibm scheme),
 * for f in [sqrt(1/2)-1, sqrt(2)-1), s = f/(2+f).  R(z), z = s^2, is the
 * fdlibm minimax polynomial of degree 7 (error < 2^-58.45). */
FA_INLINE double fa_i_log_tail(double s, double hfsq)
{
    const double z = s * s;
    double R = 0x1.2f112df3e5244p-3;
    R = R * z + 0x1.39a09d078c69fp-3;
    R = R * z + 0x1.7466496cb03dep-3;
    R = R * z + 0x1.c71c51d8e78afp-3;
    R = R * z + 0x1.2492494229359p-2;
    R = R * z + 0x1.999999997fa04p-2;
    R = R * z + 0x1.5555555555593p-1;
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
 * Method: x is clamped to [-746, 710] (outside, the result is 0 or inf
 * anyway), n = round(x/ln2), r = x - n*ln2 with a two-part ln2
 * (|r| <= ln2/2), e^r = 1 + (r + expm1_tail(r)) (degree 12), the result is
 * (e^r * 2^n1) * 2^n2 with n1 + n2 = n, so that 2^n1, 2^n2 are normal for
 * every n in [-1076, 1024]; the last multiply rounds once into the
 * subnormal range and overflows to inf when x > ~709.78.
 * Error: < 1 ulp (max measured 0.95), also in subnormal ulps for subnormal
 * results.
 * Specials: exp(-inf) = 0, exp(+inf) = inf, exp(NaN) = NaN, overflow -> inf,
 * underflow -> subnormal / 0 for x < ~-745.13. */
FA_INLINE double fa_exp_f64(double x)
{
    double xc = x > 710.0 ? 710.0 : x;      /* NaN passes through */
    xc = xc < -746.0 ? -746.0 : xc;
    const double n = fa_i_round(xc * FA_I_INV_LN2);
    const double r = (xc - n * FA_I_LN2_HI) - n * FA_I_LN2_LO;
    const double p = 1.0 + (r + fa_i_expm1_tail(r));
    const double n1 = fa_i_round(n * 0.5);
    const double n2 = n - n1;
    return (p * fa_i_pow2i(n1)) * fa_i_pow2i(n2);
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
FA_INLINE double fa_log1p_f64(double x)
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
    double y = k * FA_I_LN2_HI
             - ((hfsq - (fa_i_log_tail(s, hfsq) + (k * FA_I_LN2_LO + cm))) - f);
    y = x == 0.0 ? x : y;                       /* log1p(-0) = -0 */
    /* specials: -1 -> -inf, < -1 -> NaN, +inf -> inf, NaN -> NaN */
    const double sp = x == -1.0 ? -fa_i_inf() : (x < -1.0 ? fa_i_nan() : x + x);
    return ((x > -1.0) & (x < fa_i_inf())) ? y : sp;
}

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

/* ------------------------------------------------------------------------ */
/* float versions: computed in double, rounded once                         */
/* ------------------------------------------------------------------------ */

FA_INLINE float fa_exp_f32(float x)   { return (float)fa_exp_f64((double)x); }
FA_INLINE float fa_expm1_f32(float x) { return (float)fa_expm1_f64((double)x); }
FA_INLINE float fa_log1p_f32(float x) { return (float)fa_log1p_f64((double)x); }
FA_INLINE float fa_log_f32(float x)   { return (float)fa_log_f64((double)x); }
FA_INLINE float fa_tanh_f32(float x)  { return (float)fa_tanh_f64((double)x); }

#undef FA_I_LN2_HI
#undef FA_I_LN2_LO
#undef FA_I_INV_LN2

#endif /* FASTACT_FA_MATH_H */
