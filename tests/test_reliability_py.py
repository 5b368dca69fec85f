"""Reliability of the Python layer (slow): many threads, fork, multiprocessing,
concurrent Numba cache builds, memory growth, 64-bit indexing, and a short atheris
fuzz run of the public API.

    python -m pytest -m slow tests/test_reliability_py.py

Everything that could hang runs with a timeout (threads: join timeouts; processes:
subprocess timeouts), so a deadlock fails the test instead of stalling the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import fastact

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _run_py(code: str, timeout: float, **env) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=timeout, env=_env(**env), cwd=str(ROOT))
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr[-4000:]}"
    return r


def _numba_ok() -> bool:
    try:
        fastact.relu(np.ones(3), backend="numba")
        return True
    except fastact.BackendUnavailable:
        return False


# ---- threads -------------------------------------------------------------------------

CALLS = [  # (name, op) op: forward / backward
    ("sigmoid", "fwd"), ("gelu", "fwd"), ("silu", "bwd"), ("softplus", "fwd"), ("tanh", "bwd"),
    ("softmax", "fwd"), ("log_softmax", "bwd"), ("mish", "fwd"), ("elu", "bwd"), ("relu", "fwd"),
]
SIZES = (1, 7, 67, 1000, 4099)
DTYPES = (np.float32, np.float64)


def _inputs():
    rng = np.random.default_rng(1)
    return {(n, dt): (rng.uniform(-6, 6, (n,)).astype(dt), rng.uniform(-1, 1, (n,)).astype(dt))
            for n in SIZES for dt in DTYPES}


def _one(name, op, backend, x, dy):
    if op == "fwd":
        return getattr(fastact, name)(x, backend=backend)
    return getattr(fastact, name + "_backward")(dy, x, backend=backend)


def test_threads_results_equal_single_threaded():
    """16 threads x 1e4 calls mixing backends, dtypes, sizes and functions: no crash, no
    deadlock (join timeout), every result bitwise equal to the single-threaded one."""
    backends = ["native"] + (["numba"] if _numba_ok() else [])
    data = _inputs()
    combos = [(name, op, be, n, dt) for name, op in CALLS for be in backends for n in SIZES for dt in DTYPES]
    expected = {c: _one(c[0], c[1], c[2], *data[(c[3], c[4])]) for c in combos}  # also compiles numba
    n_threads, n_calls = 16, 10_000
    errors: list = []
    done = [0] * n_threads
    start = threading.Barrier(n_threads)

    def work(t):
        rng = np.random.default_rng(100 + t)
        try:
            start.wait(timeout=60)
            for k in range(n_calls):
                c = combos[int(rng.integers(len(combos)))]
                got = _one(c[0], c[1], c[2], *data[(c[3], c[4])])
                exp = expected[c]
                if got.dtype != exp.dtype or not np.array_equal(got, exp, equal_nan=True):
                    errors.append((t, k, c))
                    return
                done[t] += 1
        except Exception as e:  # reported below
            errors.append((t, repr(e)))

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=900)
    alive = [th for th in threads if th.is_alive()]
    assert not alive, f"{len(alive)} threads still running: deadlock? calls done: {done}"
    assert not errors, errors[:5]
    assert sum(done) == n_threads * n_calls


# ---- processes -----------------------------------------------------------------------

_USE = """
import os, sys, numpy as np, fastact
x = np.linspace(-5, 5, 1001)
ref = {be: (fastact.gelu(x, backend=be), fastact.softmax(x.reshape(7, 143), backend=be),
            fastact.silu_backward(np.ones_like(x), x, backend=be)) for be in BACKENDS}
"""


def _backends_literal() -> str:
    return repr(["native"] + (["numba"] if _numba_ok() else []))


def test_fork_after_use():
    """Use both backends (Numba's thread pool is up), fork, use them in the child: no hang."""
    code = f"BACKENDS = {_backends_literal()}\n" + _USE + """
pids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        try:
            for be in BACKENDS:
                got = (fastact.gelu(x, backend=be), fastact.softmax(x.reshape(7, 143), backend=be),
                       fastact.silu_backward(np.ones_like(x), x, backend=be))
                assert all(np.array_equal(a, b) for a, b in zip(got, ref[be])), be
        except BaseException as e:
            print("child failed:", repr(e), flush=True)
            os._exit(1)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
# and the parent still works
for be in BACKENDS:
    assert np.array_equal(fastact.gelu(x, backend=be), ref[be][0])
print("ok")
"""
    assert "ok" in _run_py(code, timeout=300).stdout


@pytest.mark.parametrize("method", ["spawn", "fork", "forkserver"])
def test_multiprocessing(method, tmp_path):
    code = f"BACKENDS = {_backends_literal()}\nMETHOD = {method!r}\n" + """
import multiprocessing as mp
import numpy as np, fastact

def job(args):
    be, seed = args
    x = np.random.default_rng(seed).uniform(-4, 4, 5000)
    return seed, be, fastact.gelu(x, backend=be), fastact.log_softmax(x.reshape(50, 100), backend=be)

if __name__ == "__main__":
    tasks = [(be, s) for be in BACKENDS for s in range(8)]
    if METHOD == "fork":  # fork after use: the parent has run both backends
        for be, s in tasks[:2]:
            job((be, s))
    ctx = mp.get_context(METHOD)
    with ctx.Pool(2) as pool:
        res = pool.map_async(job, tasks).get(timeout=240)
    for seed, be, g, l in res:
        _, _, g0, l0 = job((be, seed))
        assert np.array_equal(g, g0) and np.array_equal(l, l0), (seed, be)
    print("ok", len(res))
"""
    path = tmp_path / f"mp_{method}.py"  # spawn needs a __main__ file to import
    path.write_text(textwrap.dedent(code))
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=400,
                       env=_env(), cwd=str(ROOT))
    assert r.returncode == 0, r.stdout + r.stderr[-4000:]
    assert "ok" in r.stdout


def test_two_processes_build_numba_cache_at_once(tmp_path):
    """Two fresh processes compile the same kernels (the parallel loop, cached by Numba beside
    numba_cpu.py, and a channel-wise backward kernel under FASTACT_CACHE_DIR) at the same time;
    both succeed with equal results, and a third loads them from disk."""
    if not _numba_ok():
        pytest.skip("numba backend unavailable")
    code = """
import sys, numpy as np, fastact
from fastact.backends import numba_cpu
x = np.linspace(-6, 6, 3003)
outs = [fastact.gelu(x, backend="numba"), fastact.softplus(x.astype(np.float32), backend="numba"),
        fastact.tanh_backward(np.ones_like(x), x, backend="numba"),
        fastact.softmax(x.reshape(3, 1001), backend="numba"),
        fastact.prelu_backward(np.ones((3, 1001)), x.reshape(3, 1001), np.full(1001, 0.25), backend="numba")[0]]
np.save(sys.argv[1], np.concatenate([o.astype(np.float64).ravel() for o in outs]))
print(numba_cpu.kernel_dir())
"""
    script = tmp_path / "build_cache.py"
    script.write_text(textwrap.dedent(code))
    cache = tmp_path / "cache"
    env = _env(FASTACT_CACHE_DIR=cache)
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path / f"r{i}.npy")], env=env, cwd=str(ROOT),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err[-4000:]
        outs.append(out.strip())
    assert outs[0] == outs[1] and Path(outs[0]).is_dir() and str(cache) in outs[0]
    r0, r1 = np.load(tmp_path / "r0.npy"), np.load(tmp_path / "r1.npy")
    assert np.array_equal(r0, r1)
    cached = list(Path(outs[0]).rglob("*.nbi"))
    assert cached, "no Numba cache index written"
    third = subprocess.run([sys.executable, str(script), str(tmp_path / "r2.npy")], env=env, cwd=str(ROOT),
                           capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-4000:]
    assert np.array_equal(np.load(tmp_path / "r2.npy"), r0)


# ---- memory ----------------------------------------------------------------------------

def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_no_leak_over_1e5_calls():
    """1e5 native calls (forward, backward, rowwise, channelwise, with and without out=, and
    failing calls) do not grow RSS: no leak in the Cython/C layer or the error paths."""
    x32 = np.linspace(-3, 3, 100, dtype=np.float32)
    x64 = np.linspace(-3, 3, 60).reshape(6, 10)
    out = np.empty_like(x32)
    w = np.array([0.25])
    bad = np.ones(3, dtype=complex)

    def batch(k):
        for _ in range(k):
            fastact.gelu(x32, backend="native")
            fastact.sigmoid(x32, out=out, backend="native")
            fastact.silu_backward(x32, x32, backend="native")
            fastact.softmax(x64, axis=0, backend="native")
            fastact.prelu(x64, w, backend="native")
            fastact.glu(x64, backend="native")
            fastact.dropout(x32, seed=1, training=True, backend="native")
            try:
                fastact.relu(bad)
            except TypeError:
                pass
            try:
                fastact.elu(x32, alpha=float("nan"))
            except ValueError:
                pass
            fastact.tanh(0.5, backend="native")

    batch(2_000)  # warm up caches and allocator pools
    before = _rss()
    batch(10_000)  # 1e5 calls
    grown = _rss() - before
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 1e5 calls"


# ---- 64-bit indexing -------------------------------------------------------------------

STRIDE = 2**31 + 3  # elements: offsets i * STRIDE pass 2^31 from i = 1 and 2^32 from i = 2


@pytest.fixture(scope="module")
def sparse_map(tmp_path_factory):
    """A 32 GiB sparse file mapped into memory: only the pages touched take space."""
    path = tmp_path_factory.mktemp("big") / "sparse.bin"
    nbytes = 32 * 2**30
    try:
        m = np.memmap(path, dtype=np.uint8, mode="w+", shape=(nbytes,))
    except (OSError, ValueError) as e:
        pytest.skip(f"cannot map a 32 GiB sparse file here: {e}")
    yield m
    del m
    path.unlink(missing_ok=True)


def _strided(m, dtype, offset_bytes, shape, strides_elems):
    it = np.dtype(dtype).itemsize
    first = m[offset_bytes:offset_bytes + it].view(dtype)  # element 0; the rest by stride arithmetic
    return np.lib.stride_tricks.as_strided(first, shape, tuple(s * it for s in strides_elems))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", ["native", "numba"])
def test_64bit_element_offsets(sparse_map, dtype, backend):
    """x[i] and y[i] lie i * (2^31 + 3) elements apart (byte offsets past 8 GiB): with 32-bit
    index arithmetic the kernels would read or write the wrong elements or crash."""
    if backend == "numba" and not _numba_ok():
        pytest.skip("numba backend unavailable")
    it = np.dtype(dtype).itemsize
    n = 4 if it == 4 else 2  # 2 * (2^31 + 3) * 8 bytes < 32 GiB
    sparse_map[:20480] = 0  # the first pages are shared by the parametrizations
    x = _strided(sparse_map, dtype, 0, (n,), (STRIDE,))
    y = _strided(sparse_map, dtype, 4096, (n,), (STRIDE,))  # another page, same stride
    dx = _strided(sparse_map, dtype, 8192, (n,), (STRIDE,))
    assert (n - 1) * STRIDE > 2**31
    vals = np.array([-2.0, 0.5, 3.0, -0.25][:n], dtype=dtype)
    x[...] = vals
    y[...] = 99
    r = fastact.gelu(x, out=y, backend=backend)
    assert r is y
    np.testing.assert_array_equal(np.array(y), fastact.gelu(vals, backend="native"))
    fastact.sigmoid_backward(x, x, out=dx, backend=backend)  # dy = x
    np.testing.assert_array_equal(np.array(dx), fastact.sigmoid_backward(vals, vals, backend="native"))
    # element 1 of the 2-d view is 2^31 + 3 rows down: rows x cols strides for softmax
    x2 = _strided(sparse_map, dtype, 12288, (2, 3), (STRIDE, 1))
    y2 = _strided(sparse_map, dtype, 16384, (2, 3), (STRIDE, 1))
    x2[...] = np.arange(6, dtype=dtype).reshape(2, 3) / 4
    fastact.softmax(x2, axis=-1, out=y2, backend=backend)
    np.testing.assert_allclose(np.array(y2), fastact.softmax(np.array(x2), axis=-1, backend="native"),
                               rtol=1e-6 if it == 4 else 1e-14)
    # and the memory next to the elements was not touched
    assert not sparse_map[4096 + it:4096 + 64].any() and not sparse_map[12288 + 3 * it:12288 + 64].any()


# ---- atheris ---------------------------------------------------------------------------

def test_atheris_short_run(tmp_path):
    """30 s of the atheris harness of the Python API (fastact_c/fuzz/fuzz_python.py)."""
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    r = subprocess.run([sys.executable, str(ROOT / "fastact_c" / "fuzz" / "fuzz_python.py"), "-max_total_time=30",
                        "-timeout=60", f"-artifact_prefix={tmp_path}/", str(corpus)],
                       capture_output=True, text=True, timeout=300, env=_env(), cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-6000:]
    assert "Done" in r.stderr
