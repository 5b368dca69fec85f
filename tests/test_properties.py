"""Property tests (hypothesis): any shape (0-d, empty, sizes 1-67 for the SIMD tails),
strides (negative, zero, transposed, sliced), dtype and valid parameters give the same
result as a contiguous copy; in place equals out of place; inputs are never modified;
monotone activations stay monotone; softmax/log_softmax normalize along any axis; the
backward of every kind equals finite differences in float64 (away from kinks).
Derandomized by default (tests/conftest.py), so the default run is repeatable and quick."""

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

ELT = [a.name for a in ACTIVATIONS if a.kind == "eltwise"]
ROW = [a.name for a in ACTIVATIONS if a.kind == "rowwise"]
MONOTONE = ["identity", "binary_step", "relu", "leaky_relu", "relu6", "hardtanh", "sigmoid", "tanh", "elu",
            "selu", "softplus", "softsign"]
FLOATS = st.sampled_from([np.float32, np.float64, np.float16])


@st.composite
def arrays_with_views(draw, dtypes=FLOATS):
    """A base array and a (possibly strided, reversed, transposed, broadcast) view of it."""
    dtype = draw(dtypes)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=67).filter(
        lambda s: int(np.prod(s)) <= 5000))
    width = np.dtype(dtype).itemsize * 8
    elems = st.floats(-1e4, 1e4, width=width) | st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0])
    base = draw(hnp.arrays(dtype, shape, elements=elems))
    view = base
    if base.ndim:
        idx = tuple(slice(None, None, draw(st.sampled_from([1, 2, -1, -3]))) for _ in range(base.ndim))
        view = base[idx]
        if draw(st.booleans()):
            view = view.T
        if draw(st.booleans()) and view.ndim and view.shape[0] > 0:
            view = np.broadcast_to(view[:1], (3,) + view.shape[1:])
    return view


@settings(max_examples=60, deadline=None)
@given(v=arrays_with_views(), name=st.sampled_from(ELT + ROW))
def test_view_equals_contiguous_and_input_untouched(v, name):
    f = getattr(fastact, name)
    before = v.copy()
    got = f(v)
    ref = f(np.ascontiguousarray(v))
    assert got.shape == v.shape and got.dtype == v.dtype
    if name in ROW:
        np.testing.assert_allclose(got, ref, rtol=1e-5 if v.dtype != np.float64 else 1e-13, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(v, before)


@settings(max_examples=60, deadline=None)
@given(v=arrays_with_views(st.sampled_from([np.float32, np.float64])), name=st.sampled_from(ELT + ROW))
def test_in_place_equals_out_of_place(v, name):
    f = getattr(fastact, name)
    x = np.array(v)  # writeable copy with the view's layout flattened
    ref = f(x)
    assert f(x, out=x) is x
    np.testing.assert_array_equal(x, ref)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(2, 67), elements=st.floats(-50, 50)), name=st.sampled_from(MONOTONE))
def test_monotone(x, name):
    xs = np.sort(x)
    y = getattr(fastact, name)(xs)
    assert (np.diff(y) >= 0).all()


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40),
                    elements=st.floats(-80, 80, width=32)))
def test_softmax_sums_to_one(x):
    y = fastact.softmax(x, axis=-1)
    np.testing.assert_allclose(y.sum(axis=-1, dtype=np.float64), 1, atol=1e-6)
    assert (y >= 0).all() and (y <= 1).all()


# ---- more properties (issue 7): every kind, parameters, backward, finite differences ----

ALL_MONOTONE = MONOTONE + ["clipped_relu", "celu", "threshold", "hardsigmoid", "logsigmoid", "tanhshrink",
                           "hardshrink", "softshrink", "squareplus", "sparse_plus", "squared_relu"]
# points where the first derivative jumps, at the default parameters
KINKS = {"relu": [0], "leaky_relu": [0], "relu6": [0, 6], "hardtanh": [-1, 1], "selu": [0], "clipped_relu": [0, 6],
         "threshold": [0], "hardswish": [-3, 3], "hardsigmoid": [-3, 3], "hardshrink": [-0.5, 0.5],
         "softshrink": [-0.5, 0.5], "sparse_plus": [-1, 1], "squared_relu": [0], "binary_step": [0],
         "softplus": [20], "rrelu": [0], "reglu": [0], "clamped_swiglu": [-7, 7], "bias_relu": [0]}


def _valid_params(draw, spec) -> dict:
    """Random parameter values that satisfy the registry's checks (or the defaults)."""
    from fastact._api import _cond
    if not spec.params or draw(st.booleans()):
        return {}
    for _ in range(20):
        kw = {p.name: draw(st.floats(-3, 8, allow_nan=False).map(lambda v: round(v, 3))) for p in spec.params}
        values = dict(spec.defaults, **kw)
        if all(_cond(p.check, values) for p in spec.params if p.check) and all(_cond(c, values) for c in spec.checks):
            return kw
    return {}


@st.composite
def eltwise_case(draw, dtypes=FLOATS, names=ELT):
    name = draw(st.sampled_from(names))
    return name, draw(arrays_with_views(dtypes)), _valid_params(draw, BY_NAME[name])


@settings(max_examples=60, deadline=None)
@given(case=eltwise_case(st.sampled_from([np.float32, np.float64])))
def test_backward_view_equals_contiguous_and_inputs_untouched(case):
    name, v, kw = case
    f = getattr(fastact, name + "_backward")
    dy = np.ascontiguousarray(v)[::-1].copy().reshape(v.shape) if v.size else np.ascontiguousarray(v)
    dyv = np.broadcast_to(dy, v.shape)
    bx, bdy = v.copy(), dy.copy()
    got = f(dyv, v, **kw)
    ref = f(np.ascontiguousarray(dyv), np.ascontiguousarray(v), **kw)
    assert got.shape == v.shape and got.dtype == v.dtype
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(v, bx)
    np.testing.assert_array_equal(dy, bdy)


@settings(max_examples=60, deadline=None)
@given(case=eltwise_case(st.sampled_from([np.float32, np.float64])))
def test_params_forward_in_place_and_layout(case):
    """With random valid parameters: view == contiguous, out=x in place == out of place."""
    name, v, kw = case
    f = getattr(fastact, name)
    ref = f(np.ascontiguousarray(v), **kw)
    np.testing.assert_array_equal(f(v, **kw), ref)
    x = np.array(v)
    assert f(x, out=x, **kw) is x
    np.testing.assert_array_equal(x, ref)
    dy = np.ones_like(x)
    refb = getattr(fastact, name + "_backward")(dy, np.array(v), **kw)
    assert getattr(fastact, name + "_backward")(dy, np.array(v), out=dy, **kw) is dy  # out=dy in place
    np.testing.assert_array_equal(dy, refb)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.bool_]),
                    hnp.array_shapes(min_dims=0, max_dims=2, max_side=9)),
       name=st.sampled_from(ELT + ROW))
def test_integer_and_bool_inputs_compute_in_float64(x, name):
    f = getattr(fastact, name)
    got = f(x)
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_array_equal(got, f(x.astype(np.float64)))


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(2, 67), elements=st.floats(-50, 50)),
       name=st.sampled_from(ALL_MONOTONE))
def test_monotone_all(x, name):
    y = getattr(fastact, name)(np.sort(x))
    assert (np.diff(y) >= 0).all(), name


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=1, max_dims=3, max_side=33),
                    elements=st.floats(-80, 80, width=32)),
       data=st.data())
def test_softmax_and_log_softmax_normalize_along_any_axis(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    tol = 1e-6 if x.dtype == np.float32 else 1e-13
    y = fastact.softmax(x, axis=axis)
    np.testing.assert_allclose(y.sum(axis=axis, dtype=np.float64), 1, atol=tol * x.shape[axis])
    ls = fastact.log_softmax(x, axis=axis)
    np.testing.assert_allclose(np.exp(ls.astype(np.float64)).sum(axis=axis), 1, atol=tol * x.shape[axis])
    assert (ls <= 0).all()


# ---- backward == finite differences (float64), for every kind ----

def _far_from_kinks(name, *arrays, h=1e-4) -> bool:
    pts = KINKS.get(name, [])
    return all(np.all(np.abs(np.asarray(a, dtype=np.float64) - k) > h) for a in arrays for k in pts)


def _fd_check(g, x, v, analytic, scale):
    """d/dt g(x + t v) at 0 by central differences (Richardson) against the analytic value."""
    def d(h):
        return (g(x + h * v) - g(x - h * v)) / (2 * h)
    h = 1e-5
    fd = (4 * d(h / 2) - d(h)) / 3
    assert math.isclose(fd, analytic, rel_tol=1e-5, abs_tol=1e-7 * scale), (fd, analytic)


SMALL = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=8),
                   elements=st.floats(-6, 6))


@settings(max_examples=80, deadline=None)
@given(x=SMALL, name=st.sampled_from(ELT + ROW), seed=st.integers(0, 2**32 - 1))
def test_backward_matches_finite_differences(x, name, seed):
    assume(_far_from_kinks(name, x))
    rng = np.random.default_rng(seed)
    dy, v = rng.uniform(-1, 1, x.shape), rng.uniform(-1, 1, x.shape)
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    dx = fb(dy, x)
    _fd_check(lambda z: float(np.sum(dy * f(z))), x, v, float(np.sum(dx * v)), 1 + np.abs(dy).sum())
    spec = BY_NAME[name]
    if spec.has_backward_y:  # from the output, where the registry allows it
        np.testing.assert_allclose(fb(dy, y=f(x)), dx, rtol=1e-9, atol=1e-12)


GATED = [a.name for a in ACTIVATIONS if a.kind == "gated"]
CHANNEL = [a.name for a in ACTIVATIONS if a.kind == "channelwise"]
RANDOM = [a.name for a in ACTIVATIONS if a.kind == "random"]


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6).map(lambda k: 2 * k)),
                    elements=st.floats(-6, 6)),
       name=st.sampled_from(GATED), seed=st.integers(0, 2**32 - 1), axis=st.sampled_from([-1, 0]))
def test_gated_backward_matches_finite_differences(x, name, seed, axis):
    if axis == 0:
        x = np.concatenate([x, x[::-1] * 0.5], axis=0)  # even length along axis 0
    assume(_far_from_kinks(name, x))
    rng = np.random.default_rng(seed)
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    y = f(x, axis=axis)
    dy, v = rng.uniform(-1, 1, y.shape), rng.uniform(-1, 1, x.shape)
    dx = fb(dy, x, axis=axis)
    assert dx.shape == x.shape
    _fd_check(lambda z: float(np.sum(dy * f(z, axis=axis))), x, v, float(np.sum(dx * v)), 1 + np.abs(dy).sum())


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5)),
                    elements=st.floats(-6, 6)),
       name=st.sampled_from(CHANNEL), seed=st.integers(0, 2**32 - 1))
def test_channelwise_backward_matches_finite_differences(x, name, seed):
    spec = BY_NAME[name]
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.5, 0.5, x.shape[spec.channel_axis])
    wb = np.expand_dims(w, tuple(i for i in range(x.ndim) if i != spec.channel_axis % x.ndim))
    assume(_far_from_kinks(name, x, x + wb) and (name != "prelu" or _far_from_kinks("relu", x)))
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    dy, v, vw = rng.uniform(-1, 1, x.shape), rng.uniform(-1, 1, x.shape), rng.uniform(-1, 1, w.shape)
    dx, dw = fb(dy, x, w)
    assert dx.shape == x.shape and dw.shape == w.shape
    scale = 1 + np.abs(dy).sum()
    _fd_check(lambda z: float(np.sum(dy * f(z, w))), x, v, float(np.sum(dx * v)), scale)
    _fd_check(lambda z: float(np.sum(dy * f(x, z))), w, vw, float(np.sum(dw * vw)), scale)


@settings(max_examples=40, deadline=None)
@given(x=SMALL, name=st.sampled_from(RANDOM), seed=st.integers(0, 2**64 - 1), offset=st.integers(0, 2**40))
def test_random_backward_matches_finite_differences_and_mask_is_layout_free(x, name, seed, offset):
    assume(_far_from_kinks(name, x))
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    kw = {"seed": seed, "offset": offset, "training": True}
    rng = np.random.default_rng(seed % 2**32)
    dy, v = rng.uniform(-1, 1, x.shape), rng.uniform(-1, 1, x.shape)
    dx = fb(dy, x, **kw)
    _fd_check(lambda z: float(np.sum(dy * f(z, **kw))), x, v, float(np.sum(dx * v)), 1 + np.abs(dy).sum())
    # the mask follows the C-order index, whatever the memory layout
    xf = np.asfortranarray(x)
    np.testing.assert_array_equal(f(xf, **kw), f(x, **kw))
