"""Bad input, nothing lost: every public function (forward and backward of every
registry activation, and crelu) rejects bad arguments with a clear exception and
leaves ``out`` (and its inputs) untouched.

Table-driven: ``CASES`` are the kinds of bad input, ``FUNCS`` every public function
with a valid call to start from; each test breaks one argument of the valid call."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS

SENTINEL = 1234.5


def _call(spec, backward: bool, dtype=np.float64):
    """(func, args, kwargs, out shape) of a valid call; args[0] / args[1] are arrays."""
    rng = np.random.default_rng(0)
    kw: dict = {}
    if spec.kind == "gated":
        x = rng.uniform(-3, 3, (4, 6)).astype(dtype)
        dy = rng.uniform(-1, 1, (4, 3)).astype(dtype)
        args = (dy, x) if backward else (x,)
        oshape = (4, 6) if backward else (4, 3)
    elif spec.kind == "channelwise":
        x = rng.uniform(-3, 3, (2, 3, 4)).astype(dtype)
        w = np.linspace(0.1, 0.4, x.shape[spec.channel_axis]).astype(dtype)
        args = (x.copy(), x, w) if backward else (x, w)
        oshape = None if backward else x.shape  # channelwise backward has no out=
    else:
        x = rng.uniform(-3, 3, (5, 7)).astype(dtype)
        args = (rng.uniform(-1, 1, x.shape).astype(dtype), x) if backward else (x,)
        oshape = x.shape
    if spec.kind == "random":
        kw = {"seed": 3, "training": True}
    return getattr(fastact, spec.name + ("_backward" if backward else "")), args, kw, oshape


SPECS = [(a, b) for a in ACTIVATIONS for b in (False, True)]
IDS = [a.name + ("_backward" if b else "") for a, b in SPECS]
WITH_OUT = [(a, b) for a, b in SPECS if not (b and a.kind == "channelwise")]
WITH_OUT_IDS = [a.name + ("_backward" if b else "") for a, b in WITH_OUT]


def _out(shape, dtype=np.float64):
    return np.full(shape, SENTINEL, dtype=dtype)


def _untouched(*arrays):
    for a in arrays:
        assert np.all(a == SENTINEL), "an output was written although the call failed"


def test_every_public_function_is_covered():
    names = {a.name for a in ACTIVATIONS}
    assert set(fastact.available()) >= names
    for n in names:
        assert callable(getattr(fastact, n)) and callable(getattr(fastact, n + "_backward"))


@pytest.mark.parametrize(("spec", "backward"), SPECS, ids=IDS)
def test_valid_call_works(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    r = f(*args, **kw)
    r = r[0] if isinstance(r, tuple) else r
    assert np.isfinite(r).all()


BAD_ARRAYS = {
    "complex": lambda a: a.astype(np.complex128),
    "object": lambda a: a.astype(object),
    "str": lambda a: a.astype(str),
    "bytes": lambda a: a.astype("S8"),
    "datetime": lambda a: np.zeros(a.shape, dtype="datetime64[s]"),
    "void": lambda a: np.zeros(a.shape, dtype="V8"),
    "list_of_str": lambda a: [["a"] * a.shape[-1]] * a.shape[0] if a.ndim >= 2 else ["a"],
    "python_complex": lambda a: 1 + 2j,
    "none": lambda a: None,
}


@pytest.mark.parametrize(("spec", "backward", "bad"),
                         [(a, b, bad) for a, b in SPECS for bad in BAD_ARRAYS],
                         ids=[f"{i}-{bad}" for i in IDS for bad in BAD_ARRAYS])
def test_wrong_dtype_rejected(spec, backward, bad):
    """Complex, object, string... arrays (in any array argument) raise TypeError and write nothing."""
    f, args, kw, oshape = _call(spec, backward)
    if bad == "none" and backward and spec.has_backward_y and spec.kind == "eltwise":
        pytest.skip("x=None is valid when y= is given; tested below")
    for i in range(len(args)):
        bargs = list(args)
        bargs[i] = BAD_ARRAYS[bad](np.asarray(args[i]))
        before = [np.array(a, copy=True) for a in args]
        okw = dict(kw)
        out = None
        if oshape is not None:
            out = okw["out"] = _out(oshape)
        with pytest.raises((TypeError, ValueError)) as ei:
            f(*bargs, **okw)
        assert str(ei.value), "the exception has no message"
        if out is not None:
            _untouched(out)
        for a, b in zip(args, before, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
def test_out_wrong_shape(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    for shape in [oshape[:-1] + (oshape[-1] + 1,), oshape[::-1] if len(set(oshape)) > 1 else (1,) + oshape,
                  (int(np.prod(oshape)),), ()]:
        out = _out(shape)
        with pytest.raises(ValueError, match="shape"):
            f(*args, out=out, **kw)
        _untouched(out)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
@pytest.mark.parametrize("odt", [np.int32, np.int64, np.bool_, np.uint8])
def test_out_wrong_dtype(spec, backward, odt):
    """A float result cannot be written into an integer or bool out (casting='same_kind')."""
    f, args, kw, oshape = _call(spec, backward)
    out = np.full(oshape, 7, dtype=odt)
    before = out.copy()
    with pytest.raises(TypeError, match="out"):
        f(*args, out=out, **kw)
    np.testing.assert_array_equal(out, before)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
def test_out_not_an_array(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    out = np.full(oshape, SENTINEL).tolist()
    with pytest.raises(TypeError, match="out"):
        f(*args, out=out, **kw)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
def test_out_read_only(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    out = _out(oshape)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        f(*args, out=out, **kw)
    _untouched(out)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
def test_out_partial_overlap(spec, backward):
    """out shifted by one element against an input: ValueError, and the shared memory is intact."""
    f, args, kw, oshape = _call(spec, backward)
    n = int(np.prod(oshape))
    for i, a in enumerate(args):
        if np.asarray(a).ndim == 0:
            continue
        a = np.asarray(a)
        base = np.empty(max(a.size, n) + 1, dtype=np.float64)
        base[:a.size] = a.ravel()
        base[a.size:] = SENTINEL
        xin = base[:a.size].reshape(a.shape)
        out = base[1:n + 1].reshape(oshape)
        before = base.copy()
        bargs = list(args)
        bargs[i] = xin
        with pytest.raises(ValueError, match="overlap"):
            f(*bargs, out=out, **kw)
        np.testing.assert_array_equal(base, before)


@pytest.mark.parametrize(("spec", "backward"), WITH_OUT, ids=WITH_OUT_IDS)
def test_out_overlap_strided_view(spec, backward):
    """out a reversed view of the input's memory (same elements, other order): partial overlap."""
    f, args, kw, oshape = _call(spec, backward)
    i = 0 if spec.kind == "channelwise" else len(args) - 1  # x
    if np.shape(args[i]) != oshape:
        pytest.skip("the output shape differs from the input's (GLU forward)")
    work = np.array(args[i])
    out = work[::-1]
    before = work.copy()
    bargs = list(args)
    bargs[i] = work
    with pytest.raises(ValueError, match="overlap"):
        f(*bargs, out=out, **kw)
    np.testing.assert_array_equal(work, before)


def _violations(spec) -> list[tuple[str, float]]:
    """(param, value) pairs that break a registry check; NaN for every parameter."""
    out = [(p.name, math.nan) for p in spec.params]
    cands = [-1.0, 0.0, -math.inf, 2.0, math.inf, 1.5, -0.5]
    from fastact._api import _cond
    for p in spec.params:
        checks = ([p.check] if p.check else []) + list(spec.checks)
        for c in checks:
            for v in cands:
                values = dict(spec.defaults, **{p.name: v})
                if not _cond(c, values):
                    out.append((p.name, v))
                    break
    return out


@pytest.mark.parametrize(("spec", "backward"), [s for s in SPECS if s[0].params],
                         ids=[i for s, i in zip(SPECS, IDS, strict=True) if s[0].params])
def test_invalid_params(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    viol = _violations(spec)
    assert viol
    for name, v in viol:
        out = _out(oshape) if oshape is not None else None
        okw = dict(kw, **{name: v})
        if out is not None:
            okw["out"] = out
        with pytest.raises(ValueError, match=name):
            f(*args, **okw)
        if out is not None:
            _untouched(out)
    for bad in ("1.0", 1j, np.array([1.0, 2.0]), None, [1.0]):
        with pytest.raises(TypeError, match=spec.params[0].name):
            f(*args, **dict(kw, **{spec.params[0].name: bad}))


@pytest.mark.parametrize(("spec", "backward"), SPECS, ids=IDS)
def test_unknown_keyword(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    with pytest.raises(TypeError):
        f(*args, not_a_param=1.0, **kw)


@pytest.mark.parametrize(("spec", "backward"), SPECS, ids=IDS)
@pytest.mark.parametrize(("backend", "exc"), [("nope", ValueError), (3, TypeError),
                                              ("NATIVE", ValueError)])
def test_unknown_backend(spec, backward, backend, exc):
    f, args, kw, oshape = _call(spec, backward)
    okw = dict(kw)
    out = None
    if oshape is not None:
        out = okw["out"] = _out(oshape)
    with pytest.raises(exc, match="backend"):
        f(*args, backend=backend, **okw)
    if out is not None:
        _untouched(out)


@pytest.mark.parametrize(("spec", "backward"), [s for s in SPECS if s[1]], ids=[i for s, i in zip(SPECS, IDS,
                                                                                             strict=True) if s[1]])
def test_backward_shape_mismatch(spec, backward):
    f, args, kw, oshape = _call(spec, backward)
    dy = np.asarray(args[0])
    bad_dy = np.ones(dy.shape[:-1] + (dy.shape[-1] + 2,))
    okw = dict(kw)
    out = None
    if oshape is not None:
        out = okw["out"] = _out(oshape)
    with pytest.raises(ValueError, match="shape"):
        f(bad_dy, *args[1:], **okw)
    if out is not None:
        _untouched(out)


@pytest.mark.parametrize("spec", [a for a in ACTIVATIONS if a.kind == "random"], ids=lambda a: a.name)
@pytest.mark.parametrize(("seed", "exc"), [(-1, ValueError), (2**64, ValueError), (1.5, TypeError),
                                           ("1", TypeError), (True, TypeError)])
def test_random_bad_seed(spec, seed, exc):
    x = np.linspace(-1, 1, 10)
    out = _out(x.shape)
    with pytest.raises(exc, match="seed"):
        getattr(fastact, spec.name)(x, seed=seed, training=True, out=out)
    _untouched(out)
    with pytest.raises(exc, match="offset"):
        getattr(fastact, spec.name)(x, seed=1, offset=seed, training=True, out=out)
    _untouched(out)


@pytest.mark.parametrize("spec", [a for a in ACTIVATIONS if a.kind == "gated"], ids=lambda a: a.name)
def test_gated_odd_length(spec):
    out = _out((3, 2))
    with pytest.raises(ValueError, match="odd"):
        getattr(fastact, spec.name)(np.ones((3, 5)), out=out)
    _untouched(out)


def test_crelu_bad_input():
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    out = _out((2, 6))
    for bad in (x.astype(complex), x.astype(object), x.astype(str)):
        with pytest.raises(TypeError):
            fastact.crelu(bad, out=out)
        _untouched(out)
    with pytest.raises(ValueError):
        fastact.crelu(x, out=_out((2, 5)))
    with pytest.raises(ValueError, match="backend"):
        fastact.crelu(x, backend="nope", out=out)
    _untouched(out)


def test_from_y_not_allowed():
    """backward from y= where the derivative needs x: an exception naming the reason, out untouched."""
    for spec in ACTIVATIONS:
        if spec.kind != "eltwise" or spec.has_backward_y:
            continue
        out = _out((4,))
        with pytest.raises(ValueError, match=rf"^fastact\.{spec.name}_backward: the derivative of {spec.name} "
                                             "cannot be computed from the output y; pass x$"):
            getattr(fastact, spec.name + "_backward")(np.ones(4), y=np.ones(4), out=out)
        _untouched(out)
    out = _out((4,))
    with pytest.raises(ValueError, match="alpha"):  # elu from y needs alpha >= 0
        fastact.elu_backward(np.ones(4), y=np.ones(4), alpha=-1.0, out=out)
    _untouched(out)


AXIS_SPECS = [(a, b) for a, b in SPECS if a.kind in ("rowwise", "gated")]


@pytest.mark.parametrize(("spec", "backward"), AXIS_SPECS,
                         ids=[a.name + ("_backward" if b else "") for a, b in AXIS_SPECS])
@pytest.mark.parametrize(("axis", "exc"), [(5, ValueError), (-3, ValueError), (1.5, TypeError), ("0", TypeError)])
def test_bad_axis(spec, backward, axis, exc):
    """Out-of-range axes raise numpy's AxisError (a ValueError), non-integers TypeError; out untouched."""
    f, args, kw, oshape = _call(spec, backward)
    out = _out(oshape)
    with pytest.raises(exc, match="axis"):
        f(*args, axis=axis, out=out, **kw)
    _untouched(out)


@pytest.mark.parametrize("spec", [a for a in ACTIVATIONS if a.kind == "gated"], ids=lambda a: a.name)
def test_gated_zero_dim(spec):
    with pytest.raises(ValueError, match="dimension"):
        getattr(fastact, spec.name)(np.float64(1.0))


# ---- one voice: every error starts with the function's name ------------------------------

def _breaks(spec, backward):
    """(what, call, exception type): one broken call per kind of mistake."""
    f, args, kw, oshape = _call(spec, backward)
    out = {} if oshape is None else {"out": _out(oshape)}
    cases = [("unknown keyword", lambda: f(*args, not_a_param=1.0, **kw), TypeError),
             ("too many positional", lambda: f(*args, *([1.0] * 8), **kw), TypeError),
             ("unknown backend", lambda: f(*args, backend="gpu", **kw), ValueError),
             ("backend not a string", lambda: f(*args, backend=3, **kw), TypeError),
             ("string x", lambda: f(*[np.array(["a"] * np.size(a)).reshape(np.shape(a)) for a in args[:1]],
                                    *args[1:], **kw), TypeError),
             ("out wrong shape", (lambda: f(*args, out=_out((1, 1, 1, 1)), **kw)) if out else None, ValueError)]
    if spec.kind in ("rowwise", "gated"):
        cases.append(("axis out of range", lambda: f(*args, axis=7, **kw, **out), ValueError))
    return [(w, c, e) for w, c, e in cases if c is not None]


@pytest.mark.parametrize(("spec", "backward"), SPECS, ids=IDS)
def test_every_error_names_the_function(spec, backward):
    """Every mistake raises the stated exception with a message starting "fastact.<function>: "."""
    fname = f"fastact.{spec.name}" + ("_backward" if backward else "")
    for what, call, exc in _breaks(spec, backward):
        with pytest.raises(exc) as info:
            call()
        assert str(info.value).startswith(fname + ": "), f"{what}: {info.value}"


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i4"])
def test_non_native_byte_order_is_converted(dtype):
    """Big-endian data (e.g. read from a file) computes like the same values in native order."""
    x = np.linspace(-3, 3, 13).astype(dtype)
    native = x.astype(x.dtype.newbyteorder("="))
    np.testing.assert_array_equal(fastact.gelu(x), fastact.gelu(native))
    np.testing.assert_array_equal(fastact.softmax(x), fastact.softmax(native))
    np.testing.assert_array_equal(fastact.silu_backward(x, x), fastact.silu_backward(native, native))
