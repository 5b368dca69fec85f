"""Property tests (hypothesis): any shape, strides and dtype give the same
result as a contiguous copy; in place equals out of place; inputs are never
modified; monotone activations stay monotone; softmax rows sum to 1."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastact
from fastact._registry import ACTIVATIONS

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
