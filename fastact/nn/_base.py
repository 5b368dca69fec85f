"""The layer protocol and the per-shape buffer cache shared by every layer."""

from __future__ import annotations

import numpy as np


def float_dtype(*dtypes) -> np.dtype:
    """The floating dtype a layer computes in: float32/float64 (and float16) stay, the rest
    (ints, bools) becomes float64, as fastact's functions do."""
    dt = np.result_type(*dtypes)
    return dt if dt.kind == "f" else np.dtype(np.float64)


def as_rng(rng) -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed or None (seed 0: runs are repeatable)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


class Buffered:
    """Per-(shape, dtype) output buffers, created on first use and reused afterwards."""

    #: at most this many cached buffers per object (each new batch shape adds a few)
    max_buffers = 64

    def __init__(self) -> None:
        self._bufs: dict = {}

    def _buf(self, tag: str, shape: tuple, dtype) -> np.ndarray:
        """The cached buffer ``tag`` for this shape and dtype (created once)."""
        key = (tag, tuple(shape), np.dtype(dtype))
        b = self._bufs.get(key)
        if b is None:
            if len(self._bufs) >= self.max_buffers:  # many batch shapes: start over, not grow forever
                self._bufs.clear()
            b = self._bufs[key] = np.empty(shape, dtype)
        return b


class Layer(Buffered):
    """A layer with an explicit ``forward(x)`` and ``backward(dy)``.

    ``params`` and ``grads`` are lists of arrays of equal shapes: ``backward`` *overwrites*
    ``grads`` in place (it does not accumulate), so an optimizer may hold on to both lists.

    Every array a layer returns is one of its own buffers, allocated on the first call for
    a given (shape, dtype) and reused afterwards: steady-state training allocates nothing
    per step. A returned array is therefore valid until the layer's next call with the same
    shape; copy it to keep it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.training = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def train(self, mode: bool = True) -> Layer:
        """Training mode (the default): dropout drops."""
        self.training = mode
        return self

    def eval(self) -> Layer:
        """Evaluation mode: dropout is the identity."""
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Loss(Buffered):
    """``loss = L.forward(output, target)`` (a float; also ``L(output, target)``), then
    ``L.backward()`` → d loss / d output (one of the loss's buffers)."""

    def forward(self, output: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, output: np.ndarray, target: np.ndarray) -> float:
        return self.forward(output, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
