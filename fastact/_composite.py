"""Activations built from registry kernels rather than kernels of their own.

crelu (concatenated ReLU, Shang et al. 2016; TensorFlow's tf.nn.crelu) doubles the
axis: [relu(x), relu(-x)]. It is two relu passes over the halves of the output,
so it gets relu's kernels, backends and semantics.
"""

from __future__ import annotations

import numpy as np

from . import _api, _dispatch
from ._registry import BY_NAME

_RELU = BY_NAME["relu"]


def _host_only(fname: str, *arrays) -> None:
    """crelu runs on host arrays only: a device array is refused, never copied to the host."""
    if any(a is not None and _dispatch.is_device(a) for a in arrays):
        raise TypeError(f"{fname}: CUDA device arrays are not supported (crelu is composed on the host); "
                        "pass a host array")


def crelu(x, axis=-1, *, out=None, backend=None):
    """Concatenated ReLU: concat(relu(x), relu(-x)) along axis (twice as long there).

    f(x) = [max(x, 0), max(-x, 0)];  backward: dx = dy_a * [x > 0] - dy_b * [x < 0].

    Parameters
    ----------
    x : array_like
    axis : int, default -1
    out : ndarray, optional
        of the result's shape (x's with the axis doubled)
    backend : str, optional

    Returns
    -------
    y : ndarray

    >>> fastact.crelu([-1.0, 2.0])
    array([0., 2., 1., 0.])
    """
    fname = "fastact.crelu"
    _dispatch.check_backend(backend, fname)
    _host_only(fname, x, out)
    xa = _api._as_array(x, fname, "x")
    if xa.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension")
    ax = _api._axis(axis, xa.ndim, fname)
    shape = list(xa.shape)
    shape[ax] *= 2
    compute, result = _api._compute_dtype(xa.dtype, fname, "x")
    _api._check_out(out, tuple(shape), result, (xa,), fname)
    dst = out if (out is not None and out.dtype == compute) else np.empty(shape, compute)
    a, b = _api._halves(dst, ax, fname)
    _api.forward(_RELU, xa, a, backend, {})
    np.negative(xa, out=b, casting="unsafe")
    _api.forward(_RELU, b, b, backend, {})
    return _api._finish(dst, out, result, False)


def crelu_backward(dy, x, axis=-1, *, out=None, backend=None):
    """Gradient of :func:`crelu`: dx = dy_a * [x > 0] - dy_b * [x < 0], dy = [dy_a, dy_b]."""
    fname = "fastact.crelu_backward"
    _dispatch.check_backend(backend, fname)
    _host_only(fname, dy, x, out)
    xa, dya = _api._as_array(x, fname, "x"), _api._as_array(dy, fname, "dy")
    if xa.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension")
    ax = _api._axis(axis, xa.ndim, fname)
    shape = list(xa.shape)
    shape[ax] *= 2
    if dya.shape != tuple(shape):
        raise ValueError(f"{fname}: dy has shape {dya.shape}, expected {tuple(shape)}")
    da, db = _api._halves(dya, ax, fname)
    dx = _api.backward(_RELU, da, xa, None, out, backend, {})
    with np.errstate(all="ignore"):
        neg = _api.backward(_RELU, db, np.negative(xa), None, None, backend, {})
        np.subtract(dx, neg, out=dx, casting="unsafe")
    return dx
