"""A PyTorch training step with fastact's activations against the same step with PyTorch's own.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/torch_step.py [--threads 2] [--steps 30]

The model of the issue: MLP 512 -> 1024 -> 1024 -> 10, SGD, cross-entropy, eager; one step =
forward, backward, optimizer step. Prints ms per step (best of --reps runs of --steps steps) and
the ratio fastact / torch (< 1: fastact faster) per activation and batch size.
"""

from __future__ import annotations

import argparse
import time

import torch

import fastact.torch as ft


def model(act: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(512, 1024), act, torch.nn.Linear(1024, 1024), act,
                               torch.nn.Linear(1024, 10))


def step_time(net: torch.nn.Module, batch: int, steps: int, reps: int) -> float:
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 512, generator=g)
    t = torch.randint(0, 10, (batch,), generator=g)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run(n):
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x), t).backward()
            opt.step()

    run(3)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - t0) / steps)
    return best * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", default="32,256,2048")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    import numpy as np

    import fastact
    from fastact import _dispatch

    fastact.gelu(np.ones(1 << 20, np.float32))  # starts loading numba; timings start once it is ready
    _dispatch.wait_for_backends()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per step (best of {a.reps} x {a.steps})")
    print(f"{'activation':10s} {'batch':>6s} {'torch':>8s} {'fastact':>8s} {'ratio':>6s}")
    pairs = {"gelu": (torch.nn.GELU, ft.GELU), "silu": (torch.nn.SiLU, ft.SiLU),
             "gelu_tanh": (lambda: torch.nn.GELU(approximate="tanh"), lambda: ft.GELU(approximate="tanh")),
             "mish": (torch.nn.Mish, ft.Mish)}
    for name, (tact, fact) in pairs.items():
        for b in (int(v) for v in a.batches.split(",")):
            tt = step_time(model(tact()), b, a.steps, a.reps)
            tf = step_time(model(fact()), b, a.steps, a.reps)
            print(f"{name:10s} {b:6d} {tt:8.3f} {tf:8.3f} {tf / tt:6.2f}", flush=True)


if __name__ == "__main__":
    main()
