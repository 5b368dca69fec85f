"""Where a call goes: the one place that picks a backend.

    forced?   backend= on the call  >  `with fastact.use_backend(...)` (this thread)
              >  $FASTACT_BACKEND  -> that backend, or an error with the install hint
    device?   any array with __cuda_array_interface__ (or a simulator array)  -> cuda
    size?     elements >= numba_threshold()  -> numba (the C kernels on all threads), else
              native (the C kernels on the calling thread); the compiled fast path uses a
              threshold per kernel from its measured cost (DEFAULT_CROSSOVER_NS)
    fallback  numba missing or failing to import/compile -> native, with one warning
    loading   the first automatic numba choice starts loading numba in a thread; calls run
              native until it is ready (wait_for_backends() waits; a forced numba loads now)

The threshold is measured by ``python -m fastact calibrate`` (stored in
``config_path()``), else $FASTACT_NUMBA_THRESHOLD, else DEFAULT_THRESHOLD.
Numba is imported only when a call first needs it: ``import fastact`` stays light.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import warnings

BACKENDS = ("native", "numba", "cuda")
DEFAULT_THRESHOLD = 1 << 17  # elements; see the README for the measurement
# The compiled fast path refines the threshold per kernel: numba from the size at which the
# kernel's own native time (measured on its first calls) reaches this many ns ("numba_crossover_ns"
# of the config, measured by calibrate; relu's and sigmoid's crossovers on 2 AMD EPYC vCPUs: ~11 us)
DEFAULT_CROSSOVER_NS = 11000.0
_HINTS = {
    "numba": "install it with `pip install numba tbb`",
    "cuda": "install numba-cuda (`pip install -e \".[cuda]\"` in the fastact clone) and use a CUDA GPU, "
            "or set NUMBA_ENABLE_CUDASIM=1 for the simulator",
}
# numba is installed but its threading layer cannot start
_NUMBA_STARTS = "unset NUMBA_THREADING_LAYER or set it to tbb or workqueue"
_local = threading.local()
_loaded: dict = {}
_failed: dict = {}  # backend -> reason it is unavailable
_warned: set = set()
_lock = threading.Lock()
_log = logging.getLogger("fastact")  # DEBUG: one line per call with the chosen backend
# The compiled fast path of the public functions (fastact.backends.native.Function) reads this
# state without calling in here: use_backend() blocks open in any thread (0: no thread-local choice
# to look up), and it is told through _listeners whenever that count or the config changes.
_forced_contexts = 0
_listeners: list = []


def _changed() -> None:
    for f in _listeners:
        f()


def reload_config() -> None:
    """Forget the cached config file (after `python -m fastact calibrate` wrote it)."""
    _config.cache_clear()
    _changed()


class BackendUnavailable(RuntimeError):
    """A forced backend cannot be used here."""


def config_path() -> str:
    return os.environ.get("FASTACT_CONFIG") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"),
        "fastact", "config.json")


@functools.lru_cache(maxsize=1)
def _config() -> dict:
    try:
        with open(config_path()) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def numba_threshold() -> tuple[int, str]:
    """(elements, where the number comes from) above which host calls use numba."""
    env = os.environ.get("FASTACT_NUMBA_THRESHOLD")
    if env:
        return int(env), "FASTACT_NUMBA_THRESHOLD"
    cfg = _config().get("numba_threshold")
    if cfg:
        return int(cfg), config_path()
    return DEFAULT_THRESHOLD, "default"


def is_device(a) -> bool:
    """True for CUDA arrays: __cuda_array_interface__, or the simulator's __cuda_ndarray__."""
    return hasattr(a, "__cuda_array_interface__") or getattr(a, "__cuda_ndarray__", False) is True


def _unavailable(name: str) -> BackendUnavailable:
    """The error for a backend that failed to load: its reason and a hint that fits it."""
    why = _failed[name]
    installed = name == "numba" and not why.startswith(("ModuleNotFoundError", "ImportError"))  # it cannot start
    return BackendUnavailable(f"backend {name!r} is unavailable: {why}; {_NUMBA_STARTS if installed else _HINTS[name]}")


def load(name: str):
    """The backend module, or BackendUnavailable with the reason and the install hint."""
    if name not in BACKENDS:
        raise _unknown_backend(name)
    mod = _loaded.get(name)
    if mod is not None:
        return mod
    if name in _failed:
        raise _unavailable(name)
    with _lock:
        try:
            if name == "native":
                from .backends import native as mod
            elif name == "numba":
                from .backends import numba_cpu as mod
            else:
                from .backends import numba_cuda as mod

                ok, why = mod.available()
                if not ok:
                    raise RuntimeError(why)
        except Exception as e:  # ImportError, or a broken installation
            _failed[name] = f"{type(e).__name__}: {e}"
            raise _unavailable(name) from e
        _loaded[name] = mod
    return mod


def _unknown_backend(name, fname: str | None = None) -> ValueError:
    return ValueError(f"{fname + ': ' if fname else ''}unknown backend {name!r}; choose from {', '.join(BACKENDS)}")


def check_backend(backend, fname: str | None = None) -> None:
    """A backend name (of fastact.<fname>'s backend= when fname is given): None or one of BACKENDS."""
    if backend is not None and not isinstance(backend, str):
        raise TypeError(f"{fname + ': ' if fname else ''}backend must be a string, got {type(backend).__name__}")
    if backend is not None and backend not in BACKENDS:
        raise _unknown_backend(backend, fname)


def nothing_forced() -> bool:
    """True when no backend is forced (no use_backend() block active anywhere, no
    $FASTACT_BACKEND): the cheap check of per-call paths (fastact.torch)."""
    return not _forced_contexts and not os.environ.get("FASTACT_BACKEND")


def forced(backend: str | None) -> str | None:
    name = backend or getattr(_local, "backend", None) or os.environ.get("FASTACT_BACKEND") or None
    check_backend(name)
    return name


def select(backend: str | None, size: int, kind: str = "eltwise") -> str:
    """The backend name for a host call on `size` elements of a `kind` activation."""
    name = _select(backend, size, kind)
    if _log.isEnabledFor(logging.DEBUG):
        _log.debug("fastact: %d elements -> %s backend", size, name)
    return name


def _select(backend: str | None, size: int, kind: str) -> str:
    name = forced(backend)
    if name is not None:
        return name
    if size >= numba_threshold()[0]:
        if "numba" in _loaded:
            return _AUTO_NUMBA
        if "numba" in _failed:
            warn_once("numba", f"fastact: {_unavailable('numba')}; using the native backend")
        else:
            _load_in_background()  # this call, and the next ones until it is ready: native
    return "native"


_loader: list = []  # the thread that loads numba for automatic calls


def _load_in_background() -> None:
    """Start loading the numba backend (import, threading layer, its loop from the disk cache)
    in a thread, once: automatic calls stay on native until it is ready instead of waiting
    ~0.5 s. A fork() waits for it (the child would inherit a half-imported numba)."""
    with _lock:
        if _loader:
            return
        t = threading.Thread(target=_warm_numba, name="fastact-load-numba", daemon=True)
        _loader.append(t)
        os.register_at_fork(before=wait_for_backends)
        t.start()


def _warm_numba() -> None:
    try:
        mod = load("numba")
        mod.warm_up()
    except Exception:  # recorded in _failed by load(); the next automatic call warns
        pass


def wait_for_backends() -> None:
    """Wait until a background load of the numba backend (started by an automatic call) is done."""
    for t in list(_loader):
        if t is not threading.current_thread():
            t.join()


class _Automatic(str):
    """A backend name the dispatcher chose itself (not forced): only such a choice may fall back."""


_AUTO_NUMBA = _Automatic("numba")


def warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def run(name: str, method: str, *args) -> None:
    """Call backend `name`'s method; numba chosen automatically (not forced by backend=,
    use_backend or $FASTACT_BACKEND) that fails to compile falls back to native."""
    mod = load(name)
    if name is not _AUTO_NUMBA:
        getattr(mod, method)(*args)
        return
    try:
        getattr(mod, method)(*args)
    except Exception as e:  # numba typing/lowering errors: nothing has been written yet
        warn_once("numba-run", f"fastact: numba backend failed ({type(e).__name__}: {e}); using native")
        getattr(load("native"), method)(*args)


@contextlib.contextmanager
def use_backend(name: str | None):
    """Force a backend for calls from this thread inside the block (None: automatic)."""
    if name is not None and name not in BACKENDS:
        raise _unknown_backend(name)
    global _forced_contexts
    prev = getattr(_local, "backend", None)
    _local.backend = name
    if name is not None:
        with _lock:
            _forced_contexts += 1
            _changed()
    try:
        yield
    finally:
        _local.backend = prev
        if name is not None:
            with _lock:
                _forced_contexts -= 1
                _changed()


def set_num_threads(n: int | None) -> None:
    """Bound the numba backend's threads (None: all; also $FASTACT_NUM_THREADS)."""
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: expected a positive int or None, got {n!r}")
    if n is None:
        os.environ.pop("FASTACT_NUM_THREADS", None)
    else:
        os.environ["FASTACT_NUM_THREADS"] = str(n)
    if "numba" in _loaded:
        _loaded["numba"].set_num_threads(n)


def status() -> list[dict]:
    """Every backend: available?, version, why not, and details (imports what it reports on)."""
    out = []
    for name in BACKENDS:
        row = {"name": name}
        try:
            mod = load(name)
            row.update(available=True, **getattr(mod, "describe", dict)())
        except BackendUnavailable as e:
            row.update(available=False, reason=str(e))
        out.append(row)
    return out
