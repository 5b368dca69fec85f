"""Per-call costs the README quotes: the first large call of a new process, the launch of the
parallel path, and a fastact.torch call at 1e3 elements against PyTorch's own.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/call_costs.py
"""

from __future__ import annotations

import subprocess
import sys
import time

FIRST = """
import time; t0 = time.perf_counter()
import numpy as np, fastact
from fastact import _dispatch
t1 = time.perf_counter()
x = np.ones(10**6, np.float32); y = np.empty_like(x)
fastact.sigmoid(x, out=y); t2 = time.perf_counter()
_dispatch.wait_for_backends(); t3 = time.perf_counter()
fastact.sigmoid(x, out=y); t4 = time.perf_counter()
print(f"import {t1 - t0:.3f} s; first large call {1e3 * (t2 - t1):.1f} ms; numba ready "
      f"{t3 - t1:.2f} s after it; first parallel call {1e3 * (t4 - t3):.2f} ms")
"""


def best_us(f, n=2000, reps=7) -> float:
    b = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            f()
        b = min(b, (time.perf_counter() - t) / n)
    return b * 1e6


def main() -> None:
    for _ in range(3):
        print(subprocess.run([sys.executable, "-c", FIRST], capture_output=True, text=True, check=True).stdout.strip())

    import numpy as np

    import fastact
    from fastact import _dispatch

    x = np.linspace(-3, 3, 1024, dtype=np.float32)
    y = np.empty_like(x)
    _dispatch.load("numba")
    fastact.sigmoid(x, backend="numba")  # the parallel loop has run: the fast path launches it
    import os
    os.environ["FASTACT_NUMBA_THRESHOLD"] = "1"
    t_fast = best_us(lambda: fastact.sigmoid(x, out=y))
    t_general = best_us(lambda: fastact.sigmoid.general(x, out=y))
    del os.environ["FASTACT_NUMBA_THRESHOLD"]
    t_native = best_us(lambda: fastact.sigmoid(x, out=y, backend="native"))
    print(f"1024 float32 sigmoid: native {t_native:.2f} us; on numba's threads from the fast path "
          f"{t_fast:.2f} us, through the Python path {t_general:.2f} us")

    try:
        import torch
    except ImportError:
        return
    import fastact.torch as ft
    from fastact import _torch_cpp

    cpp = _torch_cpp.wait(900)  # the C++ eager path: built once (cached), then loaded in ~0.1 s
    torch.set_num_threads(1)
    xt = torch.randn(1000)
    xg = xt.clone().requires_grad_()
    print(f"fastact.torch C++ eager path: {_torch_cpp.status()}")
    print("fastact.torch at 1e3 float32, one thread, us per call (PyTorch's own in brackets):")
    for name, tf in (("gelu", torch.nn.functional.gelu), ("silu", torch.nn.functional.silu),
                     ("sigmoid", torch.sigmoid)):
        f = getattr(ft, name)
        fwd = best_us(lambda f=f: f(xt)), best_us(lambda tf=tf: tf(xt))
        both = (best_us(lambda f=f: f(xg).sum().backward(), 500),
                best_us(lambda tf=tf: tf(xg).sum().backward(), 500))
        op = best_us(lambda name=name: getattr(torch.ops.fastact, name)(xt))
        node = ""
        if cpp is not None:  # the C++ node without fastact.torch's Python wrapper in front of it
            act = ft._OPS[name].act_id
            t = best_us(lambda act=act: cpp.eltwise_if(xg, 1 << 62, act, False, 0.0, 0.0, 0.0, 0.0).sum().backward(),
                        500)
            node = f"; the C++ node alone {t:5.1f}"
        print(f"  {name:8s} no grad {fwd[0]:6.1f} ({fwd[1]:5.1f}; the custom op itself {op:5.1f});  "
              f"forward + backward {both[0]:6.1f} ({both[1]:5.1f}{node})")


if __name__ == "__main__":
    main()
