"""Per thread: fastact's C kernels (native backend) against PyTorch's out= kernels on one thread,
and the numba backend on all threads against native and torch on all threads, in one process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/per_thread.py [--size 1e6] [names...]

Prints, per (activation, op, dtype), ns per element and the ratios torch/native (>1: fastact
faster per thread) and, with --threads, numba(all)/native(1) and torch(all)/numba(all).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from fastact import _bench

DEFAULT = ("relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "softplus", "elu", "selu", "mish",
           "logsigmoid", "softmax", "log_softmax")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=DEFAULT)
    ap.add_argument("--size", default="1e6")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--ops", default="fwd,bwd")
    ap.add_argument("--budget", type=float, default=0.3)
    ap.add_argument("--threads", action="store_true", help="also numba on all threads")
    a = ap.parse_args()
    torch = _bench.torch_module()
    n = _bench.parse_size(a.size)
    print(_bench.describe_machine())
    print(f"{'case':34s} {'native':>7s} {'torch1':>7s} {'t1/nat':>7s}"
          + (f" {'numba':>7s} {'torchN':>7s} {'nat/nb':>7s} {'tN/nb':>7s}" if a.threads else ""))
    for case in _bench.cases(a.names, a.ops.split(","), a.dtypes.split(","), (n,)):
        d = _bench.make_data(case)
        ns = lambda f, n=case.size: _bench.best_time(f, a.budget) / n * 1e9  # noqa: E731
        t_nat = ns(_bench.fastact_call(case, d, "native"))
        tc = _bench.torch_calls(case, d).get("torch-out") if torch else None
        t_t1 = float("nan")
        if tc:
            torch.set_num_threads(1)
            t_t1 = ns(tc)
        row = f"{case.name + ' ' + case.op + ' ' + case.dtype:34s} {t_nat:7.3f} {t_t1:7.3f} {t_t1 / t_nat:7.2f}"
        if a.threads:
            t_nb = ns(_bench.fastact_call(case, d, "numba"))
            t_tn = float("nan")
            if tc:
                torch.set_num_threads(os.cpu_count() or 1)
                t_tn = ns(tc)
            row += f" {t_nb:7.3f} {t_tn:7.3f} {t_nat / t_nb:7.2f} {t_tn / t_nb:7.2f}"
        print(row, flush=True)


if __name__ == "__main__":
    with np.errstate(all="ignore"):
        main()
