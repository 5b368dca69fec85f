"""Benchmark cases and baselines, shared by ``python -m fastact bench`` and ``bench/``.

Everything a benchmark needs beyond fastact itself lives here, once:

* :class:`Case` -- one activation, operation (``fwd``; ``bwd`` from x; ``bwdy`` from the
  output y=), dtype and size, with the array shapes of its kind (row-wise, channel-wise and
  gated kinds use rows of 1000) and the bytes a call moves (every array it reads and writes,
  once);
* :func:`make_data` -- its inputs and preallocated outputs;
* :func:`fastact_call` -- the timed fastact call (``out=`` preallocated);
* :func:`numpy_forward` / :func:`numpy_backward` / :func:`numpy_backward_y` -- the plain
  NumPy formula a user would write (naive forms, temporaries and all; gelu's erf from
  scipy.special);
* :func:`torch_calls` -- PyTorch CPU through its ``out=`` variants (the allocating
  calls mostly time page faults of the fresh output) and the allocating call;
* :func:`numexpr_call` -- the same formula through numexpr (multi-threaded);
* :func:`roofline_calls` -- the memory-bandwidth roofline: a multi-threaded copy
  (1 read + 1 write) for forward kernels, a multi-threaded ``c = a + b`` (2 reads +
  1 write) for backward ones, as a Numba ``prange`` loop and as torch
  ``copy_``/``add(out=)`` with ``torch.set_num_threads(cores)``. Never
  ``np.copyto``: NumPy copies on one thread.

``tests/test_bench.py`` checks that every baseline computes what fastact computes.
Importing this module imports neither numba nor torch; they load on first use.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

OPS = ("fwd", "bwd", "bwdy")  # forward; backward from x; backward from the output y= (where exact)
DTYPES = ("float32", "float64")
SIZES = (10**3, 10**5, 10**6, 10**7)
ROW = 1000  # row length of row-wise, channel-wise and gated cases: shape (n / ROW, ROW)

# The representative subset of ``python -m fastact bench`` (and the ``quick`` marker of bench/).
SUBSET = ("relu", "leaky_relu", "hardtanh", "hardsigmoid", "hardswish", "softsign", "sigmoid", "tanh",
          "silu", "elu", "selu", "softplus", "logsigmoid", "gelu", "gelu_tanh", "mish", "softmax",
          "log_softmax")
SEED = 0  # of the random kinds (dropout, rrelu)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_PI = math.sqrt(2 / math.pi)


def size_label(n: int) -> str:
    """1000 -> '1e3'; sizes that are not a power of ten print as integers."""
    e = round(math.log10(n)) if n > 0 else 0
    return f"1e{e}" if 10**e == n else str(n)


def parse_size(s: str) -> int:
    """'1e6' or '1000000' -> 1000000."""
    v = float(s)
    if v < 1 or v != int(v):
        raise ValueError(f"size must be a positive integer, got {s!r}")
    return int(v)


@dataclass(frozen=True)
class Case:
    """One benchmark: activation ``name``, ``op`` ('fwd', 'bwd', 'bwdy'), ``dtype``, ``n`` elements of x."""

    name: str
    op: str
    dtype: str
    n: int

    @property
    def spec(self):
        return BY_NAME[self.name]

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def shape(self) -> tuple[int, ...]:
        if self.kind in ("rowwise", "channelwise", "gated"):
            return (max(self.n // ROW, 1), ROW)
        return (self.n,)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def label(self) -> str:
        """The pytest-benchmark group of this case: fastact and its baselines."""
        return f"{self.name} {self.op} {self.dtype} {size_label(self.n)}"

    @property
    def id(self) -> str:
        return f"{self.name}-{self.op}-{self.dtype}-{size_label(self.n)}"

    @property
    def display(self) -> str:
        shape = f" {self.shape}" if len(self.shape) > 1 else ""
        suffix = {"fwd": "", "bwd": "_backward", "bwdy": "_backward(y=)"}[self.op]
        return f"{self.name}{suffix}{shape}"

    @property
    def nbytes(self) -> int:
        """Bytes a call reads and writes (each array once; per-channel weights ignored)."""
        item = np.dtype(self.dtype).itemsize
        m = self.size
        if self.kind == "gated":  # x (m) -> y (m/2); dy (m/2), x (m) -> dx (m)
            arrays = 1.5 if self.op == "fwd" else 2.5
        else:
            arrays = 2 if self.op == "fwd" else 3
        return int(arrays * m * item)

    @property
    def roofline(self) -> str:
        """'copy' (1 read + 1 write) for forward, 'add' (2 reads + 1 write) for backward."""
        return "copy" if self.op == "fwd" else "add"


def has_backward_y(name: str) -> bool:
    """Whether ``name``'s backward takes y= instead of x with its default parameters."""
    spec = BY_NAME[name]
    if not spec.has_backward_y:
        return False
    when = spec.backward_y_when
    return not when or bool(eval(when, {"__builtins__": {}}, dict(spec.defaults)))  # registry text


def cases(names=None, ops=OPS, dtypes=DTYPES, sizes=SIZES) -> list[Case]:
    """Every (activation, op, dtype, size), sizes outermost (inputs are reused within a size);
    'bwdy' only where the backward can start from y."""
    names = [a.name for a in ACTIVATIONS] if names is None else list(names)
    return [Case(nm, op, dt, n) for n in sizes for dt in dtypes for nm in names for op in ops
            if op != "bwdy" or has_backward_y(nm)]


# ---- inputs -------------------------------------------------------------------------------------

def make_data(case: Case, seed: int = 0) -> dict:
    """Inputs (x ~ 3 N(0, 1), dy ~ N(0, 1), per-channel weights) and preallocated outputs."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(case.dtype)
    x = (rng.standard_normal(case.shape) * 3).astype(dt)
    d = {"x": x}
    if case.kind == "gated":
        half = (*case.shape[:-1], case.shape[-1] // 2)
        d["y"] = np.empty(half, dt)
        d["dy"] = rng.standard_normal(half).astype(dt)
        d["dx"] = np.empty_like(x)
    else:
        d["y"] = np.empty_like(x)
        d["dy"] = rng.standard_normal(case.shape).astype(dt)
        d["dx"] = np.empty_like(x)
    if case.kind == "channelwise":
        d["w"] = (rng.standard_normal(case.shape[-1]) * 0.25).astype(dt)
    if case.op == "bwdy":  # the forward output, the input of backward(y=)
        d["yin"] = getattr(fastact, case.name)(x, backend="native")
    return d


def _params(case: Case) -> dict:
    return dict(case.spec.defaults)


# ---- fastact ------------------------------------------------------------------------------------

def fastact_call(case: Case, d: dict, backend: str | None = None) -> Callable[[], object]:
    """The timed fastact call, writing into the preallocated output (backend None: the dispatcher)."""
    f = getattr(fastact, case.name)
    b = getattr(fastact, case.name + "_backward")
    x, y, dy, dx = d["x"], d["y"], d["dy"], d["dx"]
    kind = case.kind
    if kind == "channelwise":  # backward returns (dx, dweight): no out=
        w = d["w"]
        if case.op == "fwd":
            return lambda: f(x, w, out=y, backend=backend)
        return lambda: b(dy, x, w, backend=backend)
    if kind == "random":
        if case.op == "fwd":
            return lambda: f(x, seed=SEED, out=y, backend=backend)
        return lambda: b(dy, x, seed=SEED, out=dx, backend=backend)
    if case.op == "fwd":
        return lambda: f(x, out=y, backend=backend)
    if case.op == "bwdy":
        yin = d["yin"]
        return lambda: b(dy, y=yin, out=dx, backend=backend)
    return lambda: b(dy, x, out=dx, backend=backend)


def chosen_backend(case: Case) -> str:
    """The backend the dispatcher picks for this case (no backend= given)."""
    from fastact import _dispatch

    return _dispatch.select(None, case.size, case.kind)


# ---- NumPy formulas -----------------------------------------------------------------------------

def _erf():
    try:
        from scipy.special import erf
    except ImportError:
        return None
    return erf


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_gelu(x):
    erf = _erf()
    return x * 0.5 * (1 + erf(x / math.sqrt(2)))


def _np_gelu_grad(x):
    erf = _erf()
    return 0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3)))


def _np_gelu_tanh_grad(x):
    t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x)


def _np_silu_grad(x):
    s = _np_sigmoid(x)
    return s * (1 + x * (1 - s))


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_log_softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _np_mish_grad(x):
    t = np.tanh(np.log1p(np.exp(x)))
    s = _np_sigmoid(x)
    return t + x * s * (1 - t * t)


# name -> f(x, p); p holds the registry's default parameters
_NP_FWD: dict[str, Callable] = {
    "identity": lambda x, p: x.copy(),
    "binary_step": lambda x, p: (x >= 0).astype(x.dtype),
    "relu": lambda x, p: np.maximum(x, 0),
    "leaky_relu": lambda x, p: np.where(x > 0, x, x * p["negative_slope"]),
    "relu6": lambda x, p: np.clip(x, 0, 6),
    "hardtanh": lambda x, p: np.clip(x, p["min_val"], p["max_val"]),
    "sigmoid": lambda x, p: _np_sigmoid(x),
    "tanh": lambda x, p: np.tanh(x),
    "elu": lambda x, p: np.where(x > 0, x, p["alpha"] * np.expm1(x)),
    "selu": lambda x, p: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
    "softplus": lambda x, p: np.where(p["beta"] * x > p["threshold"], x,
                                      np.log1p(np.exp(p["beta"] * x)) / p["beta"]),
    "softsign": lambda x, p: x / (1 + np.abs(x)),
    "softmax": lambda x, p: _np_softmax(x),
    "log_softmax": lambda x, p: _np_log_softmax(x),
    "clipped_relu": lambda x, p: np.clip(x, 0, p["max_value"]),
    "celu": lambda x, p: np.where(x > 0, x, p["alpha"] * np.expm1(x / p["alpha"])),
    "threshold": lambda x, p: np.where(x > p["threshold"], x, p["value"]),
    "gelu_tanh": lambda x, p: _np_gelu_tanh(x),
    "quick_gelu": lambda x, p: x / (1 + np.exp(-1.702 * x)),
    "silu": lambda x, p: x / (1 + np.exp(-x)),
    "hardswish": lambda x, p: x * np.clip(x + 3, 0, 6) / 6,
    "hardsigmoid": lambda x, p: np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x, p: x * np.tanh(np.log1p(np.exp(x))),
    "logsigmoid": lambda x, p: -np.logaddexp(0, -x),
    "tanhshrink": lambda x, p: x - np.tanh(x),
    "hardshrink": lambda x, p: np.where(np.abs(x) > p["lambd"], x, 0),
    "softshrink": lambda x, p: np.where(x > p["lambd"], x - p["lambd"],
                                        np.where(x < -p["lambd"], x + p["lambd"], 0)),
    "squareplus": lambda x, p: (x + np.sqrt(x * x + p["b"])) / 2,
    "sparse_plus": lambda x, p: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "squared_relu": lambda x, p: np.maximum(x, 0) ** 2,
    "gelu": lambda x, p: _np_gelu(x),
}

# name -> dx(dy, x, p)
_NP_BWD: dict[str, Callable] = {
    "identity": lambda dy, x, p: dy.copy(),
    "binary_step": lambda dy, x, p: np.zeros_like(dy),
    "relu": lambda dy, x, p: dy * (x > 0),
    "leaky_relu": lambda dy, x, p: np.where(x > 0, dy, dy * p["negative_slope"]),
    "relu6": lambda dy, x, p: dy * ((x > 0) & (x < 6)),
    "hardtanh": lambda dy, x, p: dy * ((x > p["min_val"]) & (x < p["max_val"])),
    "sigmoid": lambda dy, x, p: dy * _np_sigmoid(x) * (1 - _np_sigmoid(x)),
    "tanh": lambda dy, x, p: dy * (1 - np.tanh(x) ** 2),
    "elu": lambda dy, x, p: np.where(x > 0, dy, dy * p["alpha"] * np.exp(x)),
    "selu": lambda dy, x, p: dy * _SELU_SCALE * np.where(x > 0, 1, _SELU_ALPHA * np.exp(x)),
    "softplus": lambda dy, x, p: np.where(p["beta"] * x > p["threshold"], dy,
                                          dy / (1 + np.exp(-p["beta"] * x))),
    "softsign": lambda dy, x, p: dy / (1 + np.abs(x)) ** 2,
    "softmax": lambda dy, x, p: (lambda y: y * (dy - (dy * y).sum(axis=-1, keepdims=True)))(_np_softmax(x)),
    "log_softmax": lambda dy, x, p: dy - _np_softmax(x) * dy.sum(axis=-1, keepdims=True),
    "clipped_relu": lambda dy, x, p: dy * ((x > 0) & (x < p["max_value"])),
    "celu": lambda dy, x, p: np.where(x > 0, dy, dy * np.exp(x / p["alpha"])),
    "threshold": lambda dy, x, p: dy * (x > p["threshold"]),
    "gelu_tanh": lambda dy, x, p: dy * _np_gelu_tanh_grad(x),
    "quick_gelu": lambda dy, x, p: (lambda s: dy * (s + 1.702 * x * s * (1 - s)))(_np_sigmoid(1.702 * x)),
    "silu": lambda dy, x, p: dy * _np_silu_grad(x),
    "hardswish": lambda dy, x, p: dy * np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)),
    "hardsigmoid": lambda dy, x, p: dy * ((x > -3) & (x < 3)) / 6,
    "mish": lambda dy, x, p: dy * _np_mish_grad(x),
    "logsigmoid": lambda dy, x, p: dy / (1 + np.exp(x)),
    "tanhshrink": lambda dy, x, p: dy * np.tanh(x) ** 2,
    "hardshrink": lambda dy, x, p: dy * (np.abs(x) > p["lambd"]),
    "softshrink": lambda dy, x, p: dy * (np.abs(x) > p["lambd"]),
    "squareplus": lambda dy, x, p: dy * (1 + x / np.sqrt(x * x + p["b"])) / 2,
    "sparse_plus": lambda dy, x, p: dy * np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)),
    "squared_relu": lambda dy, x, p: dy * 2 * np.maximum(x, 0),
    "gelu": lambda dy, x, p: dy * _np_gelu_grad(x),
}

# name -> dx(dy, y, p): the backward from the forward output
_NP_BWD_Y: dict[str, Callable] = {
    "identity": lambda dy, y, p: dy.copy(),
    "binary_step": lambda dy, y, p: np.zeros_like(dy),
    "relu": lambda dy, y, p: dy * (y > 0),
    "leaky_relu": lambda dy, y, p: np.where(y > 0, dy, dy * p["negative_slope"]),
    "relu6": lambda dy, y, p: dy * ((y > 0) & (y < 6)),
    "hardtanh": lambda dy, y, p: dy * ((y > p["min_val"]) & (y < p["max_val"])),
    "sigmoid": lambda dy, y, p: dy * y * (1 - y),
    "tanh": lambda dy, y, p: dy * (1 - y * y),
    "elu": lambda dy, y, p: np.where(y > 0, dy, dy * (y + p["alpha"])),
    "selu": lambda dy, y, p: np.where(y > 0, dy * _SELU_SCALE, dy * (y + _SELU_SCALE * _SELU_ALPHA)),
    "softmax": lambda dy, y, p: y * (dy - (dy * y).sum(axis=-1, keepdims=True)),
    "log_softmax": lambda dy, y, p: dy - np.exp(y) * dy.sum(axis=-1, keepdims=True),
    "clipped_relu": lambda dy, y, p: dy * ((y > 0) & (y < p["max_value"])),
    "celu": lambda dy, y, p: np.where(y > 0, dy, dy * (y / p["alpha"] + 1)),
    "hardsigmoid": lambda dy, y, p: dy * ((y > 0) & (y < 1)) / 6,
}

# channel-wise: act(x + bias) or prelu; f(x, w) and (dx, dw) = g(dy, x, w), channels on the last axis
_NP_CHANNEL_ACT = {"bias_relu": "relu", "bias_gelu": "gelu", "bias_gelu_tanh": "gelu_tanh",
                   "bias_silu": "silu"}
# gated: f(a) * b with x = [a, b]; (act, act') pairs by name
_NP_GATED_ACT = {"glu": None, "geglu": "gelu", "geglu_tanh": "gelu_tanh", "reglu": "relu", "swiglu": "silu"}


def _uses_erf(name: str) -> bool:
    return name in ("gelu", "bias_gelu", "geglu")


def has_numpy(name: str) -> bool:
    """Whether a NumPy formula exists for ``name`` (gelu forms need scipy.special.erf)."""
    if _uses_erf(name) and _erf() is None:
        return False
    return name in _NP_FWD or name in _NP_CHANNEL_ACT or name in _NP_GATED_ACT or name in (
        "prelu", "clamped_swiglu", "dropout", "rrelu")


def _np_act_grad(act: str, a, p=None):
    """act'(a) for the activations the channel-wise and gated forms use."""
    return _NP_BWD[act](np.ones_like(a), a, p or {})


def numpy_forward(name: str, x, w=None, rng=None):
    """The NumPy formula for ``name`` with its default parameters (w: per-channel weight or bias on
    the last axis; rng: the generator of dropout and rrelu masks)."""
    p = BY_NAME[name].defaults
    if name in _NP_FWD:
        return _NP_FWD[name](x, p)
    if name == "prelu":
        return np.where(x > 0, x, w * x)
    if name in _NP_CHANNEL_ACT:
        return _NP_FWD[_NP_CHANNEL_ACT[name]](x + w, {})
    if name in _NP_GATED_ACT or name == "clamped_swiglu":
        a, b = np.split(x, 2, axis=-1)
        if name == "glu":
            return a * _np_sigmoid(b)
        if name == "clamped_swiglu":
            lim, al = p["limit"], p["alpha"]
            ac, bc = np.minimum(a, lim), np.clip(b, -lim, lim)
            return ac * _np_sigmoid(al * ac) * (bc + 1)
        return _NP_FWD[_NP_GATED_ACT[name]](a, {}) * b
    rng = np.random.default_rng(SEED) if rng is None else rng
    if name == "dropout":
        return x * (rng.random(x.shape) >= p["p"]) / (1 - p["p"])
    if name == "rrelu":
        return np.where(x > 0, x, x * rng.uniform(p["lower"], p["upper"], x.shape).astype(x.dtype))
    raise KeyError(name)


def numpy_backward(name: str, dy, x, w=None, rng=None):
    """dx = dy * f'(x) by the NumPy formula; channel-wise kinds return (dx, dweight)."""
    p = BY_NAME[name].defaults
    if name in _NP_BWD:
        return _NP_BWD[name](dy, x, p)
    if name == "prelu":
        return np.where(x > 0, dy, w * dy), np.where(x > 0, 0, dy * x).reshape(-1, x.shape[-1]).sum(0)
    if name in _NP_CHANNEL_ACT:
        dx = dy * _np_act_grad(_NP_CHANNEL_ACT[name], x + w)
        return dx, dx.reshape(-1, x.shape[-1]).sum(0)
    if name in _NP_GATED_ACT or name == "clamped_swiglu":
        a, b = np.split(x, 2, axis=-1)
        if name == "glu":
            s = _np_sigmoid(b)
            da, db = dy * s, dy * a * s * (1 - s)
        elif name == "clamped_swiglu":
            lim, al = p["limit"], p["alpha"]
            ac, bc = np.minimum(a, lim), np.clip(b, -lim, lim)
            s = _np_sigmoid(al * ac)
            da = np.where(a >= lim, 0, dy * (s + al * ac * s * (1 - s)) * (bc + 1))
            db = np.where(np.abs(b) >= lim, 0, dy * ac * s)
        else:
            act = _NP_GATED_ACT[name]
            da, db = dy * b * _np_act_grad(act, a), dy * _NP_FWD[act](a, {})
        return np.concatenate([da, db], axis=-1)
    rng = np.random.default_rng(SEED) if rng is None else rng
    if name == "dropout":
        return dy * (rng.random(x.shape) >= p["p"]) / (1 - p["p"])
    if name == "rrelu":
        return np.where(x > 0, dy, dy * rng.uniform(p["lower"], p["upper"], x.shape).astype(x.dtype))
    raise KeyError(name)


def numpy_backward_y(name: str, dy, y):
    """dx from the forward output y by the NumPy formula."""
    return _NP_BWD_Y[name](dy, y, BY_NAME[name].defaults)


def numpy_call(case: Case, d: dict) -> Callable[[], object] | None:
    """The timed NumPy formula (allocating, as a user writes it), or None if there is none."""
    if case.op == "bwdy":
        if case.name not in _NP_BWD_Y:
            return None
        dy, yin = d["dy"], d["yin"]
        return lambda: numpy_backward_y(case.name, dy, yin)
    if not has_numpy(case.name):
        return None
    x, dy, w = d["x"], d["dy"], d.get("w")
    rng = np.random.default_rng(SEED)
    if case.op == "fwd":
        return lambda: numpy_forward(case.name, x, w, rng)
    return lambda: numpy_backward(case.name, dy, x, w, rng)


# ---- numexpr ------------------------------------------------------------------------------------

# forward and backward expressions in x (and dy); constants are named (numexpr turns float literals
# into float64 and would upcast float32 arrays): c1.. bound from the registry defaults per call
_NE_FWD = {
    "relu": "where(x > 0, x, 0)",
    "leaky_relu": "where(x > 0, x, x * negative_slope)",
    "relu6": "where(x <= 0, 0, where(x >= 6, 6, x))",
    "hardtanh": "where(x <= min_val, min_val, where(x >= max_val, max_val, x))",
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "tanh(x)",
    "elu": "where(x > 0, x, alpha * expm1(x))",
    "selu": "selu_scale * where(x > 0, x, selu_alpha * expm1(x))",
    "softplus": "where(beta * x > threshold, x, log1p(exp(beta * x)) / beta)",
    "softsign": "x / (1 + abs(x))",
    "clipped_relu": "where(x <= 0, 0, where(x >= max_value, max_value, x))",
    "celu": "where(x > 0, x, alpha * expm1(x / alpha))",
    "threshold": "where(x > threshold, x, value)",
    "gelu_tanh": "half * x * (1 + tanh(k * (x + c * x * x * x)))",
    "quick_gelu": "x / (1 + exp(-q * x))",
    "silu": "x / (1 + exp(-x))",
    "hardswish": "x * where(x <= -3, 0, where(x >= 3, 6, x + 3)) / 6",
    "hardsigmoid": "where(x <= -3, 0, where(x >= 3, 6, x + 3)) / 6",
    "mish": "x * tanh(log1p(exp(x)))",
    "logsigmoid": "where(x < 0, x, 0) - log1p(exp(-abs(x)))",
    "tanhshrink": "x - tanh(x)",
    "hardshrink": "where(abs(x) > lambd, x, 0)",
    "softshrink": "where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0))",
    "squareplus": "(x + sqrt(x * x + b)) / 2",
    "squared_relu": "where(x > 0, x * x, 0)",
}
_NE_BWD = {
    "relu": "where(x > 0, dy, 0)",
    "leaky_relu": "where(x > 0, dy, dy * negative_slope)",
    "hardtanh": "where((x > min_val) & (x < max_val), dy, 0)",
    "sigmoid": "dy * exp(-x) / ((1 + exp(-x)) * (1 + exp(-x)))",
    "tanh": "dy * (1 - tanh(x) * tanh(x))",
    "elu": "where(x > 0, dy, dy * alpha * exp(x))",
    "selu": "where(x > 0, dy * selu_scale, dy * selu_scale * selu_alpha * exp(x))",
    "softplus": "where(beta * x > threshold, dy, dy / (1 + exp(-beta * x)))",
    "softsign": "dy / ((1 + abs(x)) * (1 + abs(x)))",
    "silu": "dy * (1 + exp(-x) + x * exp(-x)) / ((1 + exp(-x)) * (1 + exp(-x)))",
    "hardswish": "where(x < -3, 0, where(x > 3, dy, dy * (2 * x + 3) / 6))",
    "hardsigmoid": "where((x > -3) & (x < 3), dy / 6, 0)",
    "logsigmoid": "dy / (1 + exp(x))",
    "tanhshrink": "dy * tanh(x) * tanh(x)",
}
_NE_CONST = {"selu_scale": _SELU_SCALE, "selu_alpha": _SELU_ALPHA, "half": 0.5, "k": _SQRT_2_PI,
             "c": 0.044715, "q": 1.702}


@functools.lru_cache(maxsize=1)
def _numexpr():
    try:
        import numexpr
    except ImportError:
        return None
    return numexpr


def numexpr_expression(name: str, op: str) -> str | None:
    if _numexpr() is None:
        return None
    return {"fwd": _NE_FWD, "bwd": _NE_BWD}.get(op, {}).get(name)


def numexpr_eval(name: str, op: str, x, dy=None, out=None):
    """Evaluate the numexpr form of ``name`` (into ``out`` if given)."""
    ne = _numexpr()
    expr = numexpr_expression(name, op)
    t = x.dtype.type
    env = {k: t(v) for k, v in {**_NE_CONST, **BY_NAME[name].defaults}.items()}
    env["x"] = x
    if dy is not None:
        env["dy"] = dy
    return ne.evaluate(expr, local_dict=env, out=out, casting="same_kind")


def numexpr_call(case: Case, d: dict) -> Callable[[], object] | None:
    """The timed numexpr expression with out=, or None where numexpr is missing or has no form."""
    if numexpr_expression(case.name, case.op) is None:
        return None
    x, dy, y, dx = d["x"], d["dy"], d["y"], d["dx"]
    if case.op == "fwd":
        return lambda: numexpr_eval(case.name, "fwd", x, out=y)
    return lambda: numexpr_eval(case.name, "bwd", x, dy, out=dx)


# ---- PyTorch ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def torch_module():
    """torch with set_num_threads(cores), or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def torch_calls(case: Case, d: dict) -> dict[str, Callable[[], object]]:
    """PyTorch CPU baselines: 'torch-out' (the out= variant into a preallocated tensor) and
    'torch-alloc' (the call most users write); either may be missing."""
    torch = torch_module()
    if torch is None or not case.spec.torch:
        return {}
    aten, F = torch.ops.aten, torch.nn.functional
    p = _params(case)
    name, op = case.name, case.op
    tx, ty, tdy, tdx = (torch.from_numpy(d[k]) for k in ("x", "y", "dy", "dx"))
    out: dict[str, Callable] = {}
    if op == "fwd":
        one_arg_out = {  # name -> (out= call, allocating call)
            "relu": (lambda: torch.clamp_min(tx, 0, out=ty), lambda: torch.relu(tx)),
            "leaky_relu": (lambda: aten.leaky_relu.out(tx, p["negative_slope"], out=ty),
                           lambda: F.leaky_relu(tx, p["negative_slope"])),
            "relu6": (lambda: aten.hardtanh.out(tx, 0.0, 6.0, out=ty), lambda: F.relu6(tx)),
            "hardtanh": (lambda: aten.hardtanh.out(tx, p["min_val"], p["max_val"], out=ty),
                         lambda: F.hardtanh(tx, p["min_val"], p["max_val"])),
            "sigmoid": (lambda: torch.sigmoid(tx, out=ty), lambda: torch.sigmoid(tx)),
            "tanh": (lambda: torch.tanh(tx, out=ty), lambda: torch.tanh(tx)),
            "elu": (lambda: aten.elu.out(tx, p["alpha"], 1.0, 1.0, out=ty), lambda: F.elu(tx, p["alpha"])),
            "selu": (lambda: aten.elu.out(tx, _SELU_ALPHA, _SELU_SCALE, 1.0, out=ty), lambda: torch.selu(tx)),
            "celu": (lambda: aten.celu.out(tx, p["alpha"], out=ty), lambda: F.celu(tx, p["alpha"])),
            "softplus": (lambda: aten.softplus.out(tx, p["beta"], p["threshold"], out=ty),
                         lambda: F.softplus(tx, p["beta"], p["threshold"])),
            "softsign": (lambda: torch.div(tx, 1 + tx.abs(), out=ty), lambda: F.softsign(tx)),
            "threshold": (lambda: aten.threshold.out(tx, p["threshold"], p["value"], out=ty),
                          lambda: F.threshold(tx, p["threshold"], p["value"])),
            "gelu_tanh": (lambda: aten.gelu.out(tx, approximate="tanh", out=ty),
                          lambda: F.gelu(tx, approximate="tanh")),
            "gelu": (lambda: aten.gelu.out(tx, out=ty), lambda: F.gelu(tx)),
            "silu": (lambda: aten.silu.out(tx, out=ty), lambda: F.silu(tx)),
            "hardswish": (lambda: aten.hardswish.out(tx, out=ty), lambda: F.hardswish(tx)),
            "hardsigmoid": (lambda: aten.hardsigmoid.out(tx, out=ty), lambda: F.hardsigmoid(tx)),
            "mish": (lambda: aten.mish.out(tx, out=ty), lambda: F.mish(tx)),
            "logsigmoid": (lambda: aten.log_sigmoid.out(tx, out=ty), lambda: F.logsigmoid(tx)),
            "tanhshrink": (lambda: torch.sub(tx, torch.tanh(tx), out=ty), lambda: F.tanhshrink(tx)),
            "hardshrink": (lambda: aten.hardshrink.out(tx, p["lambd"], out=ty),
                           lambda: F.hardshrink(tx, p["lambd"])),
            "softshrink": (lambda: aten.softshrink.out(tx, p["lambd"], out=ty),
                           lambda: F.softshrink(tx, p["lambd"])),
            "softmax": (lambda: aten._softmax.out(tx, -1, False, out=ty), lambda: torch.softmax(tx, -1)),
            "log_softmax": (lambda: aten._log_softmax.out(tx, -1, False, out=ty),
                            lambda: torch.log_softmax(tx, -1)),
            "glu": (lambda: aten.glu.out(tx, -1, out=ty), lambda: F.glu(tx, -1)),
        }
        if name in one_arg_out:
            out["torch-out"], out["torch-alloc"] = one_arg_out[name]
        elif name == "prelu":
            tw = torch.from_numpy(d["w"])
            out["torch-alloc"] = lambda: F.prelu(tx, tw)
        elif name == "dropout":
            out["torch-alloc"] = lambda: F.dropout(tx, p["p"], training=True)
        elif name == "rrelu":
            out["torch-alloc"] = lambda: F.rrelu(tx, p["lower"], p["upper"], training=True)
        return out
    if op == "bwdy":  # aten backward ops that start from the output (fastact's y=)
        ty_in = torch.from_numpy(d["yin"])
        bwd_y = {
            "relu": lambda o: _go(aten.threshold_backward, o, tdy, ty_in, 0),
            "leaky_relu": lambda o: _go(aten.leaky_relu_backward, o, tdy, ty_in, p["negative_slope"], True),
            "sigmoid": lambda o: _go(aten.sigmoid_backward, o, tdy, ty_in),
            "tanh": lambda o: _go(aten.tanh_backward, o, tdy, ty_in),
            "elu": lambda o: _go(aten.elu_backward, o, tdy, p["alpha"], 1.0, 1.0, True, ty_in),
            "selu": lambda o: _go(aten.elu_backward, o, tdy, _SELU_ALPHA, _SELU_SCALE, 1.0, True, ty_in),
            "celu": lambda o: _go(aten.elu_backward, o, tdy, p["alpha"], 1.0, 1.0 / p["alpha"], True, ty_in),
            "softmax": lambda o: aten._softmax_backward_data.out(tdy, ty_in, -1, tx.dtype, grad_input=o)
            if o is not None else aten._softmax_backward_data(tdy, ty_in, -1, tx.dtype),
            "log_softmax": lambda o: aten._log_softmax_backward_data.out(tdy, ty_in, -1, tx.dtype, out=o)
            if o is not None else aten._log_softmax_backward_data(tdy, ty_in, -1, tx.dtype),
        }
        if name in bwd_y:
            g = bwd_y[name]
            out["torch-out"] = lambda: g(tdx)
            out["torch-alloc"] = lambda: g(None)
        return out
    # backward: aten's grad_input/out overloads; ty_fwd is the forward output where torch needs it
    ty_fwd = _torch_forward_output(torch, case, tx)
    bwd = {
        "relu": lambda o: aten.threshold_backward.grad_input(tdy, tx, 0, grad_input=o) if o is not None
        else aten.threshold_backward(tdy, tx, 0),
        "leaky_relu": lambda o: _go(aten.leaky_relu_backward, o, tdy, tx, p["negative_slope"], False),
        "relu6": lambda o: _go(aten.hardtanh_backward, o, tdy, tx, 0.0, 6.0),
        "hardtanh": lambda o: _go(aten.hardtanh_backward, o, tdy, tx, p["min_val"], p["max_val"]),
        "sigmoid": lambda o: _go(aten.sigmoid_backward, o, tdy, ty_fwd),
        "tanh": lambda o: _go(aten.tanh_backward, o, tdy, ty_fwd),
        "elu": lambda o: _go(aten.elu_backward, o, tdy, p["alpha"], 1.0, 1.0, False, tx),
        "selu": lambda o: _go(aten.elu_backward, o, tdy, _SELU_ALPHA, _SELU_SCALE, 1.0, False, tx),
        "celu": lambda o: _go(aten.elu_backward, o, tdy, p["alpha"], 1.0, 1.0 / p["alpha"], False, tx),
        "softplus": lambda o: _go(aten.softplus_backward, o, tdy, tx, p["beta"], p["threshold"]),
        "threshold": lambda o: _go(aten.threshold_backward, o, tdy, tx, p["threshold"]),
        "gelu": lambda o: _go(aten.gelu_backward, o, tdy, tx),
        "gelu_tanh": lambda o: _go(aten.gelu_backward, o, tdy, tx, approximate="tanh"),
        "silu": lambda o: _go(aten.silu_backward, o, tdy, tx),
        "hardswish": lambda o: aten.hardswish_backward.out(tdy, tx, out=o) if o is not None
        else aten.hardswish_backward(tdy, tx),
        "hardsigmoid": lambda o: _go(aten.hardsigmoid_backward, o, tdy, tx),
        "mish": lambda o: aten.mish_backward(tdy, tx) if o is None else None,
        "logsigmoid": lambda o: _go(aten.log_sigmoid_backward, o, tdy, tx, ty_fwd),
        "hardshrink": lambda o: _go(aten.hardshrink_backward, o, tdy, tx, p["lambd"]),
        "softshrink": lambda o: _go(aten.softshrink_backward, o, tdy, tx, p["lambd"]),
        "softmax": lambda o: aten._softmax_backward_data.out(tdy, ty_fwd, -1, tx.dtype, grad_input=o)
        if o is not None else aten._softmax_backward_data(tdy, ty_fwd, -1, tx.dtype),
        "log_softmax": lambda o: aten._log_softmax_backward_data.out(tdy, ty_fwd, -1, tx.dtype, out=o)
        if o is not None else aten._log_softmax_backward_data(tdy, ty_fwd, -1, tx.dtype),
        "glu": lambda o: _go(aten.glu_backward, o, tdy, tx, -1),
    }
    if name in bwd:
        g = bwd[name]
        if name != "mish":
            out["torch-out"] = lambda: g(tdx)
        out["torch-alloc"] = lambda: g(None)
    return out


def _go(op, o, *args, **kwargs):
    """aten backward op: its grad_input= overload into o, or the allocating default when o is None."""
    if o is None:
        return op(*args, **kwargs)
    return op.grad_input(*args, **kwargs, grad_input=o)


def _torch_forward_output(torch, case: Case, tx):
    """What torch's backward op takes besides x: the forward output (sigmoid, tanh, softmax,
    log_softmax) or log_sigmoid's buffer."""
    aten = torch.ops.aten
    return {"sigmoid": lambda: torch.sigmoid(tx), "tanh": lambda: torch.tanh(tx),
            "softmax": lambda: torch.softmax(tx, -1), "log_softmax": lambda: torch.log_softmax(tx, -1),
            "logsigmoid": lambda: aten.log_sigmoid_forward(tx)[1]}.get(case.name, lambda: None)()


# ---- the roofline ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _numba_kernels():
    """Numba prange copy and add (fastact's numba backend loads first: it picks the threading layer)."""
    try:
        from fastact import _dispatch

        _dispatch.load("numba")
        from numba import njit, prange
    except Exception:
        return None

    @njit(parallel=True, nogil=True, cache=True)
    def pcopy(a, b):
        for i in prange(a.shape[0]):
            b[i] = a[i]

    @njit(parallel=True, nogil=True, cache=True)
    def padd(a, b, c):
        for i in prange(a.shape[0]):
            c[i] = a[i] + b[i]

    return pcopy, padd


def numba_threads() -> int | None:
    k = _numba_kernels()
    if k is None:
        return None
    import numba

    return numba.get_num_threads()


def roofline_threads() -> int:
    """Threads of the roofline copy: Numba's, else torch's."""
    t = numba_threads()
    if t is None and torch_module() is not None:
        t = torch_module().get_num_threads()
    return t or 1


def roofline_calls(kind: str, a, out, b=None) -> dict[str, Callable[[], object]]:
    """Multi-threaded copy a -> out ('copy') or a + b -> out ('add', b defaults to a): by Numba
    prange ('numba') and torch ('torch': copy_ / add(out=)), where installed; flattened arrays."""
    a1, o1 = a.reshape(-1), out.reshape(-1)
    b1 = a1 if b is None else b.reshape(-1)
    calls: dict[str, Callable] = {}
    k = _numba_kernels()
    if k is not None:
        pcopy, padd = k
        calls["numba"] = (lambda: pcopy(a1, o1)) if kind == "copy" else (lambda: padd(a1, b1, o1))
    torch = torch_module()
    if torch is not None:
        ta, tb, to = torch.from_numpy(a1), torch.from_numpy(b1), torch.from_numpy(o1)
        calls["torch"] = (lambda: to.copy_(ta)) if kind == "copy" else (lambda: torch.add(ta, tb, out=to))
    return calls


def case_roofline(case: Case, d: dict) -> dict[str, Callable[[], object]]:
    """The roofline calls of a case on its own arrays (x -> dx for backward: same size as x)."""
    if case.op == "fwd":
        return roofline_calls("copy", d["x"], d["dx"])
    return roofline_calls("add", d["x"], d["dx"], None if case.kind == "gated" else d["dy"])


# ---- timing -------------------------------------------------------------------------------------

def best_time(f: Callable[[], object], budget: float = 0.2, min_reps: int = 3, max_reps: int = 200) -> float:
    """The fastest call of f in seconds: one warm-up call, then repetitions filling ``budget``."""
    t0 = time.perf_counter()
    f()
    first = time.perf_counter() - t0
    reps = int(min(max_reps, max(min_reps, budget / max(first, 1e-7))))
    best = first
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def machine() -> dict:
    """CPU model, core count, fastact's SIMD level, numba threads and library versions."""
    import platform

    from fastact import _dispatch

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": model, "arch": platform.machine(), "cores": os.cpu_count() or 1,
            "python": platform.python_version(), "numpy": np.__version__, "fastact": fastact.__version__}
    for b in _dispatch.status():
        if b["name"] == "native" and b.get("available"):
            info["simd"] = b.get("simd", "?")
        if b["name"] == "numba" and b.get("available"):
            info["numba"] = b.get("version")
            info["numba_threads"] = b.get("threads")
    torch = torch_module()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    ne = _numexpr()
    if ne is not None:
        info["numexpr"] = ne.__version__
    return info


def describe_machine(info: dict | None = None) -> str:
    info = info or machine()
    libs = ", ".join(f"{k} {info[k]}"
                     + (f" ({info[k + '_threads']} threads)" if k + "_threads" in info else "")
                     for k in ("fastact", "python", "numpy", "numba", "torch", "numexpr") if k in info)
    return (f"{info['cpu']} ({info['arch']}), {info['cores']} cores, SIMD {info.get('simd', '?')}\n{libs}")


# ---- python -m fastact bench --------------------------------------------------------------------

def _progress(total: int, enabled: bool = True):
    """A tqdm bar on stderr (hidden when stderr is not a terminal), else plain-text lines."""
    import sys

    if not enabled:
        return None
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc="bench", unit="case", file=sys.stderr, disable=None, leave=False)
    except ImportError:

        class _Plain:
            def __init__(self):
                self.i = 0

            def set_postfix_str(self, s):
                self.s = s

            def update(self, k=1):
                self.i += k
                print(f"bench: [{self.i}/{total}] {getattr(self, 's', '')}", file=sys.stderr, flush=True)

            def close(self):
                pass

        return _Plain()


def measure_roofline(kind: str, dtype: str, n: int, budget: float) -> tuple[float, str]:
    """Best time of the multi-threaded copy/add on n elements and which implementation gave it."""
    dt = np.dtype(dtype)
    a = np.random.default_rng(1).standard_normal(n).astype(dt)
    b, out = a[::-1].copy(), np.empty_like(a)
    times = {impl: best_time(f, budget) for impl, f in roofline_calls(kind, a, out, b).items()}
    if not times:
        raise RuntimeError("no multi-threaded copy: install numba or torch")
    impl = min(times, key=times.get)
    return times[impl], impl


def _subprocess_time(code: str, reps: int, env: dict | None = None) -> float:
    """The smallest number a fresh interpreter prints for ``code`` (best of reps runs)."""
    import subprocess
    import sys

    best = math.inf
    for _ in range(reps):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=env, timeout=600)
        best = min(best, float(r.stdout.strip().splitlines()[-1]))
    return best


def startup_times(reps: int = 3) -> dict:
    """`import fastact` (s), the first numba call in a new process with a warm kernel cache (s) and
    with a cold one (a fresh FASTACT_CACHE_DIR: compilation included)."""
    import tempfile

    out = {"import": _subprocess_time(
        "import time; t = time.perf_counter(); import fastact; print(time.perf_counter() - t)", reps)}
    first = ("import time, numpy as np, fastact; x = np.linspace(-3, 3, 10**6, dtype=np.float32); "
             "t = time.perf_counter(); fastact.sigmoid(x, backend='numba'); print(time.perf_counter() - t)")
    try:
        x = np.linspace(-3, 3, 10**6, dtype=np.float32)
        fastact.sigmoid(x, backend="numba")  # the cache is warm from here on
    except Exception:
        return out
    out["first_call_warm"] = _subprocess_time(first, reps)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FASTACT_CACHE_DIR": tmp}
        env.pop("NUMBA_CACHE_DIR", None)
        out["first_call_cold"] = _subprocess_time(first, 1, env)
    return out


def small_array_times(budget: float, names=("relu", "sigmoid", "tanh")) -> dict:
    """Per-call time (s) of fastact on 1e3 float32 (dispatcher default) and of np.tanh(x, out=y)."""
    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    y = np.empty_like(x)
    res = {"np.tanh(x, out=y)": best_time(lambda: np.tanh(x, out=y), budget, max_reps=20000)}
    for name in names:
        f = getattr(fastact, name)
        res[name] = best_time(lambda f=f: f(x, out=y), budget, max_reps=20000)
    return res


@dataclass
class Row:
    case: Case
    seconds: float
    roof_seconds: float
    numpy: float | None
    torch: float | None
    torch_alloc_only: bool
    backend: str

    @property
    def gbps(self) -> float:
        return self.case.nbytes / self.seconds / 1e9

    @property
    def roof_gbps(self) -> float:
        n, item = self.case.size, np.dtype(self.case.dtype).itemsize
        return (2 if self.case.op == "fwd" else 3) * n * item / self.roof_seconds / 1e9

    @property
    def vs_roof(self) -> float:
        return self.gbps / self.roof_gbps


def run(sizes=(10**6, 10**7), dtypes=DTYPES, names=SUBSET, ops=OPS, budget: float = 0.25,
        progress: bool = True) -> dict:
    """Time fastact (dispatcher default), the NumPy formula and torch's out= call on every case,
    with the copy/add roofline measured before and after each (size, dtype) block (the faster
    kept). Returns the rows, rooflines, small-array and start-up times and the machine."""
    info = machine()
    blocks = [(n, dt) for n in sizes for dt in dtypes]
    total = len(cases(names, ops, dtypes, sizes))
    bar = _progress(total, progress)
    rows, roofs = [], {}
    with np.errstate(all="ignore"):
        for n, dt in blocks:
            block = cases(names, ops, (dt,), (n,))
            if bar is not None:
                bar.set_postfix_str(f"roofline {dt} {size_label(n)}")
            before = {k: measure_roofline(k, dt, n, budget) for k in ("copy", "add")}
            timed = []
            for c in block:
                if bar is not None:
                    bar.set_postfix_str(c.label)
                d = make_data(c)
                t = best_time(fastact_call(c, d), budget)
                npc = numpy_call(c, d)
                t_np = best_time(npc, budget) if npc else None
                tc = torch_calls(c, d)
                tf = tc.get("torch-out") or tc.get("torch-alloc")
                t_t = best_time(tf, budget) if tf else None
                timed.append((c, t, t_np, t_t, "torch-out" not in tc and tf is not None, chosen_backend(c)))
                del d, tc
                if bar is not None:
                    bar.update(1)
            after = {k: measure_roofline(k, dt, n, budget) for k in ("copy", "add")}
            for k in ("copy", "add"):
                roofs[(k, dt, n)] = min(before[k], after[k])
            for c, t, t_np, t_t, alloc, be in timed:
                rows.append(Row(c, t, roofs[(c.roofline, dt, n)][0], t_np, t_t, alloc, be))
    if bar is not None:
        bar.close()
    return {"machine": info, "rows": rows, "roofs": roofs, "small": small_array_times(min(budget, 0.1)),
            "startup": startup_times(), "threads": roofline_threads()}


def _ratio(a: float | None, b: float) -> str:
    return "-" if a is None else f"{a / b:.1f}x"


def format_report(res: dict, markdown: bool = False, command: str = "") -> str:
    """The table (plain text, or Markdown for the README) with the machine header and the
    small-array, import and first-call figures."""
    threads = res["threads"]
    lines = []
    head = describe_machine(res["machine"]).splitlines()
    cols = ["op", "dtype", "n", "GB/s", "/roofline", "vs NumPy", "vs torch", "backend"]
    table = []
    shown = set()
    for r in res["rows"]:
        c = r.case
        for kind in (("copy", "add") if (c.dtype, c.n) not in shown else ()):
            t, impl = res["roofs"][(kind, c.dtype, c.n)]
            arrays = 2 if kind == "copy" else 3
            gb = arrays * c.n * np.dtype(c.dtype).itemsize / t / 1e9
            table.append([f"{kind} ({threads} threads)", c.dtype, size_label(c.n), f"{gb:.1f}", "1.00",
                          "", "", impl])
        shown.add((c.dtype, c.n))
        vs_t = _ratio(r.torch, r.seconds) + ("a" if r.torch_alloc_only and r.torch is not None else "")
        table.append([c.display, c.dtype, size_label(c.n), f"{r.gbps:.1f}", f"{r.vs_roof:.2f}",
                      _ratio(r.numpy, r.seconds), vs_t, r.backend])
    small, st = res["small"], res["startup"]
    ref = small["np.tanh(x, out=y)"]
    small_line = (f"small arrays (1e3 float32, per call): np.tanh(x, out=y) {ref * 1e6:.2f} us; fastact "
                  + ", ".join(f"{k} {v * 1e6:.2f} us ({v / ref:.2f}x)" for k, v in small.items()
                              if not k.startswith("np.")))
    start_line = f"import fastact {st['import']:.3f} s"
    if "first_call_warm" in st:
        start_line += (f"; first call in a new process (sigmoid, numba, 1e6 float32): warm kernel cache "
                       f"{st['first_call_warm']:.3f} s, cold (compiling) {st['first_call_cold']:.2f} s")
    notes = [f"GB/s: bytes of the arrays read and written / best time. /roofline: against the faster "
             f"{threads}-thread copy (forward) or a + b -> c (backward) on the same dtype and size, measured "
             "before and after the block (Numba prange or torch, named in the last column). vs NumPy / vs "
             "torch: their time / fastact's (> 1: fastact faster); NumPy is the plain formula (allocating), "
             "torch its out= variant (a: only an allocating call exists). _backward: dx = dy * f'(x) from x; "
             "_backward(y=): from the forward output (torch's sigmoid, tanh and softmax backward always "
             "start from the output). backend: what the dispatcher chose."]
    if markdown:
        if command:
            lines.append(f"Measured with `{command}`:")
            lines.append("")
        lines += [f"{h}  " for h in head]
        lines.append("")
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(cols) - 1)) + "|---|")
        lines += ["| " + " | ".join(row) + " |" for row in table]
        lines += ["", small_line + "  ", start_line, "", notes[0]]
    else:
        widths = [max(len(cols[i]), *(len(row[i]) for row in table)) for i in range(len(cols))]
        lines += head
        def fmt(row):
            return "  ".join(v.ljust(w) if i < 2 or i == len(cols) - 1 else v.rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip()

        lines.append(fmt(cols))
        lines += [fmt(row) for row in table]
        lines += [small_line, start_line, notes[0]]
    return "\n".join(lines)


def plot_report(res: dict, path: str) -> str:
    """Bars of the ratio to the roofline per activation (forward and backward panels, one bar per
    dtype) at the largest size measured; needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(r.case.n for r in res["rows"])
    rows = [r for r in res["rows"] if r.case.n == n]
    names = list(dict.fromkeys(r.case.name for r in rows))
    dtypes = list(dict.fromkeys(r.case.dtype for r in rows))
    ops = list(dict.fromkeys(r.case.op for r in rows))
    fig, axes = plt.subplots(len(ops), 1, figsize=(max(8, 0.6 * len(names)), 3.2 * len(ops)), squeeze=False)
    width = 0.8 / len(dtypes)
    for ax, op in zip(axes[:, 0], ops, strict=True):
        for k, dt in enumerate(dtypes):
            vals = {r.case.name: r.vs_roof for r in rows if r.case.op == op and r.case.dtype == dt}
            ax.bar([i + k * width for i in range(len(names))], [vals.get(nm, 0) for nm in names], width,
                   label=dt)
        ax.axhline(1.0, color="0.3", lw=0.8)
        ax.set_xticks([i + width * (len(dtypes) - 1) / 2 for i in range(len(names))])
        ax.set_xticklabels(names, rotation=45, ha="right")
        ax.set_ylabel(f"/ {'copy' if op == 'fwd' else 'add'} roofline")
        ax.set_title(f"fastact {op}, n = {size_label(n)} ({res['threads']}-thread roofline = 1)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return f"wrote {path}"
