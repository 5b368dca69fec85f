"""The Python API's NumPy semantics (DESIGN.md §3), for every activation."""

import warnings

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

NAMES = [a.name for a in ACTIVATIONS if a.kind in ("eltwise", "rowwise", "channelwise")]  # y.shape == x.shape
SIMPLE = [a.name for a in ACTIVATIONS if a.kind in ("eltwise", "rowwise")]
GATED = [a.name for a in ACTIVATIONS if a.kind == "gated"]
X = np.arange(-5, 6)


def call(name, x, **kw):
    if BY_NAME[name].kind == "channelwise":
        return getattr(fastact, name)(x, np.float32(0.25), **kw)
    return getattr(fastact, name)(x, **kw)


# ---- the seed's worked examples --------------------------------------------------

def test_worked_examples():
    np.testing.assert_array_equal(fastact.sigmoid(X).round(3),
                                  [0.007, 0.018, 0.047, 0.119, 0.269, 0.5, 0.731, 0.881, 0.953, 0.982, 0.993])
    np.testing.assert_array_equal(fastact.softmax(X).round(3),
                                  [0, 0, 0, 0, 0.001, 0.002, 0.004, 0.012, 0.031, 0.086, 0.233, 0.632][1:])
    np.testing.assert_array_equal(fastact.tanh(X).round(2), [-1, -1, -1, -0.96, -0.76, 0, 0.76, 0.96, 1, 1, 1])
    np.testing.assert_array_equal(fastact.relu(X), [0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(fastact.leaky_relu(X), [-0.05, -0.04, -0.03, -0.02, -0.01, 0, 1, 2, 3, 4, 5])


# ---- dtypes -----------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype, result", [(np.float32, np.float32), (np.float64, np.float64),
                                           (np.float16, np.float16), (np.int32, np.float64),
                                           (np.int64, np.float64), (np.uint8, np.float64),
                                           (np.bool_, np.float64)])
def test_result_dtype(name, dtype, result):
    y = call(name, np.array([0, 1, 1, 0]).astype(dtype))
    assert y.dtype == result


@pytest.mark.parametrize("name", SIMPLE)
def test_float16_computes_in_float32(name):
    x = np.linspace(-4, 4, 101).astype(np.float16)
    ref = getattr(fastact, name)(x.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(getattr(fastact, name)(x), ref)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), np.array([object()], dtype=object),
                                 np.array([1.0], dtype=np.longdouble) if np.longdouble != np.float64 else None])
def test_bad_dtype_raises(name, bad):
    if bad is None:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(TypeError, match="dtype"):
        call(name, bad)


def test_bfloat16_if_available():
    ml = pytest.importorskip("ml_dtypes")
    x = np.array([-1, 0, 2], dtype=ml.bfloat16)
    y = fastact.sigmoid(x)
    assert y.dtype == ml.bfloat16


# ---- scalars, 0-d, empty ------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_scalars_and_0d(name):
    for v in (0.5, np.float32(0.5), np.array(0.5), 2, True):
        y = call(name, v)
        assert np.ndim(y) == 0 and isinstance(y, np.generic), type(y)
    assert call(name, np.float32(0.5)).dtype == np.float32
    ref = call(name, np.array([0.5]))[0]
    assert call(name, 0.5) == ref


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4, 2)])
def test_empty(name, shape):
    x = np.empty(shape, np.float32)
    assert call(name, x).shape == shape
    if BY_NAME[name].kind == "channelwise":
        dx, dw = fastact.prelu_backward(x, x, np.float32(0.25))
        assert dx.shape == shape and dw == 0
    else:
        assert getattr(fastact, name + "_backward")(x, x).shape == shape


def test_list_input():
    assert fastact.relu([[-1, 2], [3, -4]]).tolist() == [[0, 2], [3, 0]]


# ---- strides --------------------------------------------------------------------------

def _views(a):
    yield "transposed", a.T
    yield "sliced", a[::2, 1::3]
    yield "negative", a[::-1, ::-2]
    yield "broadcast", np.broadcast_to(a[:1], a.shape)
    yield "fortran", np.asfortranarray(a)
    yield "3d-swapped", a.reshape(4, 6, 5).swapaxes(0, 2)[:, 1:]
    yield "unaligned", np.frombuffer(b"\0" + a.astype(np.float64).tobytes(), dtype=np.float64, offset=1,
                                     count=a.size).reshape(a.shape)


def _same(a, b, rowwise, label):
    if rowwise:  # row sums are vectorized reductions: their order depends on the layout
        np.testing.assert_allclose(a, b, rtol=4 * np.finfo(a.dtype).eps,
                                   atol=8 * np.finfo(a.dtype).eps * np.abs(b).max(), err_msg=label)
    else:  # elementwise results are bit-identical whatever the layout
        np.testing.assert_array_equal(a, b, err_msg=label)


@pytest.mark.parametrize("name", SIMPLE)
def test_noncontiguous_equals_contiguous(name):
    a = np.random.default_rng(0).standard_normal((24, 5)) * 3
    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    rowwise = BY_NAME[name].kind == "rowwise"
    for label, v in _views(a):
        _same(f(v), f(np.ascontiguousarray(v)), rowwise, label)
        dy = np.cos(v)[..., ::-1]
        _same(df(dy, v), df(np.ascontiguousarray(dy), np.ascontiguousarray(v)), rowwise, label)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_axis(name):
    a = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    for axis in (0, 1, 2, -1, -3):
        ref = np.moveaxis(f(np.ascontiguousarray(np.moveaxis(a, axis, -1))), -1, axis)
        np.testing.assert_allclose(f(a, axis=axis), ref, rtol=1e-6)
        np.testing.assert_array_equal(f(a, axis), f(a, axis=axis))
        dy = np.cos(a)
        refb = np.moveaxis(df(np.ascontiguousarray(np.moveaxis(dy, axis, -1)),
                              np.ascontiguousarray(np.moveaxis(a, axis, -1))), -1, axis)
        np.testing.assert_allclose(df(dy, a, axis=axis), refb, rtol=1e-6, atol=1e-7)
    with pytest.raises(np.exceptions.AxisError):
        f(a, axis=3)
    with pytest.raises(TypeError, match="axis"):
        f(a, axis=1.5)
    assert f(np.float32(3.0)) == (1.0 if name == "softmax" else 0.0)  # 0-d: a row of one element


# ---- out= ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_out_and_in_place(name):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    ref = call(name, x)
    out = np.empty_like(x)
    assert call(name, x, out=out) is out
    np.testing.assert_array_equal(out, ref)
    x2 = x.copy()
    assert call(name, x2, out=x2) is x2
    np.testing.assert_array_equal(x2, ref)
    out64 = np.empty(x.shape)  # float32 result cast into a float64 out (same_kind)
    call(name, x, out=out64)
    np.testing.assert_array_equal(out64, ref.astype(np.float64))
    outT = np.empty((4, 3), np.float32).T  # non-contiguous out
    call(name, x, out=outT)
    np.testing.assert_array_equal(outT, ref)


@pytest.mark.parametrize("name", SIMPLE)
def test_backward_out_and_in_place(name):
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    dy = np.cos(x)
    df = getattr(fastact, name + "_backward")
    ref = df(dy, x)
    for target in ("dy", "x"):
        a, b = dy.copy(), x.copy()
        out = a if target == "dy" else b
        assert df(a, b, out=out) is out
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("name", NAMES)
def test_out_errors_write_nothing(name):
    x = np.linspace(-3, 3, 8, dtype=np.float32)
    cases = [
        (np.zeros(7, np.float32), ValueError, "shape"),
        (np.zeros(8, np.int32), TypeError, "cannot write"),
        (np.zeros((8, 1), np.float32), ValueError, "shape"),
        ([0.0] * 8, TypeError, "ndarray"),
    ]
    ro = np.zeros(8, np.float32)
    ro.flags.writeable = False
    cases.append((ro, ValueError, "read-only"))
    for out, exc, msg in cases:
        before = np.array(out, copy=True)
        with pytest.raises(exc, match=msg):
            call(name, x, out=out)
        np.testing.assert_array_equal(np.asarray(out), before)


@pytest.mark.parametrize("name", NAMES)
def test_partial_overlap_raises(name):
    buf = np.linspace(-3, 3, 10, dtype=np.float32)
    before = buf.copy()
    with pytest.raises(ValueError, match="overlap"):
        call(name, buf[:8], out=buf[2:])
    np.testing.assert_array_equal(buf, before)


# ---- parameters ------------------------------------------------------------------------

def test_defaults_match_pytorch():
    assert BY_NAME["leaky_relu"].defaults == {"negative_slope": 0.01}
    assert BY_NAME["hardtanh"].defaults == {"min_val": -1.0, "max_val": 1.0}
    assert BY_NAME["elu"].defaults == {"alpha": 1.0}
    assert BY_NAME["softplus"].defaults == {"beta": 1.0, "threshold": 20.0}


def test_params_are_used():
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(fastact.leaky_relu(x, negative_slope=0.2), [-0.4, 0.5, 3.0])
    np.testing.assert_allclose(fastact.leaky_relu(x, 0.2), [-0.4, 0.5, 3.0])
    np.testing.assert_allclose(fastact.hardtanh(x, -0.5, 2.0), [-0.5, 0.5, 2.0])
    np.testing.assert_allclose(fastact.elu(x, alpha=2.0), [2 * np.expm1(-2), 0.5, 3.0])
    np.testing.assert_allclose(fastact.softplus(x, beta=2.0, threshold=1.0),
                               [np.log1p(np.exp(-4)) / 2, np.log1p(np.exp(1)) / 2, 3.0])
    np.testing.assert_allclose(fastact.elu_backward(np.ones(3), x, alpha=2.0), [2 * np.exp(-2), 1, 1])


@pytest.mark.parametrize("name, kw, match", [
    ("softplus", {"beta": 0}, "beta"),
    ("softplus", {"beta": -1}, "beta"),
    ("softplus", {"threshold": float("nan")}, "threshold"),
    ("elu", {"alpha": float("nan")}, "alpha"),
    ("hardtanh", {"min_val": 2.0}, "min_val <= max_val"),
    ("leaky_relu", {"negative_slope": "a"}, "negative_slope"),
    ("leaky_relu", {"slope": 0.1}, "slope"),
    ("relu", {"alpha": 1.0}, "alpha"),
])
def test_bad_params(name, kw, match):
    out = np.full(3, 7.0)
    with pytest.raises((ValueError, TypeError), match=match):
        getattr(fastact, name)(np.zeros(3), out=out, **kw)
    assert (out == 7.0).all()
    with pytest.raises((ValueError, TypeError), match=match):
        getattr(fastact, name + "_backward")(np.ones(3), np.zeros(3), **kw)


def test_unknown_backend():
    out = np.full(3, 7.0)
    with pytest.raises(ValueError, match="unknown backend"):
        fastact.relu(np.zeros(3), out=out, backend="gpu9000")
    assert (out == 7.0).all()
    np.testing.assert_array_equal(fastact.relu(np.ones(3), backend="native"), 1)


def test_backend_env(monkeypatch):
    monkeypatch.setenv("FASTACT_BACKEND", "nope")
    with pytest.raises(ValueError, match="unknown backend"):
        fastact.relu(np.zeros(3))
    monkeypatch.setenv("FASTACT_BACKEND", "native")
    assert fastact.relu(1.0) == 1.0


def test_backward_errors():
    with pytest.raises(ValueError, match="shape"):
        fastact.relu_backward(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="pass x"):
        fastact.relu_backward(np.ones(3))
    np.testing.assert_array_equal(fastact.relu_backward(np.ones(3), y=np.array([0.0, 1, 2])), [0, 1, 1])


# ---- prelu -------------------------------------------------------------------------------

def test_prelu_channels():
    x = np.random.default_rng(2).standard_normal((4, 3, 5, 2)).astype(np.float32)
    w = np.array([0.1, 0.2, 0.3], np.float32)
    y = fastact.prelu(x, w)
    ref = np.where(x > 0, x, w[None, :, None, None] * x)
    np.testing.assert_array_equal(y, ref)
    dy = np.cos(x)
    dx, dw = fastact.prelu_backward(dy, x, w)
    np.testing.assert_array_equal(dx, np.where(x > 0, dy, w[None, :, None, None] * dy))
    np.testing.assert_allclose(dw, np.where(x > 0, 0, dy * x).sum(axis=(0, 2, 3)), rtol=1e-5)
    assert dw.shape == w.shape and dw.dtype == np.float32
    # one shared weight; 1-d input
    np.testing.assert_array_equal(fastact.prelu(x, np.float32(0.25)), np.where(x > 0, x, 0.25 * x))
    np.testing.assert_array_equal(fastact.prelu(np.array([-4.0, 2.0]), [0.5]), [-2.0, 2.0])
    dx, dw = fastact.prelu_backward(np.ones(2), np.array([-4.0, 2.0]), 0.5)
    assert dw.ndim == 0 and dw == -4.0
    with pytest.raises(ValueError, match="channels"):
        fastact.prelu(x, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="weight"):
        fastact.prelu(x, np.ones((3, 1), np.float32))
    # non-contiguous input
    np.testing.assert_array_equal(fastact.prelu(x[::2], w), ref[::2])


# ---- warnings, objects, listing ---------------------------------------------------------------

@pytest.mark.parametrize("name", SIMPLE)
def test_no_floating_point_warnings(name):
    x = np.array([np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 0.0, -0.0])
    with np.errstate(all="ignore"):
        x16 = x.astype(np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            getattr(fastact, name)(x)
            getattr(fastact, name)(x16)
            getattr(fastact, name)(np.float32(1e30) * np.ones(3, np.float32), out=np.empty(3, np.float16))
            getattr(fastact, name + "_backward")(x, x)


def test_available_and_get():
    assert fastact.available() == [a.name for a in ACTIVATIONS] + ["crelu"]
    act = fastact.get("elu", alpha=0.5)
    x = np.array([-1.0, 1.0])
    np.testing.assert_array_equal(act(x), fastact.elu(x, alpha=0.5))
    np.testing.assert_array_equal(act.backward(np.ones(2), x), fastact.elu_backward(np.ones(2), x, alpha=0.5))
    assert act.params == {"alpha": 0.5} and act.spec is BY_NAME["elu"]
    assert "alpha=0.5" in repr(act)
    with pytest.raises(ValueError, match="unknown activation"):
        fastact.get("nope")
    with pytest.raises(ValueError, match="beta"):
        fastact.get("softplus", beta=0)


@pytest.mark.parametrize("name", NAMES)
def test_docstrings_and_signatures(name):
    import inspect

    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    spec = BY_NAME[name]
    assert spec.formula in f.__doc__ and spec.derivative in df.__doc__
    sig = inspect.signature(f)
    for p in spec.params:
        assert sig.parameters[p.name].default == p.default
        assert p.name in f.__doc__
    assert "out" in sig.parameters
    assert f.__name__ == name
    assert ">>> fastact." in f.__doc__ and "array(" in f.__doc__  # an example with its output


# ---- GLU family: x split in halves along axis ------------------------------------------------

@pytest.mark.parametrize("name", GATED)
def test_gated_shapes_axis_and_errors(name):
    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    x = np.random.default_rng(5).standard_normal((3, 4, 6)).astype(np.float32)
    y = f(x)
    assert y.shape == (3, 4, 3) and y.dtype == np.float32
    a, b = x[..., :3], x[..., 3:]
    np.testing.assert_array_equal(y, f(np.concatenate([a, b], axis=-1)))
    y1 = f(x, axis=1)
    assert y1.shape == (3, 2, 6)
    np.testing.assert_array_equal(y1, np.moveaxis(f(np.ascontiguousarray(np.moveaxis(x, 1, -1))), -1, 1))
    dy = np.cos(y)
    dx = df(dy, x)
    assert dx.shape == x.shape and dx.dtype == np.float32
    np.testing.assert_array_equal(df(dy, x[::-1].copy()[::-1]), dx)  # strided input
    assert f(x.astype(np.float16)).dtype == np.float16
    assert f(x.astype(np.int32)).dtype == np.float64
    with pytest.raises(ValueError, match="odd length"):
        f(np.ones((2, 5)))
    with pytest.raises(ValueError, match="at least one dimension"):
        f(1.0)
    with pytest.raises(ValueError, match="dy has shape"):
        df(np.ones((3, 4, 6)), x)
    out = np.full((3, 4, 3), 7, np.float32)
    with pytest.raises(ValueError, match="shape"):
        f(x, out=np.empty((3, 4, 6), np.float32))
    assert f(x, out=out) is out
    np.testing.assert_array_equal(out, y)
    x2 = x.copy()
    assert df(dy, x2, out=x2) is x2  # in place over x
    np.testing.assert_array_equal(x2, dx)
    buf = np.zeros(12, np.float32)
    with pytest.raises(ValueError, match="overlap"):
        f(buf, out=buf[:6])
    assert f(np.empty((0, 4))).shape == (0, 2)
    assert df(np.empty((0, 2)), np.empty((0, 4))).shape == (0, 4)


def test_crelu():
    x = np.array([[-1.0, 2.0, 0.0], [3.0, -4.0, np.nan]], np.float32)
    y = fastact.crelu(x)
    assert y.shape == (2, 6) and y.dtype == np.float32
    np.testing.assert_array_equal(y[:, :3], fastact.relu(x))
    np.testing.assert_array_equal(y[:, 3:], fastact.relu(-x))
    assert fastact.crelu(x, axis=0).shape == (4, 3)
    dy = np.arange(12, dtype=np.float32).reshape(2, 6)
    dx = fastact.crelu_backward(dy, x)
    np.testing.assert_array_equal(dx[:, :2], np.where(x > 0, dy[:, :3], 0)[:, :2] - np.where(x < 0, dy[:, 3:], 0)[:, :2])
    assert dx.shape == x.shape
    with pytest.raises(ValueError, match="dy has shape"):
        fastact.crelu_backward(np.ones((2, 3)), x)
    with pytest.raises(ValueError):
        fastact.crelu(1.0)
    out = np.empty((2, 6), np.float32)
    assert fastact.crelu(x, out=out) is out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_backward_from_x_same_bits_in_place(name, dtype):
    """Backward from x writes y into dx first, then runs the from-y passes; where dx is dy (in
    place) it recomputes y per pass instead: both give the same bits, and the same as from y."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((7, 300)) * 4).astype(dtype)
    dy = rng.standard_normal((7, 300)).astype(dtype)
    b = getattr(fastact, name + "_backward")
    want = b(dy, x)
    inplace = dy.copy()
    b(inplace, x, out=inplace)
    np.testing.assert_array_equal(inplace, want)
    xin = x.copy()
    b(dy, xin, out=xin)
    np.testing.assert_array_equal(xin, want)
    np.testing.assert_array_equal(b(dy, y=getattr(fastact, name)(x)), want)
