"""The generated C files are up to date with the registry, and the compiled
library agrees with it."""

import subprocess
import sys
from pathlib import Path

import pytest

from fastact._registry import ACTIVATIONS, KINDS, MAX_PARAMS
from fastact.backends import native

ROOT = Path(__file__).resolve().parent.parent


def test_generated_files_are_fresh():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, f"run `python tools/gen.py`:\n{r.stdout}{r.stderr}"


def test_library_matches_registry():
    compiled = native.activations()
    assert [c[0] for c in compiled] == [a.name for a in ACTIVATIONS]
    for (name, kind, nparams, from_y), a in zip(compiled, ACTIVATIONS, strict=True):
        assert KINDS[kind] == a.kind and nparams == len(a.params) and bool(from_y) == a.has_backward_y, name


def test_max_params_matches_header():
    header = (ROOT / "fastact_c" / "include" / "fastact" / "fastact.h").read_text()
    assert f"#define FA_MAX_PARAMS {MAX_PARAMS}" in header


def test_param_checks_agree_with_c():
    """The Python checks and the generated C checks come from one condition."""
    from fastact._api import resolve_params
    from fastact._registry import ID

    for a in ACTIVATIONS:
        for p in a.params:
            for v in (-2.0, -0.5, 0.0, 0.5, 2.0, float("inf"), float("nan")):
                vals = {**a.defaults, p.name: v}
                try:
                    resolve_params(a, "t", {p.name: v})
                    ok = True
                except ValueError:
                    ok = False
                assert native.params_ok(ID[a.name], tuple(vals[n] for n in a.param_names)) == ok, (a.name, p.name, v)


def test_formula_errors_are_reported():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen
    finally:
        sys.path.pop(0)
    reg = gen.load_registry()
    act = reg.Activation("bad", "eltwise", "", "", "", forward="exp(q)", backward="dy")
    with pytest.raises(gen.FormulaError, match="unknown name 'q'"):
        gen.CTranslator(reg, act, "float", "f32", {"x"}, act.forward).body()
    act2 = reg.Activation("bad", "eltwise", "", "", "", forward="x ** 2", backward="dy")
    with pytest.raises(gen.FormulaError, match="unsupported"):
        gen.CTranslator(reg, act2, "float", "f32", {"x"}, act2.forward).body()
