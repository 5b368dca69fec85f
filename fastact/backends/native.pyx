# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The native backend: Cython bindings to libfastact (C, SIMD, one thread).

Arguments arrive validated by ``fastact._api`` (same shape, one float dtype,
aligned, outputs writeable and not partially overlapping the inputs). This
module only walks N-d strided arrays: it collapses the dimensions that can be
merged, hands the innermost run (or, row-wise, the rows) to one C call, and
loops over the rest.
"""

cimport numpy as cnp
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint64_t
from libc.string cimport memset

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


cdef fa_status _run(int op, bint rowwise, fa_activation act, fa_dtype dt, int nop, char **ptr,
                    Plan *pl, const fa_params *p) noexcept nogil:
    cdef cnp.npy_intp idx[MAXDIM]
    cdef cnp.npy_intp it, count = 1
    cdef int d, k
    cdef fa_status st = 0
    for d in range(pl.nloop):
        idx[d] = 0
        count *= pl.shape[d]
    for it in range(count):
        if rowwise:
            if op == OP_FORWARD:
                st = fa_rowwise_forward(act, dt, pl.n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                        ptr[1], pl.inc[1], pl.cinc[1], p)
            elif op == OP_BACKWARD:
                st = fa_rowwise_backward(act, dt, pl.n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                         ptr[1], pl.inc[1], pl.cinc[1], NULL, 0, 0,
                                         ptr[2], pl.inc[2], pl.cinc[2], p)
            else:
                st = fa_rowwise_backward(act, dt, pl.n, pl.cols, ptr[0], pl.inc[0], pl.cinc[0],
                                         NULL, 0, 0, ptr[1], pl.inc[1], pl.cinc[1],
                                         ptr[2], pl.inc[2], pl.cinc[2], p)
        elif op == OP_FORWARD:
            st = fa_forward(act, dt, pl.n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], p)
        elif op == OP_GATED:
            st = fa_gated_forward(act, dt, pl.n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], ptr[2], pl.inc[2], p)
        elif op == OP_GATED_BACKWARD:
            st = fa_gated_backward(act, dt, pl.n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], ptr[2], pl.inc[2],
                                   ptr[3], pl.inc[3], ptr[4], pl.inc[4], p)
        elif op == OP_BACKWARD:
            st = fa_backward(act, dt, pl.n, ptr[0], pl.inc[0], ptr[1], pl.inc[1], NULL, 0,
                             ptr[2], pl.inc[2], p)
        else:
            st = fa_backward(act, dt, pl.n, ptr[0], pl.inc[0], NULL, 0, ptr[1], pl.inc[1],
                             ptr[2], pl.inc[2], p)
        if st != 0:
            return st
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


def _call(int op, bint rowwise, int act, tuple arrays, tuple params):
    cdef int nop = len(arrays), k
    cdef cnp.ndarray a, out = arrays[nop - 1]
    cdef char *ptr[MAXOP]
    cdef cnp.npy_intp *strd[MAXOP]
    cdef Plan pl
    cdef fa_params p
    cdef fa_status st
    for k in range(nop):
        a = arrays[k]
        ptr[k] = <char *>cnp.PyArray_DATA(a)
        strd[k] = cnp.PyArray_STRIDES(a)
    cdef fa_dtype dt = _dtype(out)
    _fill_params(params, &p)
    _plan(nop, cnp.PyArray_NDIM(out), cnp.PyArray_DIMS(out), strd, cnp.PyArray_ITEMSIZE(out),
          rowwise, &pl)
    if pl.total == 0:
        return
    if pl.total > GIL_THRESHOLD:
        with nogil:
            st = _run(op, rowwise, act, dt, nop, ptr, &pl, &p)
    else:
        st = _run(op, rowwise, act, dt, nop, ptr, &pl, &p)
    if st != 0:
        _raise(st)


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


def describe():
    """Details for fastact.show_config()."""
    return {"version": version(), "threads": 1, "simd": simd_level(),
            "detail": "C kernels via Cython, single thread, lowest call overhead"}
