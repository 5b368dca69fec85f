"""Optimizers updating parameters in place (with preallocated state and scratch: no
allocation per step), as ``torch.optim.SGD`` and ``torch.optim.Adam``.

``opt = SGD(model, lr=0.1)`` takes a layer's ``params``/``grads`` lists (or pass the two
lists: ``SGD(params, grads, lr=0.1)``); ``opt.step()`` after each ``backward``.
"""

from __future__ import annotations

import math

import numpy as np


def _lists(params, grads) -> tuple[list, list]:
    if grads is None:
        if not hasattr(params, "params"):
            raise TypeError("pass a layer (with .params and .grads) or the params and grads lists")
        params, grads = params.params, params.grads
    params, grads = list(params), list(grads)
    if len(params) != len(grads) or any(p.shape != g.shape for p, g in zip(params, grads, strict=False)):
        raise ValueError("params and grads must be lists of arrays of matching shapes")
    return params, grads


class Optimizer:
    def __init__(self, params, grads=None) -> None:
        self.params, self.grads = _lists(params, grads)
        self._tmp = [np.empty_like(p) for p in self.params]
        self.t = 0  # steps taken

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (heavy-ball) momentum and weight decay:

        g ← g + λ p;   v ← μ v + g;   p ← p − lr v        (μ = 0: p ← p − lr g)
    """

    def __init__(self, params, grads=None, *, lr: float = 0.01, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, grads)
        if lr <= 0 or momentum < 0 or weight_decay < 0:
            raise ValueError("SGD: lr must be > 0, momentum and weight_decay >= 0")
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self._v = [np.zeros_like(p) for p in self.params] if momentum else None

    def step(self) -> None:
        self.t += 1
        for i, (p, g, tmp) in enumerate(zip(self.params, self.grads, self._tmp, strict=True)):
            d = g
            if self.weight_decay:
                np.multiply(p, self.weight_decay, out=tmp)
                tmp += g
                d = tmp
            if self._v is not None:
                v = self._v[i]
                v *= self.momentum
                v += d
                d = v
            np.multiply(d, self.lr, out=tmp)
            p -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), bias-corrected, as PyTorch:

        m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²
        p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
    """

    def __init__(self, params, grads=None, *, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(params, grads)
        b1, b2 = betas
        if lr <= 0 or not (0 <= b1 < 1 and 0 <= b2 < 1) or eps < 0:
            raise ValueError("Adam: need lr > 0, 0 <= betas < 1, eps >= 0")
        self.lr, self.b1, self.b2, self.eps = float(lr), float(b1), float(b2), float(eps)
        self._m = [np.zeros_like(p) for p in self.params]
        self._v = [np.zeros_like(p) for p in self.params]

    def step(self) -> None:
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, g, m, v, tmp in zip(self.params, self.grads, self._m, self._v, self._tmp, strict=True):
            m *= self.b1
            np.multiply(g, 1 - self.b1, out=tmp)
            m += tmp
            v *= self.b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - self.b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= 1 / math.sqrt(bc2)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= self.lr / bc1
            p -= tmp
