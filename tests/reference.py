"""Independent references: each activation and its derivative written from the
textbook definition, NOT from fastact's registry formulas.

Every function takes a namespace ``m`` and arrays: with ``NP`` they compute in
float64 NumPy (fast; accurate enough to grade float32 to a small fraction of a
ULP), with ``MP`` on object arrays of mpmath numbers at 40 digits (to grade
float64). Parameters arrive already rounded to the kernel's dtype, as PyTorch
casts them.
"""

from __future__ import annotations

import mpmath
import numpy as np
import scipy.special

mpmath.mp.dps = 40


class NP:
    exp, expm1, log1p, log, tanh, cosh, sqrt = np.exp, np.expm1, np.log1p, np.log, np.tanh, np.cosh, np.sqrt
    where, abs = staticmethod(np.where), staticmethod(np.abs)
    erfc = staticmethod(scipy.special.erfc)

    @staticmethod
    def arr(v):
        return np.asarray(v, dtype=np.float64)

    @staticmethod
    def num(v):
        return float(v)


def _mp1(f):
    return np.frompyfunc(f, 1, 1)


def _mp_log1p(v):
    return mpmath.log1p(v) if v > -1 else (mpmath.mpf("-inf") if v == -1 else mpmath.mpf("nan"))


class MP:
    exp, expm1, log1p, tanh = _mp1(mpmath.exp), _mp1(mpmath.expm1), _mp1(_mp_log1p), _mp1(mpmath.tanh)
    cosh, sqrt = _mp1(mpmath.cosh), _mp1(lambda v: mpmath.sqrt(v) if v >= 0 else mpmath.mpf("nan"))
    erfc = _mp1(lambda v: mpmath.erfc(v) if abs(v) < 1e6 else mpmath.mpf(0 if v > 0 else 2))  # mpmath overflows
    log = _mp1(lambda v: mpmath.log(v) if v >= 0 else mpmath.mpf("nan"))
    abs = staticmethod(np.abs)

    @staticmethod
    def where(c, a, b):
        c = np.asarray(c, dtype=bool)
        a, b = np.broadcast_to(np.asarray(a, dtype=object), c.shape), np.broadcast_to(np.asarray(b, dtype=object), c.shape)
        return np.where(c, a, b)

    @staticmethod
    def arr(v):
        return np.array([mpmath.mpf(float(t)) for t in np.ravel(v)], dtype=object).reshape(np.shape(v))

    @staticmethod
    def num(v):
        return mpmath.mpf(float(v))


def _isnan(x):
    return np.array([t != t for t in np.ravel(x)], dtype=bool).reshape(np.shape(x))


SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"


def _c(m, text):
    return mpmath.mpf(text) if m is MP else float(text)


# name -> (forward(x, m, **p), derivative(x, m, **p)); derivative is df/dx
def _sigmoid(x, m):
    return 1 / (1 + m.exp(-x))


def _softplus(x, m, beta, threshold):
    z = x * beta
    return m.where(z > threshold, x, m.log1p(m.exp(m.where(z > threshold, 0, z))) / beta)


def _sp_grad(x, m, beta, threshold):
    z = x * beta
    return m.where(z > threshold, 1, _sigmoid(m.where(z > threshold, 0, z), m))


def _logistic(t, m):
    return 1 / (1 + m.exp(-t))


GELU_C = "0.79788456080286535587989211986876"  # sqrt(2/pi)


def _gelu_tanh(x, m):
    u = _c(m, GELU_C) * (x + _c(m, "0.044715") * x ** 3)
    return x * _logistic(2 * u, m)  # 0.5 (1 + tanh u) = logistic(2u)


def _gelu_tanh_grad(x, m):
    u = _c(m, GELU_C) * (x + _c(m, "0.044715") * x ** 3)
    s = _logistic(2 * u, m)
    du = _c(m, GELU_C) * (1 + 3 * _c(m, "0.044715") * x ** 2)
    return m.where(m.abs(x) < 1e10, s + x * s * (1 - s) * 2 * du, s)


def _gelu(x, m):
    return x * m.erfc(-x / m.sqrt(m.arr(2.0) if m is NP else mpmath.mpf(2))) / 2


def _gelu_grad(x, m):
    r2 = np.sqrt(2.0) if m is NP else mpmath.sqrt(2)
    r2pi = np.sqrt(2 * np.pi) if m is NP else mpmath.sqrt(2 * mpmath.pi)
    with np.errstate(all="ignore"):
        d = m.erfc(-x / r2) / 2 + x * m.exp(-x * x / 2) / r2pi
    return m.where(m.abs(x) == np.inf, m.where(x > 0, 1, 0), d)


def _mish_grad(x, m):
    t = m.tanh(m.log1p(m.exp(x)))
    return m.where(m.abs(x) < 1e10, t + x * (1 - t * t) * _logistic(x, m), m.where(x > 0, 1, 0))


def _squareplus(x, m, b, deriv):
    """(x + sqrt(x^2 + b)) / 2 and its derivative; for x < 0 the algebraically equal
    b / (2 (sqrt(x^2 + b) - x)) forms, since the textbook ones cancel."""
    xn = m.where(x < 0, x, -1)  # keep the unused branch finite
    xp = m.where(x >= 0, x, 1)
    qn, qp = m.sqrt(xn * xn + b), m.sqrt(xp * xp + b)
    if deriv:
        pos, neg, at_inf = (1 + xp / qp) / 2, b / (2 * qn * (qn - xn)), m.where(x > 0, 1, 0)
    else:
        pos, neg, at_inf = (xp + qp) / 2, b / (2 * (qn - xn)), m.where(x > 0, x, 0)
    return m.where(m.abs(x) == np.inf, at_inf, m.where(x >= 0, pos, neg))


REFS = {
    "identity": (lambda x, m: x, lambda x, m: m.where(x == x, 1, 1)),
    "binary_step": (lambda x, m: m.where(x >= 0, 1, 0), lambda x, m: m.where(x == x, 0, 0)),
    "relu": (lambda x, m: m.where(x > 0, x, 0), lambda x, m: m.where(x > 0, 1, 0)),
    "leaky_relu": (lambda x, m, negative_slope: m.where(x > 0, x, negative_slope * x),
                   lambda x, m, negative_slope: m.where(x > 0, 1, negative_slope)),
    "relu6": (lambda x, m: m.where(x > 6, 6, m.where(x > 0, x, 0)),
              lambda x, m: m.where((x > 0) & (x < 6), 1, 0)),
    "hardtanh": (lambda x, m, min_val, max_val: m.where(x > max_val, max_val, m.where(x < min_val, min_val, x)),
                 lambda x, m, min_val, max_val: m.where((x > min_val) & (x < max_val), 1, 0)),
    "sigmoid": (_sigmoid, lambda x, m: _sigmoid(x, m) * _sigmoid(-x, m)),
    "tanh": (lambda x, m: m.tanh(x), lambda x, m: 1 / m.cosh(x) ** 2),
    "elu": (lambda x, m, alpha: m.where(x > 0, x, alpha * m.expm1(m.where(x > 0, 0, x))),
            lambda x, m, alpha: m.where(x > 0, 1, alpha * m.exp(m.where(x > 0, 0, x)))),
    "selu": (lambda x, m: _c(m, SELU_SCALE) * m.where(x > 0, x, _c(m, SELU_ALPHA) * m.expm1(m.where(x > 0, 0, x))),
             lambda x, m: _c(m, SELU_SCALE) * m.where(x > 0, 1, _c(m, SELU_ALPHA) * m.exp(m.where(x > 0, 0, x)))),
    "softplus": (_softplus, _sp_grad),
    "softsign": (lambda x, m: m.where(m.abs(x) == np.inf, m.where(x > 0, 1, -1), x / (1 + m.abs(x))),
                 lambda x, m: 1 / (1 + m.abs(x)) ** 2),
    "clipped_relu": (lambda x, m, max_value: m.where(x > max_value, max_value, m.where(x > 0, x, 0)),
                     lambda x, m, max_value: m.where((x > 0) & (x < max_value), 1, 0)),
    "celu": (lambda x, m, alpha: m.where(x > 0, x, alpha * m.expm1(m.where(x > 0, 0, x) / alpha)),
             lambda x, m, alpha: m.where(x > 0, 1, m.exp(m.where(x > 0, 0, x) / alpha))),
    "threshold": (lambda x, m, threshold, value: m.where(x > threshold, x, value),
                  lambda x, m, threshold, value: m.where(x > threshold, 1, 0)),
    "gelu_tanh": (_gelu_tanh, _gelu_tanh_grad),
    "gelu": (_gelu, _gelu_grad),
    "quick_gelu": (lambda x, m: x * _logistic(_c(m, "1.702") * x, m),
                   lambda x, m: m.where(m.abs(x) < 1e10, _logistic(_c(m, "1.702") * x, m) * (
                       1 + _c(m, "1.702") * x * (1 - _logistic(_c(m, "1.702") * x, m))),
                       _logistic(_c(m, "1.702") * x, m))),
    "silu": (lambda x, m: x * _logistic(x, m),
             lambda x, m: m.where(m.abs(x) < 1e10, _logistic(x, m) * (1 + x * (1 - _logistic(x, m))),
                                  _logistic(x, m))),
    "hardswish": (lambda x, m: m.where(x + 3 > 6, x, m.where(x + 3 > 0, x * (x + 3) / 6, 0)),
                  lambda x, m: m.where(x < -3, 0, m.where(x <= 3, x / 3 + _c(m, "0.5"), 1))),
    "hardsigmoid": (lambda x, m: m.where(x + 3 > 6, 6, m.where(x + 3 > 0, x + 3, 0)) / 6,
                    lambda x, m: m.where((x > -3) & (x < 3), 1 / _c(m, "6"), 0)),
    "mish": (lambda x, m: x * m.tanh(m.log1p(m.exp(x))), _mish_grad),
    "logsigmoid": (lambda x, m: m.where(x < 0, x - m.log1p(m.exp(m.where(x < 0, x, 0))),
                                        -m.log1p(m.exp(-m.where(x < 0, 0, x)))),
                   lambda x, m: 1 / (1 + m.exp(x))),
    # below 1e-5 the textbook form cancels even at 40 digits: three Taylor terms are exact there
    "tanhshrink": (lambda x, m: m.where(m.abs(x) < 1e-5, x ** 3 / 3 - 2 * x ** 5 / 15 + 17 * x ** 7 / 315,
                                        x - m.tanh(x)),
                   lambda x, m: m.tanh(x) ** 2),
    "hardshrink": (lambda x, m, lambd: m.where((x >= -lambd) & (x <= lambd), 0, x),
                   lambda x, m, lambd: m.where((x >= -lambd) & (x <= lambd), 0, 1)),
    "softshrink": (lambda x, m, lambd: m.where(x > lambd, x - lambd, m.where(x < -lambd, x + lambd, 0)),
                   lambda x, m, lambd: m.where((x >= -lambd) & (x <= lambd), 0, 1)),
    "squareplus": (lambda x, m, b: _squareplus(x, m, b, 0), lambda x, m, b: _squareplus(x, m, b, 1)),
    "sparse_plus": (lambda x, m: m.where(x <= -1, 0, m.where(x >= 1, x, (x + 1) ** 2 / 4)),
                    lambda x, m: m.where(x <= -1, 0, m.where(x >= 1, 1, (x + 1) / 2))),
    "squared_relu": (lambda x, m: m.where(x > 0, x * x, 0), lambda x, m: m.where(x > 0, 2 * x, 0)),
}

# references that lose precision in float64 (cancellation): graded against mpmath for float32 too
NEEDS_MPMATH = {"tanhshrink", "squareplus"}


def softmax_rows(x: np.ndarray, m=MP):
    """Row-wise softmax (last axis) of a float array, exact in mpmath."""
    xs = m.arr(x)
    out = np.empty(xs.shape, dtype=object)
    for idx in np.ndindex(xs.shape[:-1]):
        row = xs[idx]
        e = m.exp(row - max(row))
        out[idx] = e / sum(e)
    return out


def log_softmax_rows(x: np.ndarray, m=MP):
    xs = m.arr(x)
    out = np.empty(xs.shape, dtype=object)
    for idx in np.ndindex(xs.shape[:-1]):
        row = xs[idx]
        mx = max(row)
        out[idx] = row - mx - mpmath.log(sum(m.exp(row - mx)))
    return out


def ulp_error(got: np.ndarray, ref, dtype) -> np.ndarray:
    """|got - ref| in units of the last place of dtype at ref (ref: float64 or mpf objects).

    Where ref (rounded to dtype) is ±inf or NaN, the error is 0 if got is the
    same and inf otherwise."""
    with np.errstate(all="ignore"):
        return _ulp_error(got, ref, np.dtype(dtype))


def _ulp_error(got, ref, dtype):
    got = np.asarray(got, dtype=dtype).ravel()
    refo = np.asarray(ref).ravel()
    ref_d = np.array([float(v) for v in refo], dtype=np.float64).astype(dtype) if refo.dtype == object \
        else refo.astype(np.float64).astype(dtype)
    out = np.zeros(got.shape, dtype=np.float64)
    special = ~np.isfinite(ref_d)
    same = (got == ref_d) | (np.isnan(got) & np.isnan(ref_d))
    out[special & ~same] = np.inf
    fin = ~special
    spacing = np.spacing(np.abs(ref_d[fin])).astype(np.float64)
    if refo.dtype == object:
        diff = np.array([abs(mpmath.mpf(float(g)) - r) for g, r in zip(got[fin], refo[fin], strict=True)], dtype=object)
        out[fin] = np.array([float(d) for d in diff]) / spacing
    else:
        with np.errstate(invalid="ignore"):
            out[fin] = np.abs(got[fin].astype(np.float64) - refo[fin].astype(np.float64)) / spacing
    out[fin & ~np.isfinite(got)] = np.inf
    return out


# GLU family: name -> (f(a, b), df/da, df/db), params rounded to the dtype by the caller
def _silu(x, m):
    return x * _logistic(x, m)


def _d_silu(x, m):
    s = _logistic(x, m)
    return s * (1 + x * (1 - s))


def _cswiglu(a, b, m, limit, alpha):
    ac = m.where(a > limit, limit, a)
    bc = m.where(b > limit, limit, m.where(b < -limit, -limit, b))
    s = _logistic(alpha * ac, m)
    return ac * s * (bc + 1), m.where(a >= limit, 0, (s + alpha * ac * s * (1 - s)) * (bc + 1)), \
        m.where((b >= limit) | (b <= -limit), 0, ac * s)


GATED_REFS = {
    "glu": (lambda a, b, m: a * _logistic(b, m), lambda a, b, m: _logistic(b, m),
            lambda a, b, m: a * _logistic(b, m) * (1 - _logistic(b, m))),
    "geglu_tanh": (lambda a, b, m: _gelu_tanh(a, m) * b, lambda a, b, m: b * _gelu_tanh_grad(a, m),
                   lambda a, b, m: _gelu_tanh(a, m)),
    "geglu": (lambda a, b, m: _gelu(a, m) * b, lambda a, b, m: b * _gelu_grad(a, m), lambda a, b, m: _gelu(a, m)),
    "reglu": (lambda a, b, m: m.where(a > 0, a, 0) * b, lambda a, b, m: m.where(a > 0, b, 0),
              lambda a, b, m: m.where(a > 0, a, 0)),
    "swiglu": (lambda a, b, m: _silu(a, m) * b, lambda a, b, m: b * _d_silu(a, m), lambda a, b, m: _silu(a, m)),
    "clamped_swiglu": (lambda a, b, m, limit, alpha: _cswiglu(a, b, m, limit, alpha)[0],
                       lambda a, b, m, limit, alpha: _cswiglu(a, b, m, limit, alpha)[1],
                       lambda a, b, m, limit, alpha: _cswiglu(a, b, m, limit, alpha)[2]),
}
