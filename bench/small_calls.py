"""Per-call cost of fastact on small arrays (issue 8, target 4) next to np.tanh(x, out=y).

    PYTHONPATH=. python bench/small_calls.py [--n 1000] [--repeat 7]

Prints, for 1e3 float32 (and 1 element, where the kernel costs nothing, so the figure is the
call overhead), the best per-call time of each call and its ratio to ``np.tanh(x, out=y)``
measured in the same process. The machines here are shared: compare ratios from one run, and
run it several times.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

import fastact
from fastact.backends import native

CALLS = ["fastact.tanh(x, out=y)", "fastact.sigmoid(x)", "fastact.relu(x, out=y)",
         "fastact.sigmoid_backward(dy, x, out=dx)", "fastact.leaky_relu(x, negative_slope=0.1, out=y)",
         "fastact.softmax(x2, out=y2)", "fastact.gelu(x, out=y)"]


def best(stmt: str, env: dict, repeat: int) -> float:
    """Best per-call seconds over `repeat` rounds of ~20 ms each."""
    timer = timeit.Timer(stmt, globals=env)
    number, _ = timer.autorange()
    number = max(number, 1) * 2
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    times = {}
    for n in (1, args.n):
        x = np.linspace(-3, 3, n, dtype=np.float32)
        env = {"np": np, "fastact": fastact, "x": x, "y": np.empty_like(x), "dy": np.cos(x), "dx": np.empty_like(x),
               "x2": x.reshape(1, n), "y2": np.empty((1, n), np.float32)}
        before = native.fastpath_calls()
        times[n] = {c: best(c, env, args.repeat) for c in ["np.tanh(x, out=y)", *CALLS]}
        assert native.fastpath_calls() > before, "the fast path was not taken"
    prev = native.set_fastpath(False)  # the same calls through the general Python path
    try:
        general = {c: best(c, env, max(args.repeat // 2, 1)) for c in CALLS}
    finally:
        native.set_fastpath(prev)
    base = times[args.n]["np.tanh(x, out=y)"]
    print(f"per call, ns; ratio to np.tanh(x, out=y) on {args.n} float32 ({base * 1e9:.0f} ns); "
          f"kernel = t({args.n}) - t(1), the rest is call overhead; general: the Python path")
    print(f"{'call':52s} {'t(1)':>6s} {f't({args.n})':>8s} {'ratio':>6s} {'kernel':>7s} {'general':>8s}")
    for c in ["np.tanh(x, out=y)", *CALLS]:
        t1, tn = times[1][c], times[args.n][c]
        g = f"{general[c] * 1e9:8.0f}" if c in general else ""
        print(f"{c:52s} {t1 * 1e9:6.0f} {tn * 1e9:8.0f} {tn / base:6.2f} {(tn - t1) * 1e9:7.0f} {g}")


if __name__ == "__main__":
    main()
