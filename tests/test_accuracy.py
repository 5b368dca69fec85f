"""Accuracy against independent references (tests/reference.py).

Bounds are the registry's (``ulp`` forward, ``ulp_backward`` for dx from x):
float32 is graded on 1e5 random values over many magnitudes plus special values
against float64, float64 on 4e3 values against mpmath at 40 digits.
"""

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

from .accuracy import ELTWISE, inputs, measure_backward, measure_forward, random_values
from .reference import GATED_REFS, MP, NP, log_softmax_rows, softmax_rows, ulp_error

DTYPES = [np.float32, np.float64]
ids = [a.name for a in ELTWISE]


def _bound(b, dtype):
    return b[0] if np.dtype(dtype) == np.float32 else b[1]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("spec", ELTWISE, ids=ids)
def test_forward_ulp(spec, dtype):
    err, worst = measure_forward(spec.name, dtype)
    assert err <= max(_bound(spec.ulp, dtype), 0.5), f"{spec.name}: {err:.2f} ULP at x={worst!r}"


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("spec", ELTWISE, ids=ids)
def test_backward_ulp(spec, dtype):
    err, worst = measure_backward(spec.name, dtype)
    assert err <= max(_bound(spec.ulp_backward, dtype), 0.5), f"{spec.name}': {err:.2f} ULP at x={worst!r}"


@pytest.mark.parametrize("dtype", DTYPES + [np.float16], ids=["f32", "f64", "f16"])
@pytest.mark.parametrize("spec", ACTIVATIONS, ids=[a.name for a in ACTIVATIONS])
def test_nan_propagates(spec, dtype):
    x = np.array([np.nan, 1.0, -1.0, 0.0], dtype=dtype)
    if spec.kind == "gated":
        y = getattr(fastact, spec.name)(np.concatenate([x, x]))
        assert np.isnan(y[0]) and not np.isnan(y[1:]).any()
    elif spec.kind == "random":
        y = getattr(fastact, spec.name)(x, seed=1, training=True)
        assert np.isnan(y[0]) and not np.isnan(y[1:]).any()
    elif spec.kind == "channelwise":
        y = getattr(fastact, spec.name)(x, np.array([0.25], dtype))
        assert np.isnan(y[0]) and not np.isnan(y[1:]).any()
    elif spec.kind == "rowwise":
        y = getattr(fastact, spec.name)(x)
        assert np.isnan(y).all()  # a NaN anywhere in a row spoils the row, as in PyTorch
    else:
        y = getattr(fastact, spec.name)(x)
        assert np.isnan(y[0]) and not np.isnan(y[1:]).any()


KINKS = {"relu": [0], "leaky_relu": [0], "relu6": [0, 6], "hardtanh": [-1, 1], "elu": [0], "selu": [0],
         "binary_step": [0], "softplus": [20], "clipped_relu": [0, 6], "celu": [0], "threshold": [0],
         "hardswish": [-3, 3], "hardsigmoid": [-3, 3], "hardshrink": [-0.5, 0.5], "softshrink": [-0.5, 0.5],
         "sparse_plus": [-1, 1], "squared_relu": [0]}


@pytest.mark.parametrize("name", [a.name for a in ELTWISE if a.ulp[0] > 0.5])
def test_backward_nan(name):
    """Smooth functions propagate NaN through the gradient; piecewise ones follow
    PyTorch (x = NaN takes the last branch, usually dy)."""
    if name in KINKS:
        pytest.skip("piecewise: PyTorch semantics")
    dx = getattr(fastact, name + "_backward")(np.ones(2), np.array([np.nan, 0.5]))
    assert np.isnan(dx[0]) and np.isfinite(dx[1])





@pytest.mark.parametrize("name", [a.name for a in ELTWISE])
def test_backward_matches_finite_differences(name):
    """Central differences of fastact's own float64 forward, away from kinks."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-8, 8, 2000)
    for k in KINKS.get(name, []):
        x = x[np.abs(x - k) > 1e-3]
    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    h = 1e-6 * np.maximum(1, np.abs(x))
    fd = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(df(np.ones_like(x), x), fd, rtol=1e-6, atol=1e-8)


# derivative in terms of the output, written independently; c(v) rounds a constant to the dtype
FROM_Y = {
    "identity": lambda y, c: np.where(y == y, 1, 1),
    "binary_step": lambda y, c: np.where(y == y, 0, 0),
    "relu": lambda y, c: np.where(y > 0, 1, 0),
    "leaky_relu": lambda y, c: np.where(y > 0, 1, c(0.01)),
    "relu6": lambda y, c: np.where((y > 0) & (y < 6), 1, 0),
    "hardtanh": lambda y, c: np.where((y > -1) & (y < 1), 1, 0),
    "sigmoid": lambda y, c: y * (1 - y),
    "tanh": lambda y, c: 1 - y * y,
    "elu": lambda y, c: np.where(y > 0, 1, y + 1),
    "selu": lambda y, c: np.where(y > 0, c(1.0507009873554805), y + c(1.7580993408473769)),
    "clipped_relu": lambda y, c: np.where((y > 0) & (y < 6), 1, 0),
    "celu": lambda y, c: np.where(y > 0, 1, y + 1),
    "hardsigmoid": lambda y, c: np.where((y > 0) & (y < 1), 1 / c(6), 0),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(FROM_Y))
def test_backward_from_output(name, dtype):
    """dx from y= equals dy times the derivative written in y, graded in ULP
    (float64 reference for float32, mpmath for float64)."""
    assert BY_NAME[name].has_backward_y
    n = 20_000 if dtype == np.float32 else 2_000
    x = random_values(dtype, n, seed=5)
    y = getattr(fastact, name)(x)
    dy = np.random.default_rng(6).uniform(-2, 2, x.shape).astype(dtype)
    got = getattr(fastact, name + "_backward")(dy, y=y)
    m = NP if dtype == np.float32 else MP
    with np.errstate(all="ignore"):
        ref = FROM_Y[name](m.arr(y), lambda v: m.num(dtype(v))) * m.arr(dy)
    err = ulp_error(got, ref, dtype)
    assert err.max() <= 4, f"{name}: {err.max():.2f} ULP at y={y[np.argmax(err)]!r}"


def test_backward_from_output_exactness_rules():
    x = np.array([-1.0, 2.0])
    with pytest.raises(ValueError, match="alpha >= 0"):
        fastact.elu_backward(np.ones(2), y=fastact.elu(x, alpha=-0.5), alpha=-0.5)
    with pytest.raises(ValueError, match="cannot be computed from the output y"):  # softplus' is not
        fastact.softplus_backward(np.ones(2), y=fastact.softplus(x))  # a function of softplus: no y=


# ---- row-wise --------------------------------------------------------------------

def _rows(dtype, scale, shape=(40, 37), seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("scale", [1e-3, 1, 10, 80])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_forward_ulp(name, scale, dtype):
    """float32 computes in double: within the registry bound. float64 is bound
    additionally by the conditioning of x - max(x): |x - max| ULPs."""
    x = _rows(dtype, scale)
    got = getattr(fastact, name)(x)
    ref = (softmax_rows if name == "softmax" else log_softmax_rows)(x)
    err = ulp_error(got, ref, dtype).reshape(x.shape)
    bound = _bound(BY_NAME[name].ulp, dtype)
    if dtype == np.float64:
        bound = bound + np.abs(x - x.max(axis=-1, keepdims=True))
    assert (err <= bound).all(), f"{name}: {err.max():.2f} ULP"


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_softmax_rows_sum_to_one(dtype):
    y = fastact.softmax(_rows(dtype, 30, (200, 1000)))
    np.testing.assert_allclose(y.sum(axis=-1, dtype=np.float64), 1, atol=1e-6 if dtype == np.float32 else 1e-13)


def test_softmax_special_rows():
    x = np.array([[-np.inf] * 3, [0, -np.inf, 1], [np.inf, 0, 0], [1e30, 0, -1e30]], dtype=np.float32)
    y = fastact.softmax(x)
    assert np.isnan(y[0]).all()  # documented: a row of all -inf gives NaN (as PyTorch)
    np.testing.assert_allclose(y[1], [1 / (1 + np.e), 0, np.e / (1 + np.e)], rtol=1e-6)
    assert np.isnan(y[2]).all()
    np.testing.assert_array_equal(y[3], [1, 0, 0])
    ls = fastact.log_softmax(x)
    assert np.isnan(ls[0]).all()
    assert ls[1, 1] == -np.inf and np.isfinite(ls[1, [0, 2]]).all()


def test_log_softmax_tiny_terms_float32():
    """-log(1 + 9.4e-14) in float32 is -9.4e-14, not 0: the sum is kept in double."""
    ls = fastact.log_softmax(np.array([0.0, -30.0], np.float32))
    np.testing.assert_allclose(ls[0], -np.exp(-30.0), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_backward(name, dtype):
    x = _rows(dtype, 5, (30, 17))
    dy = _rows(dtype, 1, (30, 17), seed=1)
    y = getattr(fastact, name)(x)
    xm = MP.arr(x)
    ym = softmax_rows(x) if name == "softmax" else log_softmax_rows(x)
    dym = MP.arr(dy)
    if name == "softmax":
        ref = ym * (dym - (dym * ym).sum(axis=-1, keepdims=True))
    else:
        ref = dym - np.exp(np.array([[float(v) for v in r] for r in ym])) * dym.sum(axis=-1, keepdims=True)
    ref = np.array([[float(v) for v in r] for r in ref])
    tol = 16 * np.finfo(dtype).eps * np.abs(dy).max()
    del xm
    for kw in ({"x": x}, {"y": y}):
        dx = getattr(fastact, name + "_backward")(dy, **kw)
        np.testing.assert_allclose(dx, ref, rtol=0, atol=tol)


def test_inputs_cover_special_values():
    x = inputs(np.float32, BY_NAME["softplus"], 1000)
    for v in (0.0, np.inf, -np.inf, np.finfo(np.float32).smallest_subnormal, 20.0, 1e30):
        assert v in x


# ---- GLU family --------------------------------------------------------------------

GATED = [a for a in ACTIVATIONS if a.kind == "gated"]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("spec", GATED, ids=[a.name for a in GATED])
def test_gated_against_reference(spec, dtype):
    """Forward in ULP of the reference; da, db within bound ULPs of the larger of
    |d| and |dy| * max(1, |a|, |b|) / 4 (products of two derivatives cancel near roots)."""
    n = 20_000 if dtype == np.float32 else 1_500
    rng = np.random.default_rng(11)
    a = np.concatenate([rng.uniform(-20, 20, n), rng.standard_normal(n) * 2]).astype(dtype)
    b = np.concatenate([rng.standard_normal(n) * 2, rng.uniform(-20, 20, n)]).astype(dtype)
    x = np.concatenate([a, b])
    dy = rng.uniform(-2, 2, a.shape).astype(dtype)
    m = NP if dtype == np.float32 else MP
    prm = {k: m.num(dtype(v)) for k, v in spec.defaults.items()}
    fr, far, fbr = GATED_REFS[spec.name]
    am, bm = m.arr(a), m.arr(b)
    with np.errstate(all="ignore"):
        ref = fr(am, bm, m, **prm)
        refs = (far(am, bm, m, **prm) * m.arr(dy), fbr(am, bm, m, **prm) * m.arr(dy))
    f, df = getattr(fastact, spec.name), getattr(fastact, spec.name + "_backward")
    err = ulp_error(f(x), ref, dtype)
    if spec.ulp_cond:  # allow 2 * the condition number |a f_a / f| (see tests/accuracy.py)
        with np.errstate(all="ignore"):
            af, bf = a.astype(np.float64), b.astype(np.float64)
            pf = {k: float(dtype(v)) for k, v in spec.defaults.items()}
            cond = np.abs(af * far(af, bf, NP, **pf) / fr(af, bf, NP, **pf))
        err = err - 2 * np.where(np.isfinite(cond), cond, 0)
    assert err.max() <= _bound(spec.ulp, dtype), f"{spec.name}: {err.max():.2f} ULP at a={a[err.argmax()]}"
    dx = df(dy, x)
    eps = np.finfo(dtype).eps
    scale = np.abs(dy).astype(np.float64) * np.maximum(1, np.maximum(np.abs(a), np.abs(b))) / 4
    for got, r in zip((dx[:len(a)], dx[len(a):]), refs, strict=True):
        r = np.array([float(v) for v in r])
        tol = _bound(spec.ulp_backward, dtype) * eps * np.maximum(np.abs(r), scale) + np.finfo(dtype).tiny
        bad = np.abs(got - r) > tol
        assert not bad.any(), f"{spec.name}': at a={a[bad][:3]}, b={b[bad][:3]}: {got[bad][:3]} vs {r[bad][:3]}"
