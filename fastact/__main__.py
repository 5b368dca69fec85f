"""Command line: ``python -m fastact [info|demo|list] [--cflags] [--libs]``.

  info      version, backends, C library, SIMD level, compiler flags
  list      every activation with its formula and parameters
  demo      values and gradients on a small input, and a timing against NumPy
  calibrate measure where the numba backend beats native; store it for the dispatcher
  bench     GB/s, ratio to a 2-thread copy, speedup vs NumPy and PyTorch (--quick: 1e6 only)
  plot      NAME... -o out.png: functions and derivatives (needs matplotlib)
  --cflags  compiler flags for a C program using fastact.h
  --libs    linker flags for libfastact
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

import fastact
from fastact._registry import ACTIVATIONS


def _best(f, reps: int) -> float:
    """The fastest of reps calls, in seconds."""
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def cflags() -> str:
    return f"-I{fastact.get_include()}"


def libs() -> str:
    libdir = os.path.dirname(fastact.get_library())
    return f"-L{libdir} -Wl,-rpath,{libdir} -lfastact -lm"


def info() -> str:
    from fastact import _dispatch

    thr, src = _dispatch.numba_threshold()
    lines = [
        f"fastact {fastact.__version__}",
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "backends:",
    ]
    for b in _dispatch.status():
        if b["available"]:
            extra = ", ".join(f"{k} {b[k]}" for k in ("version", "threads", "threading_layer", "simd", "device",
                                                      "cache") if k in b)
            lines.append(f"  {b['name']:7s} available    {extra}")
        else:
            lines.append(f"  {b['name']:7s} unavailable  {b['reason']}")
    lines += [
        f"dispatch: {os.environ.get('FASTACT_BACKEND') or 'automatic'}; host arrays >= {thr} elements "
        f"-> numba ({src})",
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
        elif a.kind == "gated":  # x = [a, b] with a = b = x
            xx = np.concatenate([x, x])
            y = getattr(fastact, a.name)(xx)
            dx = getattr(fastact, a.name + "_backward")(np.ones_like(y), xx)
        elif a.kind == "random":
            y = getattr(fastact, a.name)(x, seed=0, training=True)
            dx = getattr(fastact, a.name + "_backward")(np.ones_like(x), x, seed=0, training=True)
        else:
            y = getattr(fastact, a.name)(x)
            dx = getattr(fastact, a.name + "_backward")(np.ones_like(x), x)
        out.append(f"{a.name:12s} f  {np.array2string(y, precision=4, suppress_small=True)}")
        out.append(f"{'':12s} f' {np.array2string(dx, precision=4, suppress_small=True)}")
    # one honest timing: sigmoid on 1e6 float32 vs the NumPy formula, same process
    rng = np.random.default_rng(0)
    v = rng.standard_normal(10**6).astype(np.float32)
    y = np.empty_like(v)

    t_fa = _best(lambda: fastact.sigmoid(v, out=y), 20)
    t_np = _best(lambda: np.divide(1, 1 + np.exp(-v), out=y), 20)
    out.append(f"\nsigmoid, 1e6 float32: fastact {t_fa * 1e3:.2f} ms, NumPy 1/(1+exp(-x)) "
               f"{t_np * 1e3:.2f} ms ({t_np / t_fa:.1f}x)")
    return "\n".join(out)


def bench(quick: bool = False) -> str:
    """A representative subset, float32, timed in one process: GB/s moved (read + write),
    ratio to a 2-thread copy (the bandwidth roofline; a Numba prange copy, not np.copyto,
    which runs on one thread), speedup vs the NumPy formula and vs PyTorch's out= call
    (torch.set_num_threads = cores), and the backend the dispatcher chose."""
    import fastact._dispatch as dispatch

    try:
        import torch
    except ImportError:
        torch = None
    from numba import njit, prange

    @njit(parallel=True)
    def pcopy(a, b):
        for i in prange(a.shape[0]):
            b[i] = a[i]

    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
    cases = [  # name, fastact call, NumPy formula, torch out= call
        ("relu", lambda x, y: fastact.relu(x, out=y), lambda x, y: np.maximum(x, 0, out=y),
         lambda tx, ty: torch.clamp_min(tx, 0, out=ty)),
        ("sigmoid", lambda x, y: fastact.sigmoid(x, out=y), lambda x, y: np.divide(1, 1 + np.exp(-x), out=y),
         lambda tx, ty: torch.sigmoid(tx, out=ty)),
        ("tanh", lambda x, y: fastact.tanh(x, out=y), lambda x, y: np.tanh(x, out=y),
         lambda tx, ty: torch.tanh(tx, out=ty)),
        ("gelu", lambda x, y: fastact.gelu(x, out=y), None,
         lambda tx, ty: torch.ops.aten.gelu.out(tx, out=ty)),
        ("silu", lambda x, y: fastact.silu(x, out=y), lambda x, y: np.multiply(x, 1 / (1 + np.exp(-x)), out=y),
         lambda tx, ty: torch.mul(tx, torch.sigmoid(tx), out=ty)),
        ("softplus", lambda x, y: fastact.softplus(x, out=y), lambda x, y: np.logaddexp(0, x, out=y), None),
        ("sigmoid_backward(y=)", lambda x, y: fastact.sigmoid_backward(x, y=x, out=y),
         lambda x, y: np.multiply(x, x * (1 - x), out=y), None),
        ("softmax (n/1000, 1000)", lambda x, y: fastact.softmax(x.reshape(-1, 1000), out=y.reshape(-1, 1000)),
         None, lambda tx, ty: torch.softmax(tx.view(-1, 1000), -1, out=ty.view(-1, 1000))),
    ]
    sizes = (10**6,) if quick else (10**6, 10**7)
    reps = 5 if quick else 15
    rows = [f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}".strip(", "),
            f"{'op':24s} {'n':>9s} {'GB/s':>7s} {'/copy':>6s} {'vs NumPy':>9s} {'vs torch':>9s}  backend"]
    rng = np.random.default_rng(0)
    for n in sizes:
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        y = np.empty_like(x)
        pcopy(x, y)
        t_copy = _best(lambda x=x, y=y: pcopy(x, y), reps)
        rows.append(f"{'copy (2 threads)':24s} {n:9d} {2 * x.nbytes / t_copy / 1e9:7.1f} {1:6.2f}")
        tx, ty = (torch.from_numpy(x), torch.from_numpy(y)) if torch is not None else (None, None)
        for name, fa, npf, tof in cases:
            moved = (3 if "backward" in name else 2) * x.nbytes
            fa(x, y)
            t = _best(lambda fa=fa, x=x, y=y: fa(x, y), reps)
            with np.errstate(all="ignore"):
                vs_np = f"{_best(lambda npf=npf, x=x, y=y: npf(x, y), reps) / t:8.1f}x" if npf else f"{'-':>9s}"
            vs_t = f"{_best(lambda tof=tof, tx=tx, ty=ty: tof(tx, ty), reps) / t:8.1f}x" if (tof and torch is not None) else \
                f"{'-':>9s}"
            rows.append(f"{name:24s} {n:9d} {moved / t / 1e9:7.1f} {t_copy / t * moved / (2 * x.nbytes):6.2f} "
                        f"{vs_np} {vs_t}  {dispatch.select(None, n)}")
    return "\n".join(rows)


def plot(names: list[str], path: str) -> str:
    """Each activation (solid) and its derivative (dashed) on [-5, 5] into a PNG (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fastact._registry import BY_NAME

    x = np.linspace(-5, 5, 1001)
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in names or ["relu", "sigmoid", "tanh", "gelu", "silu", "mish", "elu", "softplus"]:
        spec = BY_NAME.get(name)
        if spec is None or spec.kind != "eltwise":
            raise SystemExit(f"plot: {name!r} is not an elementwise activation (see `python -m fastact list`)")
        line, = ax.plot(x, getattr(fastact, name)(x), label=name)
        ax.plot(x, getattr(fastact, name + "_backward")(np.ones_like(x), x), "--", color=line.get_color())
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_ylim(-2, 3)
    ax.set_xlabel("x")
    ax.set_title("fastact activations (solid) and derivatives (dashed)")
    ax.legend(ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return f"wrote {path}"


def calibrate(write: bool = True) -> str:
    """Time native (1 thread, C/SIMD) against numba (all threads) on float32
    sigmoid and relu, forward, and store the size from which numba wins."""
    from fastact import _dispatch

    rng = np.random.default_rng(0)
    sizes = [2**k for k in range(10, 23)]
    rows, crossover = [], None

    for n in sizes:
        x = rng.standard_normal(n).astype(np.float32)
        y = np.empty_like(x)
        reps = max(5, min(200, 2**22 // n))
        ratio = []
        for name in ("sigmoid", "relu"):
            f = getattr(fastact, name)
            f(x, out=y, backend="numba")  # compile / load
            tn = _best(lambda f=f, x=x, y=y: f(x, out=y, backend="native"), reps)
            tb = _best(lambda f=f, x=x, y=y: f(x, out=y, backend="numba"), reps)
            ratio.append(tn / tb)
        rows.append(f"{n:>9d}  native/numba time: sigmoid {ratio[0]:5.2f}  relu {ratio[1]:5.2f}")
        if crossover is None and min(ratio) > 1.0:
            crossover = n
    crossover = crossover or sizes[-1] * 2
    out = "\n".join(rows) + f"\nnumba from {crossover} elements"
    if write:
        path = _dispatch.config_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cfg = {**_dispatch._config(), "numba_threshold": crossover,
               "measured_on": f"{platform.machine()}, {os.cpu_count()} CPUs"}
        with open(path, "w") as fh:
            json.dump(cfg, fh, indent=2)
        _dispatch._config.cache_clear()
        out += f" (written to {path})"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fastact", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", choices=["info", "list", "demo", "calibrate", "bench", "plot"],
                    default=None)
    ap.add_argument("names", nargs="*", help="plot: activations to draw")
    ap.add_argument("-o", "--output", default="fastact.png", help="plot: the PNG to write")
    ap.add_argument("--quick", action="store_true", help="bench: one size, fewer repetitions")
    ap.add_argument("--cflags", action="store_true", help="print C compiler flags")
    ap.add_argument("--libs", action="store_true", help="print linker flags")
    args = ap.parse_args(argv)
    if args.cflags or args.libs:
        print(" ".join(f for f, on in ((cflags(), args.cflags), (libs(), args.libs)) if on))
        return 0
    cmd = args.command or "info"
    with np.errstate(all="ignore"):
        if cmd == "bench":
            print(bench(args.quick))
        elif cmd == "plot":
            print(plot(args.names, args.output))
        else:
            print({"info": info, "list": listing, "demo": demo, "calibrate": calibrate}[cmd]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
