"""Every Python sample of the README runs, and the outputs it shows are the ones it gives.

A sample line ``expr  # [v0 v1 ...]`` is evaluated and compared with the values shown (to the
digits shown); ``# ... equal to <eps>`` on an assignment compares the new value with the one the
name held before. Names a sample leaves to the reader (``batches``, ``x``, ``weight``) are given
small values first. The C sample is compiled and run by tests/test_capi.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _samples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _shown(comment: str):
    """The values of a ``# [..]`` comment, or None."""
    m = re.match(r"\s*\[([^\]]*)\]", comment)
    return None if m is None else np.array([float(v) for v in m.group(1).split()])


def _run(src: str, ns: dict) -> int:
    """Execute src statement by statement, checking shown outputs; returns how many were checked."""
    lines = src.splitlines()
    checked = 0
    for st in ast.parse(src).body:
        text = ast.get_source_segment(src, st)
        comment = lines[st.end_lineno - 1].partition("#")[2]
        before = {k: ns[k] for k in ns if not k.startswith("__")}
        if isinstance(st, ast.Expr):
            value = eval(compile(ast.Expression(st.value), "README", "eval"), ns)  # noqa: S307
            want = _shown(comment)
            if want is not None:
                digits = max((len(v.partition(".")[2]) for v in comment.split("]")[0].split()), default=0)
                np.testing.assert_allclose(np.asarray(value, dtype=float), want, rtol=0, atol=0.5 * 10.0 ** -digits,
                                           err_msg=text)
                checked += 1
            continue
        exec(compile(ast.Module([st], []), "README", "exec"), ns)  # noqa: S102
        m = re.search(r"equal to ([0-9.e-]+)", comment)
        if m and isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
            name = st.targets[0].id
            assert np.abs(np.asarray(ns[name]) - np.asarray(before[name])).max() <= float(m.group(1)), text
            checked += 1
    return checked


def test_the_readme_has_its_samples():
    assert len(_samples()) >= 3


def test_python_sample():
    src = next(s for s in _samples() if "fastact.sigmoid(x)" in s)
    assert _run(src, {}) >= 4


def test_nn_sample():
    src = next(s for s in _samples() if "from fastact import nn" in s)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((8, 64)), rng.integers(0, 10, 8)) for _ in range(3)]
    ns = {"batches": batches}
    _run(src, ns)
    assert np.isfinite(ns["loss"])
    x = batches[0][0]
    np.testing.assert_array_equal(ns["model"](x), ns["model"](x))  # model.eval(): dropout is off


def test_torch_sample():
    torch = pytest.importorskip("torch")
    src = next(s for s in _samples() if "import torch, fastact.torch as ft" in s)
    ns = {"x": torch.randn(4, 128, dtype=torch.float64), "weight": torch.full((128,), 0.25, dtype=torch.float64)}
    _run(src, ns)
    torch.testing.assert_close(ns["y"], torch.ops.fastact.elu(ns["x"], 0.5))
