"""Dense, Activation, PReLU, Dropout and Sequential.

Shapes: a batch is ``(batch, features)`` for Dense; the activation layers take any shape
(PReLU's channels are on axis 1, as in PyTorch). All gradients are exact (no autograd:
each layer writes its own backward).
"""

from __future__ import annotations

import math

import numpy as np

import fastact
from fastact import _api

from ._base import Layer, as_rng, float_dtype

INITS = ("he", "xavier", "lecun")


def init_weight(n_in: int, n_out: int, init: str, rng: np.random.Generator, dtype) -> np.ndarray:
    """A ``(n_in, n_out)`` weight matrix.

    he:     normal, std = sqrt(2 / n_in)          (He et al. 2015; relu family)
    lecun:  normal, std = sqrt(1 / n_in)          (LeCun 1998; selu)
    xavier: uniform in ±sqrt(6 / (n_in + n_out))   (Glorot & Bengio 2010; sigmoid, tanh)
    """
    if init == "he":
        w = rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)
    elif init == "lecun":
        w = rng.standard_normal((n_in, n_out)) * math.sqrt(1.0 / n_in)
    elif init == "xavier":
        a = math.sqrt(6.0 / (n_in + n_out))
        w = rng.uniform(-a, a, (n_in, n_out))
    else:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    return w.astype(dtype)


class Dense(Layer):
    """Fully connected layer ``y = x W + b``.

    x: (batch, n_in), W: (n_in, n_out), b: (n_out,), y: (batch, n_out).

    backward(dy):  dW = xᵀ dy,   db = Σ_batch dy,   dx = dy Wᵀ

    Parameters
    ----------
    init : "he" | "xavier" | "lecun"
        the weight initialization (see :func:`init_weight`); the bias starts at 0
    rng : numpy Generator or int seed
    bias : bool
    dtype : the parameters' dtype (float64 by default)
    """

    def __init__(self, n_in: int, n_out: int, init: str = "he", rng=None, bias: bool = True,
                 dtype=np.float64) -> None:
        super().__init__()
        self.n_in, self.n_out, self.init = int(n_in), int(n_out), init
        self.W = init_weight(self.n_in, self.n_out, init, as_rng(rng), dtype)
        self.dW = np.zeros_like(self.W)
        self.params, self.grads = [self.W], [self.dW]
        self.b = self.db = None
        if bias:
            self.b, self.db = np.zeros(self.n_out, dtype), np.zeros(self.n_out, dtype)
            self.params.append(self.b)
            self.grads.append(self.db)
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"Dense({self.n_in}, {self.n_out}): expected x of shape (batch, {self.n_in}), "
                             f"got {x.shape}")
        y = self._buf("y", (x.shape[0], self.n_out), float_dtype(x.dtype, self.W.dtype))
        np.matmul(x, self.W, out=y)
        if self.b is not None:
            y += self.b
        self._x = x  # a reference (the previous layer's buffer), not a copy
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x = self._x
        np.matmul(x.T, dy, out=self.dW)
        if self.b is not None:
            np.sum(dy, axis=0, out=self.db)
        dx = self._buf("dx", x.shape, float_dtype(dy.dtype, self.W.dtype))
        return np.matmul(dy, self.W.T, out=dx)

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, init={self.init!r}, bias={self.b is not None})"


class Activation(Layer):
    """Any fastact activation as a layer: ``Activation("gelu")``, ``Activation("elu", alpha=0.5)``.

    forward:  y = f(x)           (``fastact.<name>(x, out=...)``)
    backward: dx = dy ⊙ f'(x)    (``fastact.<name>_backward``)

    Calls go through the public API, so the dispatcher picks the kernel per call (C/SIMD for
    small batches, the parallel Numba kernels for large ones). Where the registry says the
    derivative is exact from the output (``backward_y``, under ``backward_y_when`` for these
    parameters: relu, sigmoid, tanh, elu with α ≥ 0, selu, softmax, ...) the layer keeps y
    and calls ``backward(dy, y=y)``; otherwise it keeps x. Either way it holds one array.

    Elementwise, row-wise (``axis=``, default -1) and gated (GLU family: y has half of x
    along ``axis``) activations are supported; use :class:`PReLU` and :class:`Dropout` for
    prelu and dropout.
    """

    def __init__(self, name: str, axis: int = -1, **params) -> None:
        super().__init__()
        self.fn = fastact.get(name, **params)
        spec = self.fn.spec
        if spec.kind not in ("eltwise", "rowwise", "gated"):
            hint = {"channelwise": "a learnable per-channel weight: use fastact.nn.PReLU",
                    "random": "a random mask: use fastact.nn.Dropout"}[spec.kind]
            raise ValueError(f"Activation({name!r}): {spec.kind} activations need {hint}")
        self.name, self.kind, self.axis = name, spec.kind, axis
        self.from_y = spec.has_backward_y and (
            not spec.backward_y_when or _api._cond(spec.backward_y_when, self.fn.params))
        self._kw = {"axis": axis} if spec.kind in ("rowwise", "gated") else {}
        self._saved = None

    def _out_shape(self, shape: tuple) -> tuple:
        if self.kind != "gated" or not shape:  # (0-d gated input: fastact raises)
            return shape
        ax = self.axis % len(shape)
        return shape[:ax] + (shape[ax] // 2,) + shape[ax + 1:]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        y = self._buf("y", self._out_shape(x.shape), float_dtype(x.dtype))
        self.fn.forward(x, out=y, **self._kw)
        self._saved = y if self.from_y else x
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        s = self._saved
        if self.kind == "gated":
            dx = self._buf("dx", s.shape, float_dtype(dy.dtype, s.dtype))
            return self.fn.backward(dy, s, out=dx, **self._kw)
        dx = self._buf("dx", dy.shape, float_dtype(dy.dtype, s.dtype))
        if self.from_y:
            return self.fn.backward(dy, y=s, out=dx, **self._kw)
        return self.fn.backward(dy, s, out=dx, **self._kw)

    def __repr__(self) -> str:
        ps = "".join(f", {k}={v!r}" for k, v in self.fn.params.items())
        return f"Activation({self.name!r}{ps})"


class PReLU(Layer):
    """Parametric ReLU with a learnable slope per channel (axis 1), as ``torch.nn.PReLU``.

    forward:  y = x if x > 0 else a[c] x
    backward: dx = dy if x > 0 else a[c] dy;   da[c] = Σ_{x ≤ 0, channel c} dy x

    ``n_channels=1`` shares one slope. Uses ``fastact.prelu`` / ``fastact.prelu_backward``
    (the latter returns fresh arrays: it has no ``out=``).
    """

    def __init__(self, n_channels: int = 1, init: float = 0.25, dtype=np.float64) -> None:
        super().__init__()
        self.weight = np.full(int(n_channels), init, dtype)
        self.dweight = np.zeros_like(self.weight)
        self.params, self.grads = [self.weight], [self.dweight]
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._x = x
        return fastact.prelu(x, self.weight, out=self._buf("y", x.shape, float_dtype(x.dtype)))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx, dw = fastact.prelu_backward(dy, self._x, self.weight)
        self.dweight[...] = dw
        return dx

    def __repr__(self) -> str:
        return f"PReLU({self.weight.size})"


class Dropout(Layer):
    """Inverted dropout: in training y = 0 with probability p, else x / (1 − p);
    in eval mode (``.eval()``) the identity.

    The mask comes from fastact's counter-based generator, u = uniform(seed, offset + i):
    each forward call uses the next ``x.size`` counters (so every step draws a fresh mask,
    with no global RNG state), and backward regenerates the same mask from (seed, offset)
    instead of storing it:  dx = dy ⊙ [u ≥ p] / (1 − p).
    """

    def __init__(self, p: float = 0.5, seed: int = 0) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p!r}")
        self.p, self.seed = float(p), int(seed)
        self.offset = 0  # counter of the next forward call's first element
        self._x, self._off = None, 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if not self.training:
            self._x = None
            return x
        self._x, self._off = x, self.offset
        self.offset = (self.offset + x.size) % 2**64
        y = self._buf("y", x.shape, float_dtype(x.dtype))
        return fastact.dropout(x, p=self.p, seed=self.seed, offset=self._off, training=True, out=y)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._x is None:  # eval mode: identity
            return dy
        dx = self._buf("dx", dy.shape, float_dtype(dy.dtype, self._x.dtype))
        return fastact.dropout_backward(dy, self._x, p=self.p, seed=self.seed, offset=self._off,
                                        training=True, out=dx)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p}, seed={self.seed})"


class Sequential(Layer):
    """Layers applied in order; backward in reverse. ``params``/``grads`` are all layers'."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = list(layers)
        self.params = [p for lay in self.layers for p in lay.params]
        self.grads = [g for lay in self.layers for g in lay.grads]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for lay in self.layers:
            x = lay.forward(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        for lay in reversed(self.layers):
            dy = lay.backward(dy)
        return dy

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for lay in self.layers:
            lay.train(mode)
        return self

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(lay) for lay in self.layers)
        return f"Sequential(\n  {inner}\n)"
