"""Neural accumulator (NAC) and neural arithmetic logic unit (NALU), Trask et al. 2018,
"Neural Arithmetic Logic Units" (arXiv:1808.00508).

Both constrain their weight to be close to {-1, 0, 1}:

    W = tanh(Ŵ) ⊙ σ(M̂)                                   (Ŵ, M̂ learnable, (n_in, n_out))

with the chain rule through it

    dŴ = dW ⊙ σ(M̂) ⊙ (1 − tanh²(Ŵ)),    dM̂ = dW ⊙ tanh(Ŵ) ⊙ σ(M̂)(1 − σ(M̂))

computed with ``fastact.tanh_backward`` / ``fastact.sigmoid_backward`` from their outputs.
Batches are rows: a = x W is the paper's a = W x for x of shape (batch, n_in).
"""

from __future__ import annotations

import numpy as np

import fastact

from ._base import Layer, as_rng, float_dtype
from .layers import init_weight


class _ConstrainedWeight:
    """W = tanh(Ŵ) ⊙ σ(M̂), its parameters, gradients and the backward through it."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, dtype) -> None:
        self.W_hat = init_weight(n_in, n_out, "xavier", rng, dtype)
        self.M_hat = init_weight(n_in, n_out, "xavier", rng, dtype)
        self.dW_hat, self.dM_hat = np.zeros_like(self.W_hat), np.zeros_like(self.M_hat)
        self.tW, self.sM, self.W = (np.empty_like(self.W_hat) for _ in range(3))
        self.dW, self._tmp = np.empty_like(self.W_hat), np.empty_like(self.W_hat)

    def compute(self) -> np.ndarray:
        """W from the current Ŵ, M̂ (into a fixed buffer)."""
        fastact.tanh(self.W_hat, out=self.tW)
        fastact.sigmoid(self.M_hat, out=self.sM)
        return np.multiply(self.tW, self.sM, out=self.W)

    def backward(self) -> None:
        """dŴ, dM̂ from dW (in ``self.dW``)."""
        np.multiply(self.dW, self.sM, out=self._tmp)
        fastact.tanh_backward(self._tmp, y=self.tW, out=self.dW_hat)
        np.multiply(self.dW, self.tW, out=self._tmp)
        fastact.sigmoid_backward(self._tmp, y=self.sM, out=self.dM_hat)


class NAC(Layer):
    """Neural accumulator: y = x W with W = tanh(Ŵ) ⊙ σ(M̂) (no bias).

    backward:  dW = xᵀ dy,  dx = dy Wᵀ,  then dŴ, dM̂ through the constraint (module doc).
    It can represent exact sums and differences of its inputs, so it extrapolates them.
    """

    def __init__(self, n_in: int, n_out: int, rng=None, dtype=np.float64) -> None:
        super().__init__()
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.w = _ConstrainedWeight(self.n_in, self.n_out, as_rng(rng), dtype)
        self.params, self.grads = [self.w.W_hat, self.w.M_hat], [self.w.dW_hat, self.w.dM_hat]
        self._x = None

    @property
    def W(self) -> np.ndarray:
        """The effective weight tanh(Ŵ) ⊙ σ(M̂)."""
        return self.w.compute()

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        W = self.w.compute()
        self._x = x
        return np.matmul(x, W, out=self._buf("y", (x.shape[0], self.n_out), float_dtype(x.dtype, W.dtype)))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x = self._x
        np.matmul(x.T, dy, out=self.w.dW)
        self.w.backward()
        return np.matmul(dy, self.w.W.T, out=self._buf("dx", x.shape, float_dtype(dy.dtype, self.w.W.dtype)))

    def __repr__(self) -> str:
        return f"NAC({self.n_in}, {self.n_out})"


class NALU(Layer):
    """Neural arithmetic logic unit: a gated mix of an additive and a multiplicative NAC
    that share the weight W = tanh(Ŵ) ⊙ σ(M̂):

        a = x W                          (add / subtract)
        m = exp(log(|x| + ε) W)          (multiply / divide / powers, in log space)
        g = σ(x G)                       (the gate, G learnable (n_in, n_out))
        y = g ⊙ a + (1 − g) ⊙ m

    backward (L = log(|x| + ε), z = L W, m = exp(z)):

        da = dy ⊙ g,   dz = dy ⊙ (1 − g) ⊙ m,   dgz = dy ⊙ (a − m) ⊙ g(1 − g)
        dW = xᵀ da + Lᵀ dz,   dG = xᵀ dgz
        dx = da Wᵀ + dgz Gᵀ + (dz Wᵀ) ⊙ sign(x) / (|x| + ε)

    and dŴ, dM̂ from dW as in :class:`NAC`. The multiplicative path sees |x| only: it learns
    products and quotients of magnitudes (inputs of one sign).

    Ŵ, M̂ start Xavier-uniform; G too (``gate_init="xavier"``), or at 0 (``gate_init="zeros"``:
    g = 1/2 for every input, useful when inputs are large enough to saturate the gate at
    initialization, where σ' ≈ 0 can lock it onto one path).
    """

    def __init__(self, n_in: int, n_out: int, eps: float = 1e-7, rng=None, dtype=np.float64,
                 gate_init: str = "xavier") -> None:
        super().__init__()
        self.n_in, self.n_out, self.eps = int(n_in), int(n_out), float(eps)
        rng = as_rng(rng)
        self.w = _ConstrainedWeight(self.n_in, self.n_out, rng, dtype)
        if gate_init not in ("xavier", "zeros"):
            raise ValueError(f"NALU: gate_init must be 'xavier' or 'zeros', got {gate_init!r}")
        self.G = init_weight(self.n_in, self.n_out, "xavier", rng, dtype)
        if gate_init == "zeros":
            self.G[...] = 0
        self.dG = np.zeros_like(self.G)
        self._dWm = np.empty_like(self.G)
        self.params = [self.w.W_hat, self.w.M_hat, self.G]
        self.grads = [self.w.dW_hat, self.w.dM_hat, self.dG]
        self._x = None

    W = NAC.W  # the effective weight tanh(Ŵ) ⊙ σ(M̂)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"NALU({self.n_in}, {self.n_out}): expected x of shape (batch, {self.n_in}), "
                             f"got {x.shape}")
        dt = float_dtype(x.dtype, self.G.dtype)
        bo, bi = (x.shape[0], self.n_out), x.shape
        a, m, g, y = (self._buf(t, bo, dt) for t in ("a", "m", "g", "y"))
        L = self._buf("L", bi, dt)
        W = self.w.compute()
        np.matmul(x, W, out=a)
        np.abs(x, out=L)
        L += self.eps
        np.log(L, out=L)
        np.matmul(L, W, out=m)
        with np.errstate(over="ignore"):
            np.exp(m, out=m)
        np.matmul(x, self.G, out=g)
        fastact.sigmoid(g, out=g)
        # y = g a + (1 - g) m = m + g (a - m)
        np.subtract(a, m, out=y)
        y *= g
        y += m
        self._x = x
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x = self._x
        dt = float_dtype(dy.dtype, self.G.dtype)
        bo, bi = dy.shape, x.shape
        a, m, g, L = (self._buf(t, bo if t != "L" else bi, dt) for t in ("a", "m", "g", "L"))
        da, dz, dgz = (self._buf(t, bo, dt) for t in ("da", "dz", "dgz"))
        dx, t1 = self._buf("dx", bi, dt), self._buf("t1", bi, dt)
        W = self.w.W
        np.multiply(dy, g, out=da)
        np.subtract(dy, da, out=dz)  # dy (1 - g)
        dz *= m
        np.subtract(a, m, out=dgz)
        dgz *= dy
        fastact.sigmoid_backward(dgz, y=g, out=dgz)
        np.matmul(x.T, dgz, out=self.dG)
        np.matmul(x.T, da, out=self.w.dW)
        np.matmul(L.T, dz, out=self._dWm)
        self.w.dW += self._dWm
        self.w.backward()
        # dx
        np.matmul(dz, W.T, out=dx)
        np.sign(x, out=t1)
        dx *= t1
        np.abs(x, out=t1)
        t1 += self.eps
        dx /= t1
        np.matmul(da, W.T, out=t1)
        dx += t1
        np.matmul(dgz, self.G.T, out=t1)
        dx += t1
        return dx

    def __repr__(self) -> str:
        return f"NALU({self.n_in}, {self.n_out}, eps={self.eps})"
