"""The numba backend: CPU-parallel kernels (``prange``) built from the registry.

The scalar functions come from ``_scalar_gen.py`` (generated from the registry,
the same formulas as the C kernels) compiled with the vectorizable elementary
functions of ``_numba_math.py``. One kernel template per kind (elementwise,
row-wise, channel-wise) turns them into parallel loops; kernels are compiled
lazily, per (activation, operation, dtype, layout), on first use, and cached on
disk (``NUMBA_CACHE_DIR``, see ``cache_dir()``).

Operands arrive validated by ``fastact._api`` (same shape and dtype, outputs
writeable and not partially overlapping). N-d arrays are collapsed with the
native backend's planner into at most a 2-d (outer, inner) walk per call.

Threading: Numba's ``tbb`` layer when the ``tbb`` package's library loads (safe
for concurrent calls from many threads and for ``fork``); otherwise the
``workqueue`` layer, which is not thread-safe, so calls are serialized with a
lock (documented in the README). The layer is started when this module is
imported, so a layer that cannot start makes the backend unavailable (once),
never a failed call; ``LAYER`` is the layer that runs, ``LAYER_NOTE`` why a
preferred one was skipped.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import tempfile
import threading

import numpy as np


def _prefer_512_bit(numba) -> None:
    """512-bit vectors on AVX-512 CPUs: LLVM's tuning for Intel AVX-512 CPUs prefers 256-bit
    ones, and the C kernels (GCC's x86-64-v4 clone, 512-bit) ran 1.2-1.5x faster per thread
    (sigmoid 0.55 vs 0.86 ms per 1e6 float32; 0.61 ms with this). Numba reads its CPU features
    from its config when it first builds its code generator (lazily, after import), so this
    sets the config, never the environment: a changed NUMBA_* variable makes Numba's compiler
    re-read every setting from the environment, which reset the threading layer chosen below
    to "default" (GNU OpenMP, not fork-safe) on a cold kernel cache. Left alone when the user
    chose the CPU (NUMBA_CPU_NAME / NUMBA_CPU_FEATURES)."""
    if os.environ.get("NUMBA_CPU_FEATURES") or os.environ.get("NUMBA_CPU_NAME"):
        return
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" in features.split(","):
        numba.config.CPU_FEATURES = features + ",-prefer-256-bit"


import numba  # noqa: E402

_prefer_512_bit(numba)

from .._registry import ACTIVATIONS  # noqa: E402
from . import _numba_math, _scalar_gen, native  # noqa: E402


# ---- the threading layer -------------------------------------------------------------------
# Chosen by loading it, not from package metadata. The `tbb` wheel puts libtbb.so.12 in
# <prefix>/lib, which is on the loader's path for the system interpreter but not in a virtual
# environment or a user-site install, so Numba's tbbpool extension could not find it there
# (numba#6108, #7148). Loading the library by its path first (RTLD_GLOBAL) makes the soname
# resolve for tbbpool and for Numba's own version check. Preference: tbb (thread- and
# fork-safe), then workqueue (fork-safe; calls serialized with a lock). GNU OpenMP is used only
# when the user asks for it (NUMBA_THREADING_LAYER=omp): a fork() after use kills the child.

def _tbb_library() -> tuple[str | None, str]:
    """(path of the tbb package's libtbb.so.12, or None; why not)."""
    try:
        dist = importlib.metadata.distribution("tbb")
    except importlib.metadata.PackageNotFoundError:
        return None, "the tbb package is not installed"
    for f in dist.files or ():
        if f.name in ("libtbb.so.12", "libtbb.12.dylib", "tbb12.dll"):
            path = str(f.locate())
            if os.path.exists(path):
                return path, ""
    return None, f"the tbb package ({dist.version}) has no libtbb.so.12 in its files"


def _try_layer(layer: str) -> str:
    """'' when Numba's `layer` threading layer can start in this process, else why not."""
    from numba.np.ufunc import parallel

    if layer == "tbb":
        path, why = _tbb_library()
        if path is not None:
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError as e:
                return f"tbb: loading {path} failed: {e}"
        try:
            parallel._check_tbb_version_compatible()
            from numba.np.ufunc import tbbpool  # noqa: F401
        except ImportError as e:
            return f"tbb: {why or e}"
    elif layer == "omp":
        try:
            from numba.np.ufunc import omppool  # noqa: F401
        except ImportError as e:
            return f"omp: {e}"
    elif layer != "workqueue":
        return f"NUMBA_THREADING_LAYER={layer!r} is not a threading layer (tbb, omp, workqueue)"
    return ""


def _start_threads() -> tuple[str, str]:
    """Start Numba's threading layer: (the layer that runs, why a preferred one was skipped)."""
    from numba.np.ufunc import parallel

    wanted = os.environ.get("NUMBA_THREADING_LAYER", "").lower()
    candidates = [wanted] if wanted and wanted not in ("default", "safe", "threadsafe", "forksafe") else (
        ["tbb"] if wanted in ("safe", "threadsafe") else ["tbb", "workqueue"])
    skipped = []
    for layer in candidates:
        why = _try_layer(layer)
        if why:
            skipped.append(why)
            continue
        numba.config.THREADING_LAYER = layer
        parallel._launch_threads()
        return numba.threading_layer(), "; ".join(skipped)
    raise RuntimeError("no Numba threading layer could start: " + "; ".join(skipped))


LAYER, LAYER_NOTE = _start_threads()  # the dispatcher turns an error here into BackendUnavailable

OP_FORWARD, OP_BACKWARD, OP_BACKWARD_Y, OP_GATED, OP_GATED_BACKWARD = 0, 1, 2, 3, 4
_SFX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_ROLE = {OP_FORWARD: "fwd", OP_BACKWARD: "bwd", OP_BACKWARD_Y: "bwdy"}
_kernels: dict = {}
_build_lock = threading.Lock()
_call_lock = threading.Lock()  # only used with the workqueue layer


def _new_locks() -> None:  # a fork() while another thread held one must not deadlock the child
    global _build_lock, _call_lock
    _build_lock, _call_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_new_locks)


# ---- kernel templates: one per kind and arity ---------------------------------------------
# Each kernel is written to a small module file in kernel_dir() and imported, so
# that Numba's on-disk cache (cache=True, keyed on that file) serves later
# processes. {f}, {fwd}, ... name scalar functions of _scalar_gen.

_HEADER = """\
# Generated by fastact.backends.numba_cpu; safe to delete.
import numpy as np
from numba import njit, prange

from fastact.backends._numba_math import expsub_f32, expsub_f64, uniform24
from fastact.backends._scalar_gen import {imports}

JIT = dict(parallel=True, nogil=True, cache=True, error_model="numpy")
# row kernels: 'reassoc' lets LLVM vectorize the row sums (the order of a sum is not fixed in
# fastact.c either); the inlined scalar math keeps its own (strict) instruction flags
JIT_ROW = dict(JIT, fastmath={{"reassoc"}})
"""

_TEMPLATES = {
    # a single row (the contiguous case) is split across threads; otherwise rows are
    "eltwise1": """
@njit(**JIT)
def kernel(x, y, p):
    if x.shape[0] == 1:
        x1, y1 = x[0], y[0]
        for j in prange(x1.shape[0]):
            y1[j] = {f}(x1[j], p)
    else:
        for i in prange(x.shape[0]):
            for j in range(x.shape[1]):
                y[i, j] = {f}(x[i, j], p)
""",
    "eltwise2": """
@njit(**JIT)
def kernel(a, b, y, p):
    if a.shape[0] == 1:
        a1, b1, y1 = a[0], b[0], y[0]
        for j in prange(a1.shape[0]):
            y1[j] = {f}(a1[j], b1[j], p)
    else:
        for i in prange(a.shape[0]):
            for j in range(a.shape[1]):
                y[i, j] = {f}(a[i, j], b[i, j], p)
""",
    "random_fwd": """
@njit(**JIT)
def kernel(x, y, key, offset, p):
    for i in prange(x.shape[0]):
        y[i] = {f}(x[i], y.dtype.type(uniform24(key, offset + np.uint64(i))), p)
""",
    "random_bwd": """
@njit(**JIT)
def kernel(dy, x, dx, key, offset, p):
    for i in prange(x.shape[0]):
        dx[i] = {f}(dy[i], x[i], dx.dtype.type(uniform24(key, offset + np.uint64(i))), p)
""",
    "gated_bwd": """
@njit(**JIT)
def kernel(dy, a, b, da, db, p):
    if a.shape[0] == 1:
        dy1, a1, b1, da1, db1 = dy[0], a[0], b[0], da[0], db[0]
        for j in prange(a1.shape[0]):
            da1[j] = {fa}(dy1[j], a1[j], b1[j], p)
            db1[j] = {fb}(dy1[j], a1[j], b1[j], p)
    else:
        for i in prange(a.shape[0]):
            for j in range(a.shape[1]):
                da[i, j] = {fa}(dy[i, j], a[i, j], b[i, j], p)
                db[i, j] = {fb}(dy[i, j], a[i, j], b[i, j], p)
""",
    # row-wise: m = max, s = sum(exp(x - m)), s1 = s - 1 kept exact; sums in double, the rest
    # in the array's dtype (as fastact.c)
    "row_stats": """
@njit(inline="always")
def stats(x, y, r):  # {store}: y[r] = e (fwd_from_e)
    T = x.dtype.type
    m = T(-np.inf)
    for c in range(x.shape[1]):
        v = x[r, c]
        m = v if v > m else m
    t = 0.0
    k = 0.0
    for c in range(x.shape[1]):  # branch-free, as fastact.c, so that it vectorizes
        v = x[r, c]
        e = {expsub}(v, m)
        t += np.float64(v - v) if v == m else np.float64(e)
        k += 1.0 if v == m else 0.0
        {store}
    return m, T(k + t), T((k - 1.0) + t)
""",
    "rowwise_fwd": """
@njit(**JIT_ROW)
def kernel(x, y, p):
    for r in prange(x.shape[0]):
        m, s, s1 = stats(x, y, r)
        for c in range(x.shape[1]):
            y[r, c] = {fwd}(x[r, c], m, s, s1, {e_fwd}, p)
""",
    "rowwise_bwd": """
@njit(**JIT_ROW)
def kernel(dy, x, dx, p):
    for r in prange(x.shape[0]):
        m, s, s1 = stats(x, x, r)
        acc = 0.0
        for c in range(x.shape[1]):
            acc += np.float64({red}(dy[r, c], {fwd}(x[r, c], m, s, s1, {e_x}, p), p))
        rt = x.dtype.type(acc)
        for c in range(x.shape[1]):
            dx[r, c] = {bwdy}(dy[r, c], {fwd}(x[r, c], m, s, s1, {e_x}, p), rt, p)
""",
    "rowwise_bwdy": """
@njit(**JIT_ROW)
def kernel(dy, y, dx, p):
    for r in prange(y.shape[0]):
        acc = 0.0
        for c in range(y.shape[1]):
            acc += np.float64({red}(dy[r, c], y[r, c], p))
        rt = y.dtype.type(acc)
        for c in range(y.shape[1]):
            dx[r, c] = {bwdy}(dy[r, c], y[r, c], rt, p)
""",
    "channel_fwd": """
@njit(**JIT)
def kernel(x, w, y, p):  # x, y: (outer, channels, inner)
    for oc in prange(x.shape[0] * x.shape[1]):
        o, c = oc // x.shape[1], oc % x.shape[1]
        for i in range(x.shape[2]):
            y[o, c, i] = {fwd}(x[o, c, i], w[c], p)
""",
    "channel_bwd": """
@njit(**JIT)
def kernel(dy, x, w, dx, dw, p):
    for c in prange(x.shape[1]):
        acc = 0.0
        for o in range(x.shape[0]):
            for i in range(x.shape[2]):
                acc += {bwdw}(dy[o, c, i], x[o, c, i], w[c], p)
                dx[o, c, i] = {bwd}(dy[o, c, i], x[o, c, i], w[c], p)
        dw[c] = acc
""",
}


def kernel_dir() -> str:
    """Where kernel modules (and, in __pycache__ beside them, Numba's compiled
    cache) live: $FASTACT_CACHE_DIR or ~/.cache/fastact, in a folder named after
    a hash of the scalar functions, so an upgrade never loads stale kernels.
    Delete the folder to clear the cache."""
    root = os.environ.get("FASTACT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "fastact")
    h = hashlib.sha256()
    for mod in (_scalar_gen, _numba_math):
        with open(mod.__file__, "rb") as fh:
            h.update(fh.read())
    h.update(repr(sorted(_TEMPLATES.items())).encode() + _HEADER.encode())
    return os.path.join(root, f"numba-{numba.__version__}-{h.hexdigest()[:16]}")


def _load(template: str, **names):
    """The compiled kernel for a template and scalar functions (built once per process)."""
    key = (template, tuple(sorted(names.items())))
    k = _kernels.get(key)
    if k is not None:
        return k
    with _build_lock:
        k = _kernels.get(key)
        if k is None:
            funcs = {v for v in names.values() if v.isidentifier()} - {"pass", "expsub_f32", "expsub_f64"}
            src = _HEADER.format(imports=", ".join(sorted(funcs)))
            if template in ("rowwise_fwd", "rowwise_bwd"):
                src += _TEMPLATES["row_stats"].format(**names)
            src += _TEMPLATES[template].format(**names)
            modname = "fastact_k_" + hashlib.sha256(src.encode()).hexdigest()[:20]
            d = _KERNEL_DIR()
            path = os.path.join(d, modname + ".py")
            if not os.path.exists(path):  # write once, atomically: other processes may race
                os.makedirs(d, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
                with os.fdopen(fd, "w") as fh:
                    fh.write(src)
                os.replace(tmp, path)
            spec = importlib.util.spec_from_file_location(modname, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[modname] = mod  # Numba's cache finds the kernel's globals by module name
            spec.loader.exec_module(mod)
            k = _kernels[key] = mod.kernel
    return k


_KERNEL_DIR = functools.lru_cache(maxsize=1)(kernel_dir)


def _params(params, dtype) -> tuple:
    t = np.dtype(dtype).type
    return tuple(t(v) for v in params) + (t(0),) * (4 - len(params))


_threads = [None]  # set_num_threads(); Numba's own setting is per calling thread


def set_num_threads(n: int | None) -> None:
    _threads[0] = None if n is None else min(int(n), numba.config.NUMBA_NUM_THREADS)


if os.environ.get("FASTACT_NUM_THREADS"):
    set_num_threads(int(os.environ["FASTACT_NUM_THREADS"]))


def describe() -> dict:
    """Details for fastact.show_config()."""
    layer = LAYER + (f" ({LAYER_NOTE})" if LAYER_NOTE else "")
    return {"version": numba.__version__, "threads": _threads[0] or numba.config.NUMBA_NUM_THREADS,
            "threading_layer": layer, "cache": kernel_dir(),
            "detail": "Numba CPU-parallel kernels (prange) from the registry's scalar functions"}


def _call(kernel, *args):
    if _threads[0] is not None:
        numba.set_num_threads(_threads[0])
    if LAYER == "workqueue":
        with _call_lock:
            kernel(*args)
    else:
        kernel(*args)


def _views2d(arrays, rowwise: bool):
    """Yield tuples of 2-d views covering the arrays, (outer, inner) or (rows, cols),
    from the native planner's collapsed walk; extra outer dimensions loop here."""
    shape, strides = native.collapse(arrays, rowwise)
    pad = max(0, 2 - len(shape))
    shape = (1,) * pad + shape
    views = [np.lib.stride_tricks.as_strided(a, shape, (0,) * pad + st, writeable=a.flags.writeable)
             for a, st in zip(arrays, strides, strict=True)]
    for idx in np.ndindex(*shape[:-2]):
        yield tuple(v[idx] for v in views)


def eltwise(op: int, act: int, arrays: tuple, params: tuple) -> None:
    sfx = _SFX[arrays[-1].dtype]
    name = ACTIVATIONS[act].name
    if op == OP_GATED_BACKWARD:
        k = _load("gated_bwd", fa=f"{name}_bwda_{sfx}", fb=f"{name}_bwdb_{sfx}")
    elif op == OP_GATED:
        k = _load("eltwise2", f=f"{name}_fwd_{sfx}")
    else:
        k = _load("eltwise1" if op == OP_FORWARD else "eltwise2", f=f"{name}_{_ROLE[op]}_{sfx}")
    p = _params(params, arrays[-1].dtype)
    for views in _views2d(arrays, False):
        _call(k, *views, p)


def rowwise(op: int, act: int, arrays: tuple, params: tuple) -> None:
    sfx = "f32" if arrays[-1].dtype == np.float32 else "f64"
    names = {r: f"{ACTIVATIONS[act].name}_{r}_{sfx}" for r in ("fwd", "red", "bwdy")}
    from_e = ACTIVATIONS[act].fwd_from_e
    e_x = f"expsub_{sfx}(x[r, c], m)" if from_e else "x.dtype.type(0)"  # e when the forward reads it
    if op == OP_FORWARD:
        k = _load("rowwise_fwd", fwd=names["fwd"], expsub=f"expsub_{sfx}",
                  store="y[r, c] = e" if from_e else "pass", e_fwd="y[r, c]" if from_e else "x.dtype.type(0)")
    elif op == OP_BACKWARD:
        k = _load("rowwise_bwd", **names, expsub=f"expsub_{sfx}", e_x=e_x, store="pass")
    else:
        k = _load("rowwise_bwdy", red=names["red"], bwdy=names["bwdy"])
    p = _params(params, arrays[-1].dtype)
    for views in _views2d(arrays, True):
        _call(k, *views, p)


def random(op: int, act: int, arrays: tuple, params: tuple, seed: int, offset: int) -> None:
    """dropout / rrelu on C-contiguous arrays: op 0 (x, y), op 1 (dy, x, dx)."""
    out = arrays[-1]
    sfx = _SFX[out.dtype]
    name = ACTIVATIONS[act].name
    k = _load("random_fwd" if op == OP_FORWARD else "random_bwd",
              f=f"{name}_{'fwd' if op == OP_FORWARD else 'bwd'}_{sfx}")
    key = np.uint64(_numba_math.mix64(np.uint64(seed)))
    _call(k, *(a.reshape(-1) for a in arrays), key, np.uint64(offset), _params(params, out.dtype))


def channelwise_forward(act, x, w, y, outer, channels, inner) -> None:
    sfx = _SFX[y.dtype]
    k = _load("channel_fwd", fwd=f"{ACTIVATIONS[act].name}_fwd_{sfx}")
    shape = (outer, channels, inner)
    _call(k, x.reshape(shape), w, y.reshape(shape), _params((), y.dtype))


def channelwise_backward(act, dy, x, w, dx, dw, outer, channels, inner) -> None:
    name, sfx = ACTIVATIONS[act].name, _SFX[dx.dtype]
    k = _load("channel_bwd", bwd=f"{name}_bwd_{sfx}", bwdw=f"{name}_bwdw_{sfx}")
    shape = (outer, channels, inner)
    _call(k, dy.reshape(shape), x.reshape(shape), w, dx.reshape(shape), dw, _params((), dx.dtype))
