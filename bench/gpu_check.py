"""Check and time the cuda backend on a real GPU (no simulator).

    python bench/gpu_check.py                 # checks, then the bandwidth table (~1-3 min on an H100)
    python bench/gpu_check.py --skip-checks   # the table only
    python bench/gpu_check.py --n 20000000    # a smaller array

1. Runs tests/test_cuda.py's ``run_checks()`` (the checks CI runs under the
   simulator) for real, plus CuPy/torch input checks where those are installed.
2. Times forward and backward of sigmoid, relu, tanh on n float32 (default 1e8)
   and softmax on (n / 1000, 1000), all with ``out=`` preallocated, against a
   device-to-device copy (the roofline: 2 bytes moved per byte copied) and
   PyTorch CUDA (``torch.sigmoid(x, out=y)``, ``torch.relu``, ``torch.softmax``,
   the aten backward ops) when available. GB/s counts bytes read + written
   (forward 2 arrays, backward 3); times are the best of several rounds of CUDA
   events around repeated calls (Python launch overhead included).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _timer(cuda, reps: int, rounds: int):
    def timeit(fn) -> float:
        fn()
        cuda.synchronize()
        best = float("inf")
        for _ in range(rounds):
            start, end = cuda.event(), cuda.event()
            start.record()
            for _ in range(reps):
                fn()
            end.record()
            end.synchronize()
            best = min(best, start.elapsed_time(end) / reps / 1e3)
        return best
    return timeit


def run_checks_on_gpu(cuda, nc) -> list[str]:
    from tests.test_cuda import Checks, check_libraries, run_checks

    t0 = time.perf_counter()
    failures = run_checks()
    c = Checks()
    try:
        libs = check_libraries(c, cuda, nc)
    except Exception as e:  # noqa: BLE001
        c.fail("libraries", f"raised {type(e).__name__}: {e}")
        libs = []
    print(f"libraries ({', '.join(libs) or 'none installed'}): {c.count} checks, "
          f"{len(c.failures)} failures")
    for f in c.failures:
        print("FAIL", f)
    print(f"checks: {len(failures) + len(c.failures)} failures in {time.perf_counter() - t0:.1f} s\n",
          flush=True)
    return failures + c.failures


def bench(cuda, nc, n: int, reps: int, rounds: int) -> None:
    import numpy as np

    from fastact._registry import ACTIVATIONS, ID

    timeit = _timer(cuda, reps, rounds)
    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        has_torch = False
    cols = 1000
    rows = max(1, n // cols)
    n = rows * cols
    rng = np.random.default_rng(0)
    h = (rng.standard_normal(n, dtype=np.float32) * 3)
    x = cuda.to_device(h)
    dy = cuda.to_device(rng.standard_normal(n, dtype=np.float32))
    y = cuda.device_array(n, np.float32)
    dx = cuda.device_array(n, np.float32)
    x2, dy2, y2, dx2 = (a.reshape(rows, cols) for a in (x, dy, y, dx))
    item = 4
    sig, relu, tanh, smax = ID["sigmoid"], ID["relu"], ID["tanh"], ID["softmax"]

    ys = {}
    for name, aid in (("sigmoid", sig), ("relu", relu), ("tanh", tanh)):
        ys[name] = nc.forward(aid, x)  # the outputs for the from-y backwards
    ys["softmax"] = nc.forward(smax, x2)

    if has_torch:
        tx, tdy, ty, tdx = (torch.as_tensor(a, device="cuda") for a in (x, dy, y, dx))
        t2 = {k: torch.as_tensor(v, device="cuda") for k, v in ys.items()}
        tx2, tdy2 = tx.view(rows, cols), tdy.view(rows, cols)
        aten = torch.ops.aten
    cases = [  # (label, arrays moved, fastact call, torch call or None)
        ("copy (roofline)", 2, lambda: y.copy_to_device(x), (lambda: ty.copy_(tx)) if has_torch else None),
        ("sigmoid fwd", 2, lambda: nc.forward(sig, x, out=y),
         (lambda: torch.sigmoid(tx, out=ty)) if has_torch else None),
        ("sigmoid bwd(x)", 3, lambda: nc.backward(sig, dy, x, out=dx), None),
        ("sigmoid bwd(y)", 3, lambda: nc.backward(sig, dy, y=ys["sigmoid"], out=dx),
         (lambda: aten.sigmoid_backward(tdy, t2["sigmoid"])) if has_torch else None),
        ("relu fwd", 2, lambda: nc.forward(relu, x, out=y),
         (lambda: torch.clamp_min(tx, 0, out=ty)) if has_torch else None),
        ("relu bwd(x)", 3, lambda: nc.backward(relu, dy, x, out=dx),
         (lambda: aten.threshold_backward(tdy, tx, 0)) if has_torch else None),
        ("tanh fwd", 2, lambda: nc.forward(tanh, x, out=y),
         (lambda: torch.tanh(tx, out=ty)) if has_torch else None),
        ("tanh bwd(x)", 3, lambda: nc.backward(tanh, dy, x, out=dx), None),
        ("tanh bwd(y)", 3, lambda: nc.backward(tanh, dy, y=ys["tanh"], out=dx),
         (lambda: aten.tanh_backward(tdy, t2["tanh"])) if has_torch else None),
        (f"softmax fwd ({rows}x{cols})", 2, lambda: nc.forward(smax, x2, out=y2),
         (lambda: torch.softmax(tx2, -1)) if has_torch else None),
        (f"softmax bwd(y) ({rows}x{cols})", 3, lambda: nc.backward(smax, dy2, y=ys["softmax"], out=dx2),
         (lambda: aten._softmax_backward_data(tdy2, t2["softmax"], -1, torch.float32)) if has_torch else None),
        (f"softmax bwd(x) ({rows}x{cols})", 3, lambda: nc.backward(smax, dy2, x2, out=dx2), None),
    ]
    copy_bw = None
    head = f"{'operation':32s} {'fastact ms':>10s} {'GB/s':>7s} {'vs copy':>8s} {'torch ms':>9s} {'GB/s':>7s} " \
           f"{'fastact/torch':>13s}"
    print(f"n = {n:.3g} float32; GB/s = bytes read + written / time; best of {rounds} x {reps} calls")
    print(head)
    print("-" * len(head))
    for label, arrays, ours, theirs in cases:
        nbytes = arrays * n * item
        t = timeit(ours)
        bw = nbytes / t / 1e9
        if copy_bw is None:
            copy_bw = bw
        row = f"{label:32s} {t * 1e3:10.3f} {bw:7.0f} {bw / copy_bw:8.2f}"
        if theirs is not None:
            tt = timeit(theirs)
            row += f" {tt * 1e3:9.3f} {nbytes / tt / 1e9:7.0f} {tt / t:13.2f}"
        print(row, flush=True)
    print("(vs copy: achieved / numba device-to-device copy; fastact/torch: > 1 means fastact is faster)")
    regs = []
    for key, k in list(nc._kernels.items()):
        try:
            r = k.get_regs_per_thread()
            r = max(r.values()) if isinstance(r, dict) else r
            regs.append(f"{key[0]}:{ACTIVATIONS[key[1]].name}:{key[2:]}={r}")
        except Exception:  # noqa: BLE001 - several signatures, or not a kernel
            pass
    print("registers per thread (most over signatures):", ", ".join(r for r in regs if "softmax" in r
                                                                    or "sigmoid" in r))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, default=1e8, help="elements per array (default 1e8)")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-checks", action="store_true")
    ap.add_argument("--skip-bench", action="store_true")
    args = ap.parse_args(argv)
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        print("gpu_check.py needs a real GPU: unset NUMBA_ENABLE_CUDASIM")
        return 2
    import numpy as np

    if not hasattr(np, "row_stack"):  # numba-cuda 0.30.4 still names np.row_stack, gone in NumPy 2.5
        np.row_stack = np.vstack
    import numba
    from numba import cuda

    from fastact.backends import numba_cuda as nc

    ok, why = nc.available()
    try:
        from importlib.metadata import version

        ncv = version("numba-cuda")
    except Exception:  # noqa: BLE001
        ncv = "?"
    print(f"numba {numba.__version__}, numba-cuda {ncv}; cuda backend: {why}", flush=True)
    if not ok:
        return 1
    failures = [] if args.skip_checks else run_checks_on_gpu(cuda, nc)
    if not args.skip_bench:
        bench(cuda, nc, int(args.n), args.reps, args.rounds)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
