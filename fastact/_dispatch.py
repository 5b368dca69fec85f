"""Where a call goes: the one place that picks a backend.

Today there is one compiled backend, ``native`` (libfastact through Cython:
SIMD, single thread). The Numba CPU/CUDA backends plug in here: ``select`` is
the function they replace. A choice is forced with ``backend=`` on a call or
the ``FASTACT_BACKEND`` environment variable (read at each call).
"""

from __future__ import annotations

import os

BACKENDS = ("native",)


def _load(name: str):
    if name == "native":
        from .backends import native

        return native
    raise ValueError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")


def select(backend: str | None, *arrays):
    """The backend module for a call on these (host) arrays."""
    name = backend or os.environ.get("FASTACT_BACKEND") or "native"
    if not isinstance(name, str):
        raise TypeError(f"backend must be a string, got {type(name).__name__}")
    return _load(name)
