"""The benchmark baselines compute what fastact computes, and `python -m fastact bench` runs.

A baseline that silently computed something else (another formula, parameters or axis) would
make every speedup in the README meaningless; these checks are cheap (1e4 elements, float64)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastact
from fastact import _bench

NAMES = [a.name for a in fastact._registry.ACTIVATIONS]
RANDOM = ("dropout", "rrelu")


def _case_data(name, op, n=10**4):
    case = _bench.Case(name, op, "float64", n)
    d = _bench.make_data(case)
    np.clip(d["x"], -6, 6, out=d["x"])  # the naive formulas a user writes overflow further out
    d["x"][np.abs(np.abs(d["x"]) - 3) < 1e-6] = 0.5  # keep off the kinks of the hard* functions
    if op == "bwdy":
        d["yin"] = getattr(fastact, name)(d["x"], backend="native")
    return case, d


def _fastact_result(case, d):
    r = _bench.fastact_call(case, d, "native")()
    if case.kind == "channelwise" and case.op == "bwd":
        return r[0].copy()
    return (d["y"] if case.op == "fwd" else d["dx"]).copy()


def _close(a, b):
    a = np.asarray(a, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def _numpy_mismatch(name, op):
    case, d = _case_data(name, op)
    want = _fastact_result(case, d)
    call = _bench.numpy_call(case, d)
    if call is None:
        return "no NumPy formula"
    got = call()
    if isinstance(got, tuple):
        got = got[0]
    if name in RANDOM:  # another generator: each element is kept (scaled) or takes the other branch
        x = d["x"] if op == "fwd" else d["dy"]
        if name == "dropout":
            ok = np.isclose(got, 0) | np.isclose(got, x / (1 - case.spec.defaults["p"]))
        else:
            lo, hi = case.spec.defaults["lower"], case.spec.defaults["upper"]
            ratio = np.divide(got, x, out=np.ones_like(x), where=x != 0)
            ok = np.where(d["x"] > 0, np.isclose(ratio, 1), (ratio >= lo - 1e-12) & (ratio <= hi + 1e-12))
        return None if ok.all() and got.shape == want.shape else "wrong mask values"
    return None if _close(got, want) else f"max diff {np.max(np.abs(got - want))}"


@pytest.mark.parametrize("op", _bench.OPS)
def test_numpy_formulas_agree(op):
    if op == "bwdy":  # every backward that can start from y has a NumPy y-form
        names = [n for n in NAMES if _bench.has_backward_y(n)]
        assert len(names) >= 15
    else:
        names = [n for n in NAMES if _bench.has_numpy(n)]
        assert len(names) >= len(NAMES) - 3  # only the erf forms may lack one (no scipy)
    bad = {n: m for n in names if (m := _numpy_mismatch(n, op))}
    assert not bad, bad


@pytest.mark.parametrize("op", _bench.OPS)
def test_torch_baselines_agree(op):
    pytest.importorskip("torch")
    bad, seen = {}, 0
    for name in NAMES if op != "bwdy" else [n for n in NAMES if _bench.has_backward_y(n)]:
        case, d = _case_data(name, op)
        want = _fastact_result(case, d)
        for label, f in _bench.torch_calls(case, d).items():
            seen += 1
            got = f()
            got = (got[0] if isinstance(got, tuple) else got).numpy()
            if got.shape != want.shape or (name not in RANDOM and not _close(got, want)):
                bad[f"{label} {name}"] = f"max diff {np.max(np.abs(got - want))}"
            if label == "torch-out":  # it wrote into the preallocated output
                assert np.shares_memory(got, d["y"] if op == "fwd" else d["dx"]), name
    assert seen >= (8 if op == "bwdy" else 40) and not bad, bad


@pytest.mark.parametrize("op", _bench.OPS)
def test_numexpr_agrees(op):
    pytest.importorskip("numexpr")
    names = [n for n in NAMES if _bench.numexpr_expression(n, op)]
    assert len(names) >= (0 if op == "bwdy" else 12)
    bad = {}
    for name in names:
        case, d = _case_data(name, op)
        want = _fastact_result(case, d)
        _bench.numexpr_call(case, d)()
        got = d["y"] if op == "fwd" else d["dx"]
        if not _close(got, want):
            bad[name] = f"max diff {np.max(np.abs(got - want))}"
        # float32: the named constants keep numexpr in float32 (a float literal would upcast)
        x32 = d["x"].astype(np.float32)
        assert _bench.numexpr_eval(name, op, x32, d["dy"].astype(np.float32)).dtype == np.float32, name
    assert not bad, bad


def test_roofline_calls():
    x = np.arange(10**4, dtype=np.float32)
    b = np.ones_like(x)
    out = np.empty_like(x)
    copy = _bench.roofline_calls("copy", x, out)
    assert copy, "no multi-threaded copy available"
    for f in copy.values():
        out[:] = 0
        f()
        assert np.array_equal(out, x)
    for f in _bench.roofline_calls("add", x, out, b).values():
        out[:] = 0
        f()
        assert np.array_equal(out, x + 1)


def test_cases_and_bytes():
    cs = _bench.cases(sizes=(10**3,))
    with_y = [n for n in NAMES if _bench.has_backward_y(n)]
    assert len(cs) == (len(NAMES) * 2 + len(with_y)) * 2
    assert "sigmoid" in with_y and "softmax" in with_y and "softplus" not in with_y
    c = _bench.Case("softmax", "bwd", "float32", 10**6)
    assert c.shape == (1000, 1000) and c.nbytes == 3 * 4 * 10**6 and c.roofline == "add"
    assert _bench.Case("glu", "fwd", "float64", 10**6).nbytes == int(1.5 * 8 * 10**6)
    assert _bench.size_label(10**7) == "1e7" and _bench.parse_size("1e5") == 10**5
    assert set(_bench.SUBSET) <= set(NAMES)


def test_cli_bench_tiny(tmp_path):
    """The bench command end to end on 1e4 elements (the subset, both dtypes, fwd and bwd)."""
    out = subprocess.run([sys.executable, "-m", "fastact", "bench", "--quick", "--sizes", "1e4",
                          "--budget", "0.002", "--markdown"],
                         capture_output=True, text=True, check=True, timeout=600).stdout
    assert "GB/s" in out and "| sigmoid" in out and "| softmax" in out and "copy (" in out
    assert "import fastact" in out and "first call" in out
    for name in _bench.SUBSET:
        assert f"| {name}" in out
    assert "| sigmoid_backward(y=) |" in out


def test_update_readme_section(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    try:
        import update_readme_bench as u
    finally:
        sys.path.pop(0)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{u.START}\nold table\n{u.END}\n\nafter\n")
    body = tmp_path / "bench.md"
    body.write_text("| op | GB/s |\n|---|---:|\n| relu | 1.0 |\n")
    assert u.main(["--readme", str(readme), "--from", str(body)]) == 0
    text = readme.read_text()
    assert "old table" not in text and "| relu | 1.0 |" in text and text.endswith(f"{u.END}\n\nafter\n")
    # the real README has exactly one pair of markers
    real = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert real.count(u.START) == 1 and real.count(u.END) == 1
