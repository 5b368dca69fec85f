"""Demos of fastact.nn: ``python -m fastact demo deep|nalu [--quick] [--out DIR]``.

deep  the same deep MLP trained on scikit-learn's digits with 9 activations: loss, test
      accuracy, time and the per-layer weight-gradient magnitudes (vanishing gradients)
nalu  NALU vs a ReLU MLP learning a+b, a-b, a*b, a/b, tested outside the training range

They need the ``demo`` extra (scikit-learn, matplotlib, tqdm): ``pip install -e ".[demo]"`` in the clone.
"""

from __future__ import annotations

import contextlib
import importlib

NAMES = ("deep", "nalu")


def require(module: str, what: str):
    """Import an optional dependency, or raise ImportError saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"the fastact demos need {what} ({module}): pip install -e \".[demo]\" in the "
                          "fastact clone (or: pip install scikit-learn matplotlib tqdm)") from e


def one_blas_thread():
    """A context in which BLAS runs on one thread (threadpoolctl, a scikit-learn dependency;
    a no-op without it): the demos' matrices are small, and on a busy machine BLAS threads
    only add synchronization (3x slower steps measured on 2 shared cores)."""
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(1, user_api="blas")


def run(name: str, quick: bool = False, out: str | None = None) -> str:
    """Run one demo and return its report (tables and written files)."""
    if name == "deep":
        from .deep import main
        return main(quick=quick, out=out)
    if name == "nalu":
        from .nalu import main
        return main(quick=quick, out=out)
    raise ValueError(f"unknown demo {name!r}; choose one of {NAMES}")
