"""The C++ eager path of fastact.torch (``_torch_cpp.cpp``): built once, in the background, cached.

``import fastact.torch`` starts the build in a daemon thread (torch.utils.cpp_extension with
ninja and the C++ compiler, -O2, against libfastact; about 25 s on 2 cores) into
``$FASTACT_CACHE_DIR`` or ``~/.cache/fastact``, in a folder named after a hash of the source,
fastact's header and the torch and fastact versions, so later processes load it in
milliseconds. Until it is ready, or where it cannot be built (no compiler, no ninja: the
reason is in ``status()`` and in ``python -m fastact info``), calls take the Python path; the
results are the same bits either way (the same C kernels). ``FASTACT_TORCH_CPP=0`` turns it
off.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from .backends import cache_root

_lock = threading.Lock()
_done = threading.Event()
_thread: threading.Thread | None = None
_mod = None
_state = "not started"


def _build() -> None:
    global _mod, _state
    try:
        import torch
        import torch.utils.cpp_extension as ext

        import fastact

        if not ext.is_ninja_available():
            raise RuntimeError("ninja is not installed (pip install ninja)")
        src = Path(__file__).with_name("_torch_cpp.cpp")
        header = Path(fastact.get_include()) / "fastact" / "fastact.h"
        h = hashlib.sha256(src.read_bytes() + header.read_bytes()
                           + f"{torch.__version__} {fastact.__version__}".encode()).hexdigest()[:16]
        build = Path(cache_root()) / f"torch-cpp-{h}"
        build.mkdir(parents=True, exist_ok=True)
        libdir = os.path.dirname(fastact.get_library())
        mod = ext.load(name=f"fastact_torch_{h}", sources=[str(src)], build_directory=str(build),
                       extra_include_paths=[fastact.get_include()], extra_cflags=["-O2"],
                       extra_ldflags=[f"-L{libdir}", "-lfastact", f"-Wl,-rpath,{libdir}"], verbose=False)
        _mod, _state = mod, "ready"
    except Exception as e:  # noqa: BLE001 - any failure leaves the Python path, with the reason
        _state = f"unavailable: {type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
    finally:
        _done.set()


def start() -> None:
    """Start building (or loading) the extension in the background, once per process."""
    global _thread, _state
    with _lock:
        if _thread is not None or _done.is_set():
            return
        if os.environ.get("FASTACT_TORCH_CPP", "1") == "0":
            _state = "off (FASTACT_TORCH_CPP=0)"
            _done.set()
            return
        _state = "building"
        _thread = threading.Thread(target=_build, name="fastact-torch-cpp", daemon=True)
        _thread.start()


def module():
    """The extension module when it is ready, else None (never waits)."""
    return _mod


def wait(timeout: float | None = None):
    """Wait for the build to finish (start it if needed); the module, or None (see status())."""
    start()
    _done.wait(timeout)
    return _mod


def status() -> str:
    """'ready', 'building', 'not started', 'off (...)' or 'unavailable: <why>'."""
    return _state
