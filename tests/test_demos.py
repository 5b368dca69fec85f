"""`python -m fastact demo deep|nalu --quick`: the tables print, the PNGs are written, and the
effects the demos are about show (vanishing sigmoid gradients; NALU extrapolating a*b)."""

import re
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


def run(*args):
    return subprocess.run([sys.executable, "-m", "fastact", *args], capture_output=True, text=True,
                          check=True, timeout=180).stdout


def rows(out: str, first_col: str) -> dict:
    """The table rows whose first column is a word, from the line after the header with first_col."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first_col])
    table = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = line.split()
        table[cells[0]] = cells[1:]
    return table


def test_demo_deep_quick(tmp_path):
    out = run("demo", "deep", "--quick", "--out", str(tmp_path))
    summary = rows(out, "activation")
    assert list(summary) == ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish"]
    for name, cells in summary.items():
        init, loss, acc, seconds, ratio_first, ratio_last = cells
        assert init == {"sigmoid": "xavier", "tanh": "xavier", "selu": "lecun"}.get(name, "he")
        assert float(loss) > 0 and 0 <= float(acc) <= 1 and float(seconds) > 0
    # the per-layer table at epoch 1: 9 Dense layers
    per_layer = rows(out[out.index("epoch 1:"):], "activation")
    sig = [float(v) for v in per_layer["sigmoid"]]
    relu = [float(v) for v in per_layer["relu"]]
    assert len(sig) == 9
    # vanishing gradients: sigmoid's first layer orders of magnitude below its last, relu's not
    assert sig[0] < 1e-3 * sig[-1], sig
    assert float(summary["sigmoid"][4]) < 1e-3
    assert relu[0] > 0.05 * relu[-1], relu
    # sigmoid does not learn in the quick run; relu does
    assert float(summary["sigmoid"][1]) > 2.0 and float(summary["relu"][1]) < 1.0
    for png in ("deep_loss.png", "deep_gradients.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(tmp_path / png) in out


def test_demo_nalu_quick():
    out = run("demo", "nalu", "--quick")
    table = rows(out, "op")
    assert list(table) == ["a+b", "a-b", "a*b", "a/b"]
    pct = {op: [float(c.rstrip("%")) for c in cells[:4]] for op, cells in table.items()}  # NALU/MLP in, out
    nalu_out, mlp_out = pct["a*b"][2], pct["a*b"][3]
    assert nalu_out < 0.25 * mlp_out, (nalu_out, mlp_out)  # the MLP cannot extrapolate a product
    assert re.search(r"total [0-9.]+ s", out)


def test_demo_errors():
    p = subprocess.run([sys.executable, "-m", "fastact", "demo", "nope"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "deep, nalu" in p.stderr
    from fastact import demos

    with pytest.raises(ImportError, match=r"pip install -e \"\.\[demo\]\" in the fastact clone"):
        demos.require("fastact_no_such_module", "something")
    with pytest.raises(ValueError):
        demos.run("nope")
