"""Elementary functions for the Numba backends: a port of ``fastact_c/src/fa_math.h``.

Each function performs the same sequence of IEEE double operations as its C
counterpart (built with ``-ffp-contract=off``, i.e. no fused multiply-add), so the
results are bit-identical to the C library. No fastmath and no libm: the code is
branch-free (``a if c else b`` becomes an LLVM ``select``), so loops calling these
functions auto-vectorize. See fa_math.h for the methods and error bounds.

Rules kept for bit-identity (do not "simplify"):
  * evaluation order and parenthesization exactly as in C (Python and C both
    associate ``a - b - c`` and ``a * b * c`` to the left);
  * ``error_model="numpy"`` where there is a division: the default (python) model
    adds a zero-divisor check that raises and blocks vectorization;
  * integer work only in uint64 with uint64 operands on both sides: Numba promotes
    a mixed int64/uint64 operation to float64;
  * ``(v + 0x1.8p52) - 0x1.8p52`` is not folded by LLVM without fastmath;
  * ``fastmath=False`` set explicitly on every function: Numba gives a function that does
    not set an option the caller's value (fastmath, error_model, forceinline) when the
    first caller compiles it, and caches that version for all later callers;
  * ``forceinline`` (LLVM alwaysinline, like the header's always_inline) on the erf
    family: the functions are too large for LLVM's inliner, and a loop that calls them
    does not vectorize.

The float32 exp/expm1/log1p/log/tanh run in float32 with ``llvm.fma`` where the C code
calls ``__builtin_fmaf``; the float32 erf family computes in double and rounds once.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# ---- constants, written as in fa_math.h ------------------------------------------------

_INF = math.inf
_NAN = float.fromhex("nan")  # the positive quiet NaN 0x7ff8000000000000, like fa_i_nan()
_MAGIC = float.fromhex("0x1.8p52")  # round-to-nearest shifter
_MAGIC_BIAS = float.fromhex("0x1.8p52") + 1023.0  # exact; fa_i_pow2i
_P52_BIAS = float.fromhex("0x1p52") + 1023.0  # exact; fa_i_log_split
_TINY = float.fromhex("0x1p-1022")  # smallest normal
_P52 = float.fromhex("0x1p52")

_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_INV_LN2 = float.fromhex("0x1.71547652b82fep+0")

# fa_i_expm1_tail: h(r), highest degree first
_E10 = float.fromhex("0x1.1f7385560be05p-29")
_E9 = float.fromhex("0x1.af4ecd2129492p-26")
_E8 = float.fromhex("0x1.27e4db25ce3adp-22")
_E7 = float.fromhex("0x1.71de01c3fc936p-19")
_E6 = float.fromhex("0x1.a01a01a6ec522p-16")
_E5 = float.fromhex("0x1.a01a01ac0a9eep-13")
_E4 = float.fromhex("0x1.6c16c16c162b0p-10")
_E3 = float.fromhex("0x1.111111111009cp-7")
_E2 = float.fromhex("0x1.5555555555556p-5")
_E1 = float.fromhex("0x1.5555555555557p-3")
_E0 = 0.5

# fa_i_log_tail: R(z), highest degree first
_L7 = float.fromhex("0x1.2f112df3e5244p-3")
_L6 = float.fromhex("0x1.39a09d078c69fp-3")
_L5 = float.fromhex("0x1.7466496cb03dep-3")
_L4 = float.fromhex("0x1.c71c51d8e78afp-3")
_L3 = float.fromhex("0x1.2492494229359p-2")
_L2 = float.fromhex("0x1.999999997fa04p-2")
_L1 = float.fromhex("0x1.5555555555593p-1")

# integer constants (uint64, so that no operation mixes signedness)
_U52 = np.uint64(52)
_SQRT_HALF_BITS = np.uint64(0x3FE6A09E667F3BCD)
_LOG_OFF = np.uint64(0x3FF0000000000000 - 0x3FE6A09E667F3BCD)
_MANT_MASK = np.uint64(0x000FFFFFFFFFFFFF)
_EXP_P52 = np.uint64(0x4330000000000000)  # bits of 2^52
_SIGN_MASK = np.uint64(0x8000000000000000)

# fastmath=False is explicit on purpose: an option a function does not set is inherited
# from the caller that compiles it first, and that version is then cached for every
# caller, so one fastmath caller would make these functions fast-math everywhere.
_NOFAST = dict(fastmath=False)
_JIT = dict(error_model="numpy", fastmath=False)
_INLINE = dict(fastmath=False, forceinline=True)
_JIT_INLINE = dict(_JIT, forceinline=True)


# ---- internal helpers ------------------------------------------------------------------

@intrinsic
def _d2u(typingctx, x):
    """Bits of a float64 as uint64 (fa_i_d2u): a register bitcast, no memory."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.uint64(types.float64), codegen


@intrinsic
def _u2d(typingctx, u):
    """The float64 whose bits are the uint64 ``u`` (fa_i_u2d)."""
    if u != types.uint64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.uint64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """fa_i_fma: a*b + c rounded once (llvm.fma.f64)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, sig, args):
        f64 = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f64], ir.FunctionType(f64, [f64, f64, f64]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(**_NOFAST)
def _round(v):
    """fa_i_round: round to nearest (ties to even) for |v| < 2^51."""
    return (v + _MAGIC) - _MAGIC


@njit(**_NOFAST)
def _pow2i(k):
    """fa_i_pow2i: 2^k for an integral double k in [-1022, 1023]."""
    return _u2d(_d2u(k + _MAGIC_BIAS) << _U52)


@njit(**_NOFAST)
def _expm1_tail(r):
    """fa_i_expm1_tail: expm1(r) - r for |r| <= ~0.3472."""
    h = _E10
    h = _fma(h, r, _E9)
    h = _fma(h, r, _E8)
    h = _fma(h, r, _E7)
    h = _fma(h, r, _E6)
    h = _fma(h, r, _E5)
    h = _fma(h, r, _E4)
    h = _fma(h, r, _E3)
    h = _fma(h, r, _E2)
    h = _fma(h, r, _E1)
    h = _fma(h, r, _E0)
    return (r * r) * h


@njit(**_NOFAST)
def _log_tail(s, hfsq):
    """fa_i_log_tail: log(1+f) - f + f*f/2 from s = f/(2+f) and hfsq = f*f/2."""
    z = s * s
    R = _L7
    R = _fma(R, z, _L6)
    R = _fma(R, z, _L5)
    R = _fma(R, z, _L4)
    R = _fma(R, z, _L3)
    R = _fma(R, z, _L2)
    R = _fma(R, z, _L1)
    R = R * z
    return s * (hfsq + R)


@njit(**_NOFAST)
def _log_split(u):
    """fa_i_log_split: (m, k) with u = 2^k * m, m in [sqrt(1/2), sqrt(2)), k an integral double."""
    iu = _d2u(u) + _LOG_OFF
    k = _u2d((iu >> _U52) | _EXP_P52) - _P52_BIAS
    m = _u2d((iu & _MANT_MASK) + _SQRT_HALF_BITS)
    return m, k


@njit(**_NOFAST)
def _expm1_dd(x):
    """fa_i_expm1_dd: (hi, lo, f) with expm1(x) = (hi + lo) * f, for x in [-40, 710]."""
    n = _round(x * _INV_LN2)
    rh = x - n * _LN2_HI
    nl = n * _LN2_LO
    r = rh - nl
    c = (rh - r) - nl
    t = _expm1_tail(r) + (c + c * r)
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


# ---- float64 ---------------------------------------------------------------------------

@njit(**_NOFAST)
def exp_f64(x):
    """e^x, bit-identical to fa_exp_f64 (fa_math.h)."""
    x = np.float64(x)
    n = _round(x * _INV_LN2)
    r = _fma(n, -_LN2_LO, _fma(n, -_LN2_HI, x))
    p = 1.0 + (r + _expm1_tail(r))
    n1 = _round(n * 0.5)
    y = (p * _pow2i(n1)) * _pow2i(n - n1)
    y = _INF if x > 710.0 else y  # NaN passes through
    return 0.0 if x < -746.0 else y


@njit(**_NOFAST)
def expm1_f64(x):
    """e^x - 1, bit-identical to fa_expm1_f64 (fa_math.h)."""
    x = np.float64(x)
    hi, lo, f = _expm1_dd(x)
    y = (hi + lo) * f
    y = _INF if x > 709.8 else y
    y = -1.0 if x < -40.0 else y
    return x if x == 0.0 else y  # keep the sign of zero


@njit(**_JIT)
def log_f64(x):
    """Natural logarithm, bit-identical to fa_log_f64 (fa_math.h)."""
    x = np.float64(x)
    sub = x < _TINY  # also true for x <= 0
    xs = x * _P52 if sub else x
    m, k = _log_split(xs)
    k = k - 52.0 if sub else k
    f = m - 1.0
    s = f / (2.0 + f)
    hfsq = 0.5 * f * f
    y = k * _LN2_HI - ((hfsq - (_log_tail(s, hfsq) + k * _LN2_LO)) - f)
    sp = -_INF if x == 0.0 else (_NAN if x < 0.0 else x + x)
    return y if (x > 0.0) & (x < _INF) else sp


@njit(**_JIT)
def log1p_f64(x):
    """log(1 + x), bit-identical to fa_log1p_f64 (fa_math.h)."""
    x = np.float64(x)
    u = 1.0 + x
    c = x - (u - 1.0)
    m, k = _log_split(u)
    f = m - 1.0
    s = f / (2.0 + f)
    hfsq = 0.5 * f * f
    kc = 60.0 if k > 60.0 else k
    cm = (c * _pow2i(-kc)) * (1.0 - 2.0 * s * (1.0 - s))
    y = k * _LN2_HI - ((hfsq - (_log_tail(s, hfsq) + (k * _LN2_LO + cm))) - f)
    y = x if x == 0.0 else y  # log1p(-0) = -0
    sp = -_INF if x == -1.0 else (_NAN if x < -1.0 else x + x)
    return y if (x > -1.0) & (x < _INF) else sp


@njit(**_JIT)
def tanh_f64(x):
    """Hyperbolic tangent, bit-identical to fa_tanh_f64 (fa_math.h)."""
    ux = _d2u(np.float64(x))
    sign = ux & _SIGN_MASK
    a = _u2d(ux ^ sign)
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
    return _u2d(_d2u(y) | sign)


# ---- float32: float arithmetic with fused multiply-adds (fa_math.h) -------------------

@intrinsic
def _f2u(typingctx, x):
    """Bits of a float32, zero-extended to uint64 (fa_i_f2u; uint64 so that integer work
    never mixes widths)."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.zext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))

    return types.uint64(types.float32), codegen


@intrinsic
def _u2f(typingctx, u):
    """The float32 whose bits are the low 32 bits of the uint64 ``u`` (fa_i_u2f; the
    truncation is the C uint32 wrap-around)."""
    if u != types.uint64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())

    return types.float32(types.uint64), codegen


@intrinsic
def _fmaf(typingctx, a, b, c):
    """fa_i_fmaf: a*b + c rounded once (llvm.fma.f32, one vfmadd with FMA hardware)."""
    if not (a == b == c == types.float32):
        return None

    def codegen(context, builder, sig, args):
        f32 = ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f32], ir.FunctionType(f32, [f32, f32, f32]))
        return builder.call(fn, args)

    return types.float32(types.float32, types.float32, types.float32), codegen


def _f(h):
    return np.float32(float.fromhex(h))


_F_MAGIC = _f("0x1.8p23")
_F_MAGIC_BIAS = _f("0x1.8p23") + np.float32(127.0)  # exact
_F_P23_BIAS = _f("0x1p23") + np.float32(127.0)  # exact
_F_INF = np.float32(np.inf)
_F_NAN = np.float32(np.nan)
_F_LN2_HI, _F_LN2_LO, _F_INV_LN2 = _f("0x1.62e4p-1"), _f("0x1.7f7d1cp-20"), _f("0x1.715476p+0")
_F_LN2_LOG_HI, _F_LN2_LOG_LO = _f("0x1.62e3p-1"), _f("0x1.2fefa4p-17")
_FE4, _FE3, _FE2, _FE1 = _f("0x1.6c37eep-10"), _f("0x1.120b06p-7"), _f("0x1.5555eap-5"), _f("0x1.5554dep-3")
_FQ2, _FQ1, _FQ0 = _f("0x1.2e769ap-2"), _f("0x1.997ffep-2"), _f("0x1.555558p-1")
_FT4, _FT3, _FT2, _FT1, _FT0 = (_f("-0x1.b3a682p-8"), _f("0x1.5d88fep-6"), _f("-0x1.b9ab56p-5"),
                                _f("0x1.11102p-3"), _f("-0x1.555554p-2"))
_F0, _F05, _F1, _F2 = np.float32(0.0), np.float32(0.5), np.float32(1.0), np.float32(2.0)
_F89, _F150, _FM18, _F127 = np.float32(89.0), np.float32(150.0), np.float32(-18.0), np.float32(127.0)
_F_TINY, _F_P23, _F23, _F_MAX = _f("0x1p-126"), _f("0x1p23"), np.float32(23.0), _f("0x1.fffffep127")
_F_SMALL_TANH = np.float32(0.55)
_U23 = np.uint64(23)
_U127_BITS = np.uint64(0x3F800000)
_USQRT_HALF_F = np.uint64(0x3F3504F3)
_ULOG_OFF_F = np.uint64(0x3F800000 - 0x3F3504F3)
_UMANT_F = np.uint64(0x007FFFFF)
_UP23_F = np.uint64(0x4B000000)
_USIGN_F = np.uint64(0x80000000)


@njit(**_NOFAST)
def _roundf(v):
    """fa_i_roundf: round to nearest for |v| < 2^22."""
    return (v + _F_MAGIC) - _F_MAGIC


@njit(**_NOFAST)
def _pow2if(k):
    """fa_i_pow2if: 2^k for an integral float32 k in [-126, 127]."""
    return _u2f(_f2u(k + _F_MAGIC_BIAS) << _U23)


@njit(**_NOFAST)
def _expm1_polyf(r):
    """fa_i_expm1_polyf: expm1(r) for |r| <= 0.347."""
    h = _fmaf(_FE4, r, _FE3)
    h = _fmaf(h, r, _FE2)
    h = _fmaf(h, r, _FE1)
    h = _fmaf(h, r, _F05)
    return _fmaf(r * r, h, r)


@njit(**_NOFAST)
def exp_f32(x):
    """fa_exp_f32: e^x in float."""
    n = _roundf(x * _F_INV_LN2)
    r = _fmaf(n, -_F_LN2_HI, x)
    r = _fmaf(n, -_F_LN2_LO, r)
    p = _F1 + _expm1_polyf(r)
    n1 = _roundf(n * _F05)
    y = (p * _pow2if(n1)) * _pow2if(n - n1)
    y = _F_INF if x > _F150 else y
    return _F0 if x < -_F150 else y


@njit(**_NOFAST)
def expm1_f32(x):
    """fa_expm1_f32: e^x - 1 in float."""
    n = _roundf(x * _F_INV_LN2)
    r = _fmaf(n, -_F_LN2_HI, x)
    r = _fmaf(n, -_F_LN2_LO, r)
    u = _expm1_polyf(r)
    big = _F1 if n > _F127 else _F0
    s = _pow2if(n - big)
    y = _fmaf(s, u, s - _F1) * (_F1 + big)
    y = _F_INF if x > _F89 else y
    y = -_F1 if x < _FM18 else y
    return x if x == _F0 else y


@njit(**_JIT)
def _log_tailf(f):
    """fa_i_log_tailf: log(1+f) - f for f in [sqrt(1/2)-1, sqrt(2)-1)."""
    hfsq = _F05 * f * f
    s = f / (_F2 + f)
    z = s * s
    Q = _fmaf(_FQ2, z, _FQ1)
    Q = _fmaf(Q, z, _FQ0)
    return _fmaf(s, _fmaf(z, Q, hfsq), -hfsq)


@njit(**_NOFAST)
def _log_splitf(u):
    """fa_i_log_splitf: (m, k) with u = 2^k m, m in [sqrt(1/2), sqrt(2))."""
    iu = _f2u(u) + _ULOG_OFF_F
    k = _u2f((iu >> _U23) | _UP23_F) - _F_P23_BIAS
    return _u2f((iu & _UMANT_F) + _USQRT_HALF_F), k


@njit(**_JIT)
def log1p_f32(x):
    """fa_log1p_f32: log(1 + x) in float."""
    u = _F1 + x
    m, k = _log_splitf(u)
    f = m - _F1
    c = _F1 - (u - x) if u >= _F2 else x - (u - _F1)
    c = c / u
    y = _fmaf(k, _F_LN2_LOG_HI, f + (_log_tailf(f) + _fmaf(k, _F_LN2_LOG_LO, c)))
    y = x if x == _F_INF else y
    y = -_F_INF if x == -_F1 else y
    y = _F_NAN if x < -_F1 else y
    return x if x == _F0 else y


@njit(**_JIT)
def log_f32(x):
    """fa_log_f32: natural logarithm in float."""
    xs = x * _F_P23 if x < _F_TINY else x
    m, k = _log_splitf(xs)
    k = k - _F23 if x < _F_TINY else k
    f = m - _F1
    y = _fmaf(k, _F_LN2_LOG_HI, f + _fmaf(k, _F_LN2_LOG_LO, _log_tailf(f)))
    y = x if x > _F_MAX else y
    y = -_F_INF if x == _F0 else y
    y = _F_NAN if x < _F0 else y
    return x if x != x else y


@njit(**_JIT)
def tanh_f32(x):
    """fa_tanh_f32: tanh in float."""
    sign = _f2u(x) & _USIGN_F
    a = _u2f(_f2u(x) ^ sign)
    z = a * a
    T = _fmaf(_FT4, z, _FT3)
    T = _fmaf(T, z, _FT2)
    T = _fmaf(T, z, _FT1)
    T = _fmaf(T, z, _FT0)
    small = _fmaf(a * z, T, a)
    large = _F1 - _F2 / (exp_f32(_F2 * a) + _F1)
    y = small if a < _F_SMALL_TANH else large
    return _u2f(_f2u(y) | sign)


# ---- the counter-based generator of fastact_c/src/fa_random.h (dropout, rrelu) ----------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@njit(**_JIT)
def mix64(z):
    """fa_mix64: SplitMix64's finalizer (uint64 arithmetic wraps)."""
    z = np.uint64(z)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(**_JIT)
def uniform24(key, counter):
    """fa_uniform24: 24 random bits of mix64(key + (counter + 1) * golden) as a double in [0, 1)."""
    h = mix64(np.uint64(key) + (np.uint64(counter) + np.uint64(1)) * _GOLDEN)
    return np.float64(np.int32(h >> np.uint64(40))) * 5.9604644775390625e-08


# ---- erf, erfc, normal cdf and density (fa_math.h) --------------------------------------
#
# Building blocks: exact splitting by masking (_hi26), Dekker products and Fast2Sum,
# e^-(X + Xl) = 2^n (1 + r + T) (_expneg) so that a product with it rounds once
# (_mul_exp). Negative C literals are written as subtractions of positive constants
# (``a * b - c`` is the same IEEE operation as ``a * b + (-c)``).

# These functions are large: without LLVM's alwaysinline (Numba's forceinline, the C
# header's always_inline) a loop would call _erfc_core / erf_f64 instead of inlining
# them, and a loop with a call does not vectorize. forceinline inlines the compiled
# function (its error model included), unlike Numba's IR-level inline="always".

_HI26_MASK = np.uint64(0xFFFFFFFFF8000000)
_ABS_MASK = np.uint64(0x7FFFFFFFFFFFFFFF)

# fa_erf_f64, |x| < 0.84375: y(z), z = x^2, highest degree first (signs as in C)
_P10 = float.fromhex("0x1.701fc904cbe37p-27")
_P9 = float.fromhex("0x1.515e1beec475cp-23")  # subtracted
_P8 = float.fromhex("0x1.b84261949c5e4p-20")
_P7 = float.fromhex("0x1.f4b38c1e16ae4p-17")  # subtracted
_P6 = float.fromhex("0x1.f9a1b11d293cdp-14")
_P5 = float.fromhex("0x1.c02da892b6fcep-11")  # subtracted
_P4 = float.fromhex("0x1.565bccd67d280p-8")
_P3 = float.fromhex("0x1.b82ce311487f5p-6")  # subtracted
_P2 = float.fromhex("0x1.ce2f21a03f0f0p-4")
_P1 = float.fromhex("0x1.812746b0379a2p-2")  # subtracted
_P0 = float.fromhex("0x1.06eba8214db68p-3")
_TWO_OVER_SQRTPI = float.fromhex("0x1.20dd750429b6dp+0")
_P_M1000 = float.fromhex("0x1p-1000")

# fa_i_erfc_core: V(t) = v0 + t (v1 + t s2(t)), s2 in four chains A, B, C, D of t^4
# (signs as in C: "_n" constants are subtracted)
_A5 = float.fromhex("0x1.17d3a7619d131p-30")
_A4 = float.fromhex("0x1.937075d2a6cf9p-25")
_A3_n = float.fromhex("0x1.2e7149163ab42p-18")
_A2_n = float.fromhex("0x1.95d936f875530p-12")
_A1_n = float.fromhex("0x1.5f13b3393300ep-6")
_A0 = float.fromhex("0x1.6f7371be1c3bdp-4")
_B5 = float.fromhex("0x1.47bb6eb0a957dp-31")
_B4 = float.fromhex("0x1.a876ade8c1be4p-25")
_B3 = float.fromhex("0x1.6a9e55f98ca47p-19")
_B2_n = float.fromhex("0x1.25a4459598ac3p-14")
_B1 = float.fromhex("0x1.c3204c65ff1c2p-7")
_B0_n = float.fromhex("0x1.c3595544906dcp-6")
_C4 = -float.fromhex("0x1.54eebc8701d4cp-27")  # the C literal is negative
_C3 = float.fromhex("0x1.59b1235e4473dp-25")
_C2 = float.fromhex("0x1.18661d7ce19b7p-14")
_C1_n = float.fromhex("0x1.aefb78b89e9a4p-8")
_C0_n = float.fromhex("0x1.3c7c0a6c9a237p-7")
_D4 = -float.fromhex("0x1.b70ac4d437b7cp-28")  # the C literal is negative
_D3_n = float.fromhex("0x1.94934f73854f2p-22")
_D2_n = float.fromhex("0x1.b14d0e2e764b7p-17")
_D1 = float.fromhex("0x1.227f1acefd85cp-9")
_D0 = float.fromhex("0x1.7c1ffdb50eaf5p-6")
_V1H = -float.fromhex("0x1.55efb0613c39bp-3")  # v1 = V1H + V1L (the C literal is negative)
_V1L = float.fromhex("0x1.ea340688b5859p-58")
_V0H = float.fromhex("0x1.55f35d8d2d29fp-1")  # v0 = V0H - V0L_n
_V0L_n = float.fromhex("0x1.2bf5f2f506c3fp-55")

# fa_ncdf_f64: 1/sqrt(2) = c1 + c2 + c3
_RS2_C1 = float.fromhex("0x1.6a09e60000000p-1")
_RS2_C2 = float.fromhex("0x1.9fcef34000000p-27")
_RS2_C3 = float.fromhex("0x1.bdd3413b26456p-55")
_RS2_C12 = _RS2_C1 + _RS2_C2  # the C expression (c1 + c2), an exact sum: the double nearest 1/sqrt(2)

# fa_npdf_f64: 1/sqrt(2 pi) = CH + CL
_ISQ2PI_H = float.fromhex("0x1.9884533d43651p-2")
_ISQ2PI_L = -float.fromhex("0x1.cbc0d30ebfd15p-56")  # the C literal is negative


@njit(**_INLINE)
def _hi26(v):
    """fa_i_hi26: v with the low 27 significand bits cleared (26 significant bits)."""
    return _u2d(_d2u(v) & _HI26_MASK)


@njit(**_INLINE)
def _expneg(X, Xl):
    """fa_i_expneg: (r, T, n) with e^-(X + Xl) = 2^n (1 + r + T), for 0 <= X < 2^20, |Xl| < 2^-12."""
    k = _round(-X * _INV_LN2)
    rh = -X - k * _LN2_HI  # exact
    rl = k * _LN2_LO + Xl
    r = rh - rl
    c = (rh - r) - rl  # rounding error of r
    T = _expm1_tail(r) + (c + c * r)
    return r, T, k


@njit(**_INLINE)
def _mul_exp(mh, ml, r, T):
    """fa_i_mul_exp: (mh + ml) * (1 + r + T) rounded once (mh*r exact by Dekker)."""
    m1 = _hi26(mh)
    m2 = mh - m1
    r1 = _hi26(r)
    r2 = r - r1
    ph = mh * r
    pl = ((m1 * r1 - ph) + m1 * r2) + (m2 * r1 + m2 * r2)
    s = mh + ph
    se = ph - (s - mh)
    return s + ((se + pl) + (mh * T + ml * (1.0 + (r + T))))


@njit(**_INLINE)
def _ldexp(y, n):
    """fa_i_ldexp: y * 2^n for integral n in [-2000, 2000], 2^-20 < |y| < 2^20 (one rounding if subnormal)."""
    n1 = _round(n * 0.5)
    return (y * _pow2i(n1)) * _pow2i(n - n1)


@njit(**_JIT_INLINE)
def _erfc_core(a, al, e0):
    """fa_i_erfc_core: erfc(a + al) * 2^e0 for a >= 0 (or +inf, NaN), |al| <= 2^-50 a, e0 in {0, -1}."""
    # e^(-a^2) = 2^n (1 + r + T)
    h = _hi26(a)
    r, T, n = _expneg(h * h, (a - h) * (a + h) + 2.0 * a * al)
    # t = (a - 4)/(a + 4), rounded
    t = (a - 4.0) / (a + 4.0)
    # w = 1/(a + 7/8) = wh (1 + ew)
    Dh = a + 0.875
    Dl = (((a - Dh) if a > 0.875 else (0.875 - Dh)) + (0.875 if a > 0.875 else a)) + al
    wh = 1.0 / Dh
    d1 = _hi26(Dh)
    d2 = Dh - d1
    w1 = _hi26(wh)
    w2 = wh - w1
    ew = ((((1.0 - d1 * w1) - d1 * w2) - d2 * w1) - d2 * w2) - Dl * wh
    # V(t) = v0 + t (v1 + t s2(t))
    tt = t * t
    t4 = tt * tt
    A = _A5
    A = A * t4 + _A4
    A = A * t4 - _A3_n
    A = A * t4 - _A2_n
    A = A * t4 - _A1_n
    A = A * t4 + _A0
    B = _B5
    B = B * t4 + _B4
    B = B * t4 + _B3
    B = B * t4 - _B2_n
    B = B * t4 + _B1
    B = B * t4 - _B0_n
    C = _C4
    C = C * t4 + _C3
    C = C * t4 + _C2
    C = C * t4 - _C1_n
    C = C * t4 - _C0_n
    D = _D4
    D = D * t4 - _D3_n
    D = D * t4 - _D2_n
    D = D * t4 + _D1
    D = D * t4 + _D0
    s2 = (A + t * B) + tt * (C + t * D)
    m1 = t * s2
    s = _V1H + m1
    sl = ((_V1H - s) + m1) + _V1L
    m0 = t * s
    t1 = _hi26(t)
    t2 = t - t1
    s1 = _hi26(s)
    s2l = s - s1
    m0e = ((t1 * s1 - m0) + t1 * s2l) + (t2 * s1 + t2 * s2l)
    Vh = _V0H + m0
    Vl = ((_V0H - Vh) + m0) + ((m0e + t * sl) - _V0L_n)
    # erfcx(a) = (Vh + Vl) wh (1 + ew) = mh + ml
    v1 = _hi26(Vh)
    v2 = Vh - v1
    mh = Vh * wh
    ml = (((v1 * w1 - mh) + v1 * w2) + (v2 * w1 + v2 * w2)) + (Vl + Vh * ew) * wh
    # erfc = (mh + ml)(1 + r + T) 2^(n + e0)
    y = _ldexp(_mul_exp(mh, ml, r, T), n + e0)
    return 0.0 if a > 28.0 else y  # NaN passes


@njit(**_JIT_INLINE)
def erf_f64(x):
    """Error function, bit-identical to fa_erf_f64 (fa_math.h)."""
    x = np.float64(x)
    ux = _d2u(x)
    sign = ux & _SIGN_MASK
    a = _u2d(ux ^ sign)
    z = x * x
    p = _P10
    p = p * z - _P9
    p = p * z + _P8
    p = p * z - _P7
    p = p * z + _P6
    p = p * z - _P5
    p = p * z + _P4
    p = p * z - _P3
    p = p * z + _P2
    p = p * z - _P1
    ys = x + x * (p * z + _P0)
    ys = x * _TWO_OVER_SQRTPI if a < _P_M1000 else ys
    yb = _u2d(_d2u(1.0 - _erfc_core(a, 0.0, 0.0)) | sign)
    return ys if a < 0.84375 else yb


@njit(**_JIT_INLINE)
def erfc_f64(x):
    """Complementary error function, bit-identical to fa_erfc_f64 (fa_math.h)."""
    x = np.float64(x)
    a = _u2d(_d2u(x) & _ABS_MASK)
    y = _erfc_core(a, 0.0, 0.0)
    return 2.0 - y if x < 0.0 else y


@njit(**_JIT_INLINE)
def ncdf_f64(x):
    """Standard normal CDF Phi(x) = erfc(-x/sqrt 2)/2, bit-identical to fa_ncdf_f64 (fa_math.h)."""
    x = np.float64(x)
    xa = _u2d(_d2u(x) & _ABS_MASK)
    ah = xa * _RS2_C12
    x1 = _hi26(xa)
    x2 = xa - x1
    al = ((((x1 * _RS2_C1 - ah) + x1 * _RS2_C2) + x2 * _RS2_C1) + x2 * _RS2_C2) - xa * _RS2_C3
    y = _erfc_core(ah, al, -1.0)  # Phi(-|x|)
    return y if x < 0.0 else 1.0 - y


@njit(**_JIT_INLINE)
def npdf_f64(x):
    """Standard normal density phi(x) = e^(-x^2/2)/sqrt(2 pi), bit-identical to fa_npdf_f64 (fa_math.h)."""
    x = np.float64(x)
    xa = _u2d(_d2u(x) & _ABS_MASK)
    h = _hi26(xa)
    r, T, n = _expneg(0.5 * (h * h), 0.5 * ((xa - h) * (xa + h)))
    y = _ldexp(_mul_exp(_ISQ2PI_H, _ISQ2PI_L, r, T), n)
    return 0.0 if xa > 40.0 else y  # phi(40) < 2^-1154; NaN passes


@njit(**_JIT_INLINE)
def erf_f32(x):
    """fa_erf_f32: (float)fa_erf_f64((double)x)."""
    return np.float32(erf_f64(np.float64(x)))


@njit(**_JIT_INLINE)
def erfc_f32(x):
    """fa_erfc_f32: (float)fa_erfc_f64((double)x)."""
    return np.float32(erfc_f64(np.float64(x)))


_F_INV_SQRT_2PI = _f("0x1.988454p-2")
_F15, _F5 = np.float32(15.0), np.float32(5.0)
_UABS_F = np.uint64(0x7FFFFFFF)
_FR = tuple(_f(h) for h in ("-0x1.03e6ap-15", "0x1.4e052ap-13", "0x1.b48356p-13", "-0x1.39b922p-9",
                            "0x1.26abd4p-7", "-0x1.7f9034p-6", "0x1.8807d4p-5", "-0x1.4b4d26p-4",
                            "0x1.db6afap-4", "-0x1.25cd12p-3", "0x1.3b0fbcp-4"))
_FR10, _FR9, _FR8, _FR7, _FR6, _FR5, _FR4, _FR3, _FR2, _FR1, _FR0 = _FR


@njit(**_NOFAST)
def _exp2parts_f32(hi, lo):
    """fa_i_exp2parts_f32: e^(hi + lo) as (m, s), m normal, s a power of 2."""
    n = _roundf(hi * _F_INV_LN2)
    r = _fmaf(n, -_F_LN2_HI, hi)
    r = _fmaf(n, -_F_LN2_LO, r) + lo
    p = _F1 + _expm1_polyf(r)
    n1 = _roundf(n * _F05)
    return p * _pow2if(n1), _pow2if(n - n1)


@njit(**_JIT_INLINE)
def expsub_f32(a, b):
    """fa_expsub_f32: e^(a - b) with the difference carried exactly (TwoSum)."""
    hi = a - b
    bb = hi - a
    lo = (a - (hi - bb)) - (b + bb)
    m, s = _exp2parts_f32(hi, lo)
    y = m * s
    y = _F_INF if hi > _F150 else y
    return _F0 if hi < -_F150 else y


@njit(**_JIT_INLINE)
def expsub_f64(a, b):
    """fa_expsub_f64: e^(a - b)."""
    return exp_f64(a - b)


@njit(**_NOFAST)
def _expnhsq_f32(x):
    """fa_i_expnhsq_f32: exp(-x^2/2) in float as (m, s), m normal, s a power of 2."""
    h = x * x
    lo = _fmaf(x, x, -h)
    return _exp2parts_f32(-_F05 * h, -_F05 * lo)


@njit(**_JIT_INLINE)
def npdf_f32(x):
    """fa_npdf_f32: the standard normal density in float."""
    m, s = _expnhsq_f32(x)
    y = (m * _F_INV_SQRT_2PI) * s
    return _F0 if _u2f(_f2u(x) & _UABS_F) > _F15 else y


@njit(**_JIT_INLINE)
def _ncdf_lower_f32(a):
    """fa_i_ncdf_lower_f32: Q(a) as (m, s) (Mills-ratio polynomial)."""
    t = (a - _F5) / (a + _F5)
    R = _fmaf(_FR10, t, _FR9)
    R = _fmaf(R, t, _FR8)
    R = _fmaf(R, t, _FR7)
    R = _fmaf(R, t, _FR6)
    R = _fmaf(R, t, _FR5)
    R = _fmaf(R, t, _FR4)
    R = _fmaf(R, t, _FR3)
    R = _fmaf(R, t, _FR2)
    R = _fmaf(R, t, _FR1)
    R = _fmaf(R, t, _FR0)
    m, s = _expnhsq_f32(a)
    return m * R, s


@njit(**_JIT_INLINE)
def ncdf_f32(x):
    """fa_ncdf_f32: the standard normal CDF in float."""
    a = _u2f(_f2u(x) & _UABS_F)
    qm, s = _ncdf_lower_f32(a)
    q = qm * s
    q = _F0 if a > _F15 else q
    return q if x < _F0 else _F1 - q


@njit(**_JIT_INLINE)
def xncdf_f32(x):
    """fa_xncdf_f32: x Phi(x) in float, rounded once into subnormals."""
    a = _u2f(_f2u(x) & _UABS_F)
    qm, s = _ncdf_lower_f32(a)
    q = _F0 if a > _F15 else qm * s
    neg = x * _F0 if a > _F15 else (x * qm) * s
    return neg if x < _F0 else x * (_F1 - q)


@njit(**_JIT_INLINE)
def xncdf_f64(x):
    """fa_xncdf_f64: x Phi(x)."""
    return x * ncdf_f64(x)
