"""The numba backend: fastact's C kernels on Numba's CPU thread pool.

A call is planned once by the native backend (the same walk over N-d strided arrays) and cut into
one part per thread; a ``prange`` loop compiled by Numba runs the parts, each of them the C kernel
of the native backend on its subrange (``native.run_parts``). So every activation has one CPU
implementation, the parallel path runs at the C kernels' speed per thread, and its results are
bit-identical to the native backend's on any number of threads. The one kernel is compiled once
and cached on disk (``cache=True``). Channel-wise backward (prelu, bias_*: a reduction per channel)
is the exception: a kernel generated from the registry's scalar functions (``_scalar_gen.py``,
compiled with the elementary functions of the math source, ``_math_gen.py``), parallel over
channels and cached under ``kernel_dir()``.

Operands arrive validated by ``fastact._api`` (same shape and dtype, outputs writeable and not
partially overlapping).

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

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from .._registry import ACTIVATIONS
from . import _math_gen, _scalar_gen, cache_root, native

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

_SFX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_kernels: dict = {}
_build_lock = threading.Lock()
_call_lock = threading.Lock()  # only used with the workqueue layer


def _new_locks() -> None:  # a fork() while another thread held one must not deadlock the child
    global _build_lock, _call_lock
    _build_lock, _call_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_new_locks)


# ---- the parallel loop over a call's parts ------------------------------------------------

@intrinsic
def _c_part(typingctx, entry, job, k, parts):
    """entry(job, k, parts): a call of the C function native.run_parts hands its runner."""
    sig = types.int32(entry, job, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        iptr, i8p = context.get_value_type(types.intp), ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(32), [i8p, iptr, iptr])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [builder.inttoptr(args[1], i8p), args[2], args[3]])

    return sig, codegen


@numba.njit(parallel=True, nogil=True, cache=True)
def _run_parts(entry, job, parts, status):
    for k in prange(parts):
        status[k] = _c_part(entry, job, k, parts)


# ---- the channel-wise backward kernel, from the registry's scalar functions -------------------
# Written to a small module file in kernel_dir() and imported, so that Numba's on-disk cache
# (cache=True, keyed on that file) serves later processes. {bwd}, {bwdw} name scalar functions
# of _scalar_gen.

_HEADER = """\
# Generated by fastact.backends.numba_cpu; safe to delete.
import numpy as np
from numba import njit, prange

from fastact.backends._scalar_gen import {imports}

JIT = dict(parallel=True, nogil=True, cache=True, error_model="numpy")
"""

_TEMPLATES = {
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
    root = cache_root()
    h = hashlib.sha256()
    for mod in (_scalar_gen, _math_gen):
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
            src = _HEADER.format(imports=", ".join(sorted(names.values())))
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


def _nthreads() -> int:
    return _threads[0] or numba.config.NUMBA_NUM_THREADS


launches = [0, 0]  # calls run on the thread pool, and the threads they asked for (for tests and info)


def _counted_run_parts(entry, job, parts, status):
    launches[0] += 1
    launches[1] += parts
    _run_parts(entry, job, parts, status)


_ran = [False]  # the parallel loop compiled (or loaded) and ran once


def _offer_fast_path() -> None:
    """Let the compiled fast path run automatic numba calls itself (on a thread-safe layer,
    once the loop has run here: a loop that cannot compile stays with the general path)."""
    native.set_parallel(_counted_run_parts if _ran[0] and LAYER != "workqueue" else None, _nthreads())


def set_num_threads(n: int | None) -> None:
    _threads[0] = None if n is None else min(int(n), numba.config.NUMBA_NUM_THREADS)
    _offer_fast_path()


set_num_threads(int(os.environ["FASTACT_NUM_THREADS"]) if os.environ.get("FASTACT_NUM_THREADS") else None)


def describe() -> dict:
    """Details for fastact.show_config()."""
    layer = LAYER + (f" ({LAYER_NOTE})" if LAYER_NOTE else "")
    return {"version": numba.__version__, "threads": _nthreads(), "threading_layer": layer, "cache": kernel_dir(),
            "detail": "fastact's C kernels on Numba's thread pool (a prange over each call's parts)"}


def _parts(what: int, op: int, act: int, arrays: tuple, params: tuple, **kw) -> None:
    parts = _nthreads()  # one part per thread: the parts bound the threads that work
    if LAYER == "workqueue":
        with _call_lock:
            native.run_parts(_counted_run_parts, parts, what, op, act, arrays, params, **kw)
    else:
        native.run_parts(_counted_run_parts, parts, what, op, act, arrays, params, **kw)
    if not _ran[0]:
        _ran[0] = True
        _offer_fast_path()


def warm_up() -> None:
    """Run the parallel loop once (compiled, or loaded from Numba's cache)."""
    x = np.zeros(2 * 64)
    eltwise(0, 0, (x, np.empty_like(x)), ())  # identity


def eltwise(op: int, act: int, arrays: tuple, params: tuple) -> None:
    """As native.eltwise, on all threads."""
    _parts(native.PARTS_ELTWISE, op, act, arrays, params)


def rowwise(op: int, act: int, arrays: tuple, params: tuple) -> None:
    """As native.rowwise, rows split across threads."""
    _parts(native.PARTS_ROWWISE, op, act, arrays, params)


def random(op: int, act: int, arrays: tuple, params: tuple, seed: int, offset: int) -> None:
    """dropout / rrelu on C-contiguous arrays: op 0 (x, y), op 1 (dy, x, dx)."""
    _parts(native.PARTS_RANDOM, op, act, arrays, params, seed=seed, offset=offset)


def channelwise_forward(act, x, w, y, outer, channels, inner) -> None:
    _parts(native.PARTS_CHANNEL, 0, act, (x, w, y), (), channels=channels, inner=inner)


def channelwise_backward(act, dy, x, w, dx, dw, outer, channels, inner) -> None:
    name, sfx = ACTIVATIONS[act].name, _SFX[dx.dtype]
    k = _load("channel_bwd", bwd=f"{name}_bwd_{sfx}", bwdw=f"{name}_bwdw_{sfx}")
    shape = (outer, channels, inner)
    args = (dy.reshape(shape), x.reshape(shape), w, dx.reshape(shape), dw, _params((), dx.dtype))
    if _threads[0] is not None:
        numba.set_num_threads(_threads[0])
    if LAYER == "workqueue":
        with _call_lock:
            k(*args)
    else:
        k(*args)
