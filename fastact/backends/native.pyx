# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The native backend: Cython bindings to libfastact (C, SIMD, one thread).

Arguments arrive validated by ``fastact._api`` (same shape, one float dtype,
aligned, outputs writeable and not partially overlapping the inputs). This
module only walks N-d strided arrays: it collapses the dimensions that can be
merged, hands the innermost run (or, row-wise, the rows) to one C call, and
loops over the rest. ``Function`` (at the end) is the compiled fast path of the
public functions: it checks the common call itself and runs it the same way.
"""

cimport numpy as cnp
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint64_t
from libc.string cimport memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

cnp.import_array()

cdef extern from "fastact/fastact.h" nogil:
    ctypedef int fa_status
    ctypedef int fa_activation
    ctypedef int fa_dtype
    ctypedef struct fa_params:
        double v[4]
    int FA_MAX_PARAMS
    int FA_F32, FA_F64
    const char *fa_version()
    const char *fa_status_string(fa_status)
    const char *fa_simd_level()
    int fa_activation_count()
    const char *fa_activation_name(fa_activation)
    int fa_activation_kind(fa_activation)
    int fa_activation_nparams(fa_activation)
    int fa_activation_from_y(fa_activation)
    fa_status fa_params_check(fa_activation, const fa_params *)
    fa_status fa_forward(fa_activation, fa_dtype, size_t, const void *, ptrdiff_t, void *,
                         ptrdiff_t, const fa_params *)
    fa_status fa_backward(fa_activation, fa_dtype, size_t, const void *, ptrdiff_t, const void *,
                          ptrdiff_t, const void *, ptrdiff_t, void *, ptrdiff_t, const fa_params *)
    fa_status fa_rowwise_forward(fa_activation, fa_dtype, size_t, size_t, const void *, ptrdiff_t,
                                 ptrdiff_t, void *, ptrdiff_t, ptrdiff_t, const fa_params *)
    fa_status fa_rowwise_backward(fa_activation, fa_dtype, size_t, size_t, const void *, ptrdiff_t,
                                  ptrdiff_t, const void *, ptrdiff_t, ptrdiff_t, const void *,
                                  ptrdiff_t, ptrdiff_t, void *, ptrdiff_t, ptrdiff_t,
                                  const fa_params *)
    fa_status fa_gated_forward(fa_activation, fa_dtype, size_t, const void *, ptrdiff_t, const void *,
                               ptrdiff_t, void *, ptrdiff_t, const fa_params *)
    fa_status fa_gated_backward(fa_activation, fa_dtype, size_t, const void *, ptrdiff_t, const void *,
                                ptrdiff_t, const void *, ptrdiff_t, void *, ptrdiff_t, void *, ptrdiff_t,
                                const fa_params *)
    fa_status fa_random_forward(fa_activation, fa_dtype, size_t, const void *, void *, uint64_t, uint64_t,
                                const fa_params *)
    fa_status fa_random_backward(fa_activation, fa_dtype, size_t, const void *, const void *, void *,
                                 uint64_t, uint64_t, const fa_params *)
    fa_status fa_channelwise_forward(fa_activation, fa_dtype, size_t, size_t, size_t,
                                     const void *, const void *, void *)
    fa_status fa_channelwise_backward(fa_activation, fa_dtype, size_t, size_t, size_t,
                                      const void *, const void *, const void *, void *, void *)

# Operations, with their operands in order (the output last).
cpdef enum Op:
    OP_FORWARD = 0     # x, y
    OP_BACKWARD = 1    # dy, x, dx
    OP_BACKWARD_Y = 2  # dy, y, dx
    OP_GATED = 3       # a, b, y
    OP_GATED_BACKWARD = 4  # dy, a, b, da, db (two outputs: the last two)

cdef enum:
    MAXOP = 5
    MAXDIM = 64
    GIL_THRESHOLD = 8192  # release the GIL for calls on more elements than this

cdef struct Plan:
    int nloop                       # dimensions looped over in Cython
    cnp.npy_intp shape[MAXDIM]
    cnp.npy_intp strides[MAXOP][MAXDIM]   # bytes
    cnp.npy_intp n                  # innermost run (eltwise) or rows (rowwise)
    ptrdiff_t inc[MAXOP]            # its stride in elements
    cnp.npy_intp cols               # rowwise: the row length
    ptrdiff_t cinc[MAXOP]           # rowwise: stride along the row, elements
    cnp.npy_intp total              # elements in all


cdef int _plan(int nop, int nd, cnp.npy_intp *shp, cnp.npy_intp **strd, cnp.npy_intp itemsize,
               bint rowwise, Plan *pl) noexcept nogil:
    """Drop unit dims, order by the output's strides, merge what is contiguous.

    strd[k] are operand k's byte strides; the dims are ordered by the last operand's."""
    cdef int k, d, e, m = 0, ndo = nd - (1 if rowwise else 0)
    cdef int order[MAXDIM]
    cdef cnp.npy_intp *so = strd[nop - 1]
    cdef bint merge
    pl.total = 1
    for d in range(nd):
        pl.total *= shp[d]
    if rowwise:
        pl.cols = shp[nd - 1]
        for k in range(nop):
            pl.cinc[k] = strd[k][nd - 1] // itemsize
    for d in range(ndo):
        if shp[d] != 1:
            order[m] = d
            m += 1
    # insertion sort by |output stride|, largest first (so the innermost is last)
    for d in range(1, m):
        e = d
        while e > 0 and _abs(so[order[e - 1]]) < _abs(so[order[e]]):
            order[e - 1], order[e] = order[e], order[e - 1]
            e -= 1
    # merge neighbours where outer stride == inner stride * inner extent for every operand
    pl.nloop = 0
    for d in range(m):
        if pl.nloop > 0:
            e = pl.nloop - 1
            merge = True
            for k in range(nop):
                if pl.strides[k][e] != strd[k][order[d]] * shp[order[d]]:
                    merge = False
            if merge:
                pl.shape[e] *= shp[order[d]]
                for k in range(nop):
                    pl.strides[k][e] = strd[k][order[d]]
                continue
        pl.shape[pl.nloop] = shp[order[d]]
        for k in range(nop):
            pl.strides[k][pl.nloop] = strd[k][order[d]]
        pl.nloop += 1
    if pl.nloop == 0:
        pl.n = 1
        for k in range(nop):
            pl.inc[k] = 0
    else:
        pl.nloop -= 1
        pl.n = pl.shape[pl.nloop]
        for k in range(nop):
            pl.inc[k] = pl.strides[k][pl.nloop] // itemsize
    return 0


cdef inline cnp.npy_intp _abs(cnp.npy_intp v) nogil:
    return -v if v < 0 else v


cdef fa_status _call1(int op, bint rowwise, fa_activation act, fa_dtype dt, char **ptr, cnp.npy_intp n,
                      Plan *pl, const fa_params *p) noexcept nogil:
    """One C call on the innermost run (eltwise: n elements; rowwise: n rows)."""
    if rowwise:
        if op == OP_FORWARD:
            return fa_rowwise_forward(act, dt, n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                      ptr[1], pl.inc[1], pl.cinc[1], p)
        if op == OP_BACKWARD:
            return fa_rowwise_backward(act, dt, n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                       ptr[1], pl.inc[1], pl.cinc[1], NULL, 0, 0,
                                       ptr[2], pl.inc[2], pl.cinc[2], p)
        return fa_rowwise_backward(act, dt, n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                   NULL, 0, 0, ptr[1], pl.inc[1], pl.cinc[1],
                                   ptr[2], pl.inc[2], pl.cinc[2], p)
    if op == OP_FORWARD:
        return fa_forward(act, dt, n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], p)
    if op == OP_GATED:
        return fa_gated_forward(act, dt, n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], ptr[2], pl.inc[2], p)
    if op == OP_GATED_BACKWARD:
        return fa_gated_backward(act, dt, n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], ptr[2], pl.inc[2],
                                 ptr[3], pl.inc[3], ptr[4], pl.inc[4], p)
    if op == OP_BACKWARD:
        return fa_backward(act, dt, n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], NULL, 0,
                           ptr[2], pl.inc[2], p)
    return fa_backward(act, dt, n, ptr[0], pl.inc[0], NULL, 0, ptr[1], pl.inc[1], ptr[2], pl.inc[2], p)


cdef fa_status _run(int op, bint rowwise, fa_activation act, fa_dtype dt, int nop, char **ptr0,
                    Plan *pl, const fa_params *p, cnp.npy_intp itemsize,
                    cnp.npy_intp lo, cnp.npy_intp hi) noexcept nogil:
    """Units [lo, hi) of the plan's walk, in order: units are elements (eltwise) or rows
    (rowwise) of the outer loops times the innermost run. The whole call is [0, _units(pl))."""
    cdef cnp.npy_intp idx[MAXDIM]
    cdef char *ptr[MAXOP]
    cdef char *q[MAXOP]
    cdef cnp.npy_intp n = pl.n, base, rem, start, stop
    cdef int d, k
    cdef fa_status st
    if n <= 0 or lo >= hi:
        return 0
    base = (lo // n) * n  # the first unit of the outer iteration that holds lo
    rem = lo // n
    for k in range(nop):
        ptr[k] = ptr0[k]
    d = pl.nloop - 1
    while d >= 0:
        idx[d] = rem % pl.shape[d]
        rem = rem // pl.shape[d]
        for k in range(nop):
            ptr[k] += idx[d] * pl.strides[k][d]
        d -= 1
    while base < hi:
        start = lo - base if lo > base else 0
        stop = hi - base if hi - base < n else n
        for k in range(nop):
            q[k] = ptr[k] + start * pl.inc[k] * itemsize
        st = _call1(op, rowwise, act, dt, q, stop - start, pl, p)
        if st != 0:
            return st
        base += n
        # advance the odometer over the looped dimensions
        d = pl.nloop - 1
        while d >= 0:
            idx[d] += 1
            for k in range(nop):
                ptr[k] += pl.strides[k][d]
            if idx[d] < pl.shape[d]:
                break
            for k in range(nop):
                ptr[k] -= pl.strides[k][d] * pl.shape[d]
            idx[d] = 0
            d -= 1
    return 0


cdef inline cnp.npy_intp _units(Plan *pl) noexcept nogil:
    cdef cnp.npy_intp u = pl.n
    cdef int d
    for d in range(pl.nloop):
        u *= pl.shape[d]
    return u


# ---- one call in parts, for a thread pool ---------------------------------------------------------
# The numba backend runs a call's parts on its threads (a prange over k calling _part): the
# same C kernels on subranges of the same walk, so every kernel has one implementation and the
# results are bit-identical to one native call, on any number of threads.

cdef enum:
    WHAT_ELTWISE = 0   # eltwise and gated: elements of the plan's walk
    WHAT_ROWWISE = 1   # rows of the plan's walk
    WHAT_RANDOM = 2    # dropout / rrelu, contiguous: element i has counter offset + i
    WHAT_CHANNEL = 3   # channel-wise forward, contiguous (outer, channels, inner): parts of outer
    PART_ALIGN = 64    # element parts start on multiples of this (whole cache lines and vectors)

PARTS_ELTWISE, PARTS_ROWWISE, PARTS_RANDOM, PARTS_CHANNEL = (WHAT_ELTWISE, WHAT_ROWWISE, WHAT_RANDOM,
                                                           WHAT_CHANNEL)  # run_parts' `what`

cdef struct Job:
    int what, op, nop
    fa_activation act
    fa_dtype dt
    char *ptr[MAXOP]
    Plan pl
    fa_params p
    cnp.npy_intp itemsize, units, align
    uint64_t seed, offset
    size_t channels, inner


cdef inline cnp.npy_intp _bound(Job *j, cnp.npy_intp k, cnp.npy_intp parts) noexcept nogil:
    if k >= parts:
        return j.units
    cdef cnp.npy_intp b = j.units * k // parts
    return b - b % j.align


cdef int _part(void *job, cnp.npy_intp k, cnp.npy_intp parts) noexcept nogil:
    """Run part k of `parts` of a Job: its units [bound(k), bound(k + 1))."""
    cdef Job *j = <Job *>job
    cdef cnp.npy_intp lo = _bound(j, k, parts), hi = _bound(j, k + 1, parts)
    cdef cnp.npy_intp s = lo * j.itemsize
    if lo >= hi:
        return 0
    if j.what == WHAT_ELTWISE or j.what == WHAT_ROWWISE:
        return _run(j.op, j.what == WHAT_ROWWISE, j.act, j.dt, j.nop, j.ptr, &j.pl, &j.p, j.itemsize, lo, hi)
    if j.what == WHAT_RANDOM:
        if j.op == OP_FORWARD:
            return fa_random_forward(j.act, j.dt, hi - lo, j.ptr[0] + s, j.ptr[1] + s, j.seed, j.offset + lo, &j.p)
        return fa_random_backward(j.act, j.dt, hi - lo, j.ptr[0] + s, j.ptr[1] + s, j.ptr[2] + s,
                                  j.seed, j.offset + lo, &j.p)
    s *= j.channels * j.inner
    return fa_channelwise_forward(j.act, j.dt, hi - lo, j.channels, j.inner, j.ptr[0] + s, j.ptr[1], j.ptr[2] + s)


cdef int _launch(Job *job, runner, Py_ssize_t parts) except -1:
    """runner(entry, job, parts, status) runs part k of the job for each k < parts on its threads."""
    cdef cnp.npy_intp n = max(1, min(parts, (job.units + job.align - 1) // job.align))
    cdef cnp.ndarray status = cnp.PyArray_ZEROS(1, &n, cnp.NPY_INT32, 0)
    cdef int *st = <int *>cnp.PyArray_DATA(status)
    cdef cnp.npy_intp k
    runner(<size_t>&_part, <size_t>job, n, status)
    for k in range(n):
        if st[k] != 0:
            _raise(st[k])
    return 0


cdef fa_dtype _dtype(cnp.ndarray a) except -1:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT32:
        return FA_F32
    if t == cnp.NPY_FLOAT64:
        return FA_F64
    raise TypeError(f"native backend: unsupported dtype {a.dtype}")


cdef int _fill_params(params, fa_params *p) except -1:
    cdef int i
    memset(p, 0, sizeof(fa_params))
    for i, v in enumerate(params):
        p.v[i] = v
    return 0


cdef int _raise(fa_status st) except -1:
    raise ValueError(f"libfastact: {fa_status_string(st).decode()} (status {st})")


cdef int _exec(int op, bint rowwise, int act, int nop, char **ptr, cnp.npy_intp **strd, int nd,
               cnp.npy_intp *shape, cnp.npy_intp itemsize, fa_dtype dt, const fa_params *p,
               object runner=None, Py_ssize_t parts=1) except -1:
    """Plan and run one call (operands' data and byte strides; the output last): on this
    thread, or with a runner in parts on a thread pool (see _launch)."""
    cdef Job job
    cdef Plan *pl = &job.pl
    cdef fa_status st
    cdef int k
    _plan(nop, nd, shape, strd, itemsize, rowwise, pl)
    if pl.total == 0:
        return 0
    if runner is not None:
        job.what, job.op, job.act, job.nop, job.dt, job.itemsize = (
            WHAT_ROWWISE if rowwise else WHAT_ELTWISE), op, act, nop, dt, itemsize
        job.p = p[0]
        job.units = _units(pl)
        job.align = 1 if rowwise else PART_ALIGN
        for k in range(nop):
            job.ptr[k] = ptr[k]
        return _launch(&job, runner, parts)
    if pl.total > GIL_THRESHOLD:
        with nogil:
            st = _run(op, rowwise, act, dt, nop, ptr, pl, p, itemsize, 0, _units(pl))
    else:
        st = _run(op, rowwise, act, dt, nop, ptr, pl, p, itemsize, 0, _units(pl))
    if st != 0:
        _raise(st)
    return 0


def _call(int op, bint rowwise, int act, tuple arrays, tuple params, runner=None, Py_ssize_t parts=1):
    cdef int nop = len(arrays), k
    cdef cnp.ndarray a, out = arrays[nop - 1]
    cdef char *ptr[MAXOP]
    cdef cnp.npy_intp *strd[MAXOP]
    cdef fa_params p
    for k in range(nop):
        a = arrays[k]
        ptr[k] = <char *>cnp.PyArray_DATA(a)
        strd[k] = cnp.PyArray_STRIDES(a)
    cdef fa_dtype dt = _dtype(out)
    _fill_params(params, &p)
    _exec(op, rowwise, act, nop, ptr, strd, cnp.PyArray_NDIM(out), cnp.PyArray_DIMS(out),
          cnp.PyArray_ITEMSIZE(out), dt, &p, runner, parts)


def eltwise(int op, int act, tuple arrays, tuple params):
    """Elementwise op on same-shaped arrays: (x, y), (dy, x, dx), (dy, y, dx),
    gated (a, b, y) or gated backward (dy, a, b, da, db)."""
    _call(op, False, act, arrays, params)


def rowwise(int op, int act, tuple arrays, tuple params):
    """Row-wise op along the last axis of same-shaped arrays (operands as eltwise)."""
    _call(op, True, act, arrays, params)


def random(int op, int act, tuple arrays, tuple params, uint64_t seed, uint64_t offset):
    """dropout / rrelu on C-contiguous arrays: op 0 (x, y), op 1 (dy, x, dx)."""
    cdef cnp.ndarray out = arrays[len(arrays) - 1]  # no negative indices: wraparound is off
    cdef fa_dtype dt = _dtype(out)
    cdef fa_params p
    cdef fa_status st
    cdef size_t n = cnp.PyArray_SIZE(out)
    cdef void *p0 = cnp.PyArray_DATA(<cnp.ndarray>arrays[0])
    cdef void *p1 = cnp.PyArray_DATA(<cnp.ndarray>arrays[1])
    cdef void *p2 = cnp.PyArray_DATA(out)
    _fill_params(params, &p)
    with nogil:
        if op == OP_FORWARD:
            st = fa_random_forward(act, dt, n, p0, p1, seed, offset, &p)
        else:
            st = fa_random_backward(act, dt, n, p0, p1, p2, seed, offset, &p)
    if st != 0:
        _raise(st)


def channelwise_forward(int act, cnp.ndarray x, cnp.ndarray w, cnp.ndarray y,
                        Py_ssize_t outer, Py_ssize_t channels, Py_ssize_t inner):
    """Contiguous (outer, channels, inner) x and y, contiguous w of `channels`."""
    cdef fa_dtype dt = _dtype(y)
    cdef fa_status st
    cdef void *px = cnp.PyArray_DATA(x)
    cdef void *pw = cnp.PyArray_DATA(w)
    cdef void *py = cnp.PyArray_DATA(y)
    with nogil:
        st = fa_channelwise_forward(act, dt, outer, channels, inner, px, pw, py)
    if st != 0:
        _raise(st)


def channelwise_backward(int act, cnp.ndarray dy, cnp.ndarray x, cnp.ndarray w, cnp.ndarray dx,
                         cnp.ndarray dw, Py_ssize_t outer, Py_ssize_t channels, Py_ssize_t inner):
    cdef fa_dtype dt = _dtype(dx)
    cdef fa_status st
    cdef void *pdy = cnp.PyArray_DATA(dy)
    cdef void *px = cnp.PyArray_DATA(x)
    cdef void *pw = cnp.PyArray_DATA(w)
    cdef void *pdx = cnp.PyArray_DATA(dx)
    cdef void *pdw = cnp.PyArray_DATA(dw)
    with nogil:
        st = fa_channelwise_backward(act, dt, outer, channels, inner, pdy, px, pw, pdx, pdw)
    if st != 0:
        _raise(st)


def params_ok(int act, tuple params):
    """True if libfastact accepts these parameter values."""
    cdef fa_params p
    _fill_params(params, &p)
    return fa_params_check(act, &p) == 0


def version():
    return fa_version().decode()


def simd_level():
    return fa_simd_level().decode()


def activations():
    """[(name, kind, nparams, from_y)] in fa_activation order, as compiled into libfastact."""
    return [(fa_activation_name(i).decode(), fa_activation_kind(i), fa_activation_nparams(i),
             fa_activation_from_y(i)) for i in range(fa_activation_count())]


def collapse(tuple arrays, bint rowwise=False):
    """The walk native calls use, for other backends: (shape, [strides per operand]).

    Unit dimensions dropped, ordered by the output's strides (the last operand),
    mergeable neighbours merged; the innermost run (or, rowwise, the rows)
    second to last, the row itself last when rowwise. Strides in bytes."""
    cdef int nop = len(arrays), k, d
    cdef cnp.ndarray a, out = arrays[nop - 1]
    cdef cnp.npy_intp *strd[MAXOP]
    cdef Plan pl
    cdef cnp.npy_intp itemsize = cnp.PyArray_ITEMSIZE(out)
    for k in range(nop):
        a = arrays[k]
        strd[k] = cnp.PyArray_STRIDES(a)
    _plan(nop, cnp.PyArray_NDIM(out), cnp.PyArray_DIMS(out), strd, itemsize, rowwise, &pl)
    shape = [pl.shape[d] for d in range(pl.nloop)] + [pl.n] + ([pl.cols] if rowwise else [])
    strides = []
    for k in range(nop):
        st = [pl.strides[k][d] for d in range(pl.nloop)] + [pl.inc[k] * itemsize]
        if rowwise:
            st.append(pl.cinc[k] * itemsize)
        strides.append(tuple(st))
    return tuple(shape), strides


def run_parts(runner, Py_ssize_t parts, int what, int op, int act, tuple arrays, tuple params,
              uint64_t seed=0, uint64_t offset=0, Py_ssize_t channels=0, Py_ssize_t inner=0):
    """Run one call (operands as eltwise/rowwise/random/channelwise_forward; `what` one of
    PARTS_ELTWISE, PARTS_ROWWISE, PARTS_RANDOM, PARTS_CHANNEL) as up to `parts` parts through
    ``runner(entry, job, parts, status)``: it must call ``int entry(void *job, intptr_t k,
    intptr_t parts)`` for every k in range(parts) (in any order, on any threads) and store the
    result in status[k]."""
    if what == WHAT_ELTWISE or what == WHAT_ROWWISE:
        _call(op, what == WHAT_ROWWISE, act, arrays, params, runner, parts)
        return
    cdef Job job
    cdef int k
    cdef cnp.ndarray out = arrays[len(arrays) - 1]
    memset(&job, 0, sizeof(Job))
    job.what, job.op, job.act, job.nop = what, op, act, len(arrays)
    job.dt = _dtype(out)
    job.itemsize = cnp.PyArray_ITEMSIZE(out)
    job.seed, job.offset = seed, offset
    _fill_params(params, &job.p)
    for k in range(job.nop):
        job.ptr[k] = <char *>cnp.PyArray_DATA(<cnp.ndarray>arrays[k])
    if what == WHAT_RANDOM:
        job.align = PART_ALIGN
        job.units = cnp.PyArray_SIZE(out)
    else:
        job.align = 1
        job.channels, job.inner = channels, inner
        job.units = cnp.PyArray_SIZE(out) // (channels * inner) if channels * inner else 0
    if job.units:
        _launch(&job, runner, parts)


def describe():
    """Details for fastact.show_config()."""
    return {"version": version(), "threads": 1, "simd": simd_level(),
            "detail": "C kernels via Cython, single thread, lowest call overhead"}


# ---- the compiled fast path of the public functions ----------------------------------------------
#
# fastact.<name> and fastact.<name>_backward of the eltwise and rowwise activations are Function
# objects: called through vectorcall, they finish the common call here -- float32/float64 NumPy
# arrays that the native backend would get anyway, float parameters -- and hand every other call,
# unchanged, to the general Python function (``Function.general``, fastact._api), which defines the
# semantics (conversions, errors, other backends, Dask, CUDA). A call is taken here only when the
# general function would succeed with the same native kernel call, so results are identical and
# errors are always raised by the general path, before anything is written.

from cpython.object cimport PyObject
from cpython.exc cimport PyErr_Occurred, PyErr_Clear
from cpython.ref cimport Py_INCREF

cdef extern from *:
    """
    typedef PyObject *(*fa__vectorcallfunc)(PyObject *, PyObject *const *, size_t, PyObject *);
    static void fa__enable_vectorcall(PyTypeObject *tp, Py_ssize_t offset) {
        tp->tp_vectorcall_offset = offset;
        tp->tp_call = PyVectorcall_Call;
        tp->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL;
    }
    """
    ctypedef PyObject *(*fa__vectorcallfunc)(PyObject *, PyObject **, size_t, PyObject *)
    ctypedef struct PyTypeObject
    PyTypeObject *Py_TYPE(PyObject *)
    void fa__enable_vectorcall(PyTypeObject *, Py_ssize_t)
    Py_ssize_t PyVectorcall_NARGS(size_t)
    object PyObject_Vectorcall(PyObject *, PyObject **, size_t, PyObject *)
    bint PyFloat_CheckExact(PyObject *)
    double PyFloat_AS_DOUBLE(PyObject *)
    bint PyLong_CheckExact(PyObject *)
    double PyLong_AsDouble(PyObject *)
    Py_ssize_t PyLong_AsSsize_t(PyObject *)
    bint PyUnicode_CheckExact(PyObject *)
    bint PyBytes_CheckExact(PyObject *)
    Py_ssize_t PyBytes_GET_SIZE(PyObject *)
    Py_ssize_t PyTuple_GET_SIZE(PyObject *)
    PyObject *PyTuple_GET_ITEM(PyObject *, Py_ssize_t)
    PyObject *PyDict_GetItemWithError(PyObject *, PyObject *)
    int PyUnicode_Compare(PyObject *, PyObject *) except? -1
    bint PyArray_CheckExact(PyObject *)
    object PyArray_NewLikeArray(cnp.ndarray, cnp.NPY_ORDER, PyObject *, int)
    PyObject *Py_None
    PyObject *Py_False

cdef enum:
    # where an argument goes, by the parameter names of the public signatures
    S_X = 0
    S_DY = 1
    S_AXIS = 2
    S_OUT = 3
    S_Y = 4
    S_BACKEND = 5
    S_STREAM = 6
    S_PARAM = 7  # S_PARAM + k: the k-th activation parameter
    S_VARIANT = 11  # the variant keyword, e.g. gelu's approximate=
    NSLOT = 12

cdef dict _SLOTS = {"x": S_X, "dy": S_DY, "axis": S_AXIS, "out": S_OUT, "y": S_Y, "backend": S_BACKEND,
                    "stream": S_STREAM}

# dispatcher state, kept current by fastact._dispatch (see _dispatch_changed)
cdef Py_ssize_t _n_forced = 0      # use_backend(...) blocks open in any thread
cdef Py_ssize_t _base_threshold = -1  # numba threshold without $FASTACT_NUMBA_THRESHOLD; -1: unknown
cdef object _threshold_env = None  # the $FASTACT_NUMBA_THRESHOLD value _env_threshold was read from
cdef Py_ssize_t _env_threshold = 0
cdef object _environ = None        # os.environ's dict (bytes -> bytes), what os.environ.get reads
cdef object _log = None            # the "fastact" logger and its isEnabledFor cache
cdef object _log_cache = None
cdef object _DEBUG = 10
cdef object _K_BACKEND = b"FASTACT_BACKEND"
cdef object _K_THRESHOLD = b"FASTACT_NUMBA_THRESHOLD"
cdef object _NATIVE = "native"
cdef object _NP_FLOAT64 = __import__("numpy").float64
cdef object _dispatch = None
cdef double _crossover_ns = -1     # native time from which numba wins; -1: read the config
cdef object _par_runner = None     # set_parallel()
cdef object _loaded = None         # fastact._dispatch._loaded: the backends that loaded
cdef object _K_NUMBA = "numba"
cdef Py_ssize_t _par_parts = 1
cdef unsigned long long _fast_calls = 0
cdef bint _enabled = True


def _dispatch_changed():
    """Called by fastact._dispatch after use_backend() enters or leaves and when the config is reloaded."""
    global _n_forced, _base_threshold, _crossover_ns
    _n_forced = _dispatch._forced_contexts
    _base_threshold = -1
    _crossover_ns = -1


cdef _setup():
    global _dispatch, _environ, _log, _log_cache, _loaded
    if _dispatch is not None:
        return
    import os
    import fastact._dispatch as d
    _environ = getattr(os.environ, "_data", None)
    if type(_environ) is not dict or os.name != "posix":
        _environ = None  # no fast path: every call reads os.environ in fastact._dispatch
    _log = d._log
    _log_cache = getattr(_log, "_cache", None)
    if type(_log_cache) is not dict:
        _log_cache = None
    _dispatch = d
    _loaded = d._loaded
    d._listeners.append(_dispatch_changed)
    _dispatch_changed()


def fastpath_calls():
    """How many calls the compiled fast path has finished (for tests and profiling)."""
    return _fast_calls


def set_fastpath(bint enabled):
    """Turn the compiled fast path on or off (off: every call takes the general path, for tests
    that compare the two); returns the previous setting."""
    global _enabled
    prev, _enabled = _enabled, enabled
    return prev


cdef bint _quiet() except -1:
    """True when fastact._dispatch.select would not log (its DEBUG line)."""
    cdef PyObject *v
    if _log_cache is not None:
        v = PyDict_GetItemWithError(<PyObject *>_log_cache, <PyObject *>_DEBUG)
        if v != NULL:
            return v == Py_False
        if PyErr_Occurred():
            PyErr_Clear()
            return False
    return not _log.isEnabledFor(_DEBUG)


cdef enum:
    CHOSE_GENERAL = 0
    CHOSE_NATIVE = 1
    CHOSE_PARALLEL = 2


cdef int _chosen(bint forced_native, Py_ssize_t size, Py_ssize_t kernel_threshold) except -1:
    """What fastact._dispatch.select would pick without an error or a warning: CHOSE_NATIVE,
    CHOSE_PARALLEL (numba, automatically: above the threshold, with the backend loaded and a
    thread-safe layer), or CHOSE_GENERAL (let the general path decide). kernel_threshold (> 0
    once this kernel's cost is known, see Function._threshold) replaces the configured one
    unless $FASTACT_NUMBA_THRESHOLD is set."""
    global _threshold_env, _env_threshold, _base_threshold
    cdef PyObject *v
    cdef Py_ssize_t threshold
    if _environ is None or not _quiet():
        return CHOSE_GENERAL
    if forced_native:  # backend="native" on the call
        return CHOSE_NATIVE
    if _n_forced:  # a use_backend() block somewhere: the thread-local choice decides
        return CHOSE_GENERAL
    v = PyDict_GetItemWithError(<PyObject *>_environ, <PyObject *>_K_BACKEND)
    if v == NULL and PyErr_Occurred():
        PyErr_Clear()
        return CHOSE_GENERAL
    if v != NULL and PyBytes_GET_SIZE(v) > 0:
        return CHOSE_NATIVE if <object>v == b"native" else CHOSE_GENERAL
    v = PyDict_GetItemWithError(<PyObject *>_environ, <PyObject *>_K_THRESHOLD)
    if v == NULL and PyErr_Occurred():
        PyErr_Clear()
        return CHOSE_GENERAL
    if v != NULL and PyBytes_GET_SIZE(v) > 0:
        if v != <PyObject *>_threshold_env:
            try:
                _env_threshold = _dispatch.numba_threshold()[0]
            except Exception:  # a bad value: the general path raises
                return CHOSE_GENERAL
            _threshold_env = <object>v
        threshold = _env_threshold
    else:
        if _base_threshold < 0:
            try:
                _base_threshold = _dispatch.numba_threshold()[0]
            except Exception:
                return CHOSE_GENERAL
        threshold = kernel_threshold if kernel_threshold > 0 else _base_threshold
    if size < threshold:
        return CHOSE_NATIVE
    if PyDict_GetItemWithError(<PyObject *>_loaded, <PyObject *>_K_NUMBA) != NULL:
        return CHOSE_PARALLEL if _par_runner is not None else CHOSE_GENERAL  # (workqueue: its lock)
    PyErr_Clear()
    if "numba" in _dispatch._failed:  # the general path warns once and runs native
        return CHOSE_GENERAL
    if not _dispatch._loader:  # as the general path: load numba in the background, native meanwhile
        _dispatch._load_in_background()
    return CHOSE_NATIVE


cdef enum:
    COST_MIN = 16384   # elements: calls from this size on time the kernel (its first COST_CALLS)
    COST_CALLS = 3


cdef inline double _now_ns() noexcept nogil:
    cdef timespec t
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec * 1e9 + t.tv_nsec


cdef double _crossover() except -1:
    """ns of native work from which the numba backend wins (config numba_crossover_ns)."""
    global _crossover_ns
    if _crossover_ns < 0:
        try:
            _crossover_ns = float(_dispatch._config().get("numba_crossover_ns") or _dispatch.DEFAULT_CROSSOVER_NS)
        except Exception:
            _crossover_ns = _dispatch.DEFAULT_CROSSOVER_NS
    return _crossover_ns


def set_parallel(runner, Py_ssize_t parts):
    """The numba backend, once loaded on a thread-safe layer: the fast path runs calls that the
    dispatcher would send to it as runner's parts (see _launch) itself. None: never."""
    global _par_runner, _par_parts
    _par_runner, _par_parts = runner, parts




cdef inline bint _plain(PyObject *a) noexcept:
    """An exact, aligned, native-endian float32/float64 ndarray."""
    cdef int t
    if a == NULL or not PyArray_CheckExact(a):
        return False
    t = cnp.PyArray_TYPE(<cnp.ndarray>a)
    return ((t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64) and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>a)
            and cnp.PyArray_ISALIGNED(<cnp.ndarray>a))


cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b) noexcept:
    cdef int d, nd = cnp.PyArray_NDIM(a)
    if cnp.PyArray_NDIM(b) != nd or cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(b):
        return False
    for d in range(nd):
        if cnp.PyArray_DIMS(a)[d] != cnp.PyArray_DIMS(b)[d]:
            return False
    return True


cdef bint _may_overlap(cnp.ndarray out, cnp.ndarray a) noexcept:
    """False when out is a itself (in place) or their memory extents are disjoint; same shape and dtype."""
    cdef int d, nd = cnp.PyArray_NDIM(a)
    cdef char *lo[2]
    cdef char *hi[2]
    cdef cnp.ndarray arr
    cdef cnp.npy_intp s
    cdef int k
    cdef bint same = cnp.PyArray_DATA(out) == cnp.PyArray_DATA(a)
    for d in range(nd):
        if cnp.PyArray_STRIDES(out)[d] != cnp.PyArray_STRIDES(a)[d]:
            same = False
    if same:
        return False
    for k in range(2):
        arr = out if k == 0 else a
        lo[k] = hi[k] = <char *>cnp.PyArray_DATA(arr)
        for d in range(nd):
            if cnp.PyArray_DIMS(arr)[d] == 0:
                return False  # empty: no memory
            s = cnp.PyArray_STRIDES(arr)[d] * (cnp.PyArray_DIMS(arr)[d] - 1)
            if s < 0:
                lo[k] += s
            else:
                hi[k] += s
        hi[k] += cnp.PyArray_ITEMSIZE(arr)
    return lo[0] < hi[1] and lo[1] < hi[0]


cdef class Function:
    """A public fastact function; its own ``__doc__`` and ``__signature__`` describe it.

    The common call runs in compiled code; any other goes to ``general``, the Python function
    that defines the semantics (and gives the same results and errors)."""

    cdef fa__vectorcallfunc vectorcall
    cdef readonly object general
    cdef int act, nparams, npos, nkw
    cdef bint backward, rowwise, from_y_ok
    cdef int pos_slot[NSLOT]
    cdef int kw_slot[NSLOT]
    cdef tuple kw_names
    cdef object variant  # the variant keyword's default value: this function's own
    cdef fa_params defaults
    cdef double cost[2]    # ns per element of the native kernel (float32, float64): min of the
    cdef int ncost[2]      # first COST_CALLS calls of >= COST_MIN elements; 0 calls: unknown
    cdef dict __dict__
    cdef object __weakref__

    def __init__(self, general, int act, bint backward, bint rowwise, signature, tuple param_names,
                 tuple defaults, bint from_y_ok, tuple variant=()):
        """general: the Python function; signature: its inspect.Signature, whose parameter names
        (x, dy, axis, out, y, backend, stream and param_names) say where each argument goes;
        defaults: of param_names; from_y_ok: backward from y= is exact with the defaults;
        variant: (keyword, value) when general selects another activation by keyword (e.g.
        gelu's approximate=) and value selects this one (other values go to general)."""
        import sys
        _setup()
        if len(param_names) > FA_MAX_PARAMS or len(defaults) != len(param_names):
            raise ValueError("bad parameters")
        self.general, self.act, self.backward, self.rowwise = general, act, backward, rowwise
        self.nparams, self.from_y_ok = len(param_names), from_y_ok
        slots = dict(_SLOTS, **{n: S_PARAM + k for k, n in enumerate(param_names)})
        if variant:
            slots[variant[0]] = S_VARIANT
            self.variant = variant[1]
        names = []
        self.npos = self.nkw = 0
        for prm in signature.parameters.values():
            if prm.kind == prm.POSITIONAL_OR_KEYWORD:
                self.pos_slot[self.npos] = slots[prm.name]
                self.npos += 1
            elif prm.kind != prm.KEYWORD_ONLY:
                raise ValueError(f"unsupported parameter {prm}")
            self.kw_slot[self.nkw] = slots[prm.name]
            self.nkw += 1
            names.append(sys.intern(prm.name))
        self.kw_names = tuple(names)
        _fill_params(defaults, &self.defaults)

    def __cinit__(self, *args, **kwargs):
        self.vectorcall = <fa__vectorcallfunc>_vectorcall
        self.ncost[0] = self.ncost[1] = 0

    cdef Py_ssize_t _threshold(self, int di) except -1:
        """Elements from which this kernel's automatic calls go to numba: where its native time
        reaches the crossover time (0 while its cost is not measured)."""
        if self.ncost[di] == 0:
            return 0
        cdef double n = _crossover() / self.cost[di]
        return <Py_ssize_t>(n if n > COST_MIN else COST_MIN)

    def kernel_cost(self, dtype):
        """(ns per element of the native kernel or None, the elements from which automatic calls
        go to numba or None) for float32 or float64."""
        import numpy as np
        cdef int di = 0 if np.dtype(dtype) == np.float32 else 1
        return (self.cost[di] if self.ncost[di] else None), (self._threshold(di) or None)

    def set_kernel_cost(self, dtype, cost_ns):
        """Set (or with None forget) the measured cost; for tests and tools."""
        import numpy as np
        cdef int di = 0 if np.dtype(dtype) == np.float32 else 1
        if cost_ns is None:
            self.ncost[di] = 0
        else:
            self.cost[di], self.ncost[di] = cost_ns, COST_CALLS

    def __call__(self, *args, **kwargs):  # replaced by the vectorcall slot (fa__enable_vectorcall)
        return self.general(*args, **kwargs)

    def __get__(self, obj, objtype):
        """Bind like a Python function when stored on a class."""
        if obj is None:
            return self
        import types
        return types.MethodType(self, obj)

    def __reduce__(self):
        return self.__qualname__  # pickled by reference, like a function

    def __repr__(self):
        return f"<function {getattr(self, '__qualname__', '?')} at {id(self):#x}>"

    cdef int _kw_slot(self, PyObject *name) except -2:
        cdef int j
        for j in range(self.nkw):
            if PyTuple_GET_ITEM(<PyObject *>self.kw_names, j) == name:
                return self.kw_slot[j]
        if not PyUnicode_CheckExact(name):
            return -1
        for j in range(self.nkw):
            if PyUnicode_Compare(PyTuple_GET_ITEM(<PyObject *>self.kw_names, j), name) == 0:
                return self.kw_slot[j]
        return -1


cdef object _vectorcall(Function f, PyObject **args, size_t nargsf, PyObject *kwnames):
    r = _fast(f, args, PyVectorcall_NARGS(nargsf), kwnames)
    if r is not None:
        return r
    return PyObject_Vectorcall(<PyObject *>f.general, args, nargsf, kwnames)


cdef object _fast(Function f, PyObject **args, Py_ssize_t nargs, PyObject *kwnames):
    """The call's result, or None where the general function must handle it."""
    global _fast_calls
    cdef PyObject *slot[NSLOT]
    cdef PyObject *v
    cdef Py_ssize_t i, nkw = 0, axis = -1
    cdef int k, s, op, nop, nd
    cdef bint changed = False, forced_native = False, timed
    cdef int chose, di
    cdef Py_ssize_t size
    cdef double t0 = 0, c
    cdef fa_params p
    cdef cnp.ndarray src, dst, dy = None
    cdef char *ptr[3]
    cdef cnp.npy_intp *strd[3]
    cdef cnp.npy_intp shape[MAXDIM]
    cdef cnp.npy_intp perm[3][MAXDIM]
    if nargs > f.npos or not _enabled:
        return None
    for k in range(NSLOT):
        slot[k] = NULL
    for i in range(nargs):
        slot[f.pos_slot[i]] = args[i]
    if kwnames != NULL:
        nkw = PyTuple_GET_SIZE(kwnames)
        for i in range(nkw):
            s = f._kw_slot(PyTuple_GET_ITEM(kwnames, i))
            if s < 0 or slot[s] != NULL:
                return None
            slot[s] = args[nargs + i]
    # backend=, stream=
    v = slot[S_STREAM]
    if v != NULL and v != Py_None:
        return None
    v = slot[S_VARIANT]
    if v != NULL and not (PyUnicode_CheckExact(v) and PyUnicode_Compare(v, <PyObject *>f.variant) == 0):
        return None
    v = slot[S_BACKEND]
    if v != NULL and v != Py_None:
        if not (PyUnicode_CheckExact(v) and (v == <PyObject *>_NATIVE or PyUnicode_Compare(v, <PyObject *>_NATIVE) == 0)):
            return None
        forced_native = True
    # parameters: plain floats (or ints) that pass the registry's checks
    p = f.defaults
    for k in range(f.nparams):
        v = slot[S_PARAM + k]
        if v == NULL:
            continue
        if PyFloat_CheckExact(v) or Py_TYPE(v) == <PyTypeObject *>_NP_FLOAT64:  # float(v): its double
            p.v[k] = PyFloat_AS_DOUBLE(v)
        elif PyLong_CheckExact(v):
            p.v[k] = PyLong_AsDouble(v)
            if p.v[k] == -1.0 and PyErr_Occurred():
                PyErr_Clear()
                return None
        else:
            return None
        changed = True
    if changed and fa_params_check(f.act, &p) != 0:
        return None
    # operands
    if f.backward:
        if not _plain(slot[S_DY]):
            return None
        dy = <cnp.ndarray>slot[S_DY]
        v = slot[S_X]
        if v != NULL and v != Py_None:
            if slot[S_Y] != NULL and slot[S_Y] != Py_None:
                return None
            op = OP_BACKWARD
        else:
            v = slot[S_Y]
            if v == NULL or v == Py_None or changed or not f.from_y_ok:
                return None
            op = OP_BACKWARD_Y
        if not _plain(v) or not _same_shape(dy, <cnp.ndarray>v):
            return None
        src = <cnp.ndarray>v
        nop = 3
    else:
        if not _plain(slot[S_X]):
            return None
        src = <cnp.ndarray>slot[S_X]
        op = OP_FORWARD
        nop = 2
    nd = cnp.PyArray_NDIM(src)
    if f.rowwise:
        if nd == 0:
            return None
        v = slot[S_AXIS]
        if v != NULL:
            if not PyLong_CheckExact(v):
                return None
            axis = PyLong_AsSsize_t(v)
            if axis == -1 and PyErr_Occurred():
                PyErr_Clear()
                return None
        if not -nd <= axis < nd:
            return None
        if axis < 0:
            axis += nd
    di = 0 if cnp.PyArray_TYPE(src) == cnp.NPY_FLOAT32 else 1
    size = cnp.PyArray_SIZE(src)
    chose = _chosen(forced_native, size, f._threshold(di))
    if chose == CHOSE_GENERAL:
        return None
    runner = _par_runner if chose == CHOSE_PARALLEL else None
    timed = runner is None and size >= COST_MIN and f.ncost[di] < COST_CALLS
    # out=: the same shape and dtype, writeable, not partially overlapping an input
    v = slot[S_OUT]
    if v != NULL and v != Py_None:
        if not _plain(v) or not _same_shape(<cnp.ndarray>v, src):
            return None
        dst = <cnp.ndarray>v
        if not cnp.PyArray_ISWRITEABLE(dst) or _may_overlap(dst, src) or (dy is not None and _may_overlap(dst, dy)):
            return None
    else:
        dst = PyArray_NewLikeArray(src, cnp.NPY_KEEPORDER, NULL, 0)
    k = 0
    if dy is not None:
        ptr[0] = <char *>cnp.PyArray_DATA(dy)
        strd[0] = cnp.PyArray_STRIDES(dy)
        k = 1
    ptr[k] = <char *>cnp.PyArray_DATA(src)
    strd[k] = cnp.PyArray_STRIDES(src)
    ptr[k + 1] = <char *>cnp.PyArray_DATA(dst)
    strd[k + 1] = cnp.PyArray_STRIDES(dst)
    if timed:
        t0 = _now_ns()
    if f.rowwise and axis != nd - 1:  # the row axis last, as np.moveaxis(a, axis, -1)
        for s in range(nop):
            i = 0
            for k in range(nd):
                if k != axis:
                    perm[s][i] = strd[s][k]
                    shape[i] = cnp.PyArray_DIMS(src)[k]
                    i += 1
            perm[s][nd - 1] = strd[s][axis]
            strd[s] = perm[s]
        shape[nd - 1] = cnp.PyArray_DIMS(src)[axis]
        _exec(op, True, f.act, nop, ptr, strd, nd, shape, cnp.PyArray_ITEMSIZE(src),
              FA_F32 if di == 0 else FA_F64, &p, runner, _par_parts)
    else:
        _exec(op, f.rowwise, f.act, nop, ptr, strd, nd, cnp.PyArray_DIMS(src), cnp.PyArray_ITEMSIZE(src),
              FA_F32 if di == 0 else FA_F64, &p, runner, _par_parts)
    if timed:
        c = (_now_ns() - t0) / size
        if f.ncost[di] == 0 or c < f.cost[di]:
            f.cost[di] = c
        f.ncost[di] += 1
    _fast_calls += 1
    if v != NULL and v != Py_None:
        return dst
    if nd == 0:
        Py_INCREF(dst)  # PyArray_Return steals it
        return cnp.PyArray_Return(dst)
    return dst


cdef _enable_vectorcall():
    cdef Function probe = Function.__new__(Function)
    fa__enable_vectorcall(<PyTypeObject *>Function, <char *>&probe.vectorcall - <char *><PyObject *>probe)


_enable_vectorcall()
