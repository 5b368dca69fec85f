"""The math source (fastact/_math.py) on every target: accuracy, special values, and bit-identity.

tools/gen.py generates fastact_c/src/fa_math.h (C) and fastact/backends/_math_gen.py (Numba CPU,
CUDA, plain Python) from the one source. test_every_function_* compare every function of the C
header (compiled here into a small shared library) with the Numba CPU build, and the plain-Python
build (the CUDA simulator's) with the Numba one, bit for bit. The C functions are also reached
through activation kernels of the native backend whose formula reduces *exactly* to the function
(or to an exact expression of it that is evaluated here with the same IEEE operations):

  tanh               fastact.tanh(x)                           = tanh(x)
  expm1 (x <= 0)     fastact.elu(x, alpha=1)                   = 1 * expm1(x)
  exp   (x <= 0)     fastact.elu_backward(1, x, alpha=1)       = 1 * (1 * exp(x))
  exp   (any x)      fastact.log_softmax_backward(dy=[1, 0], y=[0, x])[1]
                                                               = 0 - exp(x) * (1 + 0)
  log1p (0..1]       fastact.softplus(x < 0, beta=1, threshold=inf)
                                                               = (0 + log1p(exp(x))) / 1
  log1p (0..k]       fastact.log_softmax([0]*k + [b])[0]       = 0 - log1p((k - 1) + exp(b))
                     (the sum of exp(x - max) holds one nonzero term, so it is exact in any order)

log, log1p on (-1, 0) and expm1 on x > 0 are not exposed by any kernel: they are checked
against mpmath to within 1 ULP (the C header's bound; max measured 0.80-0.91 ULP). The float32
functions run in float32 with FMAs: checked against the float64 ones within their measured
bounds (F32_ULP) and, through the kernels above, bit for bit against C.

erf, erfc, ncdf, npdf: against mpmath within 1 ULP and special values; ncdf, npdf and xncdf
also through the exact GELU: fastact.gelu(x) = xncdf(x) = x * ncdf(x) and
gelu_backward(1, x) = ncdf(x) + x * npdf(x), native and numba backends bit for bit.
"""

import ctypes
import math
import shutil
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest
from numba import njit

import fastact
from fastact import _registry
from fastact.backends import _math_gen as M
from fastact.backends import _mathlang

NAMES = ("exp", "expm1", "log", "log1p", "tanh")
N = 100_000
_loops = {}


def apply(fname, x):
    """fname (e.g. "exp_f64") applied elementwise by a compiled Numba loop."""
    loop = _loops.get(fname)
    if loop is None:
        fn = getattr(M, fname)

        @njit
        def loop(x, y):
            for i in range(x.size):
                y[i] = fn(x[i])

        _loops[fname] = loop
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    loop(x, y)
    return y


def apply2(fname, a, b):
    """fname(a[i], b[i]) elementwise by a compiled Numba loop."""
    loop = _loops.get(fname)
    if loop is None:
        fn = getattr(M, fname)

        @njit
        def loop(a, b, y):
            for i in range(a.size):
                y[i] = fn(a[i], b[i])

        _loops[fname] = loop
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    y = np.empty_like(a)
    loop(a, b, y)
    return y


def assert_bits_equal(got, want, x):
    """Bit-identical, NaN payloads aside."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    it = np.uint64 if got.dtype == np.float64 else np.uint32
    bad = (got.view(it) != want.view(it)) & ~(np.isnan(got) & np.isnan(want))
    if bad.any():
        i = np.flatnonzero(bad)[:5]
        ex = [(float(x.flat[j]).hex(), float(got.flat[j]).hex(), float(want.flat[j]).hex()) for j in i]
        pytest.fail(f"{bad.sum()} of {bad.size} differ; (x, numba, C): {ex}")


def _neighbors(values, dtype, k=20):
    it = np.int64 if dtype == np.float64 else np.int32
    b = np.asarray(values, dtype).view(it)
    return (b[:, None] + np.arange(-k, k + 1, dtype=it)[None, :]).ravel().view(dtype)


_LN2 = math.log(2.0)
_EDGES = [0.0, 709.782712893384, -745.1332191019411, -708.3964185322641, 709.8, 710.0, -746.0, -40.0,
          -37.4, -1.0, 22.0, 19.06, 1.0, 0.5, 2.0, _LN2 / 2, _LN2, 2.0 ** -1022, 5e-324, 2.0 ** -26,
          2.0 ** -53, 2.0 ** 53, 1.7976931348623157e308, 53.5 * _LN2, 1023.5 * _LN2, 88.72, -103.97]
_SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 2.0 ** -1022, -(2.0 ** -1022),
             1.7976931348623157e308, -1.7976931348623157e308, 1.0, -1.0, 2.0, -2.0]


def inputs(dtype, seed):
    """~N inputs: random bit patterns, log-uniform magnitudes, the main ranges, range edges
    and reduction boundaries with their neighbors, special values."""
    rng = np.random.default_rng(seed)
    it, nbits = (np.uint64, 64) if dtype == np.float64 else (np.uint32, 32)
    n = N // 5
    sign = rng.choice([-1.0, 1.0], n)
    edges = _EDGES + [(k + 0.5) * _LN2 for k in range(-1080, 1030, 7)]
    with np.errstate(over="ignore"):
        parts = [rng.integers(0, 2 ** nbits, n, dtype=np.uint64).astype(it).view(dtype),
                 (sign * 2.0 ** rng.uniform(-1074, 1024, n)).astype(dtype),
                 rng.uniform(-750, 720, n).astype(dtype), rng.uniform(-45, 45, n).astype(dtype),
                 (sign * 2.0 ** rng.uniform(-60, 2, n)).astype(dtype),
                 _neighbors(edges + [-v for v in edges], dtype), np.array(_SPECIALS, dtype)]
    return np.concatenate(parts)


DTYPES = [pytest.param(np.float64, id="f64"), pytest.param(np.float32, id="f32")]


def sfx(dtype):
    return "f64" if dtype == np.float64 else "f32"


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_bits(dtype):
    x = inputs(dtype, 1)
    assert_bits_equal(apply(f"tanh_{sfx(dtype)}", x), fastact.tanh(x, backend="native"), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_expm1_nonpositive_bits(dtype):
    x = inputs(dtype, 2)
    x = x[~(x > 0)]  # elu returns x itself for x > 0; NaN kept
    assert_bits_equal(apply(f"expm1_{sfx(dtype)}", x), fastact.elu(x, alpha=1.0, backend="native"), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_nonpositive_bits(dtype):
    x = inputs(dtype, 3)
    x = x[~(x > 0)]  # elu_backward returns dy for x > 0
    want = fastact.elu_backward(np.ones_like(x), x, alpha=1.0, backend="native")
    assert_bits_equal(apply(f"exp_{sfx(dtype)}", x), want, x)


def test_exp_any_bits():
    x = inputs(np.float64, 4)
    dy = np.zeros((x.size, 2))
    dy[:, 0] = 1.0
    y = np.zeros((x.size, 2))
    y[:, 1] = x
    dx = fastact.log_softmax_backward(dy, y=y, axis=-1, backend="native")[:, 1]
    assert_bits_equal(0.0 - apply("exp_f64", x) * 1.0, dx, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1p_of_exp_bits(dtype):
    x = inputs(dtype, 5)
    x = x[~(x > 0)]
    want = fastact.softplus(x, beta=1.0, threshold=np.inf, backend="native")
    e = apply(f"exp_{sfx(dtype)}", x)
    assert_bits_equal(apply(f"log1p_{sfx(dtype)}", e), want, x)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 64, 1000])
def test_log1p_large_bits(k):
    """log1p((k - 1) + exp(b)): arguments up to k, exercising the k > 0 reduction and c/u term."""
    rng = np.random.default_rng(k)
    rows = max(2000, 40_000 // k)
    b = -(2.0 ** rng.uniform(-60, 9.6, rows))
    b[:4] = [-0.0, -np.inf, -5e-324, -745.0]
    x = np.zeros((rows, k + 1))
    x[:, k] = b
    got = fastact.log_softmax(x, axis=-1, backend="native")
    s1 = (k - 1.0) + (0.0 + apply("exp_f64", b))
    ls = apply("log1p_f64", s1)
    assert_bits_equal(0.0 - ls, got[:, 0], s1)
    assert_bits_equal(b - ls, got[:, k], s1)


# max ULP of the float32 functions over all 2^32 inputs (fa_math.h; tools/ulp_sweep): they run in
# float with FMAs; the float64 functions (<= 1.02 ULP in double) rounded to float are the reference
F32_ULP = {"exp": 1.04, "expm1": 1.55, "log": 0.88, "log1p": 0.85, "tanh": 1.43, "ncdf": 6.6, "npdf": 2.2}


def _f32_ulp(got, want):
    """|got - want| in float32 ULPs of want; 0 where both are the same inf/NaN/zero."""
    with np.errstate(invalid="ignore", over="ignore"):  # signaling NaNs in the cast
        g, w = got.astype(np.float64), want.astype(np.float64)
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
        err = np.where(same, 0.0, np.abs(g - w) / spacing)
    return np.where(np.isnan(err), np.inf, err)


@pytest.mark.parametrize("name", NAMES + ("ncdf", "npdf"))
def test_f32_within_bound_of_f64(name):
    """The float32 functions against the float64 ones rounded once: within F32_ULP (+ 0.5 for the
    rounding of the reference), with the
    same specials (inf/NaN/signed zero) and bit for bit the same results from scalar calls."""
    x = inputs(np.float32, 6)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        want = apply(f"{name}_f64", x.astype(np.float64)).astype(np.float32)
    got = apply(f"{name}_f32", x)
    err = _f32_ulp(got, want)
    i = int(np.argmax(err))
    assert err[i] <= F32_ULP[name] + 0.5, f"{name}_f32({x[i]!r}) = {got[i]!r}, want {want[i]!r}: {err[i]:.2f} ULP"
    assert np.array_equal(np.signbit(got[got == 0]), np.signbit(want[got == 0]))


# ---- not exposed by any kernel: against mpmath, within 1 ULP ---------------------------


def _ulp_error(got, x, ref):
    """max |got - ref(x)| in ULPs of the correctly rounded double result (subnormal ULPs below 2^-1022)."""
    worst = 0.0
    for g, v in zip(got.tolist(), x.tolist(), strict=True):
        with mpmath.workprec(120):  # local: other tests rely on reference.py's global precision
            r = ref(mpmath.mpf(v))
        rf = float(r)
        if rf == 0.0 or math.isinf(rf):
            err = 0.0 if g == rf else math.inf
        else:
            ulp = max(math.ldexp(1.0, math.frexp(rf)[1] - 53), 5e-324)
            err = float(abs(mpmath.mpf(g) - r) / ulp)
        worst = max(worst, err)
    return worst


@pytest.mark.parametrize("name, lo, hi, ref", [
    ("log", -1074, 1024, mpmath.log),
    ("log1p", -60, 0, lambda v: mpmath.log1p(-v)),  # argument -x: (-1, 0)
    ("expm1", -60, 9.47, mpmath.expm1),  # up to 2^9.47 ~ 709
])
def test_vs_mpmath(name, lo, hi, ref):
    rng = np.random.default_rng(7)
    x = 2.0 ** rng.uniform(lo, hi, 3000)
    if name == "log":
        x = np.concatenate([x, rng.uniform(0.5, 2.0, 1000), 1.0 + rng.uniform(-2e-8, 2e-8, 500),
                            rng.integers(1, 2 ** 52, 500, dtype=np.uint64).view(np.float64)])
    if name == "log1p":
        x = np.minimum(x, 1.0 - 2.0 ** -53)
        got = apply("log1p_f64", -x)
    else:
        got = apply(f"{name}_f64", x)
    assert _ulp_error(got, x, ref) <= 1.0


# ---- special values --------------------------------------------------------------------

_INF, _NAN = math.inf, math.nan
SPECIAL_CASES = {
    "exp": [(0.0, 1.0), (-0.0, 1.0), (_INF, _INF), (-_INF, 0.0), (_NAN, _NAN), (710.0, _INF),
            (-746.0, 0.0), (-800.0, 0.0), (800.0, _INF)],
    "expm1": [(0.0, 0.0), (-0.0, -0.0), (_INF, _INF), (-_INF, -1.0), (_NAN, _NAN), (709.8, _INF),
              (-40.0, -1.0), (5e-324, 5e-324), (-5e-324, -5e-324), (1e-300, 1e-300)],
    "log": [(0.0, -_INF), (-0.0, -_INF), (-1.0, _NAN), (-_INF, _NAN), (_INF, _INF), (_NAN, _NAN),
            (1.0, 0.0)],
    "log1p": [(0.0, 0.0), (-0.0, -0.0), (-1.0, -_INF), (-2.0, _NAN), (-_INF, _NAN), (_INF, _INF),
              (_NAN, _NAN), (5e-324, 5e-324), (-5e-324, -5e-324), (1e-300, 1e-300)],
    "tanh": [(0.0, 0.0), (-0.0, -0.0), (_INF, 1.0), (-_INF, -1.0), (_NAN, _NAN), (22.5, 1.0),
             (-22.5, -1.0), (5e-324, 5e-324), (-5e-324, -5e-324), (1e-300, 1e-300)],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_special_values(name, dtype):
    cases = SPECIAL_CASES[name]
    x = np.array([c[0] for c in cases], dtype)
    with np.errstate(over="ignore", under="ignore"):
        want = np.array([c[1] for c in cases], dtype)
    got = apply(f"{name}_{sfx(dtype)}", x)
    assert_bits_equal(got, want, x)
    # scalar calls from Python give the same bits as the compiled loop
    fn = getattr(M, f"{name}_{sfx(dtype)}")
    assert_bits_equal(np.array([fn(v) for v in x], dtype), got, x)


def test_nan_results_are_quiet_nans():
    x = np.array([np.nan, -np.nan, -5e-324, -1e-300, -2.0, -np.inf])
    assert np.isnan(apply("log_f64", x)).all()
    assert np.isnan(apply("log1p_f64", x[[0, 1, 4, 5]])).all()
    assert np.array(M.log_f64(-1.0)).view(np.uint64) == 0x7FF8000000000000
    assert np.array(M.log1p_f64(-2.0)).view(np.uint64) == 0x7FF8000000000000


# ---- erf, erfc, ncdf, npdf -------------------------------------------------------------

ERF_NAMES = ("erf", "erfc", "ncdf", "npdf")
_ERF_REF = {"erf": mpmath.erf, "erfc": mpmath.erfc,  # ncdf, npdf written out: faster than mpmath's
            "ncdf": lambda v: mpmath.erfc(-v / mpmath.sqrt(2)) / 2,
            "npdf": lambda v: mpmath.exp(-v * v / 2) / mpmath.sqrt(2 * mpmath.pi)}
# the lower ends of the ranges, where erfc, ncdf, npdf underflow (fa_math.h)
_ERF_TAIL = {"erf": (3.0, 6.0), "erfc": (26.0, 27.3), "ncdf": (-38.5, -37.0), "npdf": (37.5, 38.6)}


def _erf_points(name, seed, n=20_000):
    """n points: uniform [-1, 1], [-6, 6] and the whole range, log-uniform from 1e-320,
    the neighborhood of the erf switch at |x| = 0.84375, the underflow range."""
    rng = np.random.default_rng(seed)
    k = n // 8
    sign = rng.choice([-1.0, 1.0], k)
    lo, hi = {"erf": (-6.0, 6.0), "erfc": (-6.0, 27.3), "ncdf": (-38.5, 9.0), "npdf": (-38.6, 38.6)}[name]
    return np.concatenate([rng.uniform(-1, 1, k), rng.uniform(-6, 6, k), rng.uniform(lo, hi, k),
                           sign * 10.0 ** rng.uniform(-320, -4, k), sign * 10.0 ** rng.uniform(-4, 1.6, k),
                           sign * rng.uniform(0.80, 0.88, k), rng.uniform(*_ERF_TAIL[name], 2 * k)])


def _ulp_errors(got, x, ref):
    """|got - ref(x)| in ULPs of the correctly rounded double result; subnormal ULPs below
    2^-1022 (a result that rounds to 0 may be off by one subnormal ULP too)."""
    err = np.empty(x.size)
    for i, (g, v) in enumerate(zip(got.tolist(), x.tolist(), strict=True)):
        with mpmath.workprec(80):  # local, as in _ulp_error
            r = ref(mpmath.mpf(v))
        rf = float(r)
        ulp = max(math.ldexp(1.0, math.frexp(rf)[1] - 53), 5e-324) if rf != 0.0 else 5e-324
        err[i] = float(abs(mpmath.mpf(g) - r) / ulp)
    return err


@pytest.mark.parametrize("name", ERF_NAMES)
def test_erf_family_vs_mpmath(name):
    """Within 1 ULP of mpmath on 2e4 points (max measured in fa_math.h: 0.96 erf, 0.95 erfc,
    1.02 ncdf, 0.75 npdf; these points give at most 0.91)."""
    x = _erf_points(name, ERF_NAMES.index(name) + 11)
    err = _ulp_errors(apply(f"{name}_f64", x), x, _ERF_REF[name])
    i = int(np.argmax(err))
    assert err[i] <= 1.0, f"{name}({x[i]!r}): {err[i]:.3f} ULP"


_TWO_OVER_SQRTPI = float.fromhex("0x1.20dd750429b6dp+0")
_PHI0 = float.fromhex("0x1.9884533d43651p-2")  # 1/sqrt(2 pi) rounded
ERF_SPECIAL_CASES = {
    "erf": [(0.0, 0.0), (-0.0, -0.0), (_INF, 1.0), (-_INF, -1.0), (_NAN, _NAN), (6.0, 1.0), (-6.0, -1.0),
            (1e-300, 1e-300 * _TWO_OVER_SQRTPI), (-1e-300, -1e-300 * _TWO_OVER_SQRTPI), (5e-324, 5e-324),
            (-5e-324, -5e-324), (1e300, 1.0), (-1e300, -1.0)],
    "erfc": [(0.0, 1.0), (-0.0, 1.0), (_INF, 0.0), (-_INF, 2.0), (_NAN, _NAN), (27.5, 0.0), (28.0, 0.0),
             (40.0, 0.0), (-7.0, 2.0), (1e-300, 1.0), (-5e-324, 1.0), (1e300, 0.0), (-1e300, 2.0)],
    "ncdf": [(0.0, 0.5), (-0.0, 0.5), (_INF, 1.0), (-_INF, 0.0), (_NAN, _NAN), (-39.0, 0.0), (-40.0, 0.0),
             (-1e300, 0.0), (9.0, 1.0), (40.0, 1.0), (1e300, 1.0), (1e-300, 0.5), (-5e-324, 0.5)],
    "npdf": [(0.0, _PHI0), (-0.0, _PHI0), (_INF, 0.0), (-_INF, 0.0), (_NAN, _NAN), (39.0, 0.0), (-39.0, 0.0),
             (40.0, 0.0), (-41.0, 0.0), (1e300, 0.0), (-1e300, 0.0), (1e-300, _PHI0), (-5e-324, _PHI0)],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ERF_NAMES)
def test_erf_family_special_values(name, dtype):
    cases = ERF_SPECIAL_CASES[name]  # as float32, 1e-300 -> 0 and 1e300 -> inf: the results still hold
    with np.errstate(over="ignore", under="ignore"):
        x = np.array([c[0] for c in cases], dtype)
        want = np.array([c[1] for c in cases], dtype)
    got = apply(f"{name}_{sfx(dtype)}", x)
    assert_bits_equal(got, want, x)
    fn = getattr(M, f"{name}_{sfx(dtype)}")
    assert_bits_equal(np.array([fn(v) for v in x], dtype), got, x)


@pytest.mark.parametrize("name", ("erf", "erfc"))
def test_erf_family_f32_is_rounded_f64(name):
    x = inputs(np.float32, 8)
    with np.errstate(over="ignore", invalid="ignore"):
        want = apply(f"{name}_f64", x.astype(np.float64)).astype(np.float32)
    assert_bits_equal(apply(f"{name}_f32", x), want, x)


def _gelu_inputs(n=100_000, seed=9):
    """float64: the main ranges, both underflow ends, tiny and huge values, special values."""
    rng = np.random.default_rng(seed)
    k = n // 6
    sign = rng.choice([-1.0, 1.0], k)
    edges = [0.84375, 0.84375 * math.sqrt(2.0), 28.0 * math.sqrt(2.0), 38.485, 38.58, 40.0, 4.0 * math.sqrt(2.0)]
    return np.concatenate([rng.uniform(-6, 6, k), rng.uniform(-40, 10, k), sign * 10.0 ** rng.uniform(-320, 2, k),
                           rng.uniform(-39.7, -37.0, k), rng.uniform(-1.5, 1.5, k),
                           rng.integers(0, 2 ** 64, n - 5 * k - 41 * 2 * len(edges) - len(_SPECIALS),
                                        dtype=np.uint64).view(np.float64),
                           _neighbors(edges + [-v for v in edges], np.float64), np.array(_SPECIALS)])


@pytest.mark.skipif("gelu" not in _registry.BY_NAME, reason="no exact gelu in the registry")
def test_gelu_native_vs_numba_bits():
    """x * ncdf(x) and ncdf(x) + x * npdf(x): the numba port against the C library."""
    x = _gelu_inputs()
    assert x.size == 100_000
    assert_bits_equal(fastact.gelu(x, backend="numba"), fastact.gelu(x, backend="native"), x)
    dy = np.ones_like(x)
    assert_bits_equal(fastact.gelu_backward(dy, x, backend="numba"),
                      fastact.gelu_backward(dy, x, backend="native"), x)
    with np.errstate(over="ignore", invalid="ignore"):
        x32 = x.astype(np.float32)
    assert_bits_equal(fastact.gelu(x32, backend="numba"), fastact.gelu(x32, backend="native"), x32)


def test_jit_options():
    """Every function sets fastmath=False itself (Numba would otherwise compile it with the
    first caller's fastmath and keep that version for all callers) and is forceinline (the erf
    family is too large for LLVM's inliner: a loop calling it would not vectorize)."""
    from numba.core.registry import CPUDispatcher

    funcs = {k: v for k, v in vars(M).items() if isinstance(v, CPUDispatcher)}
    assert {f"{n}_{s}" for n in NAMES + ERF_NAMES for s in ("f64", "f32")} <= funcs.keys()
    for k, f in funcs.items():
        assert f.targetoptions.get("fastmath") is False, k
    for k in ["_hi26", "_expneg", "_mul_exp", "_ldexp", "_erfc_core"] + [f"{n}_{s}" for n in ERF_NAMES
                                                                          for s in ("f64", "f32")]:
        assert funcs[k].targetoptions.get("forceinline") is True, k
        assert funcs[k].targetoptions.get("error_model") == "numpy", k


# ---- every function: C, Numba CPU and plain Python, bit for bit ---------------------------

_SRC = Path(__file__).resolve().parent.parent / "fastact_c" / "src"
_CC = shutil.which("cc") or shutil.which("gcc")
_UNARY = ("exp", "expn", "expm1", "log", "log1p", "log1pn", "tanh", "tanhn", "erf", "erfc", "ncdf", "npdf",
          "xncdf", "xncdfn", "ncdfn", "npdfn")
# the fast forms' functions give the full functions' bits only where their guards keep them
_DOMAIN = {("expn", "f32"): (-87.0, 88.0), ("expn", "f64"): (-708.0, 708.0),
           ("log1pn", "f32"): (1.4e-45, 1.0), ("log1pn", "f64"): (5e-324, 1.0), ("tanhn", "f32"): (-44.0, 44.0),
           ("expsubn", "f32"): (-87.0, 0.0), ("expsubn", "f64"): (-708.0, 0.0),
           **{(f, "f32"): (-12.0, 12.0) for f in ("xncdfn", "ncdfn", "npdfn")}}
# the fast forms' functions and the full ones they stand for on their domain
_FAST_OF = {"expn": "exp", "log1pn": "log1p", "tanhn": "tanh", "xncdfn": "xncdf", "ncdfn": "ncdf", "npdfn": "npdf"}


@pytest.fixture(scope="module")
def c_math(tmp_path_factory):
    """fa_math.h's functions over arrays, compiled with the library's floating-point flags."""
    if _CC is None or not (_SRC / "fa_math.h").is_file():
        pytest.skip("needs a C compiler and the source tree (fastact_c/src)")
    lines = ['#include "fa_math.h"', "#include <stddef.h>"]
    for name in _UNARY:
        for t, s in (("float", "f32"), ("double", "f64")):
            lines.append(f"void t_{name}_{s}(size_t n, const {t} *x, {t} *y) "
                         f"{{ for (size_t i = 0; i < n; i++) y[i] = fa_{name}_{s}(x[i]); }}")
    for t, s in (("float", "f32"), ("double", "f64")):
        for fn in ("expsub", "expsubn"):
            lines.append(f"void t_{fn}_{s}(size_t n, const {t} *a, const {t} *b, {t} *y) "
                         f"{{ for (size_t i = 0; i < n; i++) y[i] = fa_{fn}_{s}(a[i], b[i]); }}")
    lines.append("void t_mix64(size_t n, const uint64_t *x, uint64_t *y) "
                 "{ for (size_t i = 0; i < n; i++) y[i] = fa_mix64(x[i]); }")
    lines.append("void t_uniform24(size_t n, const uint64_t *k, const uint64_t *c, double *y) "
                 "{ for (size_t i = 0; i < n; i++) y[i] = fa_uniform24(k[i], c[i]); }")
    d = tmp_path_factory.mktemp("famath")
    (d / "t.c").write_text("\n".join(lines) + "\n")
    subprocess.run([_CC, "-std=c99", "-O2", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
                    "-shared", "-fPIC", f"-I{_SRC}", str(d / "t.c"), "-o", str(d / "t.so")],
                   check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(d / "t.so"))


def _c_call(lib, fname, *arrays, out_dtype):
    arrays = [np.ascontiguousarray(a) for a in arrays]
    y = np.empty(arrays[0].size, out_dtype)
    getattr(lib, f"t_{fname}")(ctypes.c_size_t(y.size), *[a.ctypes.data_as(ctypes.c_void_p) for a in arrays],
                               y.ctypes.data_as(ctypes.c_void_p))
    return y


def _in_domain(name, s, x):
    lo, hi = _DOMAIN.get((name, s), (-np.inf, np.inf))
    return x[(x >= lo) & (x <= hi)] if (name, s) in _DOMAIN else x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", _UNARY + ("expsub",))
def test_every_function_c_equals_numba(c_math, name, dtype):
    s = sfx(dtype)
    x = _in_domain(name, s, inputs(dtype, 21))
    if name == "expsub":
        b = np.roll(x, 7)
        b[:50] = x[:50]  # a - a: 0, and inf - inf, NaN
        assert_bits_equal(apply2(f"expsub_{s}", x, b), _c_call(c_math, f"expsub_{s}", x, b, out_dtype=dtype), x)
        return
    assert_bits_equal(apply(f"{name}_{s}", x), _c_call(c_math, f"{name}_{s}", x, out_dtype=dtype), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fast", sorted(_FAST_OF))
def test_fast_function_is_the_full_one_on_its_domain(c_math, fast, dtype):
    """Each fast-form function gives its full function's bits on its domain, in C: the inputs
    of inputs() there, a uniform sample, the domain's ends (the float32 xncdf/ncdf/npdf forms
    were also compared on all 2.19e9 floats with |x| <= 12 when written)."""
    s, full = sfx(dtype), _FAST_OF[fast]
    rng = np.random.default_rng(26)
    lo, hi = _DOMAIN.get((fast, s), (-np.inf, np.inf))
    x = inputs(dtype, 27)
    if np.isfinite(lo):
        x = np.concatenate([x, rng.uniform(lo, hi, 200_000).astype(dtype), np.array([lo, hi, 0.0, -0.0], dtype)])
    x = _in_domain(fast, s, x)
    assert_bits_equal(_c_call(c_math, f"{fast}_{s}", x, out_dtype=dtype),
                      _c_call(c_math, f"{full}_{s}", x, out_dtype=dtype), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_expsubn_is_expsub_on_its_domain(c_math, dtype):
    """The row-wise kernels' one-scaling e^(a - b) for a - b in [-87, 0] (float) / [-708, 0]
    (double): expsub's bits, in C and in Numba; a - b near the bound, tiny, and 0."""
    s, lo = sfx(dtype), (-87.0 if dtype == np.float32 else -708.0)
    rng = np.random.default_rng(25)
    b = np.concatenate([rng.uniform(-50, 50, 40_000), 10.0 ** rng.uniform(-30, 30, 20_000)]).astype(dtype)
    d = np.concatenate([rng.uniform(lo, 0, 30_000), -(10.0 ** rng.uniform(-40, 1.9, 20_000)),
                        rng.uniform(lo, lo + 1, 9_000), np.zeros(1000)])
    a = (b + d.astype(dtype)).astype(dtype)
    with np.errstate(invalid="ignore"):
        keep = ((a - b) >= lo) & ((a - b) <= 0)
    a, b = a[keep], b[keep]
    assert a.size > 50_000
    want = _c_call(c_math, f"expsub_{s}", a, b, out_dtype=dtype)
    assert_bits_equal(_c_call(c_math, f"expsubn_{s}", a, b, out_dtype=dtype), want, a - b)
    assert_bits_equal(apply2(f"expsubn_{s}", a, b), want, a - b)


def test_generator_c_equals_numba(c_math):
    rng = np.random.default_rng(22)
    k = rng.integers(0, 2 ** 64, 20_000, dtype=np.uint64)
    c = np.concatenate([np.arange(10_000, dtype=np.uint64), rng.integers(0, 2 ** 64, 10_000, dtype=np.uint64)])

    @njit
    def loop(k, c, z, u):
        for i in range(k.size):
            z[i] = M.mix64(k[i])
            u[i] = M.uniform24(k[i], c[i])

    z, u = np.empty_like(k), np.empty(k.size)
    loop(k, c, z, u)
    assert np.array_equal(z, _c_call(c_math, "mix64", k, out_dtype=np.uint64))
    assert_bits_equal(u, _c_call(c_math, "uniform24", k, c, out_dtype=np.float64), u)
    assert ((u >= 0) & (u < 1)).all() and np.array_equal(u * 2 ** 24, np.floor(u * 2 ** 24))


@pytest.fixture(scope="module")
def py_math():
    """_math_gen.py with the plain-Python words: the CUDA simulator's math."""
    src = Path(M.__file__).read_text()
    ns = {"__fastact_target__": "python", "__name__": "fastact_py_math", **_mathlang.python()}
    exec(compile(src, M.__file__, "exec"), ns)  # noqa: S102 - our own generated module
    return ns


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", _UNARY + ("expsub",))
def test_every_function_python_equals_numba(py_math, name, dtype):
    """The plain-Python words (an exact fma from integer arithmetic, NumPy scalars) give the
    Numba (and so the C) bits, on 400 inputs of every kind inputs() makes."""
    s = sfx(dtype)
    x = _in_domain(name, s, inputs(dtype, 23))
    x = x[np.random.default_rng(24).choice(x.size, 400, replace=False)]
    fn = py_math[f"{name}_{s}"]
    if name == "expsub":
        b = np.roll(x, 3)
        got = np.array([fn(u, v) for u, v in zip(x, b, strict=True)], dtype)
        want = np.array([M.expsub_f32(u, v) if s == "f32" else M.expsub_f64(u, v) for u, v in zip(x, b, strict=True)],
                        dtype)
    else:
        got = np.array([fn(v) for v in x], dtype)
        want = apply(f"{name}_{s}", x)
    assert_bits_equal(got, want, x)


def test_python_fma_is_correctly_rounded():
    """The plain-Python fma: exact cases where a*b + c rounded twice would differ, float and
    double, signed zeros and infinities."""
    f = _mathlang.python()["fma"]
    a = 1.0 + 2.0 ** -30
    assert f(np.float64(a), np.float64(a), np.float64(-1.0)) == 2.0 ** -29 + 2.0 ** -60
    af = np.float32(1.0 + 2.0 ** -12)
    assert f(af, af, np.float32(-1.0)) == np.float32(2.0 ** -11 + 2.0 ** -24)
    assert f(af, af, np.float32(-1.0)).dtype == np.float32
    assert math.copysign(1.0, f(np.float64(-0.0), np.float64(1.0), np.float64(-0.0))) == -1.0
    assert math.copysign(1.0, f(np.float64(1.0), np.float64(1.0), np.float64(-1.0))) == 1.0
    assert math.isnan(f(np.float64(np.inf), np.float64(0.0), np.float64(1.0)))
    assert f(np.float64(1e308), np.float64(10.0), np.float64(-1e308)) == np.inf
    # round to odd then to float: a double-rounding case (exact value just above a float tie)
    x = np.float32(1.0 + 2.0 ** -23)
    got = f(x, np.float32(1.0 + 2.0 ** -23), np.float32(2.0 ** -24 + 2.0 ** -47))
    from fractions import Fraction
    exact = Fraction(float(x)) ** 2 + Fraction(2.0 ** -24 + 2.0 ** -47)
    cands = sorted({np.float32(float(exact)), np.nextafter(np.float32(float(exact)), np.float32(2)),
                    np.nextafter(np.float32(float(exact)), np.float32(0))}, key=lambda v: abs(Fraction(float(v)) - exact))
    assert got == cands[0]
