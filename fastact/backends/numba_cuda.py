"""The cuda backend: numba-cuda kernels built from the registry's scalar functions.

The scalar functions are the generated ``_scalar_gen.py`` (the same formulas as
the C and Numba CPU kernels), executed a second time with ``jit =
numba.cuda.jit(device=True)`` and the elementary functions of the math source
(``_math_gen.py``, the same operations as the C library, built for CUDA; the
module headers explain the ``__fastact_target__`` switch). One kernel
template per kind turns them into kernels, built lazily per (activation,
operation, compute dtype, kind of view) and kept in a dict; Numba compiles each
for the argument types it first meets (a GPU compile takes a fraction of a
second; kernels are not cached on disk).

Arrays
------
Inputs are device arrays of any library: CuPy, PyTorch CUDA tensors, Numba
device arrays and anything with ``__cuda_array_interface__`` (viewed with
``numba.cuda.as_cuda_array``, never copied), or, under ``NUMBA_ENABLE_CUDASIM=1``,
the simulator's ``FakeCUDAArray``. The result is allocated with the input's
library (CuPy in, CuPy out; torch in, torch out; otherwise a Numba device
array), C-contiguous, with the input's shape. Nothing is copied to the host.

dtypes: float32 and float64 keep their dtype; float16 is computed in float32 and
stored as float16; a backward call with mixed dtypes computes in the wider one.
bfloat16 and other dtypes raise TypeError. ``out=`` must be a device array with
the result's shape and exactly the result's dtype; it may be an input itself
(in place); a partial overlap with an input raises ValueError (decided on address
ranges, so interleaved views that share no element are refused too).

Layouts: the operands' common shape is collapsed (size-1 axes dropped, adjacent
axes merged where every operand allows it) into a 1-d or 2-d walk: contiguous
arrays of any shape become 1-d, 1-d strided arrays stay 1-d, 2-d arrays (and N-d
arrays that collapse to 2-d, e.g. ``x[::2]`` of a 3-d array) run a 2-d kernel;
anything else raises TypeError (pass a contiguous copy). Negative strides are
handled. Row-wise activations move ``axis`` to the end *as a view* (no copy): the
kernels read each row with its stride, so ``axis != -1`` on a C-contiguous array
works but reads memory in a strided, slower pattern; the leading axes must
collapse into one. Channel-wise activations (prelu, bias_*) need C-contiguous
x, dy and out (the weight may be strided, a host array or a scalar; a host
weight is copied to the device); their plan (outer, channels, inner) comes from
``fastact._api._channels``, the host's. The GLU family reads the halves of x as
two strided views (any axis) and writes dx's halves in two launches. dropout and
rrelu draw u = uniform24(mix64(seed), offset + i) with i the element's C-order
index, the CPU's generator from the same math source: the same mask for any
layout, regenerated in backward.

Kernels: elementwise ones are grid-stride loops (1-d: four elements per thread and
step, loads first). Row-wise ones give each row a group of threads, grid-stride
over rows: one warp per row up to 1024 columns (8 rows per 256-thread block),
one block per row above; the row max, the sums (in float64, as the CPU backends)
and the backward's ``r`` are reduced with warp shuffles (and, for a block, shared
memory added in a fixed order). prelu's dweight is reduced per channel by blocks
writing float64 partial sums that a second kernel adds in a fixed order
(deterministic, no atomics). The simulator has no warp shuffles: there every
reduction is a shared-memory tree over blocks of 8 threads (so the shuffle code
runs only on a GPU: ``bench/gpu_check.py``).

Streams: ``stream=`` is 0 (the default stream), a Numba stream, a CuPy or torch
stream (their ``ptr``/``cuda_stream`` is wrapped with ``cuda.external_stream``),
or a raw ``CUstream`` integer. Outputs are allocated by the input's library on its
current stream; order your streams accordingly. Only the current device is used.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import types
import warnings

import numpy as np

from .._registry import ACTIVATIONS

OP_FORWARD, OP_BACKWARD, OP_BACKWARD_Y = 0, 1, 2
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_SFX = {_F32: "f32", _F64: "f64"}
_ROLE = {OP_FORWARD: "fwd", OP_BACKWARD: "bwd", OP_BACKWARD_Y: "bwdy"}

_kernels: dict = {}
_build_lock = threading.Lock()


# ---- numba.cuda, imported lazily ---------------------------------------------------------

cuda = None  # numba.cuda once imported; kernels must name it as a module global (the
# simulator swaps the module globals that refer to numba.cuda for its fake module)


def _cuda():
    global cuda
    if cuda is None:
        from numba import cuda as c

        # small arrays make small grids; that is no user error
        warnings.filterwarnings("ignore", message=r".*will likely result in GPU under-utilization")
        if not hasattr(np, "row_stack"):  # numba-cuda 0.30 still calls it; NumPy 2.5 removed it
            np.row_stack = np.vstack
        cuda = c
    return cuda


def _simulating() -> bool:
    try:
        from numba.cuda.core import config
    except ImportError:  # older numba-cuda
        from numba.core import config
    return bool(getattr(config, "ENABLE_CUDASIM", 0))


def available() -> tuple[bool, str]:
    """(usable, why): whether numba-cuda imports and finds a GPU (or the simulator)."""
    try:
        _cuda()
    except Exception as e:  # noqa: BLE001 - ImportError, or the CUDA bindings failing to load
        return False, (f"numba-cuda is not usable ({type(e).__name__}: {e}); "
                       "install it with: pip install 'numba-cuda[cu12]' (or [cu13])")
    if _simulating():
        return True, "Numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        if not cuda.is_available():
            return False, f"no usable CUDA GPU or driver: {cuda.cuda_error()}"
        dev = cuda.get_current_device()
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        cc = ".".join(map(str, dev.compute_capability))
        return True, f"{name} (compute capability {cc})"
    except Exception as e:  # noqa: BLE001
        return False, f"CUDA is not usable: {type(e).__name__}: {e}"


def is_device_array(obj) -> bool:
    """True for CUDA device arrays: anything with ``__cuda_array_interface__`` (CuPy,
    torch CUDA tensors, Numba device arrays) and the simulator's arrays (which carry
    ``__cuda_ndarray__`` only). Cheap: imports nothing."""
    if obj is None or isinstance(obj, (np.ndarray, np.generic, int, float, complex, list, tuple)):
        return False
    try:
        if getattr(obj, "__cuda_ndarray__", False):
            return True
        if type(obj).__module__.split(".")[0] == "torch":
            return bool(getattr(obj, "is_cuda", False))
        return hasattr(obj, "__cuda_array_interface__")
    except Exception:  # noqa: BLE001 - a property that refuses (e.g. a CPU tensor) is no device array
        return False


# ---- the scalar functions and the kernel templates ----------------------------------------

def _exec_generated(name: str, ns: dict) -> dict:
    """Execute a generated module of this package (``_math_gen.py``, ``_scalar_gen.py``) in ns,
    a CUDA or simulator build (``__fastact_target__`` set: the module's CPU imports are skipped)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, encoding="utf-8") as fh:
        src = fh.read()
    ns = {"__fastact_target__": "cuda", "__name__": f"fastact_cuda_{name[1:-3]}", **ns}
    exec(compile(src, path, "exec"), ns)  # noqa: S102 - our own generated module
    return ns


def _math_namespace(sim: bool):
    """The elementary functions of the math source (fastact/_math.py, generated as
    ``_math_gen.py``) for the scalar module: built with CUDA's device words (cuda.fma,
    libdevice's bit casts), or, under the simulator, with the exact plain-Python words; the
    same IEEE operations as the C library either way (fastact/backends/_mathlang.py)."""
    from . import _mathlang

    words = _mathlang.python() if sim else _mathlang.cuda()
    return types.SimpleNamespace(**_exec_generated("_math_gen.py", words))


@functools.lru_cache(maxsize=1)
def _scalars() -> dict:
    """The generated scalar module, executed for CUDA: name -> device function."""
    return _exec_generated("_scalar_gen.py", {"jit": _cuda().jit(device=True), "m": _math_namespace(_simulating())})


@functools.lru_cache(maxsize=1)
def _limits() -> tuple[int, int]:
    """(threads per elementwise block, most blocks in a grid)."""
    if _simulating():  # every simulated thread is a Python thread: keep grids tiny
        return 16, 2
    try:
        sms = int(_cuda().get_current_device().MULTIPROCESSOR_COUNT)
    except Exception:  # noqa: BLE001
        sms = 80
    return 256, sms * 32


def _reducers(g: int):
    """float64 sum and max over a group of g threads (a power of two) that all call them
    with the same trip count: one warp (g == 32: shuffles only) or a whole block
    (warp shuffles, then the warps' results through shared memory, added in a fixed
    order). Every thread gets the result. Returns (gsum, gmax, slots): the kernel
    passes a shared float64 array of `slots` entries. The simulator has no shuffles:
    there the group is the block and the reduction a shared-memory tree."""
    _cuda()
    if _simulating():
        @cuda.jit(device=True)
        def tsum(sh, tid, v):
            sh[tid] = v
            cuda.syncthreads()
            h = g // 2
            while h > 0:
                if tid < h:
                    sh[tid] += sh[tid + h]
                cuda.syncthreads()
                h //= 2
            r = sh[0]
            cuda.syncthreads()
            return r

        @cuda.jit(device=True)
        def tmax(sh, tid, v):  # NaN never enters: the per-thread maxima skip it (v > m)
            sh[tid] = v
            cuda.syncthreads()
            h = g // 2
            while h > 0:
                if tid < h:
                    o = sh[tid + h]
                    if o > sh[tid]:
                        sh[tid] = o
                cuda.syncthreads()
                h //= 2
            r = sh[0]
            cuda.syncthreads()
            return r

        return tsum, tmax, g

    full = 0xFFFFFFFF

    @cuda.jit(device=True)
    def wsum(sh, tid, v):
        off = 16
        while off > 0:
            v += cuda.shfl_xor_sync(full, v, off)
            off //= 2
        return v

    @cuda.jit(device=True)
    def wmax(sh, tid, v):
        off = 16
        while off > 0:
            o = cuda.shfl_xor_sync(full, v, off)
            if o > v:
                v = o
            off //= 2
        return v

    if g == 32:
        return wsum, wmax, 1
    nw = g // 32

    @cuda.jit(device=True)
    def bsum(sh, tid, v):
        v = wsum(sh, tid, v)
        if tid % 32 == 0:
            sh[tid // 32] = v
        cuda.syncthreads()
        t = sh[0]
        for j in range(1, nw):
            t += sh[j]
        cuda.syncthreads()
        return t

    @cuda.jit(device=True)
    def bmax(sh, tid, v):
        v = wmax(sh, tid, v)
        if tid % 32 == 0:
            sh[tid // 32] = v
        cuda.syncthreads()
        t = sh[0]
        for j in range(1, nw):
            if sh[j] > t:
                t = sh[j]
        cuda.syncthreads()
        return t

    return bsum, bmax, nw


def _build_eltwise(f, T, nin: int, ndim: int):
    _cuda()
    # 1-d: grid-stride, four elements per step with their loads issued first (more
    # bytes in flight per thread), then a plain grid-stride tail
    if ndim == 1 and nin == 1:
        def k(x, y, p):
            n = y.shape[0]
            st = cuda.gridsize(1)
            i = cuda.grid(1)
            while i + 3 * st < n:
                x0, x1, x2, x3 = x[i], x[i + st], x[i + 2 * st], x[i + 3 * st]
                y[i] = f(T(x0), p)
                y[i + st] = f(T(x1), p)
                y[i + 2 * st] = f(T(x2), p)
                y[i + 3 * st] = f(T(x3), p)
                i += 4 * st
            while i < n:
                y[i] = f(T(x[i]), p)
                i += st
    elif ndim == 1 and nin == 2:
        def k(a, b, y, p):
            n = y.shape[0]
            st = cuda.gridsize(1)
            i = cuda.grid(1)
            while i + 3 * st < n:
                a0, a1, a2, a3 = a[i], a[i + st], a[i + 2 * st], a[i + 3 * st]
                b0, b1, b2, b3 = b[i], b[i + st], b[i + 2 * st], b[i + 3 * st]
                y[i] = f(T(a0), T(b0), p)
                y[i + st] = f(T(a1), T(b1), p)
                y[i + 2 * st] = f(T(a2), T(b2), p)
                y[i + 3 * st] = f(T(a3), T(b3), p)
                i += 4 * st
            while i < n:
                y[i] = f(T(a[i]), T(b[i]), p)
                i += st
    elif ndim == 1 and nin == 3:  # gated backward: (dy, a, b)
        def k(d, a, b, y, p):
            st = cuda.gridsize(1)
            i = cuda.grid(1)
            while i < y.shape[0]:
                y[i] = f(T(d[i]), T(a[i]), T(b[i]), p)
                i += st
    elif nin == 3:
        def k(d, a, b, y, p):
            c0 = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
            cs = cuda.gridDim.x * cuda.blockDim.x
            for r in range(cuda.blockIdx.y, y.shape[0], cuda.gridDim.y):
                for c in range(c0, y.shape[1], cs):
                    y[r, c] = f(T(d[r, c]), T(a[r, c]), T(b[r, c]), p)
    elif nin == 1:
        def k(x, y, p):
            c0 = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
            cs = cuda.gridDim.x * cuda.blockDim.x
            for r in range(cuda.blockIdx.y, y.shape[0], cuda.gridDim.y):
                for c in range(c0, y.shape[1], cs):
                    y[r, c] = f(T(x[r, c]), p)
    else:
        def k(a, b, y, p):
            c0 = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
            cs = cuda.gridDim.x * cuda.blockDim.x
            for r in range(cuda.blockIdx.y, y.shape[0], cuda.gridDim.y):
                for c in range(c0, y.shape[1], cs):
                    y[r, c] = f(T(a[r, c]), T(b[r, c]), p)
    return cuda.jit(k)


def _build_random(f, uniform24, mix64, T, nin: int):
    """dropout/rrelu over a 2-d view (a 1-d one as one row): f(x, u, p) or f(dy, x, u, p) with
    u = uniform24(mix64(seed), offset + i), i = r * cols + c the element's index in C order of
    the (collapsed) view: the CPU's generator and counter, so the mask is the CPU's for any
    layout."""
    _cuda()
    U = np.uint64
    if nin == 1:
        def k(x, y, p, seed, off):
            key = mix64(seed)
            c0 = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
            cs = cuda.gridDim.x * cuda.blockDim.x
            for r in range(cuda.blockIdx.y, y.shape[0], cuda.gridDim.y):
                for c in range(c0, y.shape[1], cs):
                    u = uniform24(key, off + U(r) * U(y.shape[1]) + U(c))
                    y[r, c] = f(T(x[r, c]), T(u), p)
    else:
        def k(d, x, y, p, seed, off):
            key = mix64(seed)
            c0 = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
            cs = cuda.gridDim.x * cuda.blockDim.x
            for r in range(cuda.blockIdx.y, y.shape[0], cuda.gridDim.y):
                for c in range(c0, y.shape[1], cs):
                    u = uniform24(key, off + U(r) * U(y.shape[1]) + U(c))
                    y[r, c] = f(T(d[r, c]), T(x[r, c]), T(u), p)
    return cuda.jit(k)


def _build_rowwise(op: int, fwd, red, bwdy, exp64, from_e: bool, g: int, rpb: int):
    """Groups of g threads per row (a warp, or the whole block when rpb == 1), rpb rows
    per block at a time, grid-stride over rows; all in float64. The operands are 3-d
    views (outer, cols, inner): row r is [o, :, i] with o, i = divmod(r, inner), so
    the normalized axis may sit anywhere. The forward's e argument is exp(x - m) where the
    registry's formula reads it (fwd_from_e), else 0."""
    _cuda()
    f64 = np.float64
    ninf = -math.inf
    gsum, gmax, slots = _reducers(g)

    @cuda.jit(device=True)
    def efn(v, m):
        return exp64(v - m) if from_e else 0.0

    @cuda.jit(device=True)
    def stats(x, o, i, lane, sh):
        """Row max m, s = sum(exp(x - m)), s1 = s - 1 computed as (k - 1) + sum over
        the elements != m, where k counts the elements equal to m (they add v - v:
        0, or NaN for an infinite max, as the CPU backends)."""
        m = ninf
        for c in range(lane, x.shape[1], g):
            v = f64(x[o, c, i])
            if v > m:
                m = v
        m = gmax(sh, lane, m)
        t = 0.0
        k = 0.0
        for c in range(lane, x.shape[1], g):
            v = f64(x[o, c, i])
            if v == m:
                t += v - v
                k += 1.0
            else:
                t += exp64(v - m)
        t = gsum(sh, lane, t)
        k = gsum(sh, lane, k)
        return m, k + t, (k - 1.0) + t

    if op == OP_FORWARD:
        def kern(x, y, p):
            sh = cuda.shared.array(slots, np.float64)
            lane = cuda.threadIdx.x % g
            inner = x.shape[2]
            for r in range(cuda.blockIdx.x * rpb + cuda.threadIdx.x // g, x.shape[0] * inner,
                           cuda.gridDim.x * rpb):
                o = r // inner
                i = r - o * inner
                m, s, s1 = stats(x, o, i, lane, sh)
                for c in range(lane, x.shape[1], g):
                    y[o, c, i] = fwd(f64(x[o, c, i]), m, s, s1, efn(f64(x[o, c, i]), m), p)
    elif op == OP_BACKWARD:
        def kern(dy, x, dx, p):
            sh = cuda.shared.array(slots, np.float64)
            lane = cuda.threadIdx.x % g
            inner = x.shape[2]
            for r in range(cuda.blockIdx.x * rpb + cuda.threadIdx.x // g, x.shape[0] * inner,
                           cuda.gridDim.x * rpb):
                o = r // inner
                i = r - o * inner
                m, s, s1 = stats(x, o, i, lane, sh)
                acc = 0.0
                for c in range(lane, x.shape[1], g):
                    acc += red(f64(dy[o, c, i]), fwd(f64(x[o, c, i]), m, s, s1, efn(f64(x[o, c, i]), m), p), p)
                acc = gsum(sh, lane, acc)
                for c in range(lane, x.shape[1], g):
                    dx[o, c, i] = bwdy(f64(dy[o, c, i]), fwd(f64(x[o, c, i]), m, s, s1, efn(f64(x[o, c, i]), m), p), acc, p)
    else:
        def kern(dy, y, dx, p):
            sh = cuda.shared.array(slots, np.float64)
            lane = cuda.threadIdx.x % g
            inner = y.shape[2]
            for r in range(cuda.blockIdx.x * rpb + cuda.threadIdx.x // g, y.shape[0] * inner,
                           cuda.gridDim.x * rpb):
                o = r // inner
                i = r - o * inner
                acc = 0.0
                for c in range(lane, y.shape[1], g):
                    acc += red(f64(dy[o, c, i]), f64(y[o, c, i]), p)
                acc = gsum(sh, lane, acc)
                for c in range(lane, y.shape[1], g):
                    dx[o, c, i] = bwdy(f64(dy[o, c, i]), f64(y[o, c, i]), acc, p)
    return cuda.jit(kern)


def _build_channel(op: int, fwd, bwd, bwdw, T, tpb: int):
    _cuda()
    f64 = np.float64
    if op == OP_FORWARD:
        def kern(x, w, y, channels, inner, p):  # flat C-contiguous x, y
            for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
                c = (i // inner) % channels
                y[i] = fwd(T(x[i]), T(w[c]), p)
        return cuda.jit(kern)
    bsum, _, slots = _reducers(tpb)

    def kern(dy, x, w, dx, part, channels, inner, p):
        """Block (c, j): channel c, the j-th share of its outer*inner elements; the
        block's float64 sum of dweight terms goes to part[c, j]."""
        sh = cuda.shared.array(slots, np.float64)
        tid = cuda.threadIdx.x
        per = dx.shape[0] // channels
        for c in range(cuda.blockIdx.x, channels, cuda.gridDim.x):
            wc = T(w[c])
            acc = 0.0
            for k in range(cuda.blockIdx.y * tpb + tid, per, cuda.gridDim.y * tpb):
                o = k // inner
                i = (o * channels + c) * inner + (k - o * inner)
                d = T(dy[i])
                v = T(x[i])
                dx[i] = bwd(d, v, wc, p)
                acc += f64(bwdw(d, v, wc, p))
            acc = bsum(sh, tid, acc)
            if tid == 0:
                part[c, cuda.blockIdx.y] = acc

    def fin(part, dw):
        for c in range(cuda.grid(1), dw.shape[0], cuda.gridsize(1)):
            t = 0.0
            for j in range(part.shape[1]):
                t += part[c, j]
            dw[c] = t

    return cuda.jit(kern), cuda.jit(fin)


def _kernel(key: tuple, build):
    k = _kernels.get(key)
    if k is None:
        with _build_lock:
            k = _kernels.get(key)
            if k is None:
                k = _kernels[key] = build()
    return k


def _eltwise_kernel(act: int, role: str, nin: int, compute: np.dtype, ndim: int):
    """The kernel of scalar function <name>_<role>_<sfx> with nin array inputs (eltwise, gated)."""
    def build():
        ns = _scalars()
        f = ns[f"{ACTIVATIONS[act].name}_{role}_{_SFX[compute]}"]
        return _build_eltwise(f, compute.type, nin, ndim)
    return _kernel(("eltwise", act, role, nin, compute.name, ndim), build)


def _random_kernel(act: int, role: str, compute: np.dtype):
    def build():
        ns = _scalars()
        f = ns[f"{ACTIVATIONS[act].name}_{role}_{_SFX[compute]}"]
        return _build_random(f, ns["m"].uniform24, ns["m"].mix64, compute.type, 1 if role == "fwd" else 2)
    return _kernel(("random", act, role, compute.name), build)


def _rowwise_kernel(act: int, op: int, g: int, rpb: int):
    def build():
        ns = _scalars()
        name = ACTIVATIONS[act].name
        return _build_rowwise(op, ns[f"{name}_fwd_f64"], ns[f"{name}_red_f64"], ns[f"{name}_bwdy_f64"],
                              ns["exp_f64"], ACTIVATIONS[act].fwd_from_e, g, rpb)
    return _kernel(("rowwise", act, op, g, rpb), build)


def _channel_kernel(act: int, op: int, compute: np.dtype, tpb: int):
    def build():
        ns = _scalars()
        name, sfx = ACTIVATIONS[act].name, _SFX[compute]
        return _build_channel(op, ns[f"{name}_fwd_{sfx}"], ns[f"{name}_bwd_{sfx}"], ns[f"{name}_bwdw_{sfx}"],
                              compute.type, tpb)
    return _kernel(("channel", act, op, compute.name, tpb), build)


# ---- operands ------------------------------------------------------------------------------

class _Arr:
    """A device operand: the caller's object, its Numba view, and the library it came from."""

    __slots__ = ("obj", "dev", "lib", "dtype", "shape", "strides")

    def __init__(self, obj, dev, lib):
        self.obj, self.dev, self.lib = obj, dev, lib
        self.dtype = np.dtype(dev.dtype)
        self.shape = tuple(int(n) for n in dev.shape)
        self.strides = tuple(int(s) for s in dev.strides)

    @property
    def ptr(self) -> int:
        if hasattr(self.dev, "_ary"):  # simulator: a NumPy array inside
            return self.dev._ary.__array_interface__["data"][0]
        return self.dev.__cuda_array_interface__["data"][0]

    def extent(self) -> tuple[int, int]:
        lo = hi = self.ptr
        for n, s in zip(self.shape, self.strides, strict=True):
            if n == 0:
                return self.ptr, self.ptr
            lo += min(0, (n - 1) * s)
            hi += max(0, (n - 1) * s)
        return lo, hi + self.dtype.itemsize


def _lib_of(obj) -> str:
    mod = type(obj).__module__.split(".")[0]
    return mod if mod in ("torch", "cupy") else "other"


def _wrap(obj, argname: str, fname: str) -> _Arr:
    if getattr(obj, "__cuda_ndarray__", False):  # Numba device array or simulator array
        return _Arr(obj, obj, "numba")
    if not is_device_array(obj):
        raise TypeError(f"{fname}: {argname} must be a CUDA device array (CuPy, torch CUDA tensor, "
                        f"Numba device array), got {type(obj).__name__}")
    lib = _lib_of(obj)
    if _simulating():
        raise TypeError(f"{fname}: under the CUDA simulator only Numba (simulated) device arrays are "
                        f"accepted, got {type(obj).__name__}")
    src = obj
    if lib == "torch":
        import torch

        if obj.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(f"{fname}: {argname} has unsupported dtype {obj.dtype}; "
                            "expected float16, float32 or float64")
        src = obj.detach()
    try:
        dev = _cuda().as_cuda_array(src, sync=False)
    except Exception as e:  # noqa: BLE001 - e.g. a dtype Numba cannot view
        raise TypeError(f"{fname}: cannot view {argname} ({type(obj).__name__}) as a CUDA array: {e}") from e
    return _Arr(obj, dev, lib)


def _compute(dt: np.dtype, fname: str, argname: str) -> np.dtype:
    if dt == _F32 or dt == _F64:
        return dt
    if dt == _F16:
        return _F32
    raise TypeError(f"{fname}: {argname} has unsupported dtype {dt} on the cuda backend; "
                    "expected float16, float32 or float64")


def _result(dts, fname: str, names) -> tuple[np.dtype, np.dtype]:
    """(compute dtype, result dtype) for input dtypes."""
    for dt, n in zip(dts, names, strict=True):
        _compute(dt, fname, n)
    result = np.result_type(*dts)
    return _compute(result, fname, names[0]), result


def _c_strides(shape: tuple, itemsize: int) -> tuple:
    st, acc = [], itemsize
    for n in reversed(shape):
        st.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(st))


def _collapse(shape: tuple, strides: list) -> tuple[list, list]:
    """Drop size-1 axes and merge adjacent axes where every operand allows it.
    Returns (sizes, per-operand stride lists)."""
    dims = [(n, [s[i] for s in strides]) for i, n in enumerate(shape) if n != 1]
    out = []
    for n, st in dims:
        if out and all(po == pi * n for po, pi in zip(out[-1][1], st, strict=True)):
            out[-1] = (out[-1][0] * n, st)
        else:
            out.append((n, st))
    return [d[0] for d in out], [[d[1][j] for d in out] for j in range(len(strides))]


_LAYOUT_HINT = "pass a contiguous array (e.g. a .copy()) instead"


def _plan_eltwise(shape: tuple, strides: list, fname: str) -> tuple[tuple, list]:
    sizes, sts = _collapse(shape, strides)
    if not sizes:
        return (1,), [(0,) for _ in strides]
    if len(sizes) > 2:
        raise TypeError(f"{fname}: the cuda backend handles contiguous arrays, 1-d strided arrays and "
                        f"2-d (or 2-d-collapsible) views; this {len(shape)}-d layout is not one; {_LAYOUT_HINT}")
    return tuple(sizes), [tuple(s) for s in sts]


def _plan_rowwise(shape: tuple, strides: list, axis: int, fname: str) -> tuple[tuple, list]:
    """(outer, cols, inner) views: the other axes, collapsed, around `axis` (a view with
    permuted strides: no copy, whichever axis is normalized)."""
    lead = [i for i in range(len(shape)) if i != axis]
    sizes, sts = _collapse(tuple(shape[i] for i in lead), [[s[i] for i in lead] for s in strides])
    if len(sizes) > 2:
        raise TypeError(f"{fname}: the cuda backend needs the axes other than `axis` to collapse into "
                        f"two at most (as in a contiguous array); {_LAYOUT_HINT}")
    pad = 2 - len(sizes)
    sizes = [1] * pad + sizes
    sts = [[0] * pad + st for st in sts]
    return ((sizes[0], shape[axis], sizes[1]),
            [(st[0], s[axis], st[1]) for st, s in zip(sts, strides, strict=True)])


def _view(a: _Arr, shape: tuple, strides: tuple):
    """A Numba device view of a's memory with this shape and these (byte) strides."""
    if hasattr(a.dev, "_ary"):  # simulator
        ary = np.lib.stride_tricks.as_strided(a.dev._ary, shape, strides)
        return type(a.dev)(ary)
    desc = {"shape": tuple(shape), "strides": tuple(strides), "typestr": a.dtype.str,
            "data": (a.ptr, False), "version": 3}
    return _cuda().from_cuda_array_interface(desc, owner=a.dev, sync=False)


def _empty(like: _Arr, shape: tuple, dtype: np.dtype, stream):
    """A new C-contiguous array in like's library, and its operand."""
    if like.lib == "cupy":
        import cupy

        with like.obj.device:
            obj = cupy.empty(shape, dtype)
    elif like.lib == "torch":
        import torch

        tdt = {_F16: torch.float16, _F32: torch.float32, _F64: torch.float64}[dtype]
        obj = torch.empty(shape, dtype=tdt, device=like.obj.device)
    else:
        obj = _cuda().device_array(shape, dtype, stream=stream) if stream != 0 else \
            _cuda().device_array(shape, dtype)
        return obj, _Arr(obj, obj, "numba")
    return obj, _Arr(obj, _cuda().as_cuda_array(obj, sync=False), like.lib)


def _same_view(a: _Arr, b: _Arr) -> bool:
    return a.ptr == b.ptr and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype


def _check_out(out, shape: tuple, result: np.dtype, inputs, fname: str):
    """The out= operand (or None), validated: nothing has been launched yet."""
    if out is None:
        return None
    oa = _wrap(out, "out", fname)
    if oa.shape != tuple(shape):
        raise ValueError(f"{fname}: out has shape {oa.shape}, expected {tuple(shape)}")
    if oa.dtype != result:
        raise TypeError(f"{fname}: out has dtype {oa.dtype}; the cuda backend writes the {result} "
                        "result only into an out of that dtype")
    lo, hi = oa.extent()
    for a in inputs:
        if a is None or _same_view(oa, a):
            continue
        alo, ahi = a.extent()
        if lo < ahi and alo < hi:
            raise ValueError(f"{fname}: out partially overlaps an input; pass the input itself for "
                             "an in-place call, or a separate array")
    return oa


def _stream(stream):
    if stream is None or (isinstance(stream, int) and stream == 0):
        return 0
    _cuda()
    if isinstance(stream, int):
        return cuda.external_stream(stream)
    for attr in ("cuda_stream", "ptr"):  # torch.cuda.Stream, cupy.cuda.Stream
        ptr = getattr(stream, attr, None)
        if isinstance(ptr, int) and not hasattr(stream, "handle"):
            return cuda.external_stream(ptr) if ptr else 0
    return stream  # a Numba stream


def _launch(kernel, grid, block, stream, *args):
    if stream == 0:
        kernel[grid, block](*args)
    else:
        kernel[grid, block, stream](*args)


def _params(params, dtype: np.dtype) -> tuple:
    t = np.dtype(dtype).type
    params = tuple(params)
    if len(params) > 4:
        raise TypeError(f"at most 4 parameters, got {len(params)}")
    return tuple(t(v) for v in params) + (t(0),) * (4 - len(params))


def _grid_1d(n: int) -> tuple[int, int]:
    threads, most = _limits()
    return max(1, min(-(-n // threads), most)), threads


def _grid_2d(rows: int, cols: int) -> tuple[tuple[int, int], int]:
    threads, most = _limits()
    bx = max(1, min(-(-cols // threads), most))
    by = max(1, min(rows, 65535, most // bx))
    return (bx, by), threads


def _row_config(cols: int) -> tuple[int, int]:
    """(threads per row, threads per block): a warp per row (8 rows per block) up to 1024
    columns, a block per row above; the simulator (no shuffles) uses blocks of 8."""
    if _simulating():
        return 8, 8
    if cols <= 1024:
        return 32, 256
    return (256, 256) if cols <= 16384 else (512, 512)


def _finish_eltwise(act, role, compute, ins, res, plan, params, stream, seed=None):
    """Launch <name>_<role> over the planned views of ins and res (seed: (seed, offset) of a
    random kind)."""
    vshape, vst = plan
    if seed is not None and len(vshape) == 1:  # the random kernels walk 2-d views: one row
        vshape, vst = (1, vshape[0]), [(0, *st) for st in vst]
    views = [_view(a, vshape, st) for a, st in zip([*ins, res], vst, strict=True)]
    if seed is None:
        k, extra = _eltwise_kernel(act, role, len(ins), compute, len(vshape)), ()
    else:
        k, extra = _random_kernel(act, role, compute), tuple(np.uint64(v) for v in seed)
    p = _params(params, compute)
    if len(vshape) == 1:
        grid, block = _grid_1d(vshape[0])
    else:
        grid, block = _grid_2d(*vshape)
    _launch(k, grid, block, stream, *views, p, *extra)


def _finish_rowwise(act, op, ins, res, plan, params, stream):
    vshape, vst = plan
    views = [_view(a, vshape, st) for a, st in zip([*ins, res], vst, strict=True)]
    g, block = _row_config(vshape[1])
    rpb = block // g
    k = _rowwise_kernel(act, op, g, rpb)
    groups = -(-(vshape[0] * vshape[2]) // rpb)
    blocks = max(1, min(groups, _limits()[1]))
    _launch(k, blocks, block, stream, *views, _params(params, _F64))


# ---- the operations ---------------------------------------------------------------------------

def forward(act_id: int, x, *, out=None, params=(), axis=-1, stream=0):
    """y = f(x) on the GPU for an eltwise or rowwise activation. params, in registry order,
    and axis (in range) were validated by fastact._api, as every argument this module does not
    read from the device arrays themselves. Returns out, or a new array of x's library."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}"
    if spec.kind not in ("eltwise", "rowwise"):
        raise TypeError(f"{fname}: use {spec.kind}_forward for a {spec.kind} activation")
    xa = _wrap(x, "x", fname)
    compute, result = _result((xa.dtype,), fname, ("x",))
    oa = _check_out(out, xa.shape, result, (xa,), fname)
    s = _stream(stream)
    dst_strides = oa.strides if oa is not None else _c_strides(xa.shape, result.itemsize)
    n = math.prod(xa.shape)
    if spec.kind == "rowwise":
        plan = _plan_rowwise(xa.shape or (1,), [xa.strides or (0,), dst_strides or (0,)],
                             axis % max(len(xa.shape), 1), fname)
    else:
        plan = _plan_eltwise(xa.shape, [xa.strides, dst_strides], fname)
    if oa is None:
        out, oa = _empty(xa, xa.shape, result, s)
    if n == 0:
        return out
    if spec.kind == "rowwise":
        _finish_rowwise(act_id, OP_FORWARD, (xa,), oa, plan, params, s)
    else:
        _finish_eltwise(act_id, "fwd", compute, (xa,), oa, plan, params, s)
    return out


def backward(act_id: int, dy, x=None, *, y=None, out=None, params=(), axis=-1, stream=0):
    """dx = dy * f'(x) on the GPU, from x or (where the registry allows) from y."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}_backward"
    if spec.kind not in ("eltwise", "rowwise"):
        raise TypeError(f"{fname}: use {spec.kind}_backward for a {spec.kind} activation")
    dya = _wrap(dy, "dy", fname)
    if x is not None:
        src, srcname, op = _wrap(x, "x", fname), "x", OP_BACKWARD
    elif y is not None:  # that y= is allowed here was checked by fastact._api
        src, srcname, op = _wrap(y, "y", fname), "y", OP_BACKWARD_Y
    else:
        raise TypeError(f"{fname}: pass x (or y=, the forward output)")
    if src.shape != dya.shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape} but {srcname} has shape {src.shape}")
    compute, result = _result((dya.dtype, src.dtype), fname, ("dy", srcname))
    oa = _check_out(out, dya.shape, result, (dya, src), fname)
    s = _stream(stream)
    dst_strides = oa.strides if oa is not None else _c_strides(dya.shape, result.itemsize)
    n = math.prod(dya.shape)
    if spec.kind == "rowwise":
        plan = _plan_rowwise(dya.shape or (1,), [dya.strides or (0,), src.strides or (0,), dst_strides or (0,)],
                             axis % max(len(dya.shape), 1), fname)
    else:
        plan = _plan_eltwise(dya.shape, [dya.strides, src.strides, dst_strides], fname)
    if oa is None:
        out, oa = _empty(src, dya.shape, result, s)
    if n == 0:
        return out
    if spec.kind == "rowwise":
        _finish_rowwise(act_id, op, (dya, src), oa, plan, params, s)
    else:
        _finish_eltwise(act_id, _ROLE[op], compute, (dya, src), oa, plan, params, s)
    return out


def _halves(a: _Arr, ax: int) -> tuple[_Arr, _Arr]:
    """The two halves of a along axis ax, as views (no copy)."""
    h = a.shape[ax] // 2
    lo = tuple(slice(0, h) if i == ax else slice(None) for i in range(len(a.shape)))
    hi = tuple(slice(h, 2 * h) if i == ax else slice(None) for i in range(len(a.shape)))
    return _Arr(a.obj, a.dev[lo], a.lib), _Arr(a.obj, a.dev[hi], a.lib)


def gated_forward(act_id: int, x, *, axis: int, out=None, params=(), stream=0):
    """y = f(a, b), [a, b] = x split in halves along axis (normalized and checked even by
    fastact._api). Returns out, or a new array of x's library with the halves' shape."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}"
    xa = _wrap(x, "x", fname)
    compute, result = _result((xa.dtype,), fname, ("x",))
    a, b = _halves(xa, axis)
    oa = _check_out(out, a.shape, result, (xa,), fname)
    s = _stream(stream)
    dst_strides = oa.strides if oa is not None else _c_strides(a.shape, result.itemsize)
    plan = _plan_eltwise(a.shape, [a.strides, b.strides, dst_strides], fname)
    if oa is None:
        out, oa = _empty(xa, a.shape, result, s)
    if math.prod(a.shape):
        _finish_eltwise(act_id, "fwd", compute, (a, b), oa, plan, params, s)
    return out


def gated_backward(act_id: int, dy, x, *, axis: int, out=None, params=(), stream=0):
    """dx (x's shape) = [dL/da, dL/db] from dy (the halves' shape)."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}_backward"
    dya, xa = _wrap(dy, "dy", fname), _wrap(x, "x", fname)
    compute, result = _result((dya.dtype, xa.dtype), fname, ("dy", "x"))
    a, b = _halves(xa, axis)
    if dya.shape != a.shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape}, expected {a.shape} (x halved along axis {axis})")
    oa = _check_out(out, xa.shape, result, (dya, xa), fname)
    if oa is not None and _same_view(oa, xa):
        raise ValueError(f"{fname}: out may not be x (both halves of x are read for each half of dx)")
    s = _stream(stream)
    if oa is None:
        out, oa = _empty(xa, xa.shape, result, s)
    da, db = _halves(oa, axis)
    if math.prod(a.shape):
        for role, dst in (("bwda", da), ("bwdb", db)):
            plan = _plan_eltwise(a.shape, [dya.strides, a.strides, b.strides, dst.strides], fname)
            _finish_eltwise(act_id, role, compute, (dya, a, b), dst, plan, params, s)
    return out


def random_call(act_id: int, dy, x, *, seed: int, offset: int, out=None, params=(), stream=0):
    """dropout/rrelu in training mode: forward (dy None) or backward, u from the CPU's
    counter-based generator (element i of the call, in C order, uses counter offset + i)."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}" + ("" if dy is None else "_backward")
    xa = _wrap(x, "x", fname)
    ins = (xa,) if dy is None else (_wrap(dy, "dy", fname), xa)
    if ins[0].shape != xa.shape:
        raise ValueError(f"{fname}: dy has shape {ins[0].shape} but x has shape {xa.shape}")
    compute, result = _result(tuple(a.dtype for a in ins), fname, ("x",) if dy is None else ("dy", "x"))
    oa = _check_out(out, xa.shape, result, ins, fname)
    s = _stream(stream)
    dst_strides = oa.strides if oa is not None else _c_strides(xa.shape, result.itemsize)
    plan = _plan_eltwise(xa.shape, [a.strides for a in ins] + [dst_strides], fname)
    if oa is None:
        out, oa = _empty(xa, xa.shape, result, s)
    if math.prod(xa.shape):
        _finish_eltwise(act_id, "fwd" if dy is None else "bwd", compute, ins, oa, plan, params, s,
                        seed=(seed, offset))
    return out


def _weight(w, compute: np.dtype, fname: str) -> _Arr:
    """The weight as an operand: a device array as it is, a host one copied to the device."""
    if is_device_array(w):
        wa = _wrap(w, "weight", fname)
        _compute(wa.dtype, fname, "weight")
        return wa
    h = np.asarray(w)
    if h.dtype.kind not in "biuf":
        raise TypeError(f"{fname}: weight has unsupported dtype {h.dtype}")
    d = _cuda().to_device(np.ascontiguousarray(h, dtype=compute))
    return _Arr(d, d, "numba")


def _contiguous(a: _Arr, name: str, fname: str):
    if a.strides != _c_strides(a.shape, a.dtype.itemsize) and math.prod(a.shape) > 1:
        raise TypeError(f"{fname}: on the cuda backend {name} must be C-contiguous; {_LAYOUT_HINT}")


def channelwise_forward(act_id: int, x, w, plan: tuple[int, int, int], *, out=None, stream=0):
    """prelu-like forward: y = f(x, w[channel]); plan = (outer, channels, inner) from
    fastact._api._channels (the channel of element i is (i // inner) % channels)."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}"
    xa = _wrap(x, "x", fname)
    compute, result = _result((xa.dtype,), fname, ("x",))
    wa = _weight(w, compute, fname)
    _, chans, inner = plan
    _contiguous(xa, "x", fname)
    oa = _check_out(out, xa.shape, result, (xa, wa), fname)
    if oa is not None:
        _contiguous(oa, "out", fname)
    s = _stream(stream)
    if oa is None:
        out, oa = _empty(xa, xa.shape, result, s)
    n = math.prod(xa.shape)
    if n == 0:
        return out
    flat = (n,), (result.itemsize,)
    xv = _view(xa, (n,), (xa.dtype.itemsize,))
    yv = _view(oa, *flat)
    wv = _view(wa, (chans,), (wa.strides[0] if wa.strides else 0,))
    k = _channel_kernel(act_id, OP_FORWARD, compute, 0)
    grid, block = _grid_1d(n)
    _launch(k, grid, block, s, xv, wv, yv, np.int64(chans), np.int64(inner), _params((), compute))
    return out


def channelwise_backward(act_id: int, dy, x, w, plan: tuple[int, int, int], *, stream=0):
    """(dx, dweight) for a prelu-like activation; dweight has w's shape, both the result dtype;
    plan as for channelwise_forward."""
    spec = ACTIVATIONS[act_id]
    fname = f"fastact.{spec.name}_backward"
    dya, xa = _wrap(dy, "dy", fname), _wrap(x, "x", fname)
    if dya.shape != xa.shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape} but x has shape {xa.shape}")
    compute, result = _result((dya.dtype, xa.dtype), fname, ("dy", "x"))
    wa = _weight(w, compute, fname)
    _, chans, inner = plan
    _contiguous(dya, "dy", fname)
    _contiguous(xa, "x", fname)
    s = _stream(stream)
    dx, dxa = _empty(xa, xa.shape, result, s)
    dw, dwa = _empty(xa, wa.shape, result, s)
    n = math.prod(xa.shape)
    if n == 0 or chans == 0:
        if math.prod(wa.shape):  # no elements: dweight is 0
            _launch(_channel_kernel(act_id, OP_BACKWARD, compute, _limits()[0])[1], 1, 32, s,
                    _cuda().device_array((chans, 0), np.float64), _view(dwa, (chans,), (result.itemsize,)))
        return dx, dw
    threads, most = _limits()
    per = n // chans
    gy = max(1, min(-(-per // (threads * 4)), -(-most // (8 * chans)), 65535))
    part = _cuda().device_array((chans, gy), np.float64) if s == 0 else \
        _cuda().device_array((chans, gy), np.float64, stream=s)
    kern, fin = _channel_kernel(act_id, OP_BACKWARD, compute, threads)
    flat = (n,)
    _launch(kern, (chans, gy), threads, s,
            _view(dya, flat, (dya.dtype.itemsize,)), _view(xa, flat, (xa.dtype.itemsize,)),
            _view(wa, (chans,), (wa.strides[0] if wa.strides else 0,)),
            _view(dxa, flat, (result.itemsize,)), part, np.int64(chans), np.int64(inner),
            _params((), compute))
    grid, block = _grid_1d(chans)
    _launch(fin, grid, block, s, part, _view(dwa, (chans,), (result.itemsize,)))
    return dx, dw


__all__ = ["available", "is_device_array", "forward", "backward", "gated_forward", "gated_backward",
           "random_call", "channelwise_forward", "channelwise_backward"]
