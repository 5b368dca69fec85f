"""Fixtures and the ratio summary of the pytest-benchmark suite (see README.md here)."""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # `import fastact` from the checkout when run from bench/
    sys.path.insert(0, ROOT)

from fastact import _bench  # noqa: E402


@pytest.fixture(scope="session")
def bench_data():
    """make_data(case), reused while consecutive tests share a case (each group in turn):
    only one case's arrays are alive at a time (1e7 float64: ~80 MB each)."""
    cache: dict = {}

    def get(case):
        if case not in cache:
            cache.clear()
            cache[case] = _bench.make_data(case)
        return cache[case]

    return get


def pytest_configure(config):
    _bench.torch_module()  # torch.set_num_threads(cores) before anything runs


def _ratio(a, b):
    return f"{a / b:5.2f}" if a and b else "    -"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Per group: fastact's GB/s per backend and, for the dispatcher's choice, the ratio to the
    faster roofline (GB/s / GB/s) and the speedup over each baseline (their time / fastact's)."""
    session = getattr(config, "_benchmarksession", None)
    marks = getattr(session, "benchmarks", None) or []
    groups: dict = {}
    for b in marks:
        if b.has_error or not getattr(b, "stats", None) or "impl" not in b.extra_info:
            continue
        groups.setdefault(b.group, {})[b.extra_info["impl"]] = (b.stats.min, b.extra_info["bytes"],
                                                                 b.extra_info.get("backend", ""))
    if not groups:
        return
    tr = terminalreporter
    tr.section("fastact vs roofline and baselines (min times; > 1: fastact faster)")
    tr.write_line(f"{'group':34s} {'native':>7s} {'numba':>7s} {'auto':>7s} GB/s  {'/roof':>5s} "
                  f"{'numpy':>5s} {'nexpr':>5s} {'t.out':>5s} {'t.alloc':>7s}  auto->")
    for group in sorted(groups, key=lambda g: (g.split()[-1], g)):
        r = groups[group]
        gb = {k: v[1] / v[0] / 1e9 for k, v in r.items()}
        roof = max((v for k, v in gb.items() if k.startswith("roofline-")), default=None)
        auto = r.get("fastact-auto")
        t = auto[0] if auto else None

        def vs(k, r=r, t=t):
            return _ratio(r[k][0], t) if k in r and t else "    -"

        cells = " ".join(f"{gb[k]:7.1f}" if k in gb else f"{'-':>7s}"
                         for k in ("fastact-native", "fastact-numba", "fastact-auto"))
        tr.write_line(f"{group:34s} {cells}       {_ratio(gb.get('fastact-auto'), roof)} {vs('numpy')} "
                      f"{vs('numexpr')} {vs('torch-out')} {vs('torch-alloc'):>7s}  {auto[2] if auto else ''}")
