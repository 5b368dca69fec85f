"""float32 error in the negative tails against the exact functions (mpmath, 40 digits), the numbers
the README's accuracy section quotes:

    python tools/tail_ulp.py

fastact's gelu_tanh, quick_gelu and silu (x * sigmoid(g(x)) forms whose exponent g(x) is formed in
float), fastact's and PyTorch's exact gelu (torch optional). ULPs of the float32 result.
"""

from __future__ import annotations

import mpmath
import numpy as np

import fastact

mpmath.mp.dps = 40
EXACT = {
    "gelu_tanh": lambda x: x / 2 * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (x + mpmath.mpf("0.044715") * x**3))),
    "quick_gelu": lambda x: x / (1 + mpmath.exp(-mpmath.mpf("1.702") * x)),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "gelu": lambda x: x * mpmath.ncdf(x),
}
RANGES = {"gelu_tanh": (-7.5, -3.0), "quick_gelu": (-60.0, -5.0), "silu": (-100.0, -5.0), "gelu": (-10.0, -3.0)}


def worst(name: str, y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """(max ULP, where)."""
    err = []
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        r = EXACT[name](mpmath.mpf(xi))
        ulp = float(np.spacing(np.float32(abs(float(r))))) if float(r) != 0 else 1.4e-45
        err.append(float(abs(mpmath.mpf(yi) - r)) / ulp)
    i = int(np.argmax(err))
    return err[i], float(x[i])


def main() -> None:
    for name, (lo, hi) in RANGES.items():
        x = np.linspace(lo, hi, 3000).astype(np.float32)
        e, at = worst(name, getattr(fastact, name)(x), x)
        print(f"fastact {name:10s} max {e:10.1f} ULP at x = {at:.4g}")
    try:
        import torch
    except ImportError:
        return
    x = np.linspace(*RANGES["gelu"], 3000).astype(np.float32)
    e, at = worst("gelu", torch.nn.functional.gelu(torch.from_numpy(x)).numpy(), x)
    print(f"torch   {'gelu':10s} max {e:10.1f} ULP at x = {at:.4g}")
    for v in (-5.0, -6.0):  # in a 64-element tensor: torch's vectorized kernel, as in a training step
        t = float(torch.nn.functional.gelu(torch.full((64,), v))[0])
        print(f"torch   gelu({v}) = {t:.3g} (vectorized), exact {float(EXACT['gelu'](mpmath.mpf(v))):.3g}")


if __name__ == "__main__":
    main()
