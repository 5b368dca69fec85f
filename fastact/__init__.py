"""fastact: fast activation functions and their gradients.

Every activation of the registry (``fastact/_registry.py``) is a function here,
``fastact.<name>(x, **params)``, with its gradient ``fastact.<name>_backward``.
``fastact.available()`` lists them; ``fastact.get(name, **params)`` returns an
:class:`Activation` object.

>>> import numpy as np, fastact
>>> fastact.sigmoid(np.arange(-2, 3)).round(3)
array([0.119, 0.269, 0.5  , 0.731, 0.881])
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from . import _api, _dispatch
from ._composite import crelu, crelu_backward
from ._dispatch import BackendUnavailable, set_num_threads, use_backend
from ._registry import ACTIVATIONS, BY_NAME, VARIANTS
from ._registry import ID as _ID
from ._registry import Activation as Spec

__version__ = "0.1.0"

_PKG = Path(__file__).resolve().parent


def get_include() -> str:
    """Directory to add to a C compiler's include path (``#include <fastact/fastact.h>``)."""
    return str(_PKG / "include")


def get_library() -> str:
    """Path of the shared C library libfastact.so."""
    return str(_PKG / "_lib" / "libfastact.so")


def available() -> list[str]:
    """Names of all activations: the registry's, then the composites (crelu)."""
    return [a.name for a in ACTIVATIONS] + ["crelu"]


# ---- public functions, generated from the registry -------------------------------

def _param_doc(spec: Spec) -> str:
    lines = [f"    {p.name} : float, default {p.default!r}\n        {p.doc}"
             + (f" (requires {p.check})" if p.check else "") for p in spec.params]
    return "\n".join(lines)


def _doc(spec: Spec, backward: bool) -> str:
    kind_args = {
        "eltwise": "x : array_like",
        "gated": "x : array_like\n        split in halves [a, b] along axis (even length there)\n"
                 "    axis : int, default -1",
        "random": "x : array_like\n    seed : int\n        the generator's key (required in training)\n"
                  "    offset : int, default 0\n        counter of the first element (C order)\n"
                  "    training : bool\n        False: the deterministic eval-mode function",
        "rowwise": "x : array_like\n    axis : int, default -1\n        the axis along which to normalize",
        "channelwise": f"x : array_like\n        channels on axis {spec.channel_axis}\n    {spec.weight_name} : "
                       "array_like\n        one value per channel, or a single one",
    }[spec.kind]
    if not backward:
        head = f"{spec.summary}\n\n    {spec.formula}\n\n    derivative: {spec.derivative}\n"
        ret = "y : ndarray (a NumPy scalar for 0-d input)"
    else:
        head = (f"Gradient of :func:`fastact.{spec.name}`: dx = dy * f'(x).\n\n"
                f"    {spec.derivative}\n")
        if spec.has_backward_y:
            head += ("\n    May be given the forward output ``y=`` instead of x"
                     + (f" (exact when {spec.backward_y_when})" if spec.backward_y_when else "") + ".\n")
        kind_args = "dy : array_like\n        gradient of the loss w.r.t. the output\n    " + kind_args
        ret = ("(dx, dweight) : tuple of ndarrays" if spec.kind == "channelwise"
               else "dx : ndarray, shape of dy")
    params = _param_doc(spec)
    notes = f"\n    Notes\n    -----\n    {spec.notes}\n" if spec.notes else ""
    out = "" if spec.kind == "channelwise" and backward else (
        "\n    out : ndarray, optional\n        where to write the result (may be x itself)")
    return (f"{head}\n    Parameters\n    ----------\n    {kind_args}\n"
            + (params + "\n" if params else "")
            + f"{out}\n    backend : str, optional\n        force a backend: native, numba or cuda (default: chosen per call)\n"
            "    stream : CUDA stream, optional\n        for CUDA device arrays\n"
            f"\n    Returns\n    -------\n    {ret}\n{notes}")


def _signature(spec: Spec, backward: bool) -> inspect.Signature:
    P = inspect.Parameter
    ps = [P("dy", P.POSITIONAL_OR_KEYWORD)] if backward else []
    ps.append(P("x", P.POSITIONAL_OR_KEYWORD, default=None if backward and spec.has_backward_y else P.empty))
    if spec.kind == "channelwise":
        ps.append(P(spec.weight_name, P.POSITIONAL_OR_KEYWORD))
        if spec.channel_axis != 1:
            ps.append(P("axis", P.POSITIONAL_OR_KEYWORD, default=spec.channel_axis))
    if spec.kind in ("rowwise", "gated"):
        ps.append(P("axis", P.POSITIONAL_OR_KEYWORD, default=-1))
    ps += [P(p.name, P.KEYWORD_ONLY if backward else P.POSITIONAL_OR_KEYWORD, default=p.default)
           for p in spec.params]
    if backward and spec.has_backward_y:
        ps.append(P("y", P.KEYWORD_ONLY, default=None))
    if spec.kind == "random":
        ps += [P("seed", P.KEYWORD_ONLY, default=None), P("offset", P.KEYWORD_ONLY, default=0),
               P("training", P.KEYWORD_ONLY, default=spec.training)]
    if not (backward and spec.kind == "channelwise"):
        ps.append(P("out", P.KEYWORD_ONLY, default=None))
    ps.append(P("backend", P.KEYWORD_ONLY, default=None))
    ps.append(P("stream", P.KEYWORD_ONLY, default=None))
    return inspect.Signature(ps)


def _lazy_arrays(spec: Spec, f, sig: inspect.Signature, backward: bool):
    """f, sending calls with a dask array among the arguments to fastact._dask (which imports
    dask; other calls only look at the arguments' type names)."""
    bind = _binder(spec, sig, backward)

    def g(*args, **kwargs):
        for v in (*args, *kwargs.values()):
            if type(v).__module__[:5] == "dask.":
                from . import _dask

                return _dask.call(spec, backward, f, bind(args, kwargs).arguments)
        return f(*args, **kwargs)

    return g


def _binder(spec: Spec, sig: inspect.Signature, backward: bool):
    """sig.bind for fastact.<name>[_backward], with errors that name the function: a wrong
    argument list, an unknown backend, y= where the derivative needs x."""
    fname = f"fastact.{spec.name}" + ("_backward" if backward else "")

    def bind(args, kwargs):
        try:
            b = sig.bind(*args, **kwargs)
        except TypeError as e:
            if backward and "y" in kwargs and "y" not in sig.parameters:
                raise ValueError(f"{fname}: the derivative of {spec.name} cannot be computed from the output y; "
                                 "pass x") from None
            raise TypeError(f"{fname}: {e}") from None
        _dispatch.check_backend(b.arguments.get("backend"), fname)
        return b

    return bind


def _make(spec: Spec):
    sig_f, sig_b = _signature(spec, False), _signature(spec, True)
    bind_f, bind_b = _binder(spec, sig_f, False), _binder(spec, sig_b, True)
    pnames = spec.param_names

    def split(bound):
        a = bound.arguments
        return {k: a[k] for k in pnames if k in a}

    if spec.kind == "channelwise":
        def fwd(*args, **kwargs):
            b = bind_f(args, kwargs)
            a = b.arguments
            return _api.channelwise_forward(spec, a["x"], a[spec.weight_name], a.get("out"), a.get("backend"),
                                            a.get("stream"), a.get("axis"))

        def bwd(*args, **kwargs):
            b = bind_b(args, kwargs)
            a = b.arguments
            return _api.channelwise_backward(spec, a["dy"], a["x"], a[spec.weight_name], a.get("backend"),
                                             a.get("stream"), a.get("axis"))
    elif spec.kind == "random":
        def fwd(*args, **kwargs):
            b = bind_f(args, kwargs)
            a = b.arguments
            return _api.random_call(spec, None, a["x"], a.get("out"), a.get("backend"), split(b), a.get("seed"),
                                    a.get("offset", 0), a.get("training", spec.training), a.get("stream"))

        def bwd(*args, **kwargs):
            b = bind_b(args, kwargs)
            a = b.arguments
            if a["dy"] is None:  # random_call reads dy=None as "forward"
                raise TypeError(f"{spec.name}_backward: dy is required")
            return _api.random_call(spec, a["dy"], a["x"], a.get("out"), a.get("backend"), split(b),
                                    a.get("seed"), a.get("offset", 0), a.get("training", spec.training),
                                    a.get("stream"))
    elif spec.kind == "gated":
        def fwd(*args, **kwargs):
            b = bind_f(args, kwargs)
            a = b.arguments
            return _api.gated_forward(spec, a["x"], a.get("out"), a.get("backend"), split(b), a.get("axis", -1),
                                      a.get("stream"))

        def bwd(*args, **kwargs):
            b = bind_b(args, kwargs)
            a = b.arguments
            return _api.gated_backward(spec, a["dy"], a["x"], a.get("out"), a.get("backend"), split(b),
                                       a.get("axis", -1), a.get("stream"))
    else:
        def fwd(*args, **kwargs):
            b = bind_f(args, kwargs)
            a = b.arguments
            return _api.forward(spec, a["x"], a.get("out"), a.get("backend"), split(b), a.get("axis", -1),
                                a.get("stream"))

        def bwd(*args, **kwargs):
            b = bind_b(args, kwargs)
            a = b.arguments
            return _api.backward(spec, a["dy"], a.get("x"), a.get("y"), a.get("out"), a.get("backend"),
                                 split(b), a.get("axis", -1), a.get("stream"))

    fwd, bwd = _lazy_arrays(spec, fwd, sig_f, False), _lazy_arrays(spec, bwd, sig_b, True)
    if spec.kind in ("eltwise", "rowwise"):
        fwd, bwd = _compiled(spec, fwd, sig_f, False), _compiled(spec, bwd, sig_b, True)
    for f, sig, name, back in ((fwd, sig_f, spec.name, False), (bwd, sig_b, spec.name + "_backward", True)):
        f.__name__ = f.__qualname__ = name
        f.__module__ = __name__
        f.__signature__ = sig
        f.__doc__ = _doc(spec, back)
    return fwd, bwd


def _compiled(spec: Spec, general, sig: inspect.Signature, backward: bool, variant: tuple = ()):
    """general behind the native backend's compiled fast path for the common call (NumPy
    float32/float64 arrays below the numba threshold, float parameters); every other call goes to
    general unchanged. general itself where the native backend cannot be loaded. variant: (keyword,
    value) when general is a variant selector and value selects spec."""
    try:
        native = _dispatch.load("native")
    except BackendUnavailable:
        return general
    defaults = tuple(spec.defaults.values())
    try:
        _api._check_from_y(spec, defaults, spec.name)
        from_y = True
    except ValueError:
        from_y = False
    return native.Function(general, _ID[spec.name], backward, spec.kind == "rowwise", sig, spec.param_names,
                           defaults, from_y, variant)


for _spec in ACTIVATIONS:
    globals()[_spec.name], globals()[_spec.name + "_backward"] = _make(_spec)
del _spec


def _add_variants() -> None:
    """String-keyword variants, e.g. gelu(x, approximate="tanh") -> gelu_tanh(x)."""
    for base, (key, choices) in VARIANTS.items():
        default = "none"
        for suffix in ("", "_backward"):
            funcs = {v: globals()[n + suffix] for v, n in choices.items()}

            def f(*args, _funcs=funcs, _key=key, _name=base + suffix, _default=default, **kwargs):
                v = kwargs.pop(_key, _default)
                if v not in _funcs:
                    raise ValueError(f"fastact.{_name}: {_key} must be one of {sorted(_funcs)}, got {v!r}")
                return _funcs[v](*args, **kwargs)

            plain = funcs[default]
            sig = inspect.signature(plain)
            params = list(sig.parameters.values())
            at = next(i for i, p in enumerate(params) if p.kind == p.KEYWORD_ONLY) if any(
                p.kind == p.KEYWORD_ONLY for p in params) else len(params)
            params.insert(at, inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default))
            f.__signature__ = sig.replace(parameters=params)
            if BY_NAME[base].kind in ("eltwise", "rowwise"):  # the default variant compiled, as plain is
                f = _compiled(BY_NAME[base], f, f.__signature__, suffix == "_backward", (key, default))
                f.__signature__ = sig.replace(parameters=params)
                f.__module__ = __name__
            f.__name__ = f.__qualname__ = base + suffix
            f.__doc__ = (plain.__doc__ or "") + (
                f"\n    {key} : str, default {default!r}\n        " + ", ".join(
                    f"{v!r}: fastact.{n}{suffix}" for v, n in choices.items()) + "\n")
            globals()[base + suffix] = f


_add_variants()


def _add_examples() -> None:
    """An example with its real output at the end of every forward docstring (native
    backend, a few elements; a failure here only leaves the example out)."""
    import numpy as np

    x = np.array([-2.0, -0.5, 0.0, 1.5])
    for spec in ACTIVATIONS:
        f = globals()[spec.name]
        call = {"channelwise": (f"fastact.{spec.name}(x, 0.25)", lambda f=f: f(x, 0.25, backend="native")),
                "random": (f"fastact.{spec.name}(x, seed=0, training=True)",
                           lambda f=f: f(x, seed=0, training=True, backend="native")),
                }.get(spec.kind, (f"fastact.{spec.name}(x)", lambda f=f: f(x, backend="native")))
        try:
            with np.errstate(all="ignore"):
                shown = np.array2string(call[1](), precision=4, separator=", ")
        except Exception:  # pragma: no cover - never break import over a docstring
            continue
        f.__doc__ = (f.__doc__ or "") + (f"\n    Examples\n    --------\n    >>> import numpy as np, fastact\n"
                                         f"    >>> x = np.array([-2.0, -0.5, 0.0, 1.5])\n    >>> {call[0]}\n"
                                         f"    array({shown})\n")


_add_examples()


class Activation:
    """One activation with fixed parameters: ``fastact.get("elu", alpha=0.5)``.

    ``forward(x, **kw)`` and ``backward(dy, x=None, **kw)`` call the module
    functions with these parameters; ``spec`` is the registry entry."""

    def __init__(self, name: str, **params):
        if name not in BY_NAME:
            raise ValueError(f"unknown activation {name!r}; see fastact.available() (composites such as "
                             "crelu are plain functions)")
        self.spec = BY_NAME[name]
        _api.resolve_params(self.spec, f"fastact.get({name!r})", params)  # validate now
        self.name = name
        self.params = {**self.spec.defaults, **{k: float(v) for k, v in params.items()}}
        self._fwd = globals()[name]
        self._bwd = globals()[name + "_backward"]

    def forward(self, *args, **kwargs):
        return self._fwd(*args, **self.params, **kwargs)

    __call__ = forward

    def backward(self, *args, **kwargs):
        return self._bwd(*args, **self.params, **kwargs)

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"fastact.get({self.name!r}{', ' if ps else ''}{ps})"


def get(name: str, **params) -> Activation:
    """An :class:`Activation` for ``name`` with the given parameters."""
    return Activation(name, **params)


def _cflags() -> str:
    """Compiler flags for a C program that uses fastact.h."""
    return f"-I{get_include()}"


def _libs() -> str:
    """Linker flags for a C program that links libfastact."""
    libdir = os.path.dirname(get_library())
    return f"-L{libdir} -Wl,-rpath,{libdir} -lfastact -lm"


def _config_text() -> str:
    """What show_config() prints and ``python -m fastact info`` shows."""
    import platform

    import numpy as np

    thr, src = _dispatch.numba_threshold()
    lines = [f"fastact {__version__}",
             f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs",
             "backends:"]
    for b in _dispatch.status():
        if b["available"]:
            extra = ", ".join(f"{k} {b[k]}" for k in ("version", "threads", "threading_layer", "simd", "device",
                                                      "cache") if k in b)
            lines.append(f"  {b['name']:7s} available    {extra}")
        else:
            lines.append(f"  {b['name']:7s} unavailable  {b['reason']}")
    crossover = _dispatch._config().get("numba_crossover_ns") or _dispatch.DEFAULT_CROSSOVER_NS
    lines += [
        f"dispatch: {os.environ.get('FASTACT_BACKEND') or 'automatic'}; host arrays >= {thr} elements "
        f"-> numba ({src})" + ("" if src == "FASTACT_NUMBA_THRESHOLD" else
                               f"; the compiled fast path per kernel: from {crossover:.0f} ns of its measured "
                               "native time"),
        f"C library: {get_library()}",
        f"C headers: {get_include()}",
        f"cflags: {_cflags()}",
        f"libs:   {_libs()}",
        f"activations ({len(available())}): {', '.join(available())}",
    ]
    lines += [line() for line in _INFO_LINES]
    return "\n".join(lines)


# lines that integrations loaded later add to _config_text (fastact.torch: its C++ eager path)
_INFO_LINES: list = []


def show_config() -> None:
    """Print the version, every backend (availability, version, threads, threading layer,
    SIMD level, cache), the dispatch threshold and the C library."""
    print(_config_text())


__all__ = ["available", "get", "Activation", "get_include", "get_library", "show_config", "use_backend",
           "set_num_threads", "BackendUnavailable", "crelu", "crelu_backward", "__version__"] + [
    n for a in ACTIVATIONS for n in (a.name, a.name + "_backward")]


def __getattr__(name: str):
    """``fastact.nn`` and ``fastact.torch`` load on first use (import fastact stays light)."""
    if name in ("nn", "torch"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
