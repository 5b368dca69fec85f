"""Argument handling shared by every public function, written once.

NumPy semantics: array-likes and scalars in; float32/float64 keep their dtype;
float16 (and bfloat16) compute in float32 and return their dtype; bools and
integers promote to float64; any shape and strides; a 0-d input without ``out``
gives a NumPy scalar; ``out=`` must have the result's shape and a dtype the
result casts to (same_kind), may be the input itself (in place) but must not
partially overlap it. Everything is checked before anything is written.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from . import _dispatch
from ._registry import ACTIVATIONS, BY_NAME, ID, Activation

OP_FORWARD, OP_BACKWARD, OP_BACKWARD_Y, OP_GATED, OP_GATED_BACKWARD = 0, 1, 2, 3, 4
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_AxisError = getattr(np, "exceptions", np).AxisError
_TooHardError = getattr(np, "exceptions", np).TooHardError


# ---- dtypes -------------------------------------------------------------------

def _compute_dtype(dt: np.dtype, fname: str, argname: str) -> tuple[np.dtype, np.dtype]:
    """(compute dtype, result dtype) for an input dtype."""
    if dt == _F32 or dt == _F64:
        return dt, dt
    if dt.kind in "biu":
        return _F64, _F64
    if dt == np.float16 or dt.name == "bfloat16":
        return _F32, dt
    raise TypeError(f"{fname}: {argname} has unsupported dtype {dt}; "
                    "expected float16/bfloat16/float32/float64 (or bool/integer, computed as float64)")


def _as_array(v, fname: str, argname: str) -> np.ndarray:
    if v is None:
        raise TypeError(f"{fname}: {argname} is required")
    a = np.asarray(v)
    if not a.dtype.isnative:  # e.g. big-endian data read from a file: the same values in native order
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype.kind not in "biuf" and a.dtype.name != "bfloat16":
        raise TypeError(f"{fname}: {argname} has unsupported dtype {a.dtype}; "
                        "expected a real floating-point or integer array")
    return a


def _cast(a: np.ndarray, dt: np.dtype) -> np.ndarray:
    """a as dtype dt, aligned (the kernels read it in place when it already is)."""
    if a.dtype == dt and a.flags.aligned:
        return a
    with np.errstate(all="ignore"):
        return a.astype(dt)


# ---- out= ---------------------------------------------------------------------

def _check_out(out, shape: tuple, result: np.dtype, inputs: tuple, fname: str, argname: str = "out"):
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{fname}: {argname} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"{fname}: {argname} has shape {out.shape}, expected {shape}")
    if not out.flags.writeable:
        raise ValueError(f"{fname}: {argname} is read-only")
    if not np.can_cast(result, out.dtype, casting="same_kind"):
        raise TypeError(f"{fname}: cannot write the {result} result into {argname} of dtype {out.dtype}")
    for a in inputs:
        if a is not None and not _same_view(out, a) and _overlaps(out, a):
            raise ValueError(f"{fname}: {argname} partially overlaps an input; "
                             "pass the input itself for an in-place call, or a separate array")


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides and a.shape == b.shape and a.dtype == b.dtype)


def _overlaps(a: np.ndarray, b: np.ndarray) -> bool:
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10**6))
    except _TooHardError:  # too costly to decide: treat as overlapping
        return True


def _target(out, compute: np.dtype, like: np.ndarray) -> np.ndarray:
    """The array the kernel writes: out itself when it has the compute dtype."""
    if out is not None and out.dtype == compute and out.flags.aligned:
        return out
    return np.empty_like(like, dtype=compute)


def _finish(dst: np.ndarray, out, result: np.dtype, scalar: bool):
    """Cast/copy the kernel's result into what the caller gets back."""
    if out is not None:
        if dst is not out:
            with np.errstate(all="ignore"):
                np.copyto(out, dst, casting="same_kind")
        return out
    if dst.dtype != result:
        with np.errstate(all="ignore"):
            dst = dst.astype(result)
    return dst[()] if scalar else dst


# ---- parameters ---------------------------------------------------------------

def _cond(expr: str, values: dict) -> bool:
    """Evaluate a registry condition (the expression language is a Python subset)."""
    return bool(eval(expr, {"__builtins__": {}, "inf": math.inf}, dict(values)))  # noqa: S307


def resolve_params(spec: Activation, fname: str, kwargs: dict) -> tuple[float, ...]:
    """Registry defaults updated by kwargs, validated; in registry order."""
    values = spec.defaults
    for k, v in kwargs.items():
        if k not in values:
            raise TypeError(f"{fname}() got an unexpected keyword argument {k!r}")
        if isinstance(v, (np.ndarray, complex, str)) or not isinstance(v, (int, float, np.number)):
            raise TypeError(f"{fname}: parameter {k} must be a real number, got {type(v).__name__}")
        values[k] = float(v)
    for p in spec.params:
        if math.isnan(values[p.name]):
            raise ValueError(f"{fname}: parameter {p.name} must not be NaN")
        if p.check and not _cond(p.check, values):
            raise ValueError(f"{fname}: parameter {p.name}={values[p.name]!r} must satisfy {p.check}")
    for c in spec.checks:
        if not _cond(c, values):
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise ValueError(f"{fname}: parameters must satisfy {c} (got {shown})")
    return tuple(values[p.name] for p in spec.params)


def _int_axis(axis, fname: str) -> int:
    try:
        return operator.index(axis)
    except TypeError:
        raise TypeError(f"{fname}: axis must be an integer, got {type(axis).__name__}") from None


def _axis(axis, ndim: int, fname: str) -> int:
    axis = _int_axis(axis, fname)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim, msg_prefix=fname)
    return axis % ndim


# ---- the operations -------------------------------------------------------------

def _on_device(backend, stream, *arrays) -> bool:
    """True when the call goes to the CUDA backend; stream= is for CUDA calls only."""
    if any(_dispatch.is_device(a) for a in arrays if a is not None) or _dispatch.forced(backend) == "cuda":
        return True
    if stream is not None:
        raise ValueError("stream= applies to CUDA device arrays only")
    return False


def forward(spec: Activation, x, out, backend, params: dict, axis=-1, stream=None):
    """y = f(x) for eltwise and rowwise activations."""
    fname = f"fastact.{spec.name}"
    if _on_device(backend, stream, x, out):
        prm = resolve_params(spec, fname, params)
        ax = _axis(axis, max(len(_shape(x)), 1), fname) if spec.kind == "rowwise" else -1
        return _dispatch.load("cuda").forward(ID[spec.name], x, out=out, params=prm, axis=ax,
                                              stream=stream or 0)
    xa = _as_array(x, fname, "x")
    compute, result = _compute_dtype(xa.dtype, fname, "x")
    prm = resolve_params(spec, fname, params)
    _check_out(out, xa.shape, result, (xa,), fname)
    be = _dispatch.select(backend, xa.size, spec.kind)
    xc = _cast(xa, compute)
    dst = _target(out, compute, xc)
    if spec.kind == "rowwise":
        ax = _axis(axis, max(xa.ndim, 1), fname)
        xv, dv = (np.moveaxis(a.reshape(a.shape or (1,)), ax, -1) for a in (xc, dst))
        _dispatch.run(be, "rowwise", OP_FORWARD, ID[spec.name], (xv, dv), prm)
    else:
        _dispatch.run(be, "eltwise", OP_FORWARD, ID[spec.name], (xc, dst), prm)
    return _finish(dst, out, result, xa.ndim == 0)


def backward(spec: Activation, dy, x, y, out, backend, params: dict, axis=-1, stream=None):
    """dx = dy * f'(x), from x or (where exact) from the output y."""
    fname = f"fastact.{spec.name}_backward"
    prm = resolve_params(spec, fname, params)
    if x is None and y is not None:
        _check_from_y(spec, prm, fname)
    if _on_device(backend, stream, dy, x, y, out):
        if x is None and y is None:
            raise TypeError(f"{fname}: pass x (or y=, the forward output)")
        ax = _axis(axis, max(len(_shape(dy)), 1), fname) if spec.kind == "rowwise" else -1
        return _dispatch.load("cuda").backward(ID[spec.name], dy, x, y=y, out=out, params=prm, axis=ax,
                                               stream=stream or 0)
    dya = _as_array(dy, fname, "dy")
    if x is not None:
        src, srcname, op = _as_array(x, fname, "x"), "x", OP_BACKWARD
    elif y is not None:
        src, srcname, op = _as_array(y, fname, "y"), "y", OP_BACKWARD_Y
    else:
        raise TypeError(f"{fname}: pass x (or y=, the forward output)")
    if src.shape != dya.shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape} but {srcname} has shape {src.shape}")
    c1, r1 = _compute_dtype(dya.dtype, fname, "dy")
    c2, r2 = _compute_dtype(src.dtype, fname, srcname)
    result = np.result_type(r1, r2)
    compute = _F64 if _F64 in (c1, c2) or result == _F64 else _F32
    _check_out(out, dya.shape, result, (dya, src), fname)
    be = _dispatch.select(backend, dya.size, spec.kind)
    dyc, sc = _cast(dya, compute), _cast(src, compute)
    dst = _target(out, compute, sc)
    if spec.kind == "rowwise":
        ax = _axis(axis, max(dya.ndim, 1), fname)
        ops = tuple(np.moveaxis(a.reshape(a.shape or (1,)), ax, -1) for a in (dyc, sc, dst))
        _dispatch.run(be, "rowwise", op, ID[spec.name], ops, prm)
    else:
        _dispatch.run(be, "eltwise", op, ID[spec.name], (dyc, sc, dst), prm)
    return _finish(dst, out, result, dya.ndim == 0)


def _halves(a: np.ndarray, ax: int, fname: str) -> tuple[np.ndarray, np.ndarray]:
    """The GLU split: views of the first and second half of a along ax."""
    n = a.shape[ax]
    if n % 2:
        raise ValueError(f"{fname}: x has odd length {n} along axis {ax}; the GLU family splits it in halves")
    lead = (slice(None),) * ax
    return a[lead + (slice(0, n // 2),)], a[lead + (slice(n // 2, n),)]


def _gated_axis(shape: tuple, axis, fname: str) -> int:
    """The GLU split axis of x (host or device), normalized; x's length there must be even."""
    if not shape:
        raise ValueError(f"{fname}: x must have at least one dimension (split in halves along axis)")
    ax = _axis(axis, len(shape), fname)
    if shape[ax] % 2:
        raise ValueError(f"{fname}: x has odd length {shape[ax]} along axis {ax}; the GLU family splits it in halves")
    return ax


def gated_forward(spec: Activation, x, out, backend, params: dict, axis=-1, stream=None):
    """y = f(a, b) with [a, b] = x split in halves along axis."""
    fname = f"fastact.{spec.name}"
    prm = resolve_params(spec, fname, params)
    if _on_device(backend, stream, x, out):
        ax = _gated_axis(_shape(x), axis, fname)
        return _dispatch.load("cuda").gated_forward(ID[spec.name], x, axis=ax, out=out, params=prm,
                                                    stream=stream or 0)
    xa = _as_array(x, fname, "x")
    compute, result = _compute_dtype(xa.dtype, fname, "x")
    ax = _gated_axis(xa.shape, axis, fname)
    a_shape = _halves(np.empty(xa.shape, dtype=np.bool_), ax, fname)[0].shape
    _check_out(out, a_shape, result, (xa,), fname)
    be = _dispatch.select(backend, xa.size // 2)
    a, b = _halves(_cast(xa, compute), ax, fname)
    dst = out if (out is not None and out.dtype == compute and out.flags.aligned) else np.empty(a_shape, compute)
    _dispatch.run(be, "eltwise", OP_GATED, ID[spec.name], (a, b, dst), prm)
    return _finish(dst, out, result, False)


def gated_backward(spec: Activation, dy, x, out, backend, params: dict, axis=-1, stream=None):
    """dx (x's shape): [dL/da, dL/db] from dy (the output's shape)."""
    fname = f"fastact.{spec.name}_backward"
    prm = resolve_params(spec, fname, params)
    if _on_device(backend, stream, dy, x, out):
        ax = _gated_axis(_shape(x), axis, fname)
        return _dispatch.load("cuda").gated_backward(ID[spec.name], dy, x, axis=ax, out=out, params=prm,
                                                     stream=stream or 0)
    dya, xa = _as_array(dy, fname, "dy"), _as_array(x, fname, "x")
    ax = _gated_axis(xa.shape, axis, fname)
    a_shape = _halves(np.empty(xa.shape, dtype=np.bool_), ax, fname)[0].shape
    if dya.shape != a_shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape}, expected {a_shape} (x halved along axis {ax})")
    (c1, r1), (c2, r2) = _compute_dtype(dya.dtype, fname, "dy"), _compute_dtype(xa.dtype, fname, "x")
    result = np.result_type(r1, r2)
    compute = _F64 if _F64 in (c1, c2) or result == _F64 else _F32
    _check_out(out, xa.shape, result, (dya, xa), fname)
    be = _dispatch.select(backend, dya.size)
    dyc = _cast(dya, compute)
    a, b = _halves(_cast(xa, compute), ax, fname)
    dst = _target(out, compute, xa)
    da, db = _halves(dst, ax, fname)
    _dispatch.run(be, "eltwise", OP_GATED_BACKWARD, ID[spec.name], (dyc, a, b, da, db), prm)
    return _finish(dst, out, result, False)


def _seed(v, name: str, fname: str) -> int:
    if isinstance(v, (bool, float)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fname}: {name} must be an integer, got {type(v).__name__}")
    if not 0 <= int(v) < 2**64:
        raise ValueError(f"{fname}: {name} must be in [0, 2**64), got {v}")
    return int(v)


def random_call(spec: Activation, dy, x, out, backend, params: dict, seed, offset, training, stream=None):
    """dropout / rrelu forward (dy None) or backward; in eval mode the registry's eval_as."""
    fname = f"fastact.{spec.name}" + ("" if dy is None else "_backward")
    arrays = (x,) if dy is None else (dy, x)
    prm = resolve_params(spec, fname, params)
    if not training:
        target, exprs = spec.eval_as
        values = dict(zip(spec.param_names, prm, strict=True))
        kw = {k: eval(e, {"__builtins__": {}}, values) for k, e in exprs.items()}  # noqa: S307
        other = BY_NAME[target]
        if dy is None:
            return forward(other, x, out, backend, kw)
        return backward(other, dy, x, None, out, backend, kw)
    if seed is None:
        raise TypeError(f"{fname}: training=True needs seed= (the same seed regenerates the mask in backward)")
    seed, offset = _seed(seed, "seed", fname), _seed(offset, "offset", fname)
    if _on_device(backend, stream, *arrays, out):
        return _dispatch.load("cuda").random_call(ID[spec.name], dy, x, seed=seed, offset=offset, out=out,
                                                  params=prm, stream=stream or 0)
    xa = _as_array(x, fname, "x")
    compute, result = _compute_dtype(xa.dtype, fname, "x")
    ins = (xa,)
    if dy is not None:
        dya = _as_array(dy, fname, "dy")
        if dya.shape != xa.shape:
            raise ValueError(f"{fname}: dy has shape {dya.shape} but x has shape {xa.shape}")
        c1, r1 = _compute_dtype(dya.dtype, fname, "dy")
        result = np.result_type(r1, result)
        compute = _F64 if _F64 in (c1, compute) or result == _F64 else _F32
        ins = (dya, xa)
    _check_out(out, xa.shape, result, ins, fname)
    be = _dispatch.select(backend, xa.size)
    # C order is the counter order: the same mask for any layout
    ops = tuple(np.ascontiguousarray(_cast(a, compute)) for a in ins)
    dst = out if (out is not None and out.dtype == compute and out.flags.c_contiguous) \
        else np.empty(xa.shape, compute)
    _dispatch.run(be, "random", 0 if dy is None else 1, ID[spec.name], (*ops, dst), prm, seed, offset)
    return _finish(dst, out, result, xa.ndim == 0)


def _check_from_y(spec: Activation, prm: tuple, fname: str) -> None:
    if not spec.has_backward_y:
        raise ValueError(f"{fname}: the derivative of {spec.name} cannot be computed from the output y; pass x")
    if spec.backward_y_when and not _cond(spec.backward_y_when, dict(zip(spec.param_names, prm, strict=True))):
        raise ValueError(f"{fname}: the derivative from y is exact only when {spec.backward_y_when}; pass x")


def _channels(xshape: tuple, wshape: tuple, fname: str, axis: int, wname: str) -> tuple[int, int, int]:
    """(outer, channels, inner) with the channels on `axis`, or one shared weight: the plan of
    every channel-wise call, host or device (an element's channel is (i // inner) % channels)."""
    wsize = int(np.prod(wshape, dtype=np.int64))
    if len(wshape) > 1:
        raise ValueError(f"{fname}: {wname} must be 0-d or 1-d, got shape {tuple(wshape)}")
    n = int(np.prod(xshape, dtype=np.int64))
    if wsize == 1:
        return 1, 1, n
    nd = len(xshape)
    if nd == 0 or not -nd <= axis < nd or (axis == 1 and nd < 2):
        raise ValueError(f"{fname}: x of shape {xshape} has no channel axis {axis} for {wsize} {wname} values")
    ax = axis % nd
    if xshape[ax] != wsize:
        raise ValueError(f"{fname}: {wname} has {wsize} elements but x has {xshape[ax]} channels (axis {axis})")
    outer = int(np.prod(xshape[:ax], dtype=np.int64))
    return outer, wsize, int(np.prod(xshape[ax + 1:], dtype=np.int64))


def _shape(a) -> tuple:
    """The shape of an array of any library (device arrays included) or of a scalar."""
    shape = getattr(a, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else np.shape(a)


def channelwise_forward(spec: Activation, x, weight, out, backend, stream=None, axis=None):
    fname = f"fastact.{spec.name}"
    ax = spec.channel_axis if axis is None else _int_axis(axis, fname)
    if _on_device(backend, stream, x, weight, out):
        plan = _channels(_shape(x), _shape(weight), fname, ax, spec.weight_name)
        return _dispatch.load("cuda").channelwise_forward(ID[spec.name], x, weight, plan, out=out,
                                                          stream=stream or 0)
    xa, wa = _as_array(x, fname, "x"), _as_array(weight, fname, spec.weight_name)
    compute, result = _compute_dtype(xa.dtype, fname, "x")  # the weight is cast to x's dtype
    _compute_dtype(wa.dtype, fname, "weight")
    outer, chans, inner = _channels(xa.shape, wa.shape, fname, ax, spec.weight_name)
    _check_out(out, xa.shape, result, (xa, wa), fname)
    be = _dispatch.select(backend, xa.size)
    xc = np.ascontiguousarray(_cast(xa, compute))
    wc = np.ascontiguousarray(_cast(wa, compute)).reshape(-1)
    dst = out if (out is not None and out.dtype == compute and out.flags.c_contiguous) \
        else np.empty(xa.shape, compute)
    _dispatch.run(be, "channelwise_forward", ID[spec.name], xc, wc, dst, outer, chans, inner)
    return _finish(dst, out, result, xa.ndim == 0)


def channelwise_backward(spec: Activation, dy, x, weight, backend, stream=None, axis=None):
    fname = f"fastact.{spec.name}_backward"
    ax = spec.channel_axis if axis is None else _int_axis(axis, fname)
    if _on_device(backend, stream, dy, x, weight):
        plan = _channels(_shape(x), _shape(weight), fname, ax, spec.weight_name)
        return _dispatch.load("cuda").channelwise_backward(ID[spec.name], dy, x, weight, plan, stream=stream or 0)
    dya, xa = _as_array(dy, fname, "dy"), _as_array(x, fname, "x")
    wa = _as_array(weight, fname, spec.weight_name)
    if dya.shape != xa.shape:
        raise ValueError(f"{fname}: dy has shape {dya.shape} but x has shape {xa.shape}")
    dts = [_compute_dtype(a.dtype, fname, n) for a, n in ((dya, "dy"), (xa, "x"), (wa, "weight"))]
    result = np.result_type(dts[0][1], dts[1][1])  # the weight is cast to the result dtype
    compute = _F64 if _F64 in (dts[0][0], dts[1][0]) else _F32
    outer, chans, inner = _channels(xa.shape, wa.shape, fname, ax, spec.weight_name)
    be = _dispatch.select(backend, xa.size)
    dyc, xc = (np.ascontiguousarray(_cast(a, compute)) for a in (dya, xa))
    wc = np.ascontiguousarray(_cast(wa, compute)).reshape(-1)
    dx, dw = np.empty(xa.shape, compute), np.empty(wc.shape, compute)
    _dispatch.run(be, "channelwise_backward", ID[spec.name], dyc, xc, wc, dx, dw, outer, chans, inner)
    return _finish(dx, None, result, xa.ndim == 0), _finish(dw.reshape(wa.shape), None, result, wa.ndim == 0)


__all__ = ["ACTIVATIONS", "forward", "backward", "channelwise_forward", "channelwise_backward",
           "resolve_params"]
