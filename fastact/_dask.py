"""Dask arrays in the public functions: ``fastact.<name>(x)`` on a ``dask.array.Array``.

Imported by the public functions only when an argument's type comes from dask
(``fastact/__init__.py``, ``_lazy_arrays``): ``import fastact`` never imports dask.

The result is a lazy dask array; every block is computed by the same public
function on NumPy (or CuPy) blocks, so results equal the NumPy path:

eltwise        ``map_blocks``, x's chunks (backward: dy and x/y aligned).
rowwise        the reduction axis is rechunked into one chunk (softmax needs the
               whole row); the other axes keep their chunks.
gated          the split axis is rechunked into one chunk (both halves in a block);
               the result has half the length there.
channelwise    x keeps its chunks; the weight is chunked like x's channel axis
               (a single shared weight goes to every block). Backward returns
               ``(dx, dweight)``: per-block partial dweights summed by dask.
random         all axes but the first are rechunked into one chunk, and each block
               gets ``offset + (its first row) * (row size)``: the counter of every
               element is its C-order index, so the mask equals the NumPy path's.

Parameters are checked when the graph is built (same errors as NumPy); ``out=``
raises TypeError (a lazy result has no buffer to write into: use the returned
array, or ``dask.array.store``). Array arguments that are not dask arrays are
wrapped with ``dask.array.asarray``.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
from dask.array.utils import meta_from_array

from . import _api
from ._registry import Activation

_ARRAY_ARGS = ("dy", "x", "y", "weight", "bias", "out")


def _lazy(v) -> da.Array:
    return v if isinstance(v, da.Array) else da.asarray(v)


def _dtype(dt, fname: str, argname: str) -> np.dtype:
    if dt.kind not in "biuf" and dt.name != "bfloat16":
        raise TypeError(f"{fname}: {argname} has unsupported dtype {dt}; "
                        "expected a real floating-point or integer array")
    return _api._compute_dtype(np.dtype(dt), fname, argname)[1]


def _result(arrays: dict, fname: str) -> np.dtype:
    return np.result_type(*(_dtype(a.dtype, fname, n) for n, a in arrays.items()))


def _same_shape(dy: da.Array, other: da.Array, name: str, fname: str) -> None:
    if dy.shape != other.shape:
        raise ValueError(f"{fname}: dy has shape {dy.shape} but {name} has shape {other.shape}")


def _aligned(*pairs) -> list:
    """The arrays of (array, index) pairs rechunked to common chunks along shared indices (done
    here rather than left to map_blocks/blockwise: dask 2026.8's graph optimization fails on
    blockwise layers over differently chunked inputs)."""
    return da.core.unify_chunks(*(v for p in pairs for v in p), warn=False)[1]


def _ind(nd: int) -> tuple:
    return tuple(f"i{i}" for i in range(nd))


def _single(a: da.Array, axes) -> da.Array:
    """a with each of axes in one chunk."""
    axes = [ax for ax in axes if a.numblocks[ax] > 1]
    return a.rechunk({ax: -1 for ax in axes}) if axes else a


def call(spec: Activation, backward: bool, fn, arguments: dict):
    """fn(**arguments) with dask arrays among them, as a lazy dask array (tuple for channelwise backward)."""
    fname = f"fastact.{spec.name}" + ("_backward" if backward else "")
    a = dict(arguments)
    for k, v in a.items():
        if type(v).__module__[:5] == "dask." and not isinstance(v, da.Array):
            raise TypeError(f"{fname}: {k} is a {type(v).__name__}; only dask.array.Array is supported")
    if a.pop("out", None) is not None:
        raise TypeError(f"{fname}: out= is not supported for dask arrays (the result is lazy); "
                        "use the returned array, or dask.array.store to write it")
    if a.get("stream") is not None:
        raise ValueError(f"{fname}: stream= applies to CUDA device arrays only")
    arrays = {k: _lazy(a.pop(k)) for k in _ARRAY_ARGS if a.get(k) is not None}
    kw = a  # everything else goes to fn unchanged, per block
    _api.resolve_params(spec, fname, {k: kw[k] for k in spec.param_names if k in kw})
    kind = spec.kind
    if kind == "channelwise":
        return _channelwise(spec, backward, fn, arrays, kw, fname)
    if kind == "random":
        return _random(spec, backward, fn, arrays, kw, fname)
    if kind == "gated":
        return _gated(backward, fn, arrays, kw, fname)
    return _eltwise_rowwise(spec, backward, fn, arrays, kw, fname)


def _eltwise_rowwise(spec, backward, fn, arrays, kw, fname):
    if not backward:
        x = arrays["x"]
        res = _result({"x": x}, fname)
        if spec.kind == "rowwise" and x.ndim:
            x = _single(x, [_api._axis(kw.get("axis", -1), x.ndim, fname)])
        return x.map_blocks(lambda b: np.asarray(fn(b, **kw)), dtype=res, meta=meta_from_array(x, x.ndim, res))
    if "dy" not in arrays:
        raise TypeError(f"{fname}: dy is required")
    dy = arrays["dy"]
    if "x" in arrays:
        src, srcname = arrays["x"], "x"
    elif "y" in arrays:
        src, srcname = arrays["y"], "y"
        _api._check_from_y(spec, _api.resolve_params(spec, fname, {k: kw[k] for k in spec.param_names if k in kw}),
                           fname)
    else:
        raise TypeError(f"{fname}: pass x (or y=, the forward output)")
    _same_shape(dy, src, srcname, fname)
    res = _result({"dy": dy, srcname: src}, fname)
    if spec.kind == "rowwise" and dy.ndim:
        ax = [_api._axis(kw.get("axis", -1), dy.ndim, fname)]
        dy, src = _single(dy, ax), _single(src, ax)

    def block(d, s):
        return np.asarray(fn(d, **{srcname: s}, **kw))

    dy, src = _aligned((dy, _ind(dy.ndim)), (src, _ind(dy.ndim)))
    return da.map_blocks(block, dy, src, dtype=res, meta=meta_from_array(dy, dy.ndim, res))


def _gated(backward, fn, arrays, kw, fname):
    x = arrays.get("x")
    if x is None:
        raise TypeError(f"{fname}: x is required")
    if x.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension (split in halves along axis)")
    ax = _api._axis(kw.get("axis", -1), x.ndim, fname)
    n = x.shape[ax]
    if n % 2:
        raise ValueError(f"{fname}: x has odd length {n} along axis {ax}; the GLU family splits it in halves")
    x = _single(x, [ax])
    if not backward:
        res = _result({"x": x}, fname)
        chunks = tuple((n // 2,) if i == ax else c for i, c in enumerate(x.chunks))
        return x.map_blocks(lambda b: np.asarray(fn(b, **kw)), chunks=chunks, dtype=res,
                            meta=meta_from_array(x, x.ndim, res))
    dy = arrays["dy"]
    a_shape = tuple(n // 2 if i == ax else s for i, s in enumerate(x.shape))
    if dy.shape != a_shape:
        raise ValueError(f"{fname}: dy has shape {dy.shape}, expected {a_shape} (x halved along axis {ax})")
    res = _result({"dy": dy, "x": x}, fname)
    ind = _ind(x.ndim)
    dind = tuple("half" if i == ax else s for i, s in enumerate(ind))  # one chunk: concatenated whole
    dy, x = _aligned((_single(dy, [ax]), dind), (x, ind))
    return da.blockwise(lambda d, b: np.asarray(fn(d, b, **kw)), ind, dy, dind, x, ind,
                        concatenate=True, dtype=res, meta=meta_from_array(x, x.ndim, res))


def _random(spec, backward, fn, arrays, kw, fname):
    x = arrays.get("x")
    if x is None:
        raise TypeError(f"{fname}: x is required")
    training = kw.get("training", spec.training)
    ops = [x] if not backward else [arrays["dy"], x]
    if backward:
        _same_shape(arrays["dy"], x, "x", fname)
        ops = _aligned(*((o, _ind(x.ndim)) for o in ops))
    res = _result(dict(zip(("x",) if not backward else ("dy", "x"), ops, strict=True)), fname)
    meta = meta_from_array(x, x.ndim, res)
    if not training:  # deterministic eval form: elementwise
        return da.map_blocks(lambda *b: np.asarray(fn(*b, **kw)), *ops, dtype=res, meta=meta)
    if kw.get("seed") is None:
        raise TypeError(f"{fname}: training=True needs seed= (the same seed regenerates the mask in backward)")
    seed = _api._seed(kw["seed"], "seed", fname)
    offset = _api._seed(kw.get("offset", 0), "offset", fname)
    # blocks hold whole trailing rows: a block's C-order counters are offset + first row * row size + local
    ops = _aligned(*((_single(o, range(1, o.ndim)), _ind(x.ndim)) for o in ops))
    row = int(np.prod(x.shape[1:], dtype=np.int64))
    rest = {k: v for k, v in kw.items() if k not in ("seed", "offset")}

    def block(*b, block_info=None):
        start = block_info[None]["array-location"][0][0] if b[0].ndim else 0
        return np.asarray(fn(*b, seed=seed, offset=offset + start * row, **rest))

    return da.map_blocks(block, *ops, dtype=res, meta=meta)


def _channelwise(spec, backward, fn, arrays, kw, fname):
    wname = spec.weight_name
    x, w = arrays.get("x"), arrays.get(wname)
    if x is None or w is None:
        raise TypeError(f"{fname}: x and {wname} are required")
    if w.ndim > 1:
        raise ValueError(f"{fname}: {wname} must be 0-d or 1-d, got shape {w.shape}")
    nd = x.ndim
    ind = _ind(nd)
    if w.size == 1:  # one shared value: every block gets all of it
        ax, wind = None, ("w",) * w.ndim
    else:
        axis = kw.get("axis", spec.channel_axis)
        if nd == 0 or not -nd <= axis < nd or (axis == 1 and nd < 2):
            raise ValueError(f"{fname}: x of shape {x.shape} has no channel axis {axis} for {w.size} {wname} values")
        ax = axis % nd
        if x.shape[ax] != w.size:
            raise ValueError(f"{fname}: {wname} has {w.size} elements but x has {x.shape[ax]} channels "
                             f"(axis {axis})")
        w, wind = w.rechunk((x.chunks[ax],)), (ind[ax],)
    _dtype(w.dtype, fname, wname)
    if not backward:
        res = _result({"x": x}, fname)
        return da.blockwise(lambda b, wb: np.asarray(fn(b, wb, **kw)), ind, x, ind, w, wind, concatenate=True,
                            dtype=res, meta=meta_from_array(x, nd, res))
    dy = arrays["dy"]
    _same_shape(dy, x, "x", fname)
    res = _result({"dy": dy, "x": x}, fname)
    obj = np.empty((0,) * nd, dtype=object)
    dy, x, w = _aligned((dy, ind), (x, ind), (w, wind))
    pairs = da.blockwise(lambda d, b, wb: fn(d, b, wb, **kw), ind, dy, ind, x, ind, w, wind, concatenate=True,
                         dtype=object, meta=obj)
    dx = pairs.map_blocks(lambda p: np.asarray(p[0]), dtype=res, meta=meta_from_array(x, nd, res))
    # partial dweights, one per block, laid out along the channel axis (length-1 elsewhere), then summed
    chunks = tuple(pairs.chunks[i] if i == ax else (1,) * pairs.numblocks[i] for i in range(nd))

    def part(p, block_info=None):
        shape = block_info[None]["chunk-shape"]
        return np.asarray(p[1], dtype=res).reshape(shape)

    parts = pairs.map_blocks(part, chunks=chunks, dtype=res, meta=meta_from_array(x, nd, res))
    dw = parts.sum(axis=tuple(i for i in range(nd) if i != ax), dtype=res)
    return dx, dw.reshape(w.shape)
