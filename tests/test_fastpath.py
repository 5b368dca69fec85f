"""The compiled fast path of the public functions (fastact.backends.native.Function).

fastact.<name> of the eltwise and rowwise activations finish the common call in compiled code
and pass every other call to ``.general``, the Python implementation. Both must give the same
results and the same errors, for every call."""

import contextlib
import functools
import inspect
import logging
import pickle

import numpy as np
import pytest

import fastact
from fastact import _dispatch
from fastact._registry import ACTIVATIONS, BY_NAME

native = pytest.importorskip("fastact.backends.native")

FAST = [a.name for a in ACTIVATIONS if a.kind in ("eltwise", "rowwise")]
# a valid non-default value for the first parameter, and one that fails the registry's checks
GOOD = {"leaky_relu": 0.2, "elu": 0.5, "celu": 2.0, "softplus": 2.0, "hardtanh": -2.0, "threshold": 0.5,
        "hardshrink": 0.25, "softshrink": 0.25}
BAD = {"softplus": 0.0, "celu": 0.0, "hardtanh": 5.0, "softshrink": -1.0}


def _x(dtype=np.float32, shape=(3, 8)):
    return np.linspace(-4, 4, int(np.prod(shape)), dtype=dtype).reshape(shape)


@contextlib.contextmanager
def _general_only():
    """Every call through the general Python path."""
    prev = native.set_fastpath(False)
    try:
        yield
    finally:
        native.set_fastpath(prev)


def _both(f, build):
    """f's outcome for build()'s arguments with the fast path, then through the general path only."""
    outcomes = []
    for general in (False, True):
        args, kwargs = build()
        before = [np.array(v, copy=True) for v in kwargs.values() if isinstance(v, np.ndarray)]
        calls = native.fastpath_calls()
        with _general_only() if general else contextlib.nullcontext():
            o = _outcome(f, args, kwargs)
        assert not general or native.fastpath_calls() == calls
        if o[0] == "error":  # nothing written
            after = [v for v in kwargs.values() if isinstance(v, np.ndarray)]
            for u, v in zip(before, after, strict=True):
                np.testing.assert_array_equal(u, v)
        outcomes.append(o)
    return outcomes


def _read_only(a):
    a.flags.writeable = False
    return a


def _cases(name):
    """(label, build) with build() -> (args, kwargs): fresh arrays for every call."""
    spec = BY_NAME[name]
    p0 = spec.params[0].name if spec.params else None
    cases = [
        ("f32", lambda: ((_x(),), {})),
        ("f64", lambda: ((_x(np.float64),), {})),
        ("1-d", lambda: ((_x(shape=(16,)),), {})),
        ("3-d", lambda: ((_x(shape=(2, 3, 4)),), {})),
        ("strided", lambda: ((_x(shape=(6, 8))[::2, 1::3],), {})),
        ("reversed", lambda: ((_x(shape=(16,))[::-1],), {})),
        ("transposed", lambda: ((_x(np.float64, (4, 6)).T,), {})),
        ("0-d", lambda: ((np.array(0.5, np.float32),), {})),
        ("empty", lambda: ((np.empty((0, 3), np.float32),), {})),
        ("x=", lambda: ((), {"x": _x()})),
        ("out", lambda: ((_x(),), {"out": np.empty((3, 8), np.float32)})),
        ("out transposed", lambda: ((_x(),), {"out": np.empty((8, 3), np.float32).T})),
        ("out f64 for f32", lambda: ((_x(),), {"out": np.empty((3, 8))})),
        ("out f16", lambda: ((_x(),), {"out": np.empty((3, 8), np.float16)})),
        ("out shape", lambda: ((_x(),), {"out": np.empty((3, 7), np.float32)})),
        ("out list", lambda: ((_x(),), {"out": [0.0] * 24})),
        ("out int", lambda: ((_x(),), {"out": np.empty((3, 8), np.int32)})),
        ("out read-only", lambda: ((_x(),), {"out": _read_only(np.zeros((3, 8), np.float32))})),
        ("in place", None),
        ("overlap", None),
        ("disjoint view", None),
        ("f16", lambda: ((_x(np.float16),), {})),
        ("int", lambda: ((np.arange(-3, 4),), {})),
        ("list", lambda: (([-1.0, 0.5, 2.0],), {})),
        ("scalar", lambda: ((1.5,), {})),
        ("big-endian", lambda: ((_x().astype(">f4"),), {})),
        ("unaligned", None),
        ("matrix subclass", lambda: ((np.asmatrix(_x()),), {})),
        ("backend native", lambda: ((_x(),), {"backend": "native"})),
        ("backend bogus", lambda: ((_x(),), {"backend": "bogus"})),
        ("backend int", lambda: ((_x(),), {"backend": 3})),
        ("stream", lambda: ((_x(),), {"stream": 0})),
        ("unknown kw", lambda: ((_x(),), {"alpha_beta": 1.0})),
        ("missing x", lambda: ((), {})),
        ("x twice", lambda: ((_x(),), {"x": _x()})),
        ("too many", lambda: ((_x(),) + (1.0,) * 6, {})),
    ]
    if p0:
        cases += [
            ("param float", lambda: ((_x(),), {p0: GOOD.get(name, spec.params[0].default)})),
            ("param int", lambda: ((_x(),), {p0: int(GOOD.get(name, 1.0))})),
            ("param bool", lambda: ((_x(),), {p0: True})),
            ("param np.float32", lambda: ((_x(),), {p0: np.float32(GOOD.get(name, 1.0))})),
            ("param np.float64", lambda: ((_x(),), {p0: np.float64(GOOD.get(name, 1.0))})),
            ("param nan", lambda: ((_x(),), {p0: float("nan")})),
            ("param str", lambda: ((_x(),), {p0: "1"})),
            ("param huge int", lambda: ((_x(),), {p0: 10**400})),
            ("param twice", lambda: ((_x(), 1.0), {p0: 1.0})),
        ]
        if spec.kind != "rowwise":
            cases.append(("param positional", lambda: ((_x(), GOOD.get(name, 1.0)), {})))
        if name in BAD:
            cases.append(("param bad", lambda: ((_x(),), {p0: BAD[name]})))
    if spec.kind == "rowwise":
        cases += [
            ("axis 0", lambda: ((_x(),), {"axis": 0})),
            ("axis -2", lambda: ((_x(shape=(2, 3, 4)),), {"axis": -2})),
            ("axis 1 of 3-d out", lambda: ((_x(shape=(2, 3, 4)),), {"axis": 1, "out": np.empty((2, 3, 4), np.float32)})),
            ("axis positional", lambda: ((_x(), 0), {})),
            ("axis bad", lambda: ((_x(),), {"axis": 2})),
            ("axis float", lambda: ((_x(),), {"axis": 1.0})),
            ("axis np.int64", lambda: ((_x(),), {"axis": np.int64(0)})),
        ]
    return cases


def _special(label):
    buf = np.linspace(-3, 3, 40, dtype=np.float32)
    if label == "in place":
        x = _x()
        return (x,), {"out": x}
    if label == "overlap":
        return (buf[:24],), {"out": buf[8:32]}
    if label == "disjoint view":
        return (buf[:16],), {"out": buf[16:32]}
    if label == "unaligned":
        raw = np.zeros(24 * 4 + 1, np.uint8)[1:].view(np.float32)
        raw[:] = np.linspace(-3, 3, 24)
        return (raw,), {}
    raise AssertionError(label)


def _outcome(f, args, kwargs):
    try:
        with np.errstate(all="raise"):
            r = f(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the errors are compared
        return ("error", type(e), str(e))
    return ("ok", r, r is kwargs.get("out"), [np.array(a, copy=True) for a in args if isinstance(a, np.ndarray)])


def _same(a, b, label):
    assert a[0] == b[0], (label, a, b)
    if a[0] == "error":
        assert a[1:] == b[1:], label
        return
    ra, rb = a[1], b[1]
    assert type(ra) is type(rb), label
    assert np.asarray(ra).dtype == np.asarray(rb).dtype and np.shape(ra) == np.shape(rb), label
    np.testing.assert_array_equal(ra, rb, err_msg=label)
    if isinstance(ra, np.ndarray):
        assert ra.strides == rb.strides, label
    assert a[2] == b[2], label
    for u, v in zip(a[3], b[3], strict=True):  # the inputs after the call (in place, nothing else)
        np.testing.assert_array_equal(u, v, err_msg=label)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
@pytest.mark.parametrize("name", FAST)
@pytest.mark.parametrize("backward", [False, True])
def test_fast_and_general_agree(name, backward):
    f = getattr(fastact, name + ("_backward" if backward else ""))
    assert isinstance(f, native.Function)
    calls = native.fastpath_calls()
    for label, build in _cases(name):
        build = build or functools.partial(_special, label)
        if backward:  # dy first, then the forward's arguments (x as the second)
            build = functools.partial(_with_dy, build)
        _same(*_both(f, build), f"{f.__name__} {label}")
    assert native.fastpath_calls() - calls >= 10  # the plain cases took the fast path


def _with_dy(build):
    args, kwargs = build()
    x = args[0] if args else kwargs.get("x", np.ones(3))
    dt = np.float32 if np.asarray(x).dtype == np.float32 else np.float64
    return (np.cos(np.asarray(x, np.float64)).astype(dt), *args), kwargs


@pytest.mark.parametrize("name", [a.name for a in ACTIVATIONS if a.has_backward_y])
def test_backward_from_y_agrees(name):
    f = getattr(fastact, name + "_backward")
    spec = BY_NAME[name]
    x = _x(np.float64)
    y = getattr(fastact, name)(x)
    kws = [{}, {"out": np.empty_like(x)}, {"x": x}]
    if spec.params:
        kws += [{spec.params[0].name: 0.0}, {spec.params[0].name: GOOD.get(name, 1.0)}]
    for kw in kws:
        def build(kw=kw):
            return (np.cos(x),), {"y": y.copy()} | {n: (v.copy() if isinstance(v, np.ndarray) else v)
                                                   for n, v in kw.items()}
        _same(*_both(f, build), f"{name} {kw}")


def test_variants_agree():
    x = _x()
    for kw in [{}, {"approximate": "none"}, {"approximate": "tanh"}, {"approximate": "bogus"}, {"approximate": 1},
               {"out": np.empty_like(x)}, {"approximate": "none", "backend": "native"}]:
        for f in (fastact.gelu, fastact.gelu_backward):
            def build(f=f, kw=kw):
                args = (x.copy(),) if f is fastact.gelu else (np.cos(x), x.copy())
                return args, {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
            _same(*_both(f, build), f"{f.__name__} {kw}")


def test_backward_mixed_and_mismatched():
    x32, x64 = _x(), _x(np.float64)
    for f in (fastact.sigmoid_backward, fastact.softmax_backward):
        for args in [(x32, x64), (x64, x32), (x32, _x(shape=(4, 6))), (x32[:, ::2], x32[:, 1::2]), (x32, x32)]:
            _same(*_both(f, lambda args=args: (tuple(a.copy() for a in args), {})), f"{f.__name__} {args}")
        for target in (0, 1):
            def build(target=target):
                dy, x = np.cos(x32), x32.copy()
                return (dy, x), {"out": (dy, x)[target]}
            _same(*_both(f, build), f"{f.__name__} in place {target}")


# ---- the fast path is taken for the common call --------------------------------------------------

def _taken(call) -> int:
    before = native.fastpath_calls()
    call()
    return native.fastpath_calls() - before


@pytest.fixture
def automatic(monkeypatch):
    monkeypatch.delenv("FASTACT_BACKEND", raising=False)
    monkeypatch.delenv("FASTACT_NUMBA_THRESHOLD", raising=False)
    return monkeypatch


def test_common_calls_take_the_fast_path(automatic):
    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    y, dx = np.empty_like(x), np.empty_like(x)
    x2, y2 = x.reshape(4, 250), np.empty((4, 250), np.float32)
    for call in [lambda: fastact.tanh(x, out=y), lambda: fastact.sigmoid(x), lambda: fastact.relu(x, out=y),
                 lambda: fastact.sigmoid_backward(x, x, out=dx), lambda: fastact.relu_backward(x, y=y),
                 lambda: fastact.leaky_relu(x, negative_slope=0.1, out=y), lambda: fastact.leaky_relu(x, 0.1),
                 lambda: fastact.softmax(x2, out=y2), lambda: fastact.log_softmax(x2, axis=0),
                 lambda: fastact.softmax_backward(x2, x2, out=y2), lambda: fastact.elu(x, backend="native"),
                 lambda: fastact.leaky_relu(x, negative_slope=np.float64(0.1)),
                 lambda: fastact.get("elu", alpha=0.5)(x), lambda: fastact.gelu(x),
                 lambda: fastact.gelu_backward(x, x, approximate="none"),
                 lambda: fastact.gelu(x, approximate="tanh")]:  # through the selector, then gelu_tanh's
        assert _taken(call) == 1
    # the general path: conversions, other backends, errors
    for call in [lambda: fastact.sigmoid(list(x[:5])), lambda: fastact.sigmoid(x.astype(np.float16)),
                 lambda: fastact.sigmoid(x, out=np.empty(1000)), lambda: fastact.sigmoid(x, backend="numba"),
                 lambda: fastact.leaky_relu(x, negative_slope=np.float32(0.1))]:
        assert _taken(call) == 0
    with pytest.raises(ValueError, match="overlap"):
        fastact.relu(x[:900], out=x[100:])


def test_dispatcher_state_is_respected(automatic, caplog):
    x = np.ones(1000, np.float32)
    with fastact.use_backend("numba"):
        assert _taken(lambda: fastact.sigmoid(x)) == 0
        with fastact.use_backend(None):
            assert _taken(lambda: fastact.sigmoid(x)) == 0  # the general path decides inside a block
    assert _taken(lambda: fastact.sigmoid(x)) == 1
    automatic.setenv("FASTACT_BACKEND", "native")
    assert _taken(lambda: fastact.sigmoid(np.ones(10**6, np.float32))) == 1
    automatic.setenv("FASTACT_BACKEND", "numba")
    assert _taken(lambda: fastact.sigmoid(x)) == 0
    automatic.setenv("FASTACT_BACKEND", "")
    assert _taken(lambda: fastact.sigmoid(x)) == 1
    automatic.setenv("FASTACT_NUMBA_THRESHOLD", "1000")
    assert _taken(lambda: fastact.sigmoid(x[:999])) == 1
    numba_cpu = _dispatch.load("numba")
    fastact.sigmoid(x, backend="numba")  # the parallel loop has run: the fast path may take numba calls
    before = numba_cpu.launches[0]
    assert _taken(lambda: fastact.sigmoid(x)) == 1  # on numba's threads, from the fast path
    assert numba_cpu.launches[0] == before + 1
    with fastact.use_backend("numba"):
        assert _taken(lambda: fastact.sigmoid(x)) == 0
    assert numba_cpu.launches[0] == before + 2
    automatic.setenv("FASTACT_NUMBA_THRESHOLD", "500")
    assert _taken(lambda: fastact.sigmoid(x[:999])) == 1  # the new threshold is read: numba
    assert numba_cpu.launches[0] == before + 3
    automatic.setenv("FASTACT_NUMBA_THRESHOLD", "not a number")
    with pytest.raises(ValueError):
        fastact.sigmoid(x)
    automatic.delenv("FASTACT_NUMBA_THRESHOLD")
    assert _taken(lambda: fastact.sigmoid(x)) == 1
    with caplog.at_level(logging.DEBUG, logger="fastact"):
        assert _taken(lambda: fastact.sigmoid(x)) == 0
    assert "1000 elements -> native backend" in caplog.text
    assert _taken(lambda: fastact.sigmoid(x)) == 1


def test_use_backend_in_another_thread(automatic):
    """A use_backend block open in one thread sends every thread's calls to the general path,
    which still chooses per thread."""
    import threading

    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    entered, done = threading.Event(), threading.Event()

    def hold():
        with fastact.use_backend("native"):
            entered.set()
            done.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert entered.wait(30)
        assert _taken(lambda: fastact.sigmoid(x)) == 0
        np.testing.assert_array_equal(fastact.sigmoid(x), fastact.sigmoid(x, backend="native"))
    finally:
        done.set()
        t.join()
    assert _taken(lambda: fastact.sigmoid(x)) == 1


def test_function_objects_look_like_functions():
    f = fastact.leaky_relu
    assert f.__name__ == f.__qualname__ == "leaky_relu" and f.__module__ == "fastact"
    assert list(inspect.signature(f).parameters) == ["x", "negative_slope", "out", "backend", "stream"]
    assert inspect.isroutine(f) and "Leaky ReLU" in f.__doc__ and ">>> fastact.leaky_relu(x)" in f.__doc__
    assert pickle.loads(pickle.dumps(f)) is f
    assert "leaky_relu" in repr(f)

    class Holder:
        act = fastact.relu

    assert Holder.act is fastact.relu
    with pytest.raises(TypeError, match="dtype object"):  # bound like a Python function: the instance is x
        Holder().act()
    x = np.array([-1.0, 2.0])
    assert fastact.relu(*[x], **{}).tolist() == [0.0, 2.0]  # tp_call (args tuple, kwargs dict)
    assert fastact.relu(x, **{"out": np.empty(2)}).tolist() == [0.0, 2.0]


def test_threshold_per_kernel_from_its_cost(automatic):
    """The fast path sends a kernel's automatic calls to numba from the size at which its own
    native time reaches the crossover time: an expensive kernel goes parallel at sizes where a
    cheap one stays on one thread. The costs are set here (normally the kernel's first calls of
    >= 16384 elements measure them)."""
    automatic.setenv("FASTACT_CONFIG", "/nonexistent/fastact.json")  # the default crossover
    _dispatch.reload_config()
    numba_cpu = _dispatch.load("numba")
    fastact.sigmoid(np.ones(10, np.float32), backend="numba")  # the parallel loop has run
    x = np.linspace(-3, 3, 65536, dtype=np.float32)
    try:
        fastact.sigmoid.set_kernel_cost(np.float32, 0.33)
        fastact.relu.set_kernel_cost(np.float32, 0.08)
        cross = _dispatch.DEFAULT_CROSSOVER_NS
        assert fastact.sigmoid.kernel_cost(np.float32) == (0.33, int(cross / 0.33))
        assert fastact.relu.kernel_cost(np.float32)[1] == int(cross / 0.08) > x.size
        before = numba_cpu.launches[0]
        assert _taken(lambda: fastact.sigmoid(x)) == 1
        assert numba_cpu.launches[0] == before + 1  # parallel
        assert _taken(lambda: fastact.relu(x)) == 1
        assert numba_cpu.launches[0] == before + 1  # native
        automatic.setenv("FASTACT_NUMBA_THRESHOLD", str(10**6))  # the override wins
        assert _taken(lambda: fastact.sigmoid(x)) == 1
        assert numba_cpu.launches[0] == before + 1
    finally:
        fastact.sigmoid.set_kernel_cost(np.float32, None)
        fastact.relu.set_kernel_cost(np.float32, None)
        automatic.undo()
        _dispatch.reload_config()


def test_kernel_cost_is_measured_on_large_native_calls(automatic):
    x = np.ones(20000)
    fastact.softsign.set_kernel_cost(np.float64, None)
    for _ in range(3):
        fastact.softsign(x, backend="native")
    cost, threshold = fastact.softsign.kernel_cost(np.float64)
    assert cost is not None and cost > 0 and threshold >= 16384
