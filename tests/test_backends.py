"""The dispatcher and the agreement between the native (C) and numba (CPU) backends."""

import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import fastact
from fastact import _dispatch
from fastact._registry import ACTIVATIONS, BY_NAME

from .accuracy import special_values
from .reference import ulp_error

pytest.importorskip("numba")

NAMES = [a.name for a in ACTIVATIONS]


def _call(name, x, backend, dtype):
    with np.errstate(invalid="ignore"):  # cos(inf)
        return _call_all(name, x, backend, dtype, np.cos(x))


def _call_all(name, x, backend, dtype, dy):
    spec = BY_NAME[name]
    if spec.kind == "channelwise":
        w = np.linspace(0.1, 0.3, x.shape[1]).astype(dtype)
        dx, dw = getattr(fastact, name + "_backward")(dy, x, w, backend=backend)
        return [getattr(fastact, name)(x, w, backend=backend), dx, dw]
    f, df = getattr(fastact, name), getattr(fastact, name + "_backward")
    if spec.kind == "random":
        y = f(x, backend=backend, seed=5, offset=7, training=True)
        return [y, df(dy, x, backend=backend, seed=5, offset=7, training=True)]
    y = f(x, backend=backend)
    if spec.kind == "gated":
        return [y, df(np.cos(y), x, backend=backend)]
    outs = [y, df(dy, x, backend=backend)]
    if spec.has_backward_y:
        outs.append(df(dy, y=y, backend=backend))
    return outs


def _inputs(dtype):
    rng = np.random.default_rng(7)
    sv = special_values(dtype)
    sv = sv[np.isfinite(sv) | np.isinf(sv)]
    x = np.concatenate([sv, (rng.standard_normal(3000) * 4).astype(dtype), np.array([np.nan], dtype)])
    x = np.resize(x, (len(x) // 8 * 8,)).reshape(-1, 8)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_numba_agrees_with_native(name, dtype):
    """The numba backend runs the native C kernels in parts: the same bits for every kind, also on
    strided views; channel-wise backward (a Numba kernel of its own) within the registry bound."""
    x = _inputs(dtype)
    spec = BY_NAME[name]
    views = [x] if spec.kind in ("random", "channelwise") else [x, x[:, ::2]]
    for v in views:
        nat = _call(name, v, "native", dtype)
        nb = _call(name, v, "numba", dtype)
        for i, (a, b) in enumerate(zip(nat, nb, strict=True)):
            a, b = np.asarray(a), np.asarray(b)
            if spec.kind != "channelwise" or i == 0:
                np.testing.assert_array_equal(a, b)
            else:
                bound = max(spec.ulp[0] if dtype == np.float32 else spec.ulp[1], spec.ulp_backward[0], 1)
                err = ulp_error(b, a.astype(np.float64), dtype)
                assert err.max() <= 2 * bound, f"{name}: {err.max()} ULP between backends"


def test_numba_strided_and_nd():
    a = np.random.default_rng(1).standard_normal((6, 7, 9)).astype(np.float32)
    for v in (a[::2, :, ::-3], a.transpose(2, 0, 1), np.broadcast_to(a[:1], a.shape), a[0]):
        for name in ("relu", "sigmoid", "softmax"):
            f = getattr(fastact, name)
            np.testing.assert_allclose(f(v, backend="numba"), f(v, backend="native"), rtol=1e-6, atol=1e-7)
    out = np.empty_like(a)
    fastact.tanh(a, out=out, backend="numba")
    np.testing.assert_allclose(out, fastact.tanh(a), rtol=1e-6)
    assert fastact.relu(np.float32(-1), backend="numba") == 0


def test_import_does_not_import_numba():
    code = "import sys, fastact; fastact.relu([1.0]); assert 'numba' not in sys.modules, 'numba imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_automatic_choice(monkeypatch):
    monkeypatch.delenv("FASTACT_BACKEND", raising=False)
    monkeypatch.setenv("FASTACT_NUMBA_THRESHOLD", "1000")
    assert _dispatch.select(None, 999) == "native"
    assert _dispatch.select(None, 1000) == "numba"
    assert _dispatch.select("native", 10**9) == "native"
    with fastact.use_backend("native"):
        assert _dispatch.select(None, 10**9) == "native"
        seen = []
        t = threading.Thread(target=lambda: seen.append(_dispatch.select(None, 10**9)))
        t.start()
        t.join()
        assert seen == ["numba"]  # use_backend is per thread
    monkeypatch.setenv("FASTACT_BACKEND", "numba")
    assert _dispatch.select(None, 1) == "numba"
    with pytest.raises(ValueError, match="unknown backend"):
        _dispatch.select("opencl", 1)
    with pytest.raises(ValueError, match="unknown backend"):
        with fastact.use_backend("opencl"):
            pass


def test_forced_unavailable_backend_raises(monkeypatch):
    monkeypatch.setitem(_dispatch._failed, "numba", "ImportError: pretend")
    monkeypatch.delitem(_dispatch._loaded, "numba", raising=False)
    out = np.full(4, 9.0)
    with pytest.raises(fastact.BackendUnavailable, match="pip install numba"):
        fastact.relu(np.ones(4), out=out, backend="numba")
    assert (out == 9.0).all()


def test_missing_numba_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setenv("FASTACT_NUMBA_THRESHOLD", "10")
    monkeypatch.delenv("FASTACT_BACKEND", raising=False)
    monkeypatch.setitem(_dispatch._failed, "numba", "ImportError: pretend")
    monkeypatch.delitem(_dispatch._loaded, "numba", raising=False)
    monkeypatch.setattr(_dispatch, "_warned", set())
    with pytest.warns(RuntimeWarning, match="using the native backend"):
        y = fastact.sigmoid(np.zeros(100))
    assert (y == 0.5).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastact.sigmoid(np.zeros(100))  # warned once only


def test_deterministic_across_runs_and_threads():
    x = np.random.default_rng(3).standard_normal(300_000).astype(np.float32)
    runs = []
    for n in (1, 2, None):
        fastact.set_num_threads(n)
        runs += [fastact.sigmoid(x, backend="numba"), fastact.sigmoid(x, backend="numba")]
    fastact.set_num_threads(None)
    for r in runs[1:]:
        np.testing.assert_array_equal(r, runs[0])
    with pytest.raises(ValueError):
        fastact.set_num_threads(0)


def test_many_python_threads():
    """8 threads calling the numba backend on large arrays at once: no crash, no deadlock."""
    x = np.random.default_rng(4).standard_normal(400_000)
    ref = fastact.tanh(x, backend="native")
    errors = []

    def work():
        try:
            for _ in range(5):
                np.testing.assert_allclose(fastact.tanh(x, backend="numba"), ref, rtol=1e-15)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert not errors, errors[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_fork_after_use():
    code = """
import os, numpy as np, fastact
x = np.ones(300_000)
fastact.sigmoid(x, backend="numba")
pid = os.fork()
if pid == 0:
    y = fastact.sigmoid(x, backend="numba")
    os._exit(0 if abs(y[0] - 0.7310585786300049) < 1e-15 else 3)
_, status = os.waitpid(pid, 0)
raise SystemExit(os.waitstatus_to_exitcode(status))
"""
    r = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert r.returncode == 0


def test_show_config_lists_backends(capsys):
    fastact.show_config()
    out = capsys.readouterr().out
    for name in ("native", "numba", "cuda"):
        assert name in out
    assert "threshold" in out or "elements" in out


def test_debug_log_shows_the_choice(caplog, monkeypatch):
    import logging

    monkeypatch.delenv("FASTACT_BACKEND", raising=False)
    monkeypatch.delenv("FASTACT_NUMBA_THRESHOLD", raising=False)
    with caplog.at_level(logging.DEBUG, logger="fastact"):
        fastact.sigmoid(np.ones(10**7, np.float32))
        fastact.sigmoid(np.ones(10, np.float32))
    assert "10000000 elements -> numba backend" in caplog.text
    assert "10 elements -> native backend" in caplog.text


# ---- the parallel path starts, and nothing silently becomes something else -----------------

def _fresh(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("FASTACT_BACKEND", "FASTACT_NUMBA_THRESHOLD", "NUMBA_THREADING_LAYER")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**clean, **env})


def test_large_call_runs_on_the_parallel_kernels():
    """In this interpreter (CI: a fresh virtual environment, as users install) a large automatic
    call runs on numba's prange kernels: the backend loaded, no fallback or warning, the layer
    that runs is the one reported, and it is tbb wherever the tbb package is installed."""
    code = """
import importlib.metadata, logging, warnings
import numpy as np
warnings.simplefilter("error")
import fastact
from fastact import _dispatch
seen = []
logging.getLogger("fastact").addHandler(type("H", (logging.Handler,), {"emit": lambda s, r: seen.append(r.getMessage())})())
logging.getLogger("fastact").setLevel(logging.DEBUG)
x = np.linspace(-8, 8, 10**6).astype(np.float32)
y0 = fastact.sigmoid(x)  # starts loading numba in the background; this call runs native
_dispatch.wait_for_backends()
import numba
from fastact.backends import numba_cpu
warm = list(numba_cpu.launches)  # the loader's warm-up call
y = fastact.sigmoid(x)
assert seen == ["fastact: 1000000 elements -> native backend", "fastact: 1000000 elements -> numba backend"], seen
assert not _dispatch._failed, _dispatch._failed
assert numba_cpu.launches == [warm[0] + 1, warm[1] + numba.get_num_threads()], (warm, numba_cpu.launches)
np.testing.assert_array_equal(y0, y)
assert numba_cpu._run_parts.signatures, "the parallel loop did not run"
assert numba.threading_layer() == numba_cpu.LAYER, (numba.threading_layer(), numba_cpu.LAYER)
assert numba.get_num_threads() >= 1
try:
    importlib.metadata.version("tbb")
    assert numba_cpu.LAYER == "tbb", (numba_cpu.LAYER, numba_cpu.LAYER_NOTE)
except importlib.metadata.PackageNotFoundError:
    assert numba_cpu.LAYER == "workqueue", numba_cpu.LAYER
np.testing.assert_array_equal(y, fastact.sigmoid(x, backend="native"))
row = [b for b in _dispatch.status() if b["name"] == "numba"][0]
assert row["threading_layer"].startswith(numba_cpu.LAYER), row
print(numba_cpu.LAYER)
"""
    r = _fresh(code)
    assert r.returncode == 0, r.stdout + r.stderr


def test_without_tbb_the_workqueue_layer_runs_and_forks():
    """With the tbb package hidden, numba still runs in parallel (tbb if the library is on the
    loader's path anyway, else workqueue with the reason reported), threads and fork() stay safe."""
    code = """
import importlib.metadata as md, os, threading, warnings
real = md.distribution
def distribution(name):
    if name.lower() == "tbb":
        raise md.PackageNotFoundError(name)
    return real(name)
md.distribution = distribution
import numpy as np
warnings.simplefilter("error")
import fastact
from fastact.backends import numba_cpu
x = np.linspace(-8, 8, 300_000)
want = fastact.sigmoid(x, backend="native")
assert numba_cpu.LAYER in ("tbb", "workqueue"), numba_cpu.LAYER
if numba_cpu.LAYER == "workqueue":
    assert "tbb package is not installed" in numba_cpu.LAYER_NOTE, numba_cpu.LAYER_NOTE
bad = []
def work():
    for _ in range(5):
        if not np.array_equal(fastact.sigmoid(x, backend="numba"), want):
            bad.append(1)
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
assert not bad
pid = os.fork()
if pid == 0:
    os._exit(0 if np.array_equal(fastact.sigmoid(x, backend="numba"), want) else 3)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
"""
    r = _fresh(code)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_layer_that_cannot_start_makes_numba_unavailable():
    """Forced numba raises BackendUnavailable with the reason; automatic dispatch warns once and
    runs native; calibrate refuses to measure (and stores nothing)."""
    code = """
import warnings, numpy as np, fastact, pytest
from fastact import __main__ as cli
x = np.ones(10**6, np.float32)
with pytest.raises(fastact.BackendUnavailable, match="not a threading layer"):
    fastact.sigmoid(x, backend="numba")
with pytest.raises(fastact.BackendUnavailable, match="unset NUMBA_THREADING_LAYER"):
    fastact.sigmoid(x, backend="numba")  # not retried: the same reason
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    fastact.sigmoid(x); fastact.sigmoid(x)
assert len(w) == 1 and "using the native backend" in str(w[0].message), [str(m.message) for m in w]
with pytest.raises(SystemExit, match="calibrate"):
    cli.main(["calibrate"])
"""
    r = _fresh(code, NUMBA_THREADING_LAYER="nonesuch", FASTACT_CONFIG="/nonexistent/fastact.json")
    assert r.returncode == 0, r.stdout + r.stderr


def test_forced_numba_never_falls_back(monkeypatch):
    """A numba kernel that fails raises when numba was forced (a comparison of two backends must
    not compare native with itself); only the automatic choice falls back to native."""
    numba_cpu = _dispatch.load("numba")

    def broken(*args):
        raise RuntimeError("simulated compile failure")

    monkeypatch.setattr(numba_cpu, "eltwise", broken)
    monkeypatch.delenv("FASTACT_BACKEND", raising=False)
    monkeypatch.setenv("FASTACT_NUMBA_THRESHOLD", "10")
    x = np.linspace(-3, 3, 100)
    with pytest.raises(RuntimeError, match="simulated"):
        fastact.tanh(x, backend="numba")
    with fastact.use_backend("numba"), pytest.raises(RuntimeError, match="simulated"):
        fastact.tanh(x)
    monkeypatch.setattr(_dispatch, "_warned", set())
    native = _dispatch.load("native")
    native.set_fastpath(False)  # the compiled fast path only takes numba once its loop has run
    try:
        with pytest.warns(RuntimeWarning, match="numba backend failed"):
            np.testing.assert_array_equal(fastact.tanh(x), fastact.tanh(x, backend="native"))
    finally:
        native.set_fastpath(True)


def test_fork_while_numba_loads_in_the_background():
    """The first large automatic call starts loading numba in a thread and runs native; a fork()
    right after waits for the load, so the child can use numba (no half-imported module)."""
    code = """
import os, sys, numpy as np, fastact
from fastact import _dispatch
x = np.linspace(-8, 8, 10**6)
want = fastact.sigmoid(x, backend="native")
assert np.array_equal(fastact.sigmoid(x), want)  # automatic: native while numba loads
assert _dispatch._loader, "no background load started"
pid = os.fork()
if pid == 0:
    ok = "numba" in _dispatch._loaded and np.array_equal(fastact.sigmoid(x, backend="numba"), want)
    os._exit(0 if ok else 3)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
"""
    r = _fresh(code)
    assert r.returncode == 0, r.stdout + r.stderr
