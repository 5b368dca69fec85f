"""The math source: fastact's elementary functions, written once.

exp, expm1, log, log1p, tanh, erf, erfc, the normal cdf and density (ncdf, npdf), x ncdf(x),
e^(a - b), and the counter-based generator of dropout and rrelu, in float and double.
``tools/gen.py`` generates from this file

  fastact_c/src/fa_math.h           C (static inline), for the C library and the C API;
  fastact/backends/_math_gen.py     Python that Numba compiles for the CPU and for CUDA,
                                    and that runs as plain Python in the CUDA simulator;

so every target computes the same IEEE operations in the same order: bit-identical results
by construction (tests/test_math.py checks it on every function). The language (types,
K(...) constants, fma, bit casts, horner, selects) is described in
``fastact/backends/_mathlang.py``, which also holds its words for the Python targets; its words
in C are ``fastact_c/src/fa_lang.h``. This file is parsed, not run.

Every function is branch-free (both sides of a select are computed), uses no lookup table
and calls nothing from libm, so a loop over it auto-vectorizes (checked with GCC 12
-fopt-info-vec-optimized at -march=x86-64, x86-64-v3 and x86-64-v4). C flags: -O3
-fno-trapping-math (GCC 12 keeps selects as control flow without it) -ffp-contract=off
(no a*b + c is fused silently: only fma() fuses, on every target). -ffast-math must not be
used: it breaks the NaN and infinity handling.

Accuracy against mpmath (50 digits) on ~2.5M inputs per function (uniform, log-uniform
1e-300..1e300, random bit patterns, range ends, reduction boundaries): max error of the double
versions 0.95 (exp), 0.91 (expm1), 0.87 (log1p), 0.80 (log), 1.18 (tanh), 0.96 (erf), 0.95
(erfc), 1.02 (ncdf), 0.75 (npdf) ulp. The float versions run in float with fma (16 lanes per
AVX-512 vector); their errors over all 2^32 inputs are in tests/test_math.py (F32_ULP, from
tools/ulp_sweep). Special values follow C99 Annex F / glibc (see each function).

Building blocks: round to nearest with (v + 0x1.8p52) - 0x1.8p52 (|v| < 2^51); 2^k for an
integral k in [-1022, 1023] built in the exponent field (the low 11 bits of
bits(k + 0x1.8p52 + 1023) are k + 1023, shifted left by 52): only 64-bit add, and, or and
shift, which SSE2 and AVX2 have. The fast forms' functions (expn, log1pn, tanhn) give the
full functions' bits on the range their callers' guards keep (Activation.fast_when in
fastact/_registry.py) and garbage elsewhere.
"""

from fastact.backends._mathlang import (
    INF,
    NAN,
    K,
    d2u,
    f2u,
    f32,
    f64,
    fma,
    horner,
    horner_fma,
    i32,
    u2d,
    u2f,
    u32,
    u64,
)

# ---- double: constants and helpers ----------------------------------------------------------

# Cody-Waite split of ln2: LN2_HI has 32 significant bits, so n*LN2_HI is exact for
# |n| < 2^21 and x - n*LN2_HI is exact near the reduction point.
LN2_HI: f64 = K("0x1.62e42fee00000p-1")
LN2_LO: f64 = K("0x1.a39ef35793c76p-33")
INV_LN2: f64 = K("0x1.71547652b82fep+0")
SIGN: u64 = 0x8000000000000000
ABS: u64 = 0x7FFFFFFFFFFFFFFF


def _round(v: f64) -> f64:
    """Round to nearest integer (ties to even) for |v| < 2^51."""
    return (v + K("0x1.8p52")) - K("0x1.8p52")


def _pow2i(k: f64) -> f64:
    """2^k for integral k in [-1022, 1023] (k given as a double)."""
    return u2d(d2u(k + (K("0x1.8p52") + 1023.0)) << 52)


def _reduce_ln2(x: f64) -> tuple[f64, f64]:
    """(n, r): n = round(x/ln2), r = x - n ln2 with the two-part ln2 and fmas (|r| <= ln2/2)."""
    n = _round(x * INV_LN2)
    r = fma(n, -LN2_LO, fma(n, -LN2_HI, x))
    return n, r


def _expm1_tail(r: f64) -> f64:
    """expm1(r) - r for |r| <= ~0.3472 (a bit more than ln2/2): r^2 h(r), h a near-minimax
    (Chebyshev) degree-10 fit of (expm1(r) - r) / r^2, so r + expm1_tail(r) is a degree-12
    polynomial with approximation error < 2^-60 relative to expm1(r)."""
    h = horner_fma(r, K("0x1.1f7385560be05p-29"), K("0x1.af4ecd2129492p-26"), K("0x1.27e4db25ce3adp-22"),
                   K("0x1.71de01c3fc936p-19"), K("0x1.a01a01a6ec522p-16"), K("0x1.a01a01ac0a9eep-13"),
                   K("0x1.6c16c16c162b0p-10"), K("0x1.111111111009cp-7"), K("0x1.5555555555556p-5"),
                   K("0x1.5555555555557p-3"), 0.5)
    return (r * r) * h


def _log_tail(s: f64, hfsq: f64) -> f64:
    """log(1+f) - f + f*f/2 (the tail s*(hfsq + R) of the fdlibm scheme), for f in
    [sqrt(1/2)-1, sqrt(2)-1), s = f/(2+f). R(z), z = s^2, is the fdlibm minimax polynomial of
    degree 7 (error < 2^-58.45)."""
    z = s * s
    R = horner_fma(z, K("0x1.2f112df3e5244p-3"), K("0x1.39a09d078c69fp-3"), K("0x1.7466496cb03dep-3"),
                   K("0x1.c71c51d8e78afp-3"), K("0x1.2492494229359p-2"), K("0x1.999999997fa04p-2"),
                   K("0x1.5555555555593p-1"))
    R = R * z
    return s * (hfsq + R)


def _log_split(u: f64) -> tuple[f64, f64]:
    """(m, k) with u = 2^k m, m in [sqrt(1/2), sqrt(2)), for a positive normal double u; k an
    integral double. The offset maps [sqrt(1/2), sqrt(2)) onto one binade; the exponent field
    becomes a double without an int64 -> double conversion (AVX2 has none): 2^52 + e is
    exact, minus 2^52 + 1023."""
    iu = d2u(u) + (0x3FF0000000000000 - 0x3FE6A09E667F3BCD)
    k = u2d((iu >> 52) | 0x4330000000000000) - (K("0x1p52") + 1023.0)
    m = u2d((iu & 0x000FFFFFFFFFFFFF) + 0x3FE6A09E667F3BCD)
    return m, k


# ---- double: exp --------------------------------------------------------------------------

def exp_f64(x: f64) -> f64:
    """e^x.
    Method: n = round(x/ln2), r = x - n ln2 with a two-part ln2 and fmas (|r| <= ln2/2),
    e^r = 1 + (r + expm1_tail(r)) (degree 12), result (e^r 2^n1) 2^n2 with n1 + n2 = n, so
    that 2^n1 and 2^n2 are normal for every n in [-1076, 1024]; the last multiply rounds once
    into the subnormal range and overflows to inf from x ~ 709.78. x outside [-746, 710]
    selects 0 or inf (no clamp of x: out-of-range lanes are selected).
    Error < 1 ulp (max measured 0.95), also in subnormal ulps for subnormal results.
    Specials: exp(-inf) = 0, exp(+inf) = inf, exp(NaN) = NaN."""
    n, r = _reduce_ln2(x)
    p = 1.0 + (r + _expm1_tail(r))
    n1 = _round(n * 0.5)
    y = (p * _pow2i(n1)) * _pow2i(n - n1)
    y = INF if x > 710.0 else y  # NaN passes through
    return 0.0 if x < -746.0 else y


def expn_f64(x: f64) -> f64:
    """e^x as exp_f64 with one scaling by 2^n: exp_f64's bits for n in [-1022, 1023] (x in
    about [-708, 708]), garbage elsewhere (the fast forms' exp, see expn_f32)."""
    n, r = _reduce_ln2(x)
    return (1.0 + (r + _expm1_tail(r))) * _pow2i(n)


# ---- double: expm1 ------------------------------------------------------------------------

def _expm1_dd(x: f64) -> tuple[f64, f64, f64]:
    """(hi, lo, f) with expm1(x) = (hi + lo) f, f = 2 for n = 1024 and 1 otherwise, for x in
    [-40, 710] (NaN propagates; other x give garbage that callers select away);
    expm1_dd(+0) = (+0, +0, 1).
    expm1(x) = (s - 1) + s r + s t with s = 2^n: s r is exact, s - 1 is exact for n <= 53 (for
    n < -53 the result is -1 within an ulp anyway); for n >= 54 the -1 moves into the low
    part. A + B is formed exactly with Fast2Sum (|A| >= |B| or A = 0), so the
    cancellation-prone step is exact and the result has one final rounding plus the small
    error of s t. For |x| < ln2/2 (n = 0) this is r + t. n = 1024 uses s = 2^1023 and f = 2."""
    n = _round(x * INV_LN2)
    rh = x - n * LN2_HI  # exact
    nl = n * LN2_LO
    r = rh - nl
    c = (rh - r) - nl  # rounding error of r
    t = _expm1_tail(r) + (c + c * r)  # expm1(r + c) = r + t, t ~ r^2 h(r) + c e^r
    ns = 1023.0 if n > 1023.0 else n
    s = _pow2i(ns)
    m1 = 1.0 if n < 53.5 else 0.0
    A = s - m1
    B = s * r
    S = A + B
    e = B - (S - A)
    lo = (s * t + e) - (1.0 - m1)
    f = 1.0 + (n - ns)
    return S, lo, f


def expm1_f64(x: f64) -> f64:
    """e^x - 1.
    Method: the reduction and polynomial of exp (|r| <= ln2/2, degree 12) with the rounding
    error of r carried along; reconstruction (2^n - 1) + 2^n r + 2^n tail with an exact
    Fast2Sum for the first two terms (_expm1_dd), so for |x| < ln2/2 the polynomial is used
    directly and there is no cancellation for x < 0. x > 709.8 gives inf and x < -40 gives -1
    by selection (no clamp of x: a clamp makes GCC duplicate the computation).
    Error < 1 ulp (max measured 0.91).
    Specials: expm1(+-0) = +-0, expm1(-inf) = -1, expm1(+inf) = inf, overflow -> inf,
    expm1(tiny) = tiny, NaN -> NaN."""
    hi, lo, f = _expm1_dd(x)
    y = (hi + lo) * f
    y = INF if x > 709.8 else y  # n <= 1024 below; overflows from 709.78
    y = -1.0 if x < -40.0 else y  # expm1(x) rounds to -1 below ~-37.4
    return x if x == 0.0 else y  # keep the sign of zero


# ---- double: log, log1p -------------------------------------------------------------------

def log_f64(x: f64) -> f64:
    """Natural logarithm.
    Method (fdlibm): subnormals are pre-scaled by 2^52; x = 2^k m with m in
    [sqrt(1/2), sqrt(2)) from the bits, f = m - 1 (exact), s = f/(2+f),
    log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)) with a degree-7 minimax R (degree 15 in s),
    log x = k ln2_hi + (log(1+f) + k ln2_lo).
    Error < 1 ulp (max measured 0.80).
    Specials: log(+-0) = -inf, log(x<0) = NaN, log(+inf) = inf, log(NaN) = NaN, log(1) = +0,
    subnormals handled exactly."""
    sub = x < K("0x1p-1022")  # also true for x <= 0
    xs = x * K("0x1p52") if sub else x
    m, k = _log_split(xs)
    k = k - 52.0 if sub else k
    f = m - 1.0
    s = f / (2.0 + f)
    hfsq = 0.5 * f * f
    y = k * LN2_HI - ((hfsq - (_log_tail(s, hfsq) + k * LN2_LO)) - f)
    sp = -INF if x == 0.0 else (NAN if x < 0.0 else x + x)  # 0 -> -inf, <0 -> NaN, inf, NaN
    return y if (x > 0.0) & (x < INF) else sp


def _log1p_core(x: f64) -> f64:
    """log1p(x) for x > -1 finite, without the special cases.
    Method: u = 1 + x rounded, c = x - (u - 1) its exact rounding error (exact whenever it
    matters, i.e. u < 2^53); u = 2^k m as in log, f = m - 1, and
    log1p x = k ln2 + log(1+f) + c/u, where c/u = (c 2^-k)(1/m) and 1/m = (1-s)/(1+s)
    ~ 1 - 2s(1-s) is accurate enough because c/u is below 2^-53 relative to the result. When
    k = 0 this is log(1+f) + c/(1+f) with f + c = x exactly: no cancellation for small x.
    u is never subnormal for x > -1. c only matters for k <= 53; the clamp keeps 2^-k normal."""
    u = 1.0 + x
    c = x - (u - 1.0)
    m, k = _log_split(u)
    f = m - 1.0
    s = f / (2.0 + f)
    hfsq = 0.5 * f * f
    kc = 60.0 if k > 60.0 else k
    cm = (c * _pow2i(-kc)) * (1.0 - 2.0 * s * (1.0 - s))
    return k * LN2_HI - ((hfsq - (_log_tail(s, hfsq) + (k * LN2_LO + cm))) - f)


def log1p_f64(x: f64) -> f64:
    """log(1 + x) (method: _log1p_core). Error < 1 ulp (max measured 0.87).
    Specials: log1p(+-0) = +-0, log1p(tiny) = tiny, log1p(-1) = -inf, log1p(x < -1) = NaN,
    log1p(+inf) = inf, NaN -> NaN."""
    y = _log1p_core(x)
    y = x if x == 0.0 else y  # log1p(-0) = -0
    sp = -INF if x == -1.0 else (NAN if x < -1.0 else x + x)
    return y if (x > -1.0) & (x < INF) else sp


def log1pn_f64(x: f64) -> f64:
    """log1p_f64 for x in (0, 1] without its special cases (the fast forms' log1p of an
    exp(-|z|)): the same bits there."""
    return _log1p_core(x)


# ---- double: tanh -------------------------------------------------------------------------

def tanh_f64(x: f64) -> f64:
    """Hyperbolic tangent.
    Method: a = |x|, t = expm1(2a) >= 0 kept as a double-double (th + tl),
    tanh a = t / (t + 2) with t + 2 also formed exactly (Fast2Sum on max/min of nh and 2:
    rounding t + 2 alone would cost up to 1 ulp) and one correction step after the division:
    (nh + nl)/(dh + dl) ~ q + (nl - q dl)/dh, q = nh/dh, 1/dh ~ (1 - q)/2; the sign of x is
    OR-ed back in. This form does not amplify the error of t (d log T / d log t <= 1).
    a > 22 gives 1 by selection (tanh rounds to 1 beyond ~19.06); for tiny x, t = 2a exactly
    and the result is a. Error < 2 ulp (max measured 1.18).
    Specials: tanh(+-0) = +-0, tanh(+-inf) = +-1, tanh(tiny) = tiny, tanh(NaN) = NaN."""
    ux = d2u(x)
    sign = ux & SIGN
    a = u2d(ux ^ sign)
    th, tl, _ = _expm1_dd(2.0 * a)  # f = 1 here
    nh = th + tl
    nl = tl - (nh - th)
    dh = nh + 2.0
    big = nh if nh > 2.0 else 2.0
    small = 2.0 if nh > 2.0 else nh
    dl = ((big - dh) + small) + nl
    q = nh / dh
    y = q + (nl - q * dl) * (0.5 * (1.0 - q))
    y = 1.0 if a > 22.0 else y
    return u2d(d2u(y) | sign)


def tanhn_f64(x: f64) -> f64:
    """The fast forms' tanh in double: tanh_f64 (no faster form yet)."""
    return tanh_f64(x)


# ---- float: constants and helpers -----------------------------------------------------------
# Float arithmetic with explicit fmas: one vfmadd in the x86-64-v3/v4 clones, a correctly
# rounded libm call in the baseline clone, llvm.fma in Numba, cuda.fma on the GPU: the same
# bits everywhere. Polynomials: near-minimax fits (least squares on Chebyshev nodes,
# coefficients rounded to float).

# ln2 = LN2F_HI + LN2F_LO; LN2F_HI has 16 significant bits, so n*LN2F_HI is exact for
# |n| < 2^8 and x - n*LN2F_HI is exact near the reduction point.
LN2F_HI: f32 = K("0x1.62e4p-1")
LN2F_LO: f32 = K("0x1.7f7d1cp-20")
INV_LN2F: f32 = K("0x1.715476p+0")
# ln2 split for log: k*LN2F_LOG_HI is exact for |k| <= 2^8
LN2F_LOG_HI: f32 = K("0x1.62e3p-1")
LN2F_LOG_LO: f32 = K("0x1.2fefa4p-17")
SIGNF: u32 = 0x80000000
ABSF: u32 = 0x7FFFFFFF


def _roundf(v: f32) -> f32:
    """Round to nearest integer for |v| < 2^22."""
    return (v + K("0x1.8p23")) - K("0x1.8p23")


def _pow2if(k: f32) -> f32:
    """2^k for integral k in [-126, 127]: k + 127 lands in the low mantissa bits of
    k + 0x1.8p23 + 127, and a 32-bit shift by 23 moves it to the exponent."""
    return u2f(f2u(k + (K("0x1.8p23") + 127.0)) << 23)


def _reduce_ln2f(x: f32) -> tuple[f32, f32]:
    """(n, r): n = round(x/ln2), r = x - n ln2 with the two-part ln2 and fmas (|r| <= ln2/2)."""
    n = _roundf(x * INV_LN2F)
    r = fma(n, -LN2F_HI, x)
    r = fma(n, -LN2F_LO, r)
    return n, r


def _expm1_polyf(r: f32) -> f32:
    """expm1(r) for |r| <= 0.347: r + r^2 h(r), h of degree 4 (relative error of the
    polynomial 2^-22.8 in h, i.e. < 2^-27 in expm1(r))."""
    h = horner_fma(r, K("0x1.6c37eep-10"), K("0x1.120b06p-7"), K("0x1.5555eap-5"), K("0x1.5554dep-3"), 0.5)
    return fma(r * r, h, r)


# ---- float: exp ---------------------------------------------------------------------------

def exp_f32(x: f32) -> f32:
    """e^x. n = round(x/ln2), r = x - n ln2, e^r = 1 + expm1(r), result (e^r 2^n1) 2^n2 with
    n1 + n2 = n: 2^n1 and 2^n2 are normal for |x| <= 150, so the last multiply rounds once
    into the subnormal range and overflows to inf by itself from 88.73 on; beyond |x| = 150
    the result is selected. No clamp of x on purpose: GCC splits a clamped lane's constant
    result off into masked code and leaves the lanes a caller discards (elu's x > 0 in
    backward) with stale register bits, subnormals that hit the slow microcode path (8x).
    Specials: exp(-inf) = 0, exp(inf) = inf, NaN -> NaN, overflow -> inf."""
    n, r = _reduce_ln2f(x)
    p = 1.0 + _expm1_polyf(r)
    n1 = _roundf(n * 0.5)
    y = (p * _pow2if(n1)) * _pow2if(n - n1)
    y = INF if x > 150.0 else y  # NaN passes through
    return 0.0 if x < -150.0 else y


def expn_f32(x: f32) -> f32:
    """e^x as exp_f32 without its range handling: one scaling by 2^n, valid while
    n = round(x/ln2) is in [-126, 127], i.e. x in about [-87.6, 88.3], where it gives
    exp_f32's bits (both round the exact e^r 2^n once). Other x give garbage: only for the
    fast forms, whose guard keeps x in range (Activation.fast_when)."""
    n, r = _reduce_ln2f(x)
    return (1.0 + _expm1_polyf(r)) * _pow2if(n)


def _exp2parts_f32(hi: f32, lo: f32) -> tuple[f32, f32]:
    """e^(hi + lo) as m s for |lo| <= ulp(hi): the reduced argument r = hi - n ln2 + lo
    carries lo, so the result has the error of e^r (one rounding of 1 + expm1(r)) and of the
    scaling only. m = e^r 2^n1 is normal and s = 2^n2, so a caller can multiply other factors
    in first and round into the subnormal range once, at the end. Valid for hi in
    [-150, 150]; other hi give garbage that callers select away."""
    n, r = _reduce_ln2f(hi)
    r = r + lo
    p = 1.0 + _expm1_polyf(r)
    n1 = _roundf(n * 0.5)
    s = _pow2if(n - n1)
    return p * _pow2if(n1), s


def expsub_f32(a: f32, b: f32) -> f32:
    """e^(a - b), with a - b = hi + lo exactly (TwoSum), so the rounding of the difference
    does not multiply the error by |a - b| (as in softmax's exp(x - max)). inf - inf and NaN
    give NaN; a - b > 88.73 -> inf, a - b < -150 -> 0."""
    hi = a - b
    bb = hi - a
    lo = (a - (hi - bb)) - (b + bb)
    m, s = _exp2parts_f32(hi, lo)
    y = m * s
    y = INF if hi > 150.0 else y  # NaN passes through
    return 0.0 if hi < -150.0 else y


def expsubn_f32(a: f32, b: f32) -> f32:
    """expsub_f32 for a - b in [-87, 0] (the row-wise kernels use it on rows that span less than
    87): one scaling by 2^n, n >= -126, instead of two, and no range selects; expsub_f32's bits
    there (both round the exact e^r 2^n once). Other a - b give garbage."""
    hi = a - b
    bb = hi - a
    lo = (a - (hi - bb)) - (b + bb)
    n, r = _reduce_ln2f(hi)
    r = r + lo
    return (1.0 + _expm1_polyf(r)) * _pow2if(n)


def expm1_f32(x: f32) -> f32:
    """e^x - 1 = 2^n expm1(r) + (2^n - 1), one fma, so there is no cancellation for x < 0 and
    expm1(r) is used directly for |x| < ln2/2; n = 128 uses 2^127 and a final factor 2.
    No clamp of x (see exp_f32); out-of-range lanes are selected.
    Specials: expm1(+-0) = +-0, expm1(-inf) = -1, expm1(inf) = inf, overflow -> inf,
    NaN -> NaN."""
    n, r = _reduce_ln2f(x)
    u = _expm1_polyf(r)
    big = 1.0 if n > 127.0 else 0.0
    s = _pow2if(n - big)
    y = fma(s, u, s - 1.0) * (1.0 + big)
    y = INF if x > 89.0 else y  # 88.73 .. 89 overflow above
    y = -1.0 if x < -18.0 else y  # expm1 rounds to -1 below -17.33
    return x if x == 0.0 else y  # keep the sign of zero


# ---- float: log, log1p --------------------------------------------------------------------

def _log_tailf(f: f32) -> f32:
    """log(1+f) - f for f = m - 1, m in [sqrt(1/2), sqrt(2)), s = f/(2+f):
    -(hfsq - s (hfsq + R)), R = z Q(z), z = s^2, Q of degree 2 (fdlibm's scheme; polynomial
    error < 2^-30 relative to log(1+f))."""
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    Q = horner_fma(z, K("0x1.2e769ap-2"), K("0x1.997ffep-2"), K("0x1.555558p-1"))
    return fma(s, fma(z, Q, hfsq), -hfsq)


def _log_splitf(u: f32) -> tuple[f32, f32]:
    """(m, k) with u = 2^k m, m in [sqrt(1/2), sqrt(2)), for a positive normal float u; k an
    integral float."""
    iu = f2u(u) + (0x3F800000 - 0x3F3504F3)
    k = u2f((iu >> 23) | 0x4B000000) - (K("0x1p23") + 127.0)
    m = u2f((iu & 0x007FFFFF) + 0x3F3504F3)
    return m, k


def _log1p_coref(x: f32) -> f32:
    """log1p(x) without the special cases: u = 1 + x = 2^k m, log1p = k ln2 + log(1+f) + c/u
    where c is the (exact) rounding error of 1 + x (fdlibm); NaN propagates."""
    u = 1.0 + x
    m, k = _log_splitf(u)
    f = m - 1.0
    c = 1.0 - (u - x) if u >= 2.0 else x - (u - 1.0)
    c = c / u
    return fma(k, LN2F_LOG_HI, f + (_log_tailf(f) + fma(k, LN2F_LOG_LO, c)))


def log1p_f32(x: f32) -> f32:
    """log(1 + x). Specials: log1p(+-0) = +-0, log1p(-1) = -inf, x < -1 -> NaN,
    log1p(inf) = inf, NaN -> NaN."""
    y = _log1p_coref(x)
    y = x if x == INF else y
    y = -INF if x == -1.0 else y
    y = NAN if x < -1.0 else y
    return x if x == 0.0 else y


def log1pn_f32(x: f32) -> f32:
    """log1p_f32 for x in (0, 1] without its special cases (the fast forms' log1p of an
    exp(-|z|)): the same bits there."""
    return _log1p_coref(x)


def log_f32(x: f32) -> f32:
    """Natural logarithm (subnormals pre-scaled by 2^23).
    Specials: log(+-0) = -inf, log(x<0) = NaN, log(inf) = inf, NaN -> NaN."""
    xs = x * K("0x1p23") if x < K("0x1p-126") else x
    m, k = _log_splitf(xs)
    k = k - 23.0 if x < K("0x1p-126") else k
    f = m - 1.0
    y = fma(k, LN2F_LOG_HI, f + fma(k, LN2F_LOG_LO, _log_tailf(f)))
    y = x if x > K("0x1.fffffep127") else y  # inf
    y = -INF if x == 0.0 else y
    y = NAN if x < 0.0 else y
    return x if x != x else y


# ---- float: tanh --------------------------------------------------------------------------

def _tanh_f32(x: f32, e: f32) -> f32:
    """tanh from x and e = e^(2|x|): |x| < 0.55: x + x^3 T(x^2), T of degree 4; otherwise
    1 - 2/(e + 1) (-> 1 exactly once e overflows); the sign of x OR-ed back in."""
    sign = f2u(x) & SIGNF
    a = u2f(f2u(x) ^ sign)
    z = a * a
    T = horner_fma(z, K("-0x1.b3a682p-8"), K("0x1.5d88fep-6"), K("-0x1.b9ab56p-5"), K("0x1.11102p-3"),
                   K("-0x1.555554p-2"))
    small = fma(a * z, T, a)
    large = 1.0 - 2.0 / (e + 1.0)
    y = small if a < 0.55 else large
    return u2f(f2u(y) | sign)


def tanh_f32(x: f32) -> f32:
    """Hyperbolic tangent (_tanh_f32 with exp_f32). tanh(+-0) = +-0, tanh(+-inf) = +-1,
    NaN -> NaN."""
    return _tanh_f32(x, exp_f32(2.0 * u2f(f2u(x) & ABSF)))


def tanhn_f32(x: f32) -> f32:
    """tanh_f32 for |x| <= 44 (the fast forms'), with expn_f32: the same bits."""
    return _tanh_f32(x, expn_f32(2.0 * u2f(f2u(x) & ABSF)))


# ---- double: erf, erfc, the normal cdf and density ------------------------------------------
# What exact GELU needs: gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x). erfc and ncdf are
# relatively accurate down to their underflow (erfc: x ~ 27.226, ncdf: x ~ -38.485, npdf:
# |x| ~ 38.580), subnormal results within 1 subnormal ulp. Building blocks: exact splitting by
# masking (_hi26), Dekker products and Fast2Sum/2Sum, e^-(X + Xl) in the form 2^n (1 + r + T)
# (_expneg) so that a product with it rounds once (_mul_exp).

def _hi26(v: f64) -> f64:
    """v with the low 27 bits of the significand cleared: hi = _hi26(v) has at most 26
    significant bits and v - hi is exact with at most 27, so products of two such high parts,
    or of a high and a low part, are exact. Unlike Veltkamp's split it stays exact if a
    compiler contracts a*b + c into an fma."""
    return u2d(d2u(v) & 0xFFFFFFFFF8000000)


def _expneg(X: f64, Xl: f64) -> tuple[f64, f64, f64]:
    """(r, T, n) with e^-(X + Xl) = 2^n (1 + r + T) for 0 <= X < 2^20 and |Xl| < 2^-12 (or
    NaN): |r| < 0.347, |T| < 0.068, n an integral double. X - n ln2_hi is exact and the
    rounding error of the reduced argument is carried along as in _expm1_dd, so r + T = expm1
    of the reduced argument with an absolute error of about 2^-58. Keeping r and T apart lets
    the caller form m (1 + r + T) with an exact m r."""
    k = _round(-X * INV_LN2)
    rh = -X - k * LN2_HI  # exact
    rl = k * LN2_LO + Xl
    r = rh - rl
    c = (rh - r) - rl  # rounding error of r
    T = _expm1_tail(r) + (c + c * r)
    return r, T, k


def _mul_exp(mh: f64, ml: f64, r: f64, T: f64) -> f64:
    """(mh + ml)(1 + r + T) rounded once, for |ml| < 2^-50 |mh|, |r| < 0.35, |T| < 0.07: mh r
    is formed exactly (Dekker, high parts by masking) and added to mh with Fast2Sum."""
    m1 = _hi26(mh)
    m2 = mh - m1
    r1 = _hi26(r)
    r2 = r - r1
    ph = mh * r
    pl = ((m1 * r1 - ph) + m1 * r2) + (m2 * r1 + m2 * r2)
    s = mh + ph
    se = ph - (s - mh)
    return s + ((se + pl) + (mh * T + ml * (1.0 + (r + T))))


def _ldexp(y: f64, n: f64) -> f64:
    """y 2^n for integral n in [-2000, 2000] and 2^-20 < |y| < 2^20: exact, or rounded once
    when the result is subnormal."""
    n1 = _round(n * 0.5)
    return (y * _pow2i(n1)) * _pow2i(n - n1)


def _erfc_core(a: f64, al: f64, e0: f64) -> f64:
    """erfc(a + al) 2^e0 for a >= 0 (+inf included) or NaN, al a low part (|al| <= 2^-50 a),
    e0 0 or -1.
    Method: erfc(a) = e^(-a^2) erfcx(a) with
     - e^(-a^2) = 2^n (1 + r + T) from _expneg on a^2 = X + Xl, X = h h exact (h = a with 26
       bits), Xl = (a - h)(a + h) + 2 a al, so a^2 is not rounded (that would cost up to
       2 a^2 ulp);
     - erfcx(a) = V(t) / (a + 7/8), t = (a - 4)/(a + 4) in [-1, 0.75] for a in [0, 28] (the
       variable of Shepherd & Laframboise), V a degree-23 near-minimax polynomial of
       (a + 7/8) erfcx(a) (relative error < 2^-57.4 with the stored coefficients). The factor
       a + 7/8 (instead of the usual a + 4) makes V flat (0.58 < V < 0.876,
       |dV/dt| / V < 0.34), so V hardly depends on the rounding of t and evaluates
       accurately; V = v0 + t (v1 + t s2(t)) with v0, v1 double-doubles, s2 (degree 21) in
       four interleaved chains (a shorter dependency chain than Horner), its last two steps in
       double-double; 1/(a + 7/8) is a double-double wh (1 + ew) from an exact residual,
       V wh is formed exactly, and _mul_exp multiplies by e^(-a^2) with a single rounding (a
       second one in the subnormal range).
    Error < 1 ulp relative (max measured 0.95), also for al != 0. a > 28 gives 0 by selection
    (erfc(28) < 2^-1136); NaN passes."""
    h = _hi26(a)
    r, T, n = _expneg(h * h, (a - h) * (a + h) + 2.0 * a * al)  # e^(-a^2) = 2^n (1 + r + T)
    t = (a - 4.0) / (a + 4.0)
    # w = 1/(a + 7/8) = wh (1 + ew): a + 7/8 = Dh + Dl (Fast2Sum), wh = 1/Dh, 1 - Dh wh from
    # exact partial products
    Dh = a + 0.875
    Dl = (((a - Dh) if a > 0.875 else (0.875 - Dh)) + (0.875 if a > 0.875 else a)) + al
    wh = 1.0 / Dh
    d1 = _hi26(Dh)
    d2 = Dh - d1
    w1 = _hi26(wh)
    w2 = wh - w1
    ew = ((((1.0 - d1 * w1) - d1 * w2) - d2 * w1) - d2 * w2) - Dl * wh
    tt = t * t
    t4 = tt * tt
    A = horner(t4, K("0x1.17d3a7619d131p-30"), K("0x1.937075d2a6cf9p-25"), K("-0x1.2e7149163ab42p-18"),
               K("-0x1.95d936f875530p-12"), K("-0x1.5f13b3393300ep-6"), K("0x1.6f7371be1c3bdp-4"))
    B = horner(t4, K("0x1.47bb6eb0a957dp-31"), K("0x1.a876ade8c1be4p-25"), K("0x1.6a9e55f98ca47p-19"),
               K("-0x1.25a4459598ac3p-14"), K("0x1.c3204c65ff1c2p-7"), K("-0x1.c3595544906dcp-6"))
    C = horner(t4, K("-0x1.54eebc8701d4cp-27"), K("0x1.59b1235e4473dp-25"), K("0x1.18661d7ce19b7p-14"),
               K("-0x1.aefb78b89e9a4p-8"), K("-0x1.3c7c0a6c9a237p-7"))
    D = horner(t4, K("-0x1.b70ac4d437b7cp-28"), K("-0x1.94934f73854f2p-22"), K("-0x1.b14d0e2e764b7p-17"),
               K("0x1.227f1acefd85cp-9"), K("0x1.7c1ffdb50eaf5p-6"))
    s2 = (A + t * B) + tt * (C + t * D)
    # v1 + t s2 by Fast2Sum (|t s2| < 0.38 |v1|), t s by Dekker, v0 + t s by Fast2Sum
    m1 = t * s2
    s = K("-0x1.55efb0613c39bp-3") + m1
    sl = ((K("-0x1.55efb0613c39bp-3") - s) + m1) + K("0x1.ea340688b5859p-58")
    m0 = t * s
    t1 = _hi26(t)
    t2 = t - t1
    s1 = _hi26(s)
    s2l = s - s1
    m0e = ((t1 * s1 - m0) + t1 * s2l) + (t2 * s1 + t2 * s2l)
    Vh = K("0x1.55f35d8d2d29fp-1") + m0
    Vl = ((K("0x1.55f35d8d2d29fp-1") - Vh) + m0) + ((m0e + t * sl) - K("0x1.2bf5f2f506c3fp-55"))
    # erfcx(a) = (Vh + Vl) wh (1 + ew) = mh + ml
    v1 = _hi26(Vh)
    v2 = Vh - v1
    mh = Vh * wh
    ml = (((v1 * w1 - mh) + v1 * w2) + (v2 * w1 + v2 * w2)) + (Vl + Vh * ew) * wh
    y = _ldexp(_mul_exp(mh, ml, r, T), n + e0)  # erfc = (mh + ml)(1 + r + T) 2^(n + e0)
    return 0.0 if a > 28.0 else y


def erf_f64(x: f64) -> f64:
    """Error function.
    Method: |x| < 0.84375: erf x = x + x y(x^2), y a degree-10 near-minimax polynomial of
    erf(x)/x - 1 (relative error < 2^-55.9 of erf(x)/x); for |x| < 2^-1000 x (2/sqrt(pi))
    instead, one rounding in the subnormal range. |x| >= 0.84375: erf x = +-(1 - erfc|x|)
    (erfc|x| < 0.233, see _erfc_core). Both are computed for every x and selected.
    Error < 1 ulp (max measured 0.96, near |x| = 0.835).
    Specials: erf(+-0) = +-0, erf(+-inf) = +-1, erf(tiny) = tiny 2/sqrt(pi), erf(NaN) = NaN."""
    ux = d2u(x)
    sign = ux & SIGN
    a = u2d(ux ^ sign)
    z = x * x
    p = horner(z, K("0x1.701fc904cbe37p-27"), K("-0x1.515e1beec475cp-23"), K("0x1.b84261949c5e4p-20"),
               K("-0x1.f4b38c1e16ae4p-17"), K("0x1.f9a1b11d293cdp-14"), K("-0x1.c02da892b6fcep-11"),
               K("0x1.565bccd67d280p-8"), K("-0x1.b82ce311487f5p-6"), K("0x1.ce2f21a03f0f0p-4"),
               K("-0x1.812746b0379a2p-2"))
    ys = x + x * (p * z + K("0x1.06eba8214db68p-3"))
    ys = x * K("0x1.20dd750429b6dp+0") if a < K("0x1p-1000") else ys
    yb = u2d(d2u(1.0 - _erfc_core(a, 0.0, 0.0)) | sign)
    return ys if a < 0.84375 else yb


def erfc_f64(x: f64) -> f64:
    """Complementary error function 1 - erf(x).
    Method: erfc|x| from _erfc_core (relative error < 1 ulp everywhere, down to the underflow
    at x ~ 27.226), erfc x = 2 - erfc|x| for x < 0. Error < 1 ulp (max measured 0.95).
    Specials: erfc(-inf) = 2, erfc(+inf) = +0, erfc(NaN) = NaN."""
    a = u2d(d2u(x) & ABS)
    y = _erfc_core(a, 0.0, 0.0)
    return 2.0 - y if x < 0.0 else y


def ncdf_f64(x: f64) -> f64:
    """Phi(x) = erfc(-x/sqrt(2)) / 2, the standard normal CDF.
    Method: a = |x|/sqrt(2) is formed as a double-double ah + al (exact product with a
    double-double 1/sqrt(2) = c1 + c2 + c3, c1 + c2 the double nearest to it, c1 with 26 bits,
    c2 27; a rounded a would cost up to ~a^2 ulp), Phi(-|x|) = erfc(ah + al)/2 from
    _erfc_core with the 1/2 folded into the final scaling, Phi(x) = 1 - Phi(-x) for x >= 0.
    Relatively accurate in the whole lower tail, subnormal results down to the underflow at
    x ~ -38.485 within 1 subnormal ulp. Error about 1 ulp (max measured 1.02).
    Specials: Phi(-inf) = +0, Phi(+inf) = 1, Phi(NaN) = NaN."""
    xa = u2d(d2u(x) & ABS)
    ah = xa * (K("0x1.6a09e60000000p-1") + K("0x1.9fcef34000000p-27"))
    x1 = _hi26(xa)
    x2 = xa - x1
    al = ((((x1 * K("0x1.6a09e60000000p-1") - ah) + x1 * K("0x1.9fcef34000000p-27"))
           + x2 * K("0x1.6a09e60000000p-1")) + x2 * K("0x1.9fcef34000000p-27")) - xa * K("0x1.bdd3413b26456p-55")
    y = _erfc_core(ah, al, -1.0)  # Phi(-|x|)
    return y if x < 0.0 else 1.0 - y


def npdf_f64(x: f64) -> f64:
    """phi(x) = e^(-x^2/2) / sqrt(2 pi), the standard normal density.
    Method: x^2/2 = X + Xl with X = h h/2 exact (h = |x| with 26 bits: the square is never
    rounded, which would cost up to x^2/2 ulp), e^-(X + Xl) = 2^n (1 + r + T) from _expneg,
    phi = 2^n C (1 + r + T) with a double-double C = 1/sqrt(2 pi) by _mul_exp, rounded once
    (twice if subnormal). |x| > 40 gives 0 by selection (phi underflows from |x| ~ 38.580).
    Error < 1 ulp (max measured 0.75). Specials: phi(+-inf) = +0, phi(NaN) = NaN."""
    xa = u2d(d2u(x) & ABS)
    h = _hi26(xa)
    r, T, n = _expneg(0.5 * (h * h), 0.5 * ((xa - h) * (xa + h)))
    y = _ldexp(_mul_exp(K("0x1.9884533d43651p-2"), K("-0x1.cbc0d30ebfd15p-56"), r, T), n)
    return 0.0 if xa > 40.0 else y  # phi(40) < 2^-1154; NaN passes


def xncdf_f64(x: f64) -> f64:
    """x Phi(x) in double (exact GELU)."""
    return x * ncdf_f64(x)


def expsub_f64(a: f64, b: f64) -> f64:
    """e^(a - b) (the double difference rounds; row-wise double kernels accept the resulting
    |a - b| ulp)."""
    return exp_f64(a - b)


def expsubn_f64(a: f64, b: f64) -> f64:
    """expsub_f64 for a - b in [-708, 0] (see expsubn_f32): expn_f64, expsub_f64's bits there."""
    return expn_f64(a - b)


# ---- float: erf, erfc, the normal cdf and density -------------------------------------------

def erf_f32(x: f32) -> f32:
    """erf computed in double, rounded once (<= 1 ulp, correctly rounded on all inputs
    tested; no activation calls it in a hot loop)."""
    return f32(erf_f64(f64(x)))


def erfc_f32(x: f32) -> f32:
    """erfc computed in double, rounded once (as erf_f32)."""
    return f32(erfc_f64(f64(x)))


def _expnhsq_f32(x: f32) -> tuple[f32, f32]:
    """exp(-x^2/2) in float as m s (see _exp2parts_f32): x^2 = h + l exactly (fma),
    e^(-h/2 - l/2). |x| <= 17.3; larger |x| give garbage that callers select away."""
    h = x * x
    lo = fma(x, x, -h)
    m, s = _exp2parts_f32(-0.5 * h, -0.5 * lo)
    return m, s


def npdf_f32(x: f32) -> f32:
    """phi(x) = exp(-x^2/2)/sqrt(2 pi) in float. phi(|x| > 15) = 0 (the float result is 0 from
    |x| ~ 14.2); phi(NaN) = NaN."""
    m, s = _expnhsq_f32(x)
    y = (m * K("0x1.988454p-2")) * s
    return 0.0 if u2f(f2u(x) & ABSF) > 15.0 else y


def _ncdf_lower_f32(a: f32) -> tuple[f32, f32]:
    """Q(a) = 1 - Phi(a) for a = |x| as m s (see _expnhsq_f32): Q(a) = exp(-a^2/2) R(a),
    R = Q(a) exp(a^2/2) a degree-10 polynomial in t = (a - 5)/(a + 5) (near-minimax fit on a
    in [0, 14], relative error 2^-24.6 with float coefficients)."""
    t = (a - 5.0) / (a + 5.0)
    R = horner_fma(t, K("-0x1.03e6ap-15"), K("0x1.4e052ap-13"), K("0x1.b48356p-13"), K("-0x1.39b922p-9"),
                   K("0x1.26abd4p-7"), K("-0x1.7f9034p-6"), K("0x1.8807d4p-5"), K("-0x1.4b4d26p-4"),
                   K("0x1.db6afap-4"), K("-0x1.25cd12p-3"), K("0x1.3b0fbcp-4"))
    m, s = _expnhsq_f32(a)
    return m * R, s


def ncdf_f32(x: f32) -> f32:
    """Phi(x) in float: Q(|x|) for x < 0 and 1 - Q(|x|) otherwise, so the lower tail keeps its
    relative accuracy. Phi(-inf) = 0, Phi(inf) = 1, NaN -> NaN."""
    a = u2f(f2u(x) & ABSF)
    qm, s = _ncdf_lower_f32(a)
    q = qm * s
    q = 0.0 if a > 15.0 else q  # NaN passes
    return q if x < 0.0 else 1.0 - q


def xncdf_f32(x: f32) -> f32:
    """x Phi(x) (exact GELU) in float. For x < 0 the product x Q(|x|) is formed in the normal
    range and scaled into the subnormal range by one last multiply (rounded once).
    x Phi(x) = -0 for -inf < x < -15, NaN at -inf (inf 0, like x ncdf_f32(x))."""
    a = u2f(f2u(x) & ABSF)
    qm, s = _ncdf_lower_f32(a)
    q = 0.0 if a > 15.0 else qm * s
    neg = x * 0.0 if a > 15.0 else (x * qm) * s
    return neg if x < 0.0 else x * (1.0 - q)


# The fast forms' normal-distribution functions (gelu's, guard |x| <= 12): e^(-x^2/2) and Q(|x|)
# stay normal there (Q(12) ~ 2^-109), so one scaling by 2^n gives the full functions' bits (a
# power of 2 commutes with the roundings while nothing is subnormal) without their range selects.

def _expnhsqn_f32(x: f32) -> f32:
    """exp(-x^2/2) as _expnhsq_f32's m s in one scaling, for |x| <= 12 (a normal result)."""
    h = x * x
    lo = fma(x, x, -h)
    hi = -0.5 * h
    n, r = _reduce_ln2f(hi)
    r = r + -0.5 * lo
    return (1.0 + _expm1_polyf(r)) * _pow2if(n)


def _ncdf_lowern_f32(a: f32) -> f32:
    """Q(a) as _ncdf_lower_f32's m s in one scaling, for 0 <= a <= 12."""
    t = (a - 5.0) / (a + 5.0)
    R = horner_fma(t, K("-0x1.03e6ap-15"), K("0x1.4e052ap-13"), K("0x1.b48356p-13"), K("-0x1.39b922p-9"),
                   K("0x1.26abd4p-7"), K("-0x1.7f9034p-6"), K("0x1.8807d4p-5"), K("-0x1.4b4d26p-4"),
                   K("0x1.db6afap-4"), K("-0x1.25cd12p-3"), K("0x1.3b0fbcp-4"))
    return _expnhsqn_f32(a) * R


def xncdfn_f32(x: f32) -> f32:
    """xncdf_f32 for |x| <= 12 (the fast forms'): the same bits, one scaling, no range selects."""
    q = _ncdf_lowern_f32(u2f(f2u(x) & ABSF))
    return x * q if x < 0.0 else x * (1.0 - q)


def ncdfn_f32(x: f32) -> f32:
    """ncdf_f32 for |x| <= 12 (the fast forms'): the same bits."""
    q = _ncdf_lowern_f32(u2f(f2u(x) & ABSF))
    return q if x < 0.0 else 1.0 - q


def npdfn_f32(x: f32) -> f32:
    """npdf_f32 for |x| <= 12 (the fast forms'): the same bits."""
    return _expnhsqn_f32(x) * K("0x1.988454p-2")


def xncdfn_f64(x: f64) -> f64:
    """The fast forms' x Phi(x) in double: xncdf_f64 (no faster form yet)."""
    return xncdf_f64(x)


def ncdfn_f64(x: f64) -> f64:
    """The fast forms' Phi in double: ncdf_f64 (no faster form yet)."""
    return ncdf_f64(x)


def npdfn_f64(x: f64) -> f64:
    """The fast forms' phi in double: npdf_f64 (no faster form yet)."""
    return npdf_f64(x)


# ---- the counter-based generator of dropout and rrelu -------------------------------------
# u(seed, i) = top 24 bits of mix64(mix64(seed) + (i + 1) golden) / 2^24, mix64 SplitMix64's
# finalizer (Steele, Lea, Flood 2014), golden = 0x9E3779B97F4A7C15. Element i of a call with
# `offset` uses counter offset + i (its flat C-order index), so the same mask comes out for
# any layout, thread count or backend, and a backward pass regenerates it instead of storing
# it. u has 24 random bits, exact in float and double, in [0, 1). Only integer adds,
# multiplies, shifts and xors: it vectorizes.

GOLDEN: u64 = 0x9E3779B97F4A7C15


def mix64(z: u64) -> u64:
    """SplitMix64's finalizer (u64 arithmetic wraps)."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)


def uniform24(key: u64, counter: u64) -> f64:
    """24 random bits of mix64(key + (counter + 1) golden) as a double in [0, 1); key =
    mix64(seed), computed once per call."""
    h = mix64(key + (counter + 1) * GOLDEN)
    return f64(i32(h >> 40)) * K("0x1p-24")
