"""atheris harness for fastact's Python API.

    python fastact_c/fuzz/fuzz_python.py -max_total_time=600 [corpus_dir]

(tests/test_reliability_fuzz.py runs it briefly.) The input bytes pick a public
function (forward or backward of any activation, crelu), an array (shape incl. 0-d
and empty, dtype incl. complex/object/str/int/bool/float16, values incl. NaN/inf,
a strided, reversed, transposed or broadcast view), parameters (registry names with
any float incl. NaN/inf/negative, or values of the wrong type, or unknown names),
``out`` (none, valid, the input itself, wrong shape or dtype, read-only, partially
overlapping) and the backend (native, or an unknown name). Checked:

- the call returns, or raises TypeError/ValueError (incl. numpy's AxisError) --
  anything else (IndexError, SystemError, a segfault, ...) is a finding;
- no floating-point warning escapes (warnings are errors here);
- on an exception, ``out`` and the inputs are unchanged;
- on success, inputs are unchanged (unless ``out`` is the input) and a returned
  ``out`` is the very object passed.
"""

from __future__ import annotations

import collections
import sys
import warnings
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository (an editable install)

with atheris.instrument_imports(include=["fastact"]):
    import numpy as np

    import fastact
    from fastact._registry import ACTIVATIONS

FUNCS = [(a, False) for a in ACTIVATIONS] + [(a, True) for a in ACTIVATIONS]
DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int8, np.bool_, np.uint16, np.complex64, object, "U3"]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, 1e38, -1e308, 20.0, -3.0, 6.0]
BAD_PARAMS = ["x", 1j, None, [1.0], np.array([1.0, 2.0])]
ALLOWED = (TypeError, ValueError)
STATS: collections.Counter = collections.Counter()  # outcomes, for checking what the harness reaches


def _array(fdp: atheris.FuzzedDataProvider, shape=None, dtype=None):
    if shape is None:
        nd = fdp.ConsumeIntInRange(0, 3)
        shape = tuple(fdp.ConsumeIntInRange(0, 6) for _ in range(nd))
    if dtype is None:
        dtype = DTYPES[fdp.ConsumeIntInRange(0, len(DTYPES) - 1)] if fdp.ConsumeIntInRange(0, 3) == 0 \
            else (np.float32 if fdp.ConsumeBool() else np.float64)
    n = int(np.prod(shape))
    vals = [SPECIAL[fdp.ConsumeIntInRange(0, len(SPECIAL) - 1)] if fdp.ConsumeIntInRange(0, 4) == 0
            else fdp.ConsumeFloatInRange(-50.0, 50.0) for _ in range(n)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = np.array(vals, dtype=np.float64).reshape(shape)
        a = base.astype(dtype) if dtype != "U3" else base.astype("U3")
    view = fdp.ConsumeIntInRange(0, 4)
    if view == 1 and a.ndim:
        a = a[::-1]
    elif view == 2 and a.ndim >= 2:
        a = a.T
    elif view == 3 and a.ndim and a.shape[0] > 0:
        a = np.broadcast_to(a[:1], (2,) + a.shape[1:])
    elif view == 4 and a.ndim:
        big = np.repeat(a, 2, axis=0)
        a = big[::2]
    return a


def _params(fdp, spec) -> dict:
    kw = {}
    for p in spec.params:
        c = fdp.ConsumeIntInRange(0, 5)
        if c == 1:
            kw[p.name] = fdp.ConsumeFloat()
        elif c == 2:
            kw[p.name] = SPECIAL[fdp.ConsumeIntInRange(0, len(SPECIAL) - 1)]
        elif c == 3:
            kw[p.name] = BAD_PARAMS[fdp.ConsumeIntInRange(0, len(BAD_PARAMS) - 1)]
    if fdp.ConsumeIntInRange(0, 30) == 0:
        kw["bogus"] = 1.0
    return kw


def _same(a, b) -> None:
    """a unchanged: bitwise for plain dtypes, by repr for object arrays (NaN != NaN there)."""
    assert a.shape == b.shape and a.dtype == b.dtype
    if a.dtype == object:
        assert repr(a.tolist()) == repr(b.tolist()), "an object array was modified"
    else:
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), "an array was modified"


def _expected_shape(spec, backward, x, axis):
    if spec.kind == "gated" and not backward:
        s = list(x.shape)
        s[axis] //= 2
        return tuple(s)
    return x.shape


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    spec, backward = FUNCS[fdp.ConsumeIntInRange(0, len(FUNCS) - 1)]
    f = getattr(fastact, spec.name + ("_backward" if backward else ""))
    x = _array(fdp)
    args: list = [x]
    kw = _params(fdp, spec)
    axis = -1
    if spec.kind in ("rowwise", "gated") and fdp.ConsumeBool():
        axis = fdp.ConsumeIntInRange(-4, 3)
        kw["axis"] = axis
    if spec.kind == "channelwise":
        nch = x.shape[spec.channel_axis] if x.ndim > max(spec.channel_axis, -spec.channel_axis - 1) else 1
        args.append(_array(fdp, shape=(nch if fdp.ConsumeIntInRange(0, 5) else nch + 1,), dtype=np.float64))
    if spec.kind == "random":
        kw["seed"] = fdp.ConsumeIntInRange(0, 2**64 - 1) if fdp.ConsumeIntInRange(0, 9) else -1
        kw["training"] = fdp.ConsumeBool()
    if backward:
        try:
            dyshape = _expected_shape(spec, False, x, axis) if spec.kind == "gated" else x.shape
        except (IndexError, ZeroDivisionError):
            dyshape = x.shape
        if fdp.ConsumeIntInRange(0, 9) == 0:
            dyshape = dyshape + (1,)
        args.insert(0, _array(fdp, shape=dyshape, dtype=np.float64 if fdp.ConsumeBool() else np.float32))
    out = None
    if not (backward and spec.kind == "channelwise"):
        c = fdp.ConsumeIntInRange(0, 6)
        try:
            oshape = _expected_shape(spec, backward, x, axis)
        except (IndexError, ZeroDivisionError):
            oshape = x.shape
        if c == 1:
            out = np.full(oshape, 7.0, dtype=np.float64 if fdp.ConsumeBool() else np.float32)
        elif c == 2 and x.flags.writeable and x.dtype in (np.float32, np.float64):
            out = x  # in place
        elif c == 3:
            out = np.full(oshape + (2,), 7.0)
        elif c == 4:
            out = np.full(oshape, 7, dtype=np.int32)
        elif c == 5:
            out = np.full(oshape, 7.0)
            out.flags.writeable = False
        elif c == 6 and x.size > 1 and x.dtype == np.float64 and x.flags.c_contiguous and x.flags.writeable:
            base = np.concatenate([x.ravel(), [7.0]])
            args[-1 if not spec.kind == "channelwise" else 0] = x = base[:-1].reshape(x.shape)
            out = base[1:].reshape(x.shape)
        if out is not None:
            kw["out"] = out
    if fdp.ConsumeIntInRange(0, 20) == 0:
        kw["backend"] = "no_such_backend"
    else:
        kw["backend"] = "native"

    inputs = [a for a in args if isinstance(a, np.ndarray)]
    before = [a.copy() for a in inputs]
    out_before = out.copy() if isinstance(out, np.ndarray) else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            r = f(*args, **kw)
        except ALLOWED as e:
            STATS[type(e).__name__] += 1
            if out_before is not None:
                _same(out, out_before)
            for a, b in zip(inputs, before, strict=True):
                _same(a, b)
            return
    STATS["ok"] += 1
    if out is not None:
        assert r is out, "out= given but another object returned"
    for a, b in zip(inputs, before, strict=True):
        if out is not None and np.shares_memory(a, out):
            continue
        _same(a, b)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
