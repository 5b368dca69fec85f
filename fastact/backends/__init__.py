"""Compiled backends: native (libfastact via Cython), numba (its C kernels on Numba's threads), cuda."""

import os


def cache_root() -> str:
    """Where fastact keeps what it compiles (Numba kernels, fastact.torch's C++ path):
    $FASTACT_CACHE_DIR, else $XDG_CACHE_HOME/fastact or ~/.cache/fastact."""
    return os.environ.get("FASTACT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "fastact")
