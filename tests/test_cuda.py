"""The cuda backend (fastact.backends.numba_cuda) against the native results.

The checks live in ``run_checks()``. Here (CI, no GPU) they run under Numba's
CUDA simulator, which must be switched on (``NUMBA_ENABLE_CUDASIM=1``) before
numba is first imported, so each group of checks runs in a fresh interpreter
(``python -m tests.test_cuda GROUP``), the groups side by side. On a GPU machine
``bench/gpu_check.py`` calls the same ``run_checks()`` without the simulator,
and then also tries CuPy and torch inputs.

Reference: ``fastact.<name>(...)`` on host copies (the native C kernels).
Piecewise-linear activations (registry ``ulp`` bound <= 0.5) must agree exactly;
the others within ``2 * bound + 2`` ULP (the CUDA kernels use fastact's math
source, ``_math_gen.py``, but the GPU compiler contracts a*b+c into FMAs, so the
last bits may differ; each side is within its bound of the truth); under the
simulator (exact plain-Python arithmetic) elementwise results must be the native
backend's bits, graded as tests/accuracy.py grades fastact: backward
near zero crossings in ULPs of |dy|/4, ``ulp_cond`` entries with twice the
condition number on top, subnormal results per (1 + |x|)**k ULPs. Row-wise
results may also differ by a few epsilons of the row's scale (summation order).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import time
import traceback

import numpy as np
import pytest

import fastact
from fastact._api import _cond, resolve_params
from fastact._registry import ACTIVATIONS, BY_NAME, ID

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUPS = ("eltwise", "rowwise", "channelwise", "gated", "random", "api")
SKIP_RC = 77  # the child's exit status when numba-cuda cannot be imported

# a non-default parameter set per activation with parameters
OTHER_PARAMS = {"leaky_relu": {"negative_slope": 0.2}, "hardtanh": {"min_val": -2.0, "max_val": 3.0},
                "elu": {"alpha": 0.5}, "softplus": {"beta": 2.0, "threshold": 10.0}}


# ---- comparison helpers ----------------------------------------------------------------------

def _ordered(a: np.ndarray) -> np.ndarray:
    """int64 in the order of the floats (-0 and +0 both 0)."""
    a = np.ascontiguousarray(a)
    it = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    i = a.view(it).astype(np.int64)
    mag = i & np.int64(np.iinfo(it).max)
    return np.where(i < 0, -mag, mag)


def ulp_diff(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Distance in representable values (float64, exact up to 2**53); 0 where both are
    NaN, inf where only one is."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
    nan_g, nan_r = np.isnan(got), np.isnan(ref)
    og, orf = _ordered(got), _ordered(ref)
    same_sign = (og >= 0) == (orf >= 0)
    with np.errstate(over="ignore"):  # int64 differences of same-sign values cannot overflow
        d = np.where(same_sign, np.abs(np.where(same_sign, og - orf, 0)).astype(np.float64),
                     np.abs(og).astype(np.float64) + np.abs(orf).astype(np.float64))
    d[nan_g & nan_r] = 0
    d[nan_g ^ nan_r] = np.inf
    return d


def condition(x, y, d) -> np.ndarray:
    """|x f'(x) / f(x)| from host results (0 where not finite), as tests/accuracy.py allows
    twice of it for registry entries with ulp_cond (arguments rounded inside the formula)."""
    with np.errstate(all="ignore"):
        c = np.abs(np.asarray(x, np.float64) * np.asarray(d, np.float64) / np.asarray(y, np.float64))
    return np.where(np.isfinite(c), c, 0.0)


def tolerance(bound: float) -> float:
    return 0.0 if bound <= 0.5 else 2 * bound + 2


class Checks:
    """Collects failures instead of stopping at the first."""

    def __init__(self, verbose: bool = False):
        self.failures: list[str] = []
        self.count = 0
        self.verbose = verbose

    def fail(self, what: str, msg: str):
        self.failures.append(f"{what}: {msg}")

    def ok(self, cond: bool, what: str, msg: str = "failed"):
        self.count += 1
        if not cond:
            self.fail(what, msg)

    def ulps(self, got, ref, tol: float, what: str, x=None, extra=0.0, floor=None, power: int = 1):
        """got within tol (+ extra, per element) ULP of ref. As tests/accuracy.py grades
        fastact itself: where floor is given (|dy|/4 near derivatives' zero crossings)
        the error may instead be counted in ULPs of max(|ref|, floor); subnormal results
        get (1 + |x|)**power subnormal ULPs."""
        self.count += 1
        got, ref = np.asarray(got), np.asarray(ref)
        if got.shape != ref.shape or got.dtype != ref.dtype:
            return self.fail(what, f"got {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}")
        d = ulp_diff(got, ref)
        allowed = tol + np.asarray(extra, dtype=np.float64)
        with np.errstate(all="ignore"):
            if x is not None:
                xf = np.abs(np.asarray(x, dtype=np.float64))
                sub = allowed * np.where(np.isfinite(xf), (1 + xf) ** power, 1.0)
                allowed = np.where((np.abs(ref) < np.finfo(ref.dtype).tiny) & ~np.isnan(sub), sub, allowed)
            ok = d <= allowed
            if floor is not None:
                err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
                basis = np.maximum(np.abs(ref), np.asarray(floor, dtype=ref.dtype))
                ok |= err <= allowed * np.spacing(basis).astype(np.float64)
        if not ok.all():
            j = int(np.argmin(ok.ravel()))
            at = f" at x={np.asarray(x).ravel()[j]!r}" if x is not None else ""
            self.fail(what, f"{int((~ok).sum())} off, e.g. {d.ravel()[j]:g} ULP > "
                      f"{np.broadcast_to(allowed, d.shape).ravel()[j]:g}{at}: got {got.ravel()[j]!r}, "
                      f"expected {ref.ravel()[j]!r}")

    def rows(self, got, ref, tol_ulp: float, eps_mult: float, scale, what: str):
        """Row-wise: within tol_ulp ULP, or within eps_mult * eps * scale (scale per row, broadcast)."""
        self.count += 1
        got, ref = np.asarray(got), np.asarray(ref)
        if got.shape != ref.shape or got.dtype != ref.dtype:
            return self.fail(what, f"got {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}")
        d = ulp_diff(got, ref)
        with np.errstate(invalid="ignore"):
            err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
            bad = (d > tol_ulp) & ~(err <= eps_mult * np.finfo(got.dtype).eps * np.asarray(scale))
        if bad.any():
            j = int(np.argmax(bad.ravel()))
            self.fail(what, f"{int(bad.sum())} values off, e.g. got {got.ravel()[j]!r}, expected "
                      f"{ref.ravel()[j]!r} ({d.ravel()[j]:g} ULP)")

    def raises(self, exc, fn, what: str):
        self.count += 1
        try:
            fn()
        except exc:
            return
        except Exception as e:  # noqa: BLE001
            return self.fail(what, f"raised {type(e).__name__}: {e}, expected {exc.__name__}")
        self.fail(what, f"did not raise {exc.__name__}")


# ---- inputs -------------------------------------------------------------------------------------

def eltwise_inputs(dtype) -> np.ndarray:
    special = [0.0, -0.0, 1e-30, 1e-3, 0.5, 1.0, 2.0, 6.0, 10.0, 20.0, 20.5, 30.0, 100.0, 1e30,
               np.inf, np.nan]
    v = np.array(special + [-s for s in special[2:]], dtype=np.float64)
    grid = np.linspace(-12, 12, 161)  # > 4 grid strides under the simulator
    with np.errstate(over="ignore"):
        return np.concatenate([v, grid]).astype(dtype)


def row_inputs(dtype, cols: int = 37) -> np.ndarray:
    """6 rows: plain, ties at the max, some -inf, all -inf, a +inf, a NaN."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, cols)) * 3
    x[1, ::5] = x[1].max() + 1.0
    x[2, ::3] = -np.inf
    x[3, :] = -np.inf
    x[4, 3] = np.inf
    x[5, 4] = np.nan
    return x.astype(dtype)


# ---- the check groups ---------------------------------------------------------------------------

def _host(a) -> np.ndarray:
    if hasattr(a, "copy_to_host"):
        return a.copy_to_host()
    if type(a).__module__.startswith("torch"):
        return a.cpu().numpy()
    if type(a).__module__.startswith("cupy"):
        return a.get()
    raise TypeError(type(a))


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit for bit, NaN payloads aside."""
    it = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return a.dtype == b.dtype and bool(((a.view(it) == b.view(it)) | (np.isnan(a) & np.isnan(b))).all())


def check_eltwise(c: Checks, cuda, nc):
    rng = np.random.default_rng(1)
    for spec in ACTIVATIONS:
        if spec.kind != "eltwise":
            continue
        f, fb = getattr(fastact, spec.name), getattr(fastact, spec.name + "_backward")
        for dt, di in ((np.float32, 0), (np.float64, 1)):
            x = eltwise_inputs(dt)
            dy = rng.standard_normal(x.shape).astype(dt)
            dx_d, ddy = cuda.to_device(x), cuda.to_device(dy)
            for kw in [{}] + ([OTHER_PARAMS[spec.name]] if spec.name in OTHER_PARAMS else []):
                prm = resolve_params(spec, spec.name, kw)
                what = f"{spec.name}{kw or ''} {np.dtype(dt).name}"
                y = f(x, **kw)
                extra = 2 * condition(x, y, fb(np.ones_like(x), x, **kw)) if spec.ulp_cond else 0.0
                floor = np.where(np.abs(x) < 8, np.abs(dy) / 4, 0).astype(dt)
                got = nc.forward(ID[spec.name], dx_d, params=prm)
                c.ok(type(got) is type(dx_d), what + " forward type", f"{type(got).__name__}")
                yf = _host(got)
                c.ulps(yf, y, tolerance(spec.ulp[di]), what + " forward", x, extra)
                got = nc.backward(ID[spec.name], ddy, dx_d, params=prm)
                dx = fb(dy, x, **kw)
                c.ulps(_host(got), dx, tolerance(spec.ulp_backward[di]), what + " backward(x)", x,
                       extra, floor, power=3)
                if nc._simulating():  # same formulas, same math source, exact words: the C library's bits
                    c.ok(_same_bits(yf, y) and _same_bits(_host(got), dx), what + " simulator: native's bits")
                if spec.has_backward_y and (not spec.backward_y_when
                                            or _cond(spec.backward_y_when, dict(zip(spec.param_names, prm,
                                                                                    strict=True)))):
                    got = nc.backward(ID[spec.name], ddy, y=cuda.to_device(y), params=prm)
                    c.ulps(_host(got), fb(dy, y=y, **kw), tolerance(spec.ulp_backward[di]),
                           what + " backward(y)", y, extra, floor, power=3)
    # float16 in: computed in float32, float16 out (as the host API)
    x = eltwise_inputs(np.float16)
    for name in ("relu", "sigmoid", "tanh"):
        spec = BY_NAME[name]
        got = _host(nc.forward(ID[name], cuda.to_device(x)))
        c.ulps(got, getattr(fastact, name)(x), 0 if spec.ulp[0] <= 0.5 else 1, f"{name} float16 forward", x)
        dy = np.linspace(-2, 2, x.size).astype(np.float16)
        got = _host(nc.backward(ID[name], cuda.to_device(dy), cuda.to_device(x)))
        c.ulps(got, getattr(fastact, name + "_backward")(dy, x), 0 if spec.ulp_backward[0] <= 0.5 else 1,
               f"{name} float16 backward", x)


def check_rowwise(c: Checks, cuda, nc):
    rng = np.random.default_rng(2)
    for name in ("softmax", "log_softmax"):
        f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
        for dt in (np.float32, np.float64):
            what = f"{name} {np.dtype(dt).name}"
            x = row_inputs(dt)
            dy = rng.standard_normal(x.shape).astype(dt)
            xd, dyd = cuda.to_device(x), cuda.to_device(dy)
            y = f(x)
            got = nc.forward(ID[name], xd)
            c.ok(type(got) is type(xd), what + " type")
            with np.errstate(invalid="ignore"):
                fscale = np.nanmax(np.where(np.isfinite(y), np.abs(y), 0), axis=-1, keepdims=True) + 1
            c.rows(_host(got), y, 4, 4, fscale, what + " forward")
            bscale = (np.abs(dy).max(axis=-1, keepdims=True) + 1) * fscale
            got = nc.backward(ID[name], dyd, xd)
            c.rows(_host(got), fb(dy, x), 8, 8, bscale, what + " backward(x)")
            got = nc.backward(ID[name], dyd, y=cuda.to_device(y))
            c.rows(_host(got), fb(dy, y=y), 8, 8, bscale, what + " backward(y)")
        # another axis: a strided view of the same memory, no copy; and a 3-d array, axis 1
        xt = np.ascontiguousarray(row_inputs(np.float64, 23)[:3].T)  # (23, 3)
        got = nc.forward(ID[name], cuda.to_device(xt), axis=0)
        c.rows(_host(got), f(xt, axis=0), 4, 4, 20.0, f"{name} axis=0")
        x3 = rng.standard_normal((2, 19, 3))
        dy3 = rng.standard_normal(x3.shape)
        got = nc.backward(ID[name], cuda.to_device(dy3), cuda.to_device(x3), axis=1)
        c.rows(_host(got), fb(dy3, x3, axis=1), 8, 8, 50.0, f"{name} 3-d axis=1 backward(x)")
    x = rng.standard_normal((2, 40)).astype(np.float16)
    got = _host(nc.forward(ID["softmax"], cuda.to_device(x)))
    c.rows(got, fastact.softmax(x), 1, 1, 1.0, "softmax float16")
    c.raises(np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError,
             lambda: fastact.softmax(cuda.to_device(x), axis=2), "softmax bad axis")


def check_channelwise(c: Checks, cuda, nc):
    """Every channel-wise entry (prelu, bias_*) through the public API on device arrays, against
    the host results, on every channel axis: (B, T, C) with T == C is where a backend that
    put the channels on the wrong axis would still run and silently add the wrong weights."""
    rng = np.random.default_rng(3)
    chan = [s for s in ACTIVATIONS if s.kind == "channelwise"]
    c.ok(len(chan) >= 5, "channel-wise entries", f"{[s.name for s in chan]}")
    for spec in chan:
        f, fb = getattr(fastact, spec.name), getattr(fastact, spec.name + "_backward")
        for dt, di in ((np.float32, 0), (np.float64, 1)):
            has_axis = "axis" in inspect.signature(f).parameters  # prelu: axis 1 always, as PyTorch
            cases = (((3, 4, 4), -1), ((3, 4, 4), 1), ((2, 3, 5), 1), ((2, 5, 3), -1), ((2, 3, 5), 0))
            for shape, axis in (cases if has_axis else ()) + (((3, 4, 4), None), ((2, 3, 5), None), ((6, 3), None)):
                ax = spec.channel_axis if axis is None else axis
                x = rng.standard_normal(shape).astype(dt) * 3
                x.flat[:2] = [0.0, -0.0]
                dy = rng.standard_normal(x.shape).astype(dt)
                w = rng.standard_normal(shape[ax]).astype(dt)
                kw = {} if axis is None else {"axis": axis}
                what = f"{spec.name} {np.dtype(dt).name} {shape} axis {ax}"
                xd, wd = cuda.to_device(x), cuda.to_device(w)
                got = f(xd, wd, **kw)
                c.ok(type(got) is type(xd), what + " type")
                y = f(x, w, **kw)
                c.ulps(_host(got), y, tolerance(spec.ulp[di]), what + " forward", x)
                dx, dw = fb(cuda.to_device(dy), xd, wd, **kw)
                rdx, rdw = fb(dy, x, w, **kw)
                c.ulps(_host(dx), rdx, tolerance(spec.ulp_backward[di]), what + " dx", x,
                       0.0, np.where(np.abs(x) < 8, np.abs(dy) / 4, 0).astype(dt), power=3)
                hdw = _host(dw)
                c.ok(hdw.shape == rdw.shape and hdw.dtype == rdw.dtype, what + " dweight shape",
                     f"{hdw.dtype}{hdw.shape} != {rdw.dtype}{rdw.shape}")
                scale = np.abs(dy).sum() * (np.abs(x).max() + 1) * 16 * np.finfo(dt).eps
                c.ok(np.allclose(hdw, rdw, rtol=0, atol=scale), what + " dweight", f"{hdw} != {rdw}")
    pid = ID["prelu"]
    for dt in (np.float32, np.float64):  # a shared weight (0-d and 1-element)
        x = rng.standard_normal((3, 4, 5)).astype(dt)
        for w in (np.array(0.1, dt), np.array([0.3], dt)):
            got = fastact.prelu(cuda.to_device(x), cuda.to_device(w))
            c.ulps(_host(got), fastact.prelu(x, w), 0, f"prelu {np.dtype(dt).name} weight{w.shape} forward")
    # 2-d (batch, channels): a host weight; out=
    x = rng.standard_normal((50, 3))
    w = np.array([0.1, 0.2, -0.3])
    xd = cuda.to_device(x)
    out = cuda.device_array_like(xd)
    r = fastact.prelu(xd, w, out=out)
    c.ok(r is out, "prelu out= returns out")
    c.ulps(_host(out), fastact.prelu(x, w), 0, "prelu 2-d host weight")
    c.raises(ValueError, lambda: fastact.prelu(xd, cuda.to_device(np.ones(4))), "prelu weight size mismatch")
    c.raises(ValueError, lambda: fastact.bias_gelu(cuda.to_device(np.ones((2, 3, 4))), cuda.to_device(np.ones(3))),
             "bias_gelu bias size mismatch on the default axis -1")
    c.raises(TypeError, lambda: nc.channelwise_forward(pid, cuda.to_device(rng.standard_normal((4, 6)))[:, ::2],
                                                       cuda.to_device(np.ones(3)), (4, 3, 1)), "prelu strided x")


def check_gated(c: Checks, cuda, nc):
    """The GLU family on device arrays along every axis of a 3-d array (strided halves, no
    copy), against the host: within the registry bounds, and the host's bits under the
    simulator."""
    rng = np.random.default_rng(5)
    for spec in (s for s in ACTIVATIONS if s.kind == "gated"):
        f, fb = getattr(fastact, spec.name), getattr(fastact, spec.name + "_backward")
        for dt, di in ((np.float32, 0), (np.float64, 1)):
            for shape, ax in (((3, 8), -1), ((4, 6, 5), 1), ((6, 3, 2), 0), ((2, 3, 4), -1)):
                what = f"{spec.name} {np.dtype(dt).name} {shape} axis {ax}"
                x = (rng.standard_normal(shape) * 3).astype(dt)
                with np.errstate(over="ignore"):
                    x.flat[:8] = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e-30, 5e-39])[:x.size]
                y = f(x, axis=ax)
                got = f(cuda.to_device(x), axis=ax)
                c.ok(type(got) is type(cuda.to_device(x)), what + " type")
                yg = _host(got)
                c.ulps(yg, y, tolerance(spec.ulp[di]), what + " forward", None)
                dy = rng.standard_normal(y.shape).astype(dt)
                dx = fb(dy, x, axis=ax)
                dxg = _host(fb(cuda.to_device(dy), cuda.to_device(x), axis=ax))
                c.ulps(dxg, dx, tolerance(spec.ulp_backward[di]), what + " backward", None, 0.0,
                       np.abs(np.concatenate([dy, dy], axis=ax)) / 4, power=3)
                if nc._simulating():
                    c.ok(_same_bits(yg, y) and _same_bits(dxg, dx), what + " simulator: native's bits")
    for name in ("glu", "swiglu"):  # empty along another axis: the halves' shape, nothing launched
        e = np.ones((0, 6))
        got = _host(getattr(fastact, name)(cuda.to_device(e)))
        c.ok(got.shape == (0, 3), f"{name} empty forward", f"{got.shape}")
        got = _host(getattr(fastact, name + "_backward")(cuda.to_device(np.ones((0, 3))), cuda.to_device(e)))
        c.ok(got.shape == (0, 6), f"{name} empty backward", f"{got.shape}")
    x = rng.standard_normal((4, 6))
    out = cuda.device_array((4, 3))
    c.ok(fastact.glu(cuda.to_device(x), out=out) is out, "glu out= returns out")
    c.ulps(_host(out), fastact.glu(x), 0, "glu out= values")
    c.raises(ValueError, lambda: fastact.swiglu(cuda.to_device(np.ones((2, 5)))), "swiglu odd length")
    c.raises(ValueError, lambda: fastact.glu_backward(cuda.to_device(np.ones((2, 4))),
                                                      cuda.to_device(np.ones((2, 6)))), "glu_backward dy shape")


def check_random(c: Checks, cuda, nc):
    """dropout and rrelu on device arrays: the CPU's mask for the same (seed, offset), bit for
    bit, for contiguous, strided and transposed views; backward regenerates it; eval mode."""
    rng = np.random.default_rng(6)
    for name in ("dropout", "rrelu"):
        f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
        for dt in (np.float32, np.float64):
            x = rng.standard_normal((6, 10)).astype(dt)
            with np.errstate(over="ignore"):
                x.flat[:8] = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e-30, 5e-39])
            xd = cuda.to_device(x)
            for what_v, hv, dv in (("contiguous", x, xd), ("strided", x[:, ::3], xd[:, ::3]),
                                   ("transposed", x.T, xd.T)):
                what = f"{name} {np.dtype(dt).name} {what_v}"
                for seed, offset in ((42, 0), (2 ** 64 - 1, 12345)):
                    y = f(hv, seed=seed, offset=offset, training=True)
                    got = _host(f(dv, seed=seed, offset=offset, training=True))
                    c.ok(_same_bits(got, y), f"{what} seed {seed} forward: the CPU's bits")
                    dy = rng.standard_normal(hv.shape).astype(dt)
                    dx = fb(dy, hv, seed=seed, offset=offset, training=True)
                    got = _host(fb(cuda.to_device(dy), dv, seed=seed, offset=offset, training=True))
                    c.ok(_same_bits(got, dx), f"{what} seed {seed} backward: the CPU's bits")
            c.ok(_same_bits(_host(f(xd, training=False)), f(x, training=False)), f"{name} eval mode")
            got = _host(f(cuda.to_device(np.ones((0, 3), dt)), seed=1, training=True))
            c.ok(got.shape == (0, 3) and got.dtype == dt, f"{name} empty", f"{got.dtype}{got.shape}")
            c.raises(TypeError, lambda f=f, xd=xd: f(xd, training=True), f"{name} training without seed")


def check_api(c: Checks, cuda, nc):
    rng = np.random.default_rng(4)
    c.raises(TypeError, lambda: fastact.crelu(cuda.to_device(np.ones(4))), "crelu refuses a device array")
    c.raises(TypeError, lambda: fastact.crelu_backward(cuda.to_device(np.ones(8)), np.ones(4)),
             "crelu_backward refuses a device array")
    sid, rid = ID["sigmoid"], ID["relu"]
    x = rng.standard_normal(64) * 4
    ref = fastact.sigmoid(x)
    xd = cuda.to_device(x)
    # out= and in place
    out = cuda.device_array_like(xd)
    r = nc.forward(sid, xd, out=out)
    c.ok(r is out, "out= returns out")
    c.ulps(_host(out), ref, 10, "out= values")
    xd2 = cuda.to_device(x)
    r = nc.forward(sid, xd2, out=xd2)
    c.ok(r is xd2, "in place returns x")
    c.ulps(_host(xd2), ref, 10, "in place values")
    dy = rng.standard_normal(64)
    dyd = cuda.to_device(dy)
    nc.backward(rid, dyd, cuda.to_device(x), out=dyd)
    c.ulps(_host(dyd), fastact.relu_backward(dy, x), 0, "backward in place (out is dy)")
    xs = cuda.to_device(fastact.softmax(x.reshape(4, 16)))
    dys = cuda.to_device(dy.reshape(4, 16))
    nc.backward(ID["softmax"], dys, y=xs, out=xs)
    c.rows(_host(xs), fastact.softmax_backward(dy.reshape(4, 16), y=fastact.softmax(x.reshape(4, 16))),
           8, 8, 10.0, "softmax backward in place (out is y)")
    # errors: nothing written
    sentinel = np.full(63, 7.0)
    bad = cuda.to_device(sentinel)
    c.raises(ValueError, lambda: nc.forward(sid, xd, out=bad), "out of the wrong shape")
    c.ok(np.array_equal(_host(bad), sentinel), "nothing written on error")
    c.raises(TypeError, lambda: nc.forward(sid, xd, out=cuda.to_device(np.zeros(64, np.float32))),
             "out of the wrong dtype")
    c.raises(ValueError, lambda: nc.forward(sid, xd[:-1], out=xd[1:]), "partial overlap")
    c.raises(TypeError, lambda: nc.forward(sid, x), "numpy input")
    c.raises(TypeError, lambda: nc.forward(sid, cuda.to_device(np.arange(4))), "integer device array")
    # checked once, by fastact._api, before the device is reached (the backend does not re-validate)
    c.raises(ValueError, lambda: fastact.softplus_backward(xd, y=xd), "backward from y where not exact")
    c.raises(ValueError, lambda: fastact.leaky_relu_backward(xd, y=xd, negative_slope=-0.5),
             "backward from y when backward_y_when fails")
    c.raises(ValueError, lambda: nc.backward(sid, xd, cuda.to_device(x[:10])), "dy/x shape mismatch")
    c.raises(TypeError, lambda: nc.backward(sid, xd), "backward without x or y")
    # layouts: 1-d strided, negative stride, 2-d views, N-d collapsible and not
    xd = cuda.to_device(x)
    for sl, what in ((slice(None, None, 3), "1-d strided"), (slice(None, None, -2), "1-d negative stride")):
        got = nc.forward(sid, xd[sl])
        c.ulps(_host(got), fastact.sigmoid(x[sl]), 10, what)
    m = rng.standard_normal((6, 10))
    md = cuda.to_device(m)
    got = nc.forward(sid, md[:, 1::2])
    c.ulps(_host(got), fastact.sigmoid(m[:, 1::2]), 10, "2-d non-contiguous")
    o = cuda.device_array((10, 6))
    nc.backward(rid, md.T, md.T, out=o)
    c.ulps(_host(o), fastact.relu_backward(m.T, m.T), 0, "2-d transposed inputs")
    o2 = cuda.to_device(np.zeros((6, 20)))
    nc.forward(rid, md, out=o2[:, ::2])
    c.ulps(_host(o2)[:, ::2], fastact.relu(m), 0, "strided out")
    c.ok(not _host(o2)[:, 1::2].any(), "strided out leaves the gaps")
    t = rng.standard_normal((4, 4, 6))
    td = cuda.to_device(t)
    got = nc.forward(sid, td[:, ::2, ::2])
    c.ulps(_host(got), fastact.sigmoid(t[:, ::2, ::2]), 10, "3-d view collapsible to 2-d")
    got = nc.forward(sid, td)
    c.ok(tuple(got.shape) == (4, 4, 6), "3-d contiguous shape")
    c.ulps(_host(got), fastact.sigmoid(t), 10, "3-d contiguous")
    c.raises(TypeError, lambda: nc.forward(sid, td[::2, ::2, ::2]), "3-d non-collapsible view")
    # 0-d, empty, mixed dtypes, a stream
    z = cuda.to_device(np.array(-1.5))
    got = nc.forward(sid, z)
    c.ok(tuple(got.shape) == () and type(got) is type(z), "0-d stays 0-d on the device")
    c.ulps(_host(got), np.asarray(fastact.sigmoid(np.array(-1.5))), 10, "0-d value")
    e = cuda.to_device(np.zeros((0, 5)))
    c.ok(tuple(nc.forward(sid, e).shape) == (0, 5), "empty")
    c.ok(tuple(nc.forward(ID["softmax"], e).shape) == (0, 5), "empty softmax")
    got = nc.backward(sid, cuda.to_device(dy.astype(np.float32)), cuda.to_device(x))
    c.ulps(_host(got), fastact.sigmoid_backward(dy.astype(np.float32), x), 10, "mixed float32/float64")
    s = cuda.stream()
    got = nc.forward(sid, cuda.to_device(x), stream=s)
    s.synchronize()
    c.ulps(_host(got), ref, 10, "stream=")
    c.ok(not nc.is_device_array(x) and not nc.is_device_array(1.0) and nc.is_device_array(xd),
         "is_device_array")
    ok, why = nc.available()
    c.ok(ok, "available()", why)


def check_libraries(c: Checks, cuda, nc):
    """CuPy and torch CUDA arrays in -> the same library out (real GPU only)."""
    x = np.random.default_rng(5).standard_normal((8, 33)).astype(np.float32)
    ref = fastact.sigmoid(x)
    libs = []
    try:
        import torch

        if torch.cuda.is_available():
            libs.append(("torch", torch.from_numpy(x).cuda(), torch.Tensor))
    except ImportError:
        pass
    try:
        import cupy

        libs.append(("cupy", cupy.asarray(x), cupy.ndarray))
    except Exception:  # noqa: BLE001 - not installed, or no usable CUDA for it
        pass
    for lib, a, typ in libs:
        got = nc.forward(ID["sigmoid"], a)
        c.ok(isinstance(got, typ), f"{lib} in -> {lib} out", type(got).__name__)
        c.ulps(_host(got), ref, 10, f"{lib} sigmoid")
        got = nc.forward(ID["softmax"], a)
        c.rows(_host(got), fastact.softmax(x), 4, 4, 1.0, f"{lib} softmax")
        got = nc.backward(ID["relu"], a, a)
        c.ulps(_host(got), fastact.relu_backward(x, x), 0, f"{lib} relu backward")
        out = a.clone() if lib == "torch" else a.copy()
        r = nc.forward(ID["relu"], a[:, ::2], out=out[:, ::2])
        c.ok(r is not None, f"{lib} strided out")
        c.ulps(_host(out)[:, ::2], fastact.relu(x[:, ::2]), 0, f"{lib} strided out values")
        dx, dw = fastact.prelu_backward(a, a, a[0, :1])
        c.ok(isinstance(dx, typ) and isinstance(dw, typ), f"{lib} prelu backward types")
    if "torch" in [lib for lib, *_ in libs]:
        import torch

        t = torch.from_numpy(x).cuda().requires_grad_()
        got = nc.forward(ID["tanh"], t)
        c.ok(isinstance(got, torch.Tensor) and not got.requires_grad, "torch requires_grad input")
        c.raises(TypeError, lambda: nc.forward(ID["tanh"], t.detach().bfloat16()), "torch bfloat16")
    return [lib for lib, *_ in libs]


CHECKS = {"eltwise": check_eltwise, "rowwise": check_rowwise, "channelwise": check_channelwise,
          "gated": check_gated, "random": check_random, "api": check_api}


def run_checks(groups=GROUPS, verbose: bool = True) -> list[str]:
    """Run the check groups on the current numba.cuda (simulated or real); returns the failures."""
    from numba import cuda

    from fastact.backends import numba_cuda as nc

    c = Checks(verbose)
    for g in groups:
        t0 = time.perf_counter()
        n0, f0 = c.count, len(c.failures)
        try:
            CHECKS[g](c, cuda, nc)
        except Exception:  # noqa: BLE001 - report and go on with the next group
            c.fail(g, "raised\n" + traceback.format_exc())
        if verbose:
            print(f"{g}: {c.count - n0} checks, {len(c.failures) - f0} failures, "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
    for f in c.failures:
        print("FAIL", f, flush=True)
    return c.failures


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        import numba.cuda  # noqa: F401
    except Exception as e:  # noqa: BLE001
        print(f"numba-cuda is not usable: {type(e).__name__}: {e}")
        return SKIP_RC
    return 1 if run_checks(argv or GROUPS) else 0


# ---- pytest: the checks under the simulator, each group in its own interpreter ------------------------

def test_is_device_array_host():
    from fastact.backends import numba_cuda as nc

    for v in (np.zeros(3), np.float32(1), 1.0, [1.0], None, np.zeros(()), memoryview(b"ab")):
        assert not nc.is_device_array(v)


@pytest.fixture(scope="module")
def simulated():
    """Start every group at once (the simulator is slow and single-threaded per process)."""
    if importlib.util.find_spec("numba_cuda") is None:
        pytest.skip("numba-cuda is not installed (pip install numba-cuda)")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    procs = {g: subprocess.Popen([sys.executable, "-W", "ignore::RuntimeWarning", "-m", "tests.test_cuda", g],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for g in GROUPS}
    yield procs
    for p in procs.values():
        if p.poll() is None:
            p.kill()


@pytest.mark.parametrize("group", GROUPS)
def test_cuda_simulator(simulated, group):
    p = simulated[group]
    try:
        out, _ = p.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"{group}: timed out")
    if p.returncode == SKIP_RC:
        pytest.skip(out.strip().splitlines()[-1])
    assert p.returncode == 0, out


if __name__ == "__main__":
    sys.exit(main())
