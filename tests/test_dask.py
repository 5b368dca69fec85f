"""Dask arrays in the public functions: lazy results with the right chunks, equal to NumPy's.

Every registry function, forward and backward, on chunked arrays (chunked along the
softmax/GLU/channel axes too); laziness (nothing computed before .compute()); errors.
Arrays stay small, so the NumPy path and every block use the same backend (bit-equal).
"""

import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import fastact  # noqa: E402
from fastact._registry import ACTIVATIONS, BY_NAME  # noqa: E402

NAMES = [a.name for a in ACTIVATIONS]
SHAPE, CHUNKS = (10, 12, 6), (3, 5, 4)  # every axis split, unevenly


def _data(seed=0, shape=SHAPE):
    return np.random.default_rng(seed).standard_normal(shape) * 3


def _call_args(spec):
    """(numpy args, dask args, kwargs, backward numpy args, backward dask args) for spec."""
    x = _data()
    dx = da.from_array(x, chunks=CHUNKS)
    kw = {}
    if spec.kind == "rowwise":
        kw = {"axis": 1}
    elif spec.kind == "gated":
        kw = {"axis": 1}
    elif spec.kind == "random":
        kw = {"seed": 5, "offset": 3, "training": True}
    if spec.kind == "channelwise":
        n = SHAPE[1] if spec.channel_axis == 1 else SHAPE[-1]
        w = np.random.default_rng(1).uniform(-0.5, 0.5, n)
        return (x, w), (dx, da.from_array(w, chunks=4)), kw
    return (x,), (dx,), kw


def _dy(spec, y_shape, seed=2):
    dy = _data(seed, y_shape)
    return dy, da.from_array(dy, chunks=(4, 3, 5)[:len(y_shape)])


@pytest.mark.parametrize("name", NAMES)
def test_forward_backward_equal_numpy(name):
    spec = BY_NAME[name]
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    args, dargs, kw = _call_args(spec)
    y, ly = f(*args, **kw), f(*dargs, **kw)
    assert isinstance(ly, da.Array) and ly.shape == y.shape and ly.dtype == y.dtype
    np.testing.assert_array_equal(ly.compute(), y)
    dy, ddy = _dy(spec, y.shape)
    ref = fb(dy, *args, **kw)
    got = fb(ddy, *dargs, **kw)
    if spec.kind == "channelwise":
        assert isinstance(got[0], da.Array) and isinstance(got[1], da.Array)
        assert got[1].shape == ref[1].shape
        np.testing.assert_array_equal(got[0].compute(), ref[0])
        np.testing.assert_allclose(got[1].compute(), ref[1], rtol=1e-12)  # summed in another order
    else:
        assert isinstance(got, da.Array) and got.shape == ref.shape
        np.testing.assert_array_equal(got.compute(), ref)
    if spec.has_backward_y:
        np.testing.assert_array_equal(fb(ddy, y=ly, **kw).compute(), fb(dy, y=y, **kw))


def test_eltwise_chunks_dtypes_and_params():
    x = _data().astype(np.float32)
    dx = da.from_array(x, chunks=CHUNKS)
    y = fastact.elu(dx, alpha=0.3)
    assert y.chunks == dx.chunks and y.dtype == np.float32
    np.testing.assert_array_equal(y.compute(), fastact.elu(x, alpha=0.3))
    np.testing.assert_array_equal(fastact.gelu(dx, approximate="tanh").compute(), fastact.gelu_tanh(x))
    np.testing.assert_array_equal(fastact.get("softplus", beta=2.0)(dx).compute(), fastact.softplus(x, beta=2.0))
    ints = da.arange(-5, 5, chunks=3)
    assert fastact.relu(ints).dtype == np.float64
    np.testing.assert_array_equal(fastact.relu(ints).compute(), fastact.relu(np.arange(-5, 5)))
    h = dx.astype(np.float16)
    assert fastact.sigmoid(h).dtype == np.float16
    np.testing.assert_array_equal(fastact.sigmoid(h).compute(), fastact.sigmoid(x.astype(np.float16)))
    s = da.asarray(np.float64(0.5))
    np.testing.assert_array_equal(fastact.tanh(s).compute(), fastact.tanh(0.5))
    # mixed: a dask dy with a NumPy x
    dy = _data(4)
    np.testing.assert_array_equal(fastact.silu_backward(da.from_array(dy, chunks=4), x).compute(),
                                  fastact.silu_backward(dy, x))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_along_a_chunked_axis(axis):
    x = _data()
    dx = da.from_array(x, chunks=CHUNKS)
    y = fastact.softmax(dx, axis=axis)
    ax = axis % 3
    assert y.numblocks[ax] == 1  # the row in one block
    assert all(y.chunks[i] == dx.chunks[i] for i in range(3) if i != ax)  # the rest as before
    np.testing.assert_array_equal(y.compute(), fastact.softmax(x, axis=axis))
    np.testing.assert_allclose(y.sum(axis=axis).compute(), 1.0, rtol=1e-14)
    ls = fastact.log_softmax(dx, axis=axis)
    np.testing.assert_array_equal(ls.compute(), fastact.log_softmax(x, axis=axis))
    dy = _data(3)
    np.testing.assert_array_equal(fastact.softmax_backward(da.from_array(dy, chunks=4), y=y, axis=axis).compute(),
                                  fastact.softmax_backward(dy, y=fastact.softmax(x, axis=axis), axis=axis))


def test_gated_and_random_chunks():
    x = _data()
    dx = da.from_array(x, chunks=CHUNKS)
    g = fastact.swiglu(dx, axis=1)
    assert g.shape == (10, 6, 6) and g.chunks[0] == dx.chunks[0] and g.chunks[2] == dx.chunks[2]
    # dropout: the mask does not depend on the chunking (counter = C-order index)
    ref = fastact.dropout(x, 0.4, seed=9)
    for chunks in (CHUNKS, (10, 12, 1), (1, 1, 6), -1):
        np.testing.assert_array_equal(fastact.dropout(da.from_array(x, chunks=chunks), 0.4, seed=9).compute(), ref)
    eval_mode = fastact.dropout(dx, 0.4, training=False)
    assert eval_mode.chunks == dx.chunks
    np.testing.assert_array_equal(eval_mode.compute(), x)


def test_lazy_until_compute():
    calls = []

    def source(block_info=None):
        calls.append(1)
        loc = block_info[None]["array-location"]
        return _data()[tuple(slice(a, b) for a, b in loc)]

    x = da.map_blocks(source, chunks=((3, 3, 4), (5, 7), (6,)), dtype=np.float64, meta=np.empty((0, 0, 0)))
    w = np.full(12, 0.2)
    results = [fastact.gelu(x), fastact.gelu_backward(x, x), fastact.softmax(x, axis=1),
               fastact.sigmoid_backward(x, y=fastact.sigmoid(x)), fastact.glu(x, axis=1),
               fastact.dropout(x, seed=1), *fastact.prelu_backward(x, x, w), fastact.bias_relu(x, w[:6])]
    assert calls == []  # building the graphs computed nothing
    assert all(isinstance(r, da.Array) for r in results)
    out = dask.compute(*results)
    assert calls  # now it ran
    x_np = _data()
    np.testing.assert_array_equal(out[0], fastact.gelu(x_np))
    np.testing.assert_array_equal(out[5], fastact.dropout(x_np, seed=1))
    np.testing.assert_allclose(out[7], fastact.prelu_backward(x_np, x_np, w)[1], rtol=1e-12)


def test_errors_are_raised_when_building_the_graph():
    dx = da.from_array(_data(), chunks=CHUNKS)
    with pytest.raises(TypeError, match="out= is not supported"):
        fastact.relu(dx, out=np.empty(SHAPE))
    with pytest.raises(TypeError, match="out= is not supported"):
        fastact.relu(_data(), out=da.zeros(SHAPE))
    with pytest.raises(TypeError, match="out= is not supported"):
        fastact.relu_backward(dx, dx, out=np.empty(SHAPE))
    with pytest.raises(ValueError, match="beta"):
        fastact.softplus(dx, beta=0)
    with pytest.raises(ValueError, match="odd length"):
        fastact.glu(dx[:, :, :5])
    with pytest.raises(TypeError, match="seed"):
        fastact.dropout(dx)
    with pytest.raises(ValueError, match="shape"):
        fastact.relu_backward(dx, dx[:5])
    with pytest.raises(ValueError, match="channels"):
        fastact.prelu(dx, np.ones(5))
    with pytest.raises(ValueError, match="from y is exact only when alpha >= 0"):
        fastact.elu_backward(dx, y=dx, alpha=-0.5)
    with pytest.raises(TypeError, match="only dask.array.Array"):
        fastact.relu(dx.to_delayed().ravel()[0])


def test_import_fastact_does_not_import_dask():
    code = ("import sys, numpy as np, fastact; fastact.relu(np.ones(3)); fastact.softmax_backward(np.ones(3), "
            "y=np.ones(3) / 3); assert 'dask' not in sys.modules, 'dask imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
