"""fastact.nn: a small NumPy layer kit on top of fastact (no framework).

Every layer has an explicit ``forward(x)`` and ``backward(dy)``, and ``params`` / ``grads``
lists (``backward`` overwrites the grads in place); losses return a float from
``forward(output, target)`` and the output's gradient from ``backward()``; optimizers
update the params in place. Buffers are cached per batch shape, so a training loop
allocates nothing per step once warm.

>>> import numpy as np
>>> from fastact import nn
>>> model = nn.Sequential(nn.Dense(4, 16, rng=0), nn.Activation("gelu"), nn.Dense(16, 3, rng=1))
>>> loss_fn, opt = nn.SoftmaxCrossEntropy(), nn.Adam(model, lr=1e-2)
>>> x, labels = np.random.default_rng(0).standard_normal((32, 4)), np.arange(32) % 3
>>> for _ in range(3):
...     loss = loss_fn.forward(model.forward(x), labels)
...     _ = model.backward(loss_fn.backward())
...     opt.step()
"""

from ._base import Layer, Loss
from .arithmetic import NAC, NALU
from .layers import Activation, Dense, Dropout, PReLU, Sequential, init_weight
from .losses import MSE, SoftmaxCrossEntropy
from .optim import SGD, Adam, Optimizer

__all__ = ["Layer", "Loss", "Dense", "Activation", "PReLU", "Dropout", "NAC", "NALU", "Sequential",
           "SoftmaxCrossEntropy", "MSE", "SGD", "Adam", "Optimizer", "init_weight"]
