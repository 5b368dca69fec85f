"""Command line: ``python -m fastact [info|demo|list] [--cflags] [--libs]``.

  info      version, backends, C library, SIMD level, compiler flags
  list      every activation with its formula and parameters
  demo      values and gradients on a small input, and a timing against NumPy
  --cflags  compiler flags for a C program using fastact.h
  --libs    linker flags for libfastact
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import fastact
from fastact._registry import ACTIVATIONS


def cflags() -> str:
    return f"-I{fastact.get_include()}"


def libs() -> str:
    libdir = os.path.dirname(fastact.get_library())
    return f"-L{libdir} -Wl,-rpath,{libdir} -lfastact -lm"


def info() -> str:
    from fastact.backends import native

    lines = [
        f"fastact {fastact.__version__} (libfastact {native.version()})",
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "backends:",
        f"  native   available  C/SIMD via Cython, 1 thread, kernels: {native.simd_level()}",
        "  numba    not built yet (planned: Numba CPU-parallel backend)",
        "  cuda     not built yet (planned: Numba CUDA backend)",
        f"default backend: {os.environ.get('FASTACT_BACKEND') or 'native'}",
        f"C library: {fastact.get_library()}",
        f"C headers: {fastact.get_include()}",
        f"cflags: {cflags()}",
        f"libs:   {libs()}",
        f"activations ({len(ACTIVATIONS)}): {', '.join(fastact.available())}",
    ]
    return "\n".join(lines)


def listing() -> str:
    out = []
    for a in ACTIVATIONS:
        ps = ", ".join(f"{p.name}={p.default}" for p in a.params)
        out.append(f"{a.name:12s} {a.kind:11s} {a.formula}" + (f"   [{ps}]" if ps else ""))
    return "\n".join(out)


def demo() -> str:
    x = np.arange(-3, 4, dtype=np.float64)
    out = [f"x = {x}"]
    for a in ACTIVATIONS:
        if a.kind == "channelwise":
            y = getattr(fastact, a.name)(x, np.array([0.25]))
            dx, _ = getattr(fastact, a.name + "_backward")(np.ones_like(x), x, np.array([0.25]))
        else:
            y = getattr(fastact, a.name)(x)
            dx = getattr(fastact, a.name + "_backward")(np.ones_like(x), x)
        out.append(f"{a.name:12s} f  {np.array2string(y, precision=4, suppress_small=True)}")
        out.append(f"{'':12s} f' {np.array2string(dx, precision=4, suppress_small=True)}")
    # one honest timing: sigmoid on 1e6 float32 vs the NumPy formula, same process
    rng = np.random.default_rng(0)
    v = rng.standard_normal(10**6).astype(np.float32)
    y = np.empty_like(v)

    def best(f, reps=20):
        t = []
        for _ in range(reps):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
        return min(t)

    t_fa = best(lambda: fastact.sigmoid(v, out=y))
    t_np = best(lambda: np.divide(1, 1 + np.exp(-v), out=y))
    out.append(f"\nsigmoid, 1e6 float32: fastact {t_fa * 1e3:.2f} ms, NumPy 1/(1+exp(-x)) "
               f"{t_np * 1e3:.2f} ms ({t_np / t_fa:.1f}x)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fastact", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", choices=["info", "list", "demo"], default=None)
    ap.add_argument("--cflags", action="store_true", help="print C compiler flags")
    ap.add_argument("--libs", action="store_true", help="print linker flags")
    args = ap.parse_args(argv)
    if args.cflags or args.libs:
        print(" ".join(f for f, on in ((cflags(), args.cflags), (libs(), args.libs)) if on))
        return 0
    cmd = args.command or "info"
    with np.errstate(all="ignore"):
        print({"info": info, "list": listing, "demo": demo}[cmd]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
