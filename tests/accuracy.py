"""Accuracy measurement shared by the tests and the table in the README.

    python -m tests.accuracy      # print max ULP error per activation and dtype

Inputs: random values over many magnitudes plus special values (±0, ±inf,
subnormals, ±1e-30…±1e30, the largest finite values, each function's branch
points and thresholds and their neighbours). NaN is tested separately.
"""

from __future__ import annotations

import numpy as np

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

from .reference import MP, NEEDS_MPMATH, NP, REFS, ulp_error

ELTWISE = [a for a in ACTIVATIONS if a.kind == "eltwise"]
SCALES = (1e-30, 1e-10, 1e-3, 0.1, 1, 3, 10, 30, 100, 1e4, 1e30)


def special_values(dtype, spec=None) -> np.ndarray:
    dt = np.dtype(dtype)
    fi = np.finfo(dt)
    base = [0.0, 1.0, 2.0, 6.0, 20.0, 0.5, 1e-30, 1e30, float(fi.max), float(fi.tiny),
            float(fi.smallest_subnormal), 3 * float(fi.smallest_subnormal), np.inf,
            88.72, 87.33, 103.97, 709.78, 708.39, 745.13, 9.0, 19.06, 0.55, 0.3466, 0.6931]
    if spec is not None:
        base += [abs(v) for v in spec.defaults.values()]
    with np.errstate(over="ignore"):
        v = np.array(base, dtype=np.float64).astype(dt)
        v = np.concatenate([v, np.nextafter(v, dt.type(np.inf)), np.nextafter(v, dt.type(0))])
    v = np.concatenate([v, -v])
    return v[~np.isnan(v)]


def random_values(dtype, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    per = n // (len(SCALES) + 1)
    parts = [rng.uniform(-s, s, per) for s in SCALES]
    emax = np.log10(float(np.finfo(dt).max))
    parts.append(np.sign(rng.standard_normal(per)) * 10 ** rng.uniform(-emax, emax, per))
    with np.errstate(over="ignore"):
        return np.concatenate(parts).astype(dt)


def inputs(dtype, spec, n: int) -> np.ndarray:
    return np.concatenate([special_values(dtype, spec), random_values(dtype, n)])


def _params(spec, dtype) -> dict:
    """Defaults rounded to the dtype, as the kernels (and PyTorch) use them."""
    return {k: float(np.dtype(dtype).type(v)) for k, v in spec.defaults.items()}


def _ns(spec, dtype):
    return NP if np.dtype(dtype) == np.float32 and spec.name not in NEEDS_MPMATH else MP


def _ref(fn, x, dtype, spec):
    """Reference in float64 for float32, in mpmath for float64 (and where float64 is not enough)."""
    m = _ns(spec, dtype)
    with np.errstate(all="ignore"):
        return fn(m.arr(x), m, **{k: m.num(v) for k, v in _params(spec, dtype).items()})


def sample_size(dtype, spec=None) -> int:
    if np.dtype(dtype) == np.float32:
        return 20_000 if spec is not None and spec.name in NEEDS_MPMATH else 100_000
    return 4_000


def condition(name: str, x: np.ndarray, dtype) -> np.ndarray:
    """|x f'(x) / f(x)| in float64 (0 where undefined)."""
    spec = BY_NAME[name]
    p = {k: NP.num(v) for k, v in _params(spec, dtype).items()}
    with np.errstate(all="ignore"):
        xf = x.astype(np.float64)
        c = np.abs(xf * REFS[name][1](xf, NP, **p) / REFS[name][0](xf, NP, **p))
    return np.where(np.isfinite(c), c, 0.0)


def measure_forward(name: str, dtype) -> tuple[float, float]:
    """(max ULP error, worst input) of fastact.<name> against the reference; for
    registry entries with ulp_cond, the error in excess of the condition number."""
    spec = BY_NAME[name]
    x = inputs(dtype, spec, sample_size(dtype, spec))
    got = getattr(fastact, name)(x)
    ref = _ref(REFS[name][0], x, dtype, spec)
    err = ulp_error(got, ref, dtype)
    if spec.ulp_cond:
        err = err - 2 * condition(name, x, dtype)
    err = _subnormal(err, ref, x, dtype)
    i = int(np.argmax(err))
    return float(err[i]), float(x[i])


def _subnormal(err, ref, x, dtype, power=1):
    """Subnormal results of x * g(x) forms carry a subnormal intermediate scaled by x:
    there the error is counted per (1 + |x|) subnormal ULPs."""
    tiny = np.finfo(dtype).tiny
    with np.errstate(all="ignore"):
        r = np.abs(np.array([float(v) for v in np.ravel(ref)]))
        return np.where(r < tiny, err / (1 + np.abs(x.astype(np.float64))) ** power, err)


def measure_backward(name: str, dtype, seed: int = 1) -> tuple[float, float]:
    """(max ULP error, worst input) of dx = dy * f'(x) against dy times the exact derivative.

    For |x| < 8, where derivatives such as silu's cross zero and any formula
    cancels, the error is counted in ULPs of max(|dx|, |dy|/4); outside, in
    ULPs of dx (so tails like sigmoid'(-80) stay graded relatively). With
    ulp_cond, 2 * the forward condition number is allowed on top. Subnormal
    results: per (1 + |x|)^3 subnormal ULPs (cubic arguments as in gelu_tanh)."""
    spec = BY_NAME[name]
    x = inputs(dtype, spec, sample_size(dtype, spec) // 5)
    dy = np.random.default_rng(seed).uniform(-2, 2, x.shape).astype(dtype)
    got = getattr(fastact, name + "_backward")(dy, x)
    m = _ns(spec, dtype)
    ref = _ref(REFS[name][1], x, dtype, spec) * m.arr(dy)
    err = ulp_error(got, ref, dtype)
    with np.errstate(all="ignore"):
        refd = np.array([float(v) for v in np.ravel(ref)]).astype(dtype)
        floor = np.spacing(np.abs(dy) / 4).astype(np.float64)
        scale = np.spacing(np.abs(refd)).astype(np.float64)
        inner = (np.abs(x) < 8) & np.isfinite(refd) & (floor > scale)
    err = np.where(inner, err * scale / np.where(inner, floor, 1), err)
    if spec.ulp_cond:
        err = err - 2 * condition(name, x, dtype)
    err = _subnormal(err, ref, x, dtype, power=3)
    i = int(np.argmax(err))
    return float(err[i]), float(x[i])


def table() -> str:
    rows = ["| activation | f32 fwd | f64 fwd | f32 bwd | f64 bwd | bound fwd | bound bwd |",
            "|---|---|---|---|---|---|---|"]
    for a in ELTWISE:
        cells = [f"{max(measure_forward(a.name, d)[0], 0):.2f}" for d in (np.float32, np.float64)]
        cells += [f"{max(measure_backward(a.name, d)[0], 0):.2f}" for d in (np.float32, np.float64)]
        rows.append(f"| {a.name}{' *' if a.ulp_cond else ''} | " + " | ".join(cells)
                    + f" | {a.ulp[0]:g} / {a.ulp[1]:g} | {a.ulp_backward[0]:g} / {a.ulp_backward[1]:g} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
