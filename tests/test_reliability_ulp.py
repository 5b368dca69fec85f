"""The float32 ULP sweep tool (tools/ulp_sweep.py + tools/ulp_sweep.c) on every 65537th
bit pattern (slow: ~1 min, mostly compiling the library).

Checks the tool itself against the Python side -- the reported worst inputs give the
same float32 results through fastact's Python API, and tests/accuracy.py grades them
with the same error -- and that no function exceeds its registry bound on the sample.
The exhaustive run (all 2^32 inputs) is `python tools/ulp_sweep.py`; see docs/ulp_sweep.md."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

from .accuracy import _params, _subnormal, condition
from .reference import NP, REFS, ulp_error

ROOT = Path(__file__).resolve().parent.parent
STEP = 65537
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")]


def _tool():
    spec = importlib.util.spec_from_file_location("_ulp_sweep_tool", ROOT / "tools" / "ulp_sweep.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    tool = _tool()
    d = tmp_path_factory.mktemp("ulp")
    exe = tool.build(d / "build", shutil.which("gcc"))
    info, rows, wall = tool.run(exe, STEP, None, None)
    md = tool.markdown(info, rows, STEP, wall, f"python tools/ulp_sweep.py --step {STEP}", tool.source_digest())
    return tool, {(r["name"], r["dir"]): r for r in rows}, md


def _dy(bits: int) -> np.float32:
    """tools/ulp_sweep.c: dy_of (splitmix64 of the bit pattern, to [-2, 2))."""
    m = (1 << 64) - 1
    z = (bits + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    z ^= z >> 31
    return np.float32((z >> 40) * 2.0**-24 * 4.0 - 2.0)


ELT = [a.name for a in ACTIVATIONS if a.kind == "eltwise"]


def test_every_function_swept(sweep):
    _, rows, md = sweep
    n = -(-(2**32) // STEP)
    for name in ELT:
        for d in ("fwd", "bwd"):
            r = rows[(name, d)]
            assert r["evaluated"] == n and r["status"] == 0
            assert r["bound"] == (BY_NAME[name].ulp[0] if d == "fwd" else BY_NAME[name].ulp_backward[0])
    assert md.count("\n| ") == 2 * len(ELT) + 1 and "Over their bound" in md


@pytest.mark.parametrize("name", ELT)
def test_worst_inputs_reproduce_in_python(sweep, name):
    """The C tool's worst input gives the same float32 result through the Python API, and the
    independent reference of tests/reference.py grades it like the tool (forward)."""
    _, rows, _ = sweep
    fwd, bwd = rows[(name, "fwd")], rows[(name, "bwd")]
    x = np.array([int(fwd["worst_bits"], 16)], dtype=np.uint32).view(np.float32)
    got = getattr(fastact, name)(x, backend="native")
    assert got[0] == np.float32(fwd["got"]) or (np.isnan(got[0]) and np.isnan(fwd["got"]))
    p = {k: NP.num(v) for k, v in _params(BY_NAME[name], np.float32).items()}
    with np.errstate(all="ignore"):
        ref = REFS[name][0](x.astype(np.float64), NP, **p)
    err = ulp_error(got, ref, np.float32)
    if BY_NAME[name].ulp_cond:
        err = err - 2 * condition(name, x, np.float32)
    err = float(_subnormal(err, ref, x, np.float32)[0])
    if np.isfinite(err) and name not in ("tanhshrink", "squareplus"):  # float64 NumPy refs too coarse there
        assert abs(max(err, 0) - max(fwd["max_err"], 0)) < 0.02 + 1e-6 * abs(err), (err, fwd["max_err"])
    bits = int(bwd["worst_bits"], 16)
    xb = np.array([bits], dtype=np.uint32).view(np.float32)
    dx = getattr(fastact, name + "_backward")(np.array([_dy(bits)]), xb, backend="native")
    assert dx[0] == np.float32(bwd["got"]) or (np.isnan(dx[0]) and np.isnan(bwd["got"]))


def test_within_registry_bounds(sweep):
    """Every function within its registry bound on the sampled inputs (the issue's contract)."""
    _, rows, _ = sweep
    over = {k: (r["max_err"], r["worst_x"], r["above"]) for k, r in rows.items() if r["above"]}
    assert not over, f"over the registry bound (max ULP, worst x, count): {over}"
