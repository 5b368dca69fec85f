"""NALU vs a ReLU MLP on arithmetic, inside and outside the training range.

Each model maps two numbers (a, b) to one of a + b, a − b, a · b, a / b. Training inputs
are uniform in [lo, hi) (default [1, 10)); the test is on the training range
(interpolation) and on [10 lo, 10 hi) (extrapolation: every input 10× larger than seen).

  NALU  one ``fastact.nn.NALU(2, 1)`` layer (Trask et al. 2018): y = g⊙(xW) + (1−g)⊙exp(log(|x|+ε)W),
        W = tanh(Ŵ)⊙σ(M̂), g = σ(xG). It can represent each operation exactly with W entries
        in {−1, 0, 1}, so what it learns carries over to any magnitude. The gate starts at
        G = 0 (g = 1/2): with inputs up to 10 a random G saturates σ at once and can lock
        the layer onto the wrong path.
  MLP   2 → 64 → 64 → 1 with relu (He init): a piecewise-linear fit of the training range,
        which continues linearly outside it.

Both train with Adam (β2 = 0.99: the NALU's weights approach ±1 through saturating
tanh and σ, so its gradients shrink steadily, and a shorter second-moment memory keeps the
steps from shrinking with them) on the mean squared error, the same number of steps and
batches, several seeds each; the table gives the median over seeds of the relative error
mean|ŷ − y| / mean|y| on 4096 test points (and, for NALU, how many seeds reached < 1 % out of range).
"""

from __future__ import annotations

import time

import numpy as np

from fastact import nn

from . import one_blas_thread, require

OPS = {
    "a+b": lambda a, b: a + b,
    "a-b": lambda a, b: a - b,
    "a*b": lambda a, b: a * b,
    "a/b": lambda a, b: a / b,
}

NALU_LR, MLP_LR = 0.05, 3e-3


def make_nalu(seed: int) -> nn.Layer:
    return nn.NALU(2, 1, rng=seed, gate_init="zeros")


def make_mlp(seed: int) -> nn.Layer:
    return nn.Sequential(nn.Dense(2, 64, rng=seed), nn.Activation("relu"), nn.Dense(64, 64, rng=seed + 100),
                         nn.Activation("relu"), nn.Dense(64, 1, init="lecun", rng=seed + 200))


def fit(model: nn.Layer, op, lo: float, hi: float, steps: int, lr: float, seed: int,
        batch: int = 64) -> nn.Layer:
    """Adam on MSE with fresh uniform batches from [lo, hi)²."""
    rng = np.random.default_rng(seed + 1000)
    loss, opt = nn.MSE(), nn.Adam(model, lr=lr, betas=(0.9, 0.99))
    x = np.empty((batch, 2))
    t = np.empty((batch, 1))
    for _ in range(steps):
        x[:] = rng.uniform(lo, hi, (batch, 2))
        t[:, 0] = op(x[:, 0], x[:, 1])
        loss.forward(model.forward(x), t)
        model.backward(loss.backward())
        opt.step()
    return model


def rel_error(model: nn.Layer, op, lo: float, hi: float, seed: int, n: int = 4096) -> float:
    """mean|prediction − truth| / mean|truth| on n uniform points in [lo, hi)² (inf if not finite;
    per-point ratios would blow up where a − b ≈ 0)."""
    x = np.random.default_rng(seed + 2000).uniform(lo, hi, (n, 2))
    y = op(x[:, 0], x[:, 1])
    with np.errstate(all="ignore"):
        p = model.forward(x)[:, 0]
        e = np.mean(np.abs(p - y)) / np.mean(np.abs(y))
    return float(e) if np.isfinite(e) else float("inf")


def run(quick: bool = False, lo: float = 1.0, hi: float = 10.0, steps: int | None = None,
        seeds: int | None = None, progress: bool = True) -> list[dict]:
    """Train NALU and MLP for every operation and seed; one row dict per operation."""
    steps = steps or (600 if quick else 3000)
    seeds = seeds or (1 if quick else 3)
    bar = None
    if progress:
        tqdm = require("tqdm", "tqdm").tqdm
        bar = tqdm(total=len(OPS) * seeds * 2, desc="demo nalu", unit="model", leave=False,
                   dynamic_ncols=True)
    rows = []
    try:
        with one_blas_thread():  # tiny matrices: BLAS threads only cost
            for name, op in OPS.items():
                errs = {k: [] for k in ("nalu_in", "nalu_out", "mlp_in", "mlp_out")}
                t0 = time.perf_counter()
                for s in range(seeds):
                    for kind, make, lr in (("nalu", make_nalu, NALU_LR), ("mlp", make_mlp, MLP_LR)):
                        model = fit(make(s), op, lo, hi, steps, lr, s)
                        errs[kind + "_in"].append(rel_error(model, op, lo, hi, s))
                        errs[kind + "_out"].append(rel_error(model, op, 10 * lo, 10 * hi, s))
                        if bar is not None:
                            bar.set_postfix_str(f"{name} {kind}", refresh=False)
                            bar.update(1)
                row = {"op": name, "seconds": time.perf_counter() - t0, "seeds": seeds, "steps": steps}
                row.update({k: float(np.median(v)) for k, v in errs.items()})
                row["nalu_solved"] = sum(e < 0.01 for e in errs["nalu_out"])
                rows.append(row)
    finally:
        if bar is not None:
            bar.close()
    for r in rows:
        r["config"] = (f"train a, b ~ U[{lo:g}, {hi:g}), extrapolation test on U[{10 * lo:g}, {10 * hi:g}); "
                       f"Adam (lr {NALU_LR} NALU, {MLP_LR} MLP, betas 0.9/0.99), {steps} steps of 64, "
                       f"{seeds} seed(s);\n"
                       "error = mean|prediction - truth| / mean|truth|, median over seeds")
    return rows


def _pct(e: float) -> str:
    return f"{f'{100 * e:.3g}%':>10s}" if np.isfinite(e) else f"{'inf':>10s}"


def table(rows: list[dict]) -> str:
    head = (f"{'op':5s} {'NALU in':>10s} {'MLP in':>10s} {'NALU out':>10s} {'MLP out':>10s} "
            f"{'NALU <1% out':>13s} {'time s':>7s}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['op']:5s} {_pct(r['nalu_in'])} {_pct(r['mlp_in'])} {_pct(r['nalu_out'])} "
                     f"{_pct(r['mlp_out'])} {r['nalu_solved']:>8d} of {r['seeds']} {r['seconds']:7.1f}")
    return "\n".join(lines)


def main(quick: bool = False, out: str | None = None) -> str:
    """``python -m fastact demo nalu [--quick]``: the error table (writes no files; out is unused)."""
    t0 = time.perf_counter()
    rows = run(quick=quick)
    return "\n".join([rows[0]["config"], "", table(rows), "",
                      "in = the training range, out = 10x larger inputs (extrapolation)",
                      f"total {time.perf_counter() - t0:.1f} s"])
