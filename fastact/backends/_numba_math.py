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
  * ``(v + 0x1.8p52) - 0x1.8p52`` is not folded by LLVM without fastmath.

The float32 versions compute in double and round once, like the C ``fa_*_f32``.
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

_JIT = dict(error_model="numpy")


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


@njit
def _round(v):
    """fa_i_round: round to nearest (ties to even) for |v| < 2^51."""
    return (v + _MAGIC) - _MAGIC


@njit
def _pow2i(k):
    """fa_i_pow2i: 2^k for an integral double k in [-1022, 1023]."""
    return _u2d(_d2u(k + _MAGIC_BIAS) << _U52)


@njit
def _expm1_tail(r):
    """fa_i_expm1_tail: expm1(r) - r for |r| <= ~0.3472."""
    h = _E10
    h = h * r + _E9
    h = h * r + _E8
    h = h * r + _E7
    h = h * r + _E6
    h = h * r + _E5
    h = h * r + _E4
    h = h * r + _E3
    h = h * r + _E2
    h = h * r + _E1
    h = h * r + _E0
    return (r * r) * h


@njit
def _log_tail(s, hfsq):
    """fa_i_log_tail: log(1+f) - f + f*f/2 from s = f/(2+f) and hfsq = f*f/2."""
    z = s * s
    R = _L7
    R = R * z + _L6
    R = R * z + _L5
    R = R * z + _L4
    R = R * z + _L3
    R = R * z + _L2
    R = R * z + _L1
    R = R * z
    return s * (hfsq + R)


@njit
def _log_split(u):
    """fa_i_log_split: (m, k) with u = 2^k * m, m in [sqrt(1/2), sqrt(2)), k an integral double."""
    iu = _d2u(u) + _LOG_OFF
    k = _u2d((iu >> _U52) | _EXP_P52) - _P52_BIAS
    m = _u2d((iu & _MANT_MASK) + _SQRT_HALF_BITS)
    return m, k


@njit
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

@njit
def exp_f64(x):
    """e^x, bit-identical to fa_exp_f64 (fa_math.h)."""
    x = np.float64(x)
    xc = 710.0 if x > 710.0 else x  # NaN passes through
    xc = -746.0 if xc < -746.0 else xc
    n = _round(xc * _INV_LN2)
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 + (r + _expm1_tail(r))
    n1 = _round(n * 0.5)
    n2 = n - n1
    return (p * _pow2i(n1)) * _pow2i(n2)


@njit
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


# ---- float32: computed in double, rounded once -----------------------------------------

@njit
def exp_f32(x):
    """fa_exp_f32: (float)fa_exp_f64((double)x)."""
    return np.float32(exp_f64(np.float64(x)))


@njit
def expm1_f32(x):
    """fa_expm1_f32: (float)fa_expm1_f64((double)x)."""
    return np.float32(expm1_f64(np.float64(x)))


@njit
def log1p_f32(x):
    """fa_log1p_f32: (float)fa_log1p_f64((double)x)."""
    return np.float32(log1p_f64(np.float64(x)))


@njit
def log_f32(x):
    """fa_log_f32: (float)fa_log_f64((double)x)."""
    return np.float32(log_f64(np.float64(x)))


@njit
def tanh_f32(x):
    """fa_tanh_f32: (float)fa_tanh_f64((double)x)."""
    return np.float32(tanh_f64(np.float64(x)))


# ---- the counter-based generator of fastact_c/src/fa_random.h (dropout, rrelu) ----------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@njit(error_model="numpy")
def mix64(z):
    """fa_mix64: SplitMix64's finalizer (uint64 arithmetic wraps)."""
    z = np.uint64(z)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(error_model="numpy")
def uniform24(key, counter):
    """fa_uniform24: 24 random bits of mix64(key + (counter + 1) * golden) as a double in [0, 1)."""
    h = mix64(np.uint64(key) + (np.uint64(counter) + np.uint64(1)) * _GOLDEN)
    return np.float64(np.int32(h >> np.uint64(40))) * 5.9604644775390625e-08
