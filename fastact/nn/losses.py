"""Losses: ``loss = L.forward(output, target)`` (a float), then ``L.backward()`` → d loss / d output.

Both average over the batch and keep their buffers per shape (no allocation per step).
"""

from __future__ import annotations

import numpy as np

import fastact

from ._base import Loss, float_dtype


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy fused, from logits z (batch, classes), stable for any z:

        log p = log_softmax(z)              (``fastact.log_softmax``: max-subtracted)
        loss  = −(1/N) Σ_n Σ_k t_nk log p_nk

    with t the one-hot of integer labels (shape (batch,)) or given class probabilities
    (shape (batch, classes)). The gradient is log_softmax's backward from its output with
    dy = −t/N (``fastact.log_softmax_backward(dy, y=log p)``):

        dz = dy − softmax(z) Σ_k dy_k = (softmax(z) Σ_k t_k − t) / N   (= (p − t)/N for one-hot t)
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        z = np.asarray(logits)
        if z.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropy: logits must be (batch, classes), got shape {z.shape}")
        n = z.shape[0]
        dt = float_dtype(z.dtype)
        logp = fastact.log_softmax(z, out=self._buf("logp", z.shape, dt))
        dy = self._buf("dy", z.shape, dt)  # −t / N
        t = np.asarray(target)
        if t.shape == z.shape:
            np.multiply(t, -1.0 / n, out=dy)
        elif t.shape == (n,) and t.dtype.kind in "iu":
            if n and (t.min() < 0 or t.max() >= z.shape[1]):
                raise ValueError(f"SoftmaxCrossEntropy: labels must be in [0, {z.shape[1]})")
            dy.fill(0)
            np.put_along_axis(dy, t[:, None], -1.0 / n, axis=1)
        else:
            raise ValueError(f"SoftmaxCrossEntropy: target must be integer labels of shape ({n},) or "
                             f"probabilities of shape {z.shape}, got {t.dtype} {t.shape}")
        self._logp, self._dy = logp, dy
        return float(np.vdot(dy, logp))

    def backward(self) -> np.ndarray:
        dz = self._buf("dz", self._dy.shape, self._dy.dtype)
        return fastact.log_softmax_backward(self._dy, y=self._logp, out=dz)



class MSE(Loss):
    """Mean squared error over all elements, as ``torch.nn.MSELoss()``:

        loss = (1/n) Σ (y − t)²,    dy = 2 (y − t) / n
    """

    def forward(self, output: np.ndarray, target: np.ndarray) -> float:
        y, t = np.asarray(output), np.asarray(target)
        if y.shape != t.shape:
            raise ValueError(f"MSE: output has shape {y.shape} but target has shape {t.shape}")
        d = self._buf("diff", y.shape, float_dtype(y.dtype, t.dtype))
        np.subtract(y, t, out=d)
        self._d = d
        return float(np.vdot(d, d)) / max(d.size, 1)

    def backward(self) -> np.ndarray:
        g = self._buf("grad", self._d.shape, self._d.dtype)
        return np.multiply(self._d, 2.0 / max(self._d.size, 1), out=g)
