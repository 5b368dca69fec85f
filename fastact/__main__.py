"""Command line: ``python -m fastact [info|list|demo|calibrate|bench|plot] [--cflags] [--libs]``.

  info      version, backends, C library, SIMD level, compiler flags
  list      every activation with its formula and parameters
  demo      values and gradients on a small input, and a timing against NumPy
  demo deep [--quick] [--out DIR]   fastact.nn: a deep MLP on digits with 9 activations (PNGs in DIR)
  demo nalu [--quick]               fastact.nn: NALU vs an MLP on a+b, a-b, a*b, a/b (extrapolation)
  calibrate measure where the numba backend beats native; store it for the dispatcher
  bench     GB/s, ratio to the multi-threaded copy/add roofline, speedup vs NumPy and PyTorch
            (--quick: 1e6 only; --sizes 1e5,1e6; --markdown; --plot out.png)
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
    return fastact._cflags()


def libs() -> str:
    return fastact._libs()


def info() -> str:
    return fastact._config_text()


def listing() -> str:
    out = []
    for a in ACTIVATIONS:
        ps = ", ".join(f"{p.name}={p.default}" for p in a.params)
        out.append(f"{a.name:12s} {a.kind:11s} {a.formula}" + (f"   [{ps}]" if ps else ""))
    out.append(f"{'crelu':12s} {'composite':11s} f(x) = concat(relu(x), relu(-x)) along axis   [axis=-1]")
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


def bench(quick: bool = False, sizes: str | None = None, budget: float | None = None, markdown: bool = False,
          plot_path: str | None = None, progress: bool = True) -> str:
    """A representative subset (``fastact._bench.SUBSET``), forward and backward, float32 and
    float64, at 1e6 and 1e7 elements (--quick: 1e6), timed in one process: GB/s moved, ratio
    to the multi-threaded copy (forward) / add (backward) roofline, speedup vs the NumPy formula
    and vs PyTorch's out= call, the backend the dispatcher chose; then small-array overhead,
    ``import fastact`` and first-call times. The cases and baselines live in fastact._bench."""
    from fastact import _bench

    ns = tuple(_bench.parse_size(v) for v in sizes.split(",")) if sizes else (
        (10**6,) if quick else (10**6, 10**7))
    res = _bench.run(sizes=ns, budget=budget if budget is not None else (0.1 if quick else 0.25),
                     progress=progress)
    cmd = ("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m fastact bench"
           + (" --quick" if quick else "") + (f" --sizes {sizes}" if sizes else ""))
    out = _bench.format_report(res, markdown=markdown, command=cmd)
    if plot_path:
        out += "\n" + _bench.plot_report(res, plot_path)
    return out


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
    """Time native (the C kernels on this thread) against numba (the same kernels on all
    threads), each as an automatic call takes it, on float32 sigmoid and relu forward, and store
    the size from which numba wins for both at that size and every larger one (the general
    path's threshold) and the native time at which it starts to win (the mean over the two: the
    compiled fast path turns it into a threshold per kernel from that kernel's own cost)."""
    from fastact import _dispatch

    nb = _dispatch.load("numba")  # BackendUnavailable: nothing to measure against, nothing stored
    rng = np.random.default_rng(0)
    sizes = [2**k for k in range(10, 23)]
    names = ("sigmoid", "relu")
    rows, wins, native_ns = [], {n: [] for n in names}, {n: [] for n in names}
    saved = os.environ.get("FASTACT_NUMBA_THRESHOLD")
    try:
        for n in sizes:
            x = rng.standard_normal(n).astype(np.float32)
            y = np.empty_like(x)
            reps = max(5, min(200, 2**22 // n))
            ratio = []
            for name in names:
                f = getattr(fastact, name)
                os.environ["FASTACT_NUMBA_THRESHOLD"] = "1"  # every automatic call: numba
                f(x, out=y)  # compile / load
                launched = nb.launches[0]
                tb = _best(lambda f=f, x=x, y=y: f(x, out=y), reps)
                if nb.launches[0] == launched:
                    raise fastact.BackendUnavailable("calibrate: the automatic calls did not run on numba")
                os.environ["FASTACT_NUMBA_THRESHOLD"] = str(2**62)  # every automatic call: native
                tn = _best(lambda f=f, x=x, y=y: f(x, out=y), reps)
                ratio.append(tn / tb)
                wins[name].append(tn > tb)
                native_ns[name].append(tn * 1e9)
            rows.append(f"{n:>9d}  native/numba time: sigmoid {ratio[0]:5.2f}  relu {ratio[1]:5.2f}")
    finally:
        if saved is None:
            os.environ.pop("FASTACT_NUMBA_THRESHOLD", None)
        else:
            os.environ["FASTACT_NUMBA_THRESHOLD"] = saved

    def first_win(w):  # the index from which numba wins at every larger size
        k = len(sizes)
        while k > 0 and w[k - 1]:
            k -= 1
        return k

    ks = {name: first_win(wins[name]) for name in names}
    k_all = max(ks.values())
    crossover = sizes[k_all] if k_all < len(sizes) else sizes[-1] * 2
    times = [native_ns[name][k] for name, k in ks.items() if k < len(sizes)]
    crossover_ns = sum(times) / len(times) if times else _dispatch.DEFAULT_CROSSOVER_NS
    out = "\n".join(rows) + (f"\nnumba from {crossover} elements; per kernel from {crossover_ns:.0f} ns "
                             "of native work")
    if write:
        path = _dispatch.config_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cfg = {**_dispatch._config(), "numba_threshold": crossover, "numba_crossover_ns": round(crossover_ns),
               "measured_on": f"{platform.machine()}, {os.cpu_count()} CPUs"}
        with open(path, "w") as fh:
            json.dump(cfg, fh, indent=2)
        _dispatch.reload_config()
        out += f" (written to {path})"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fastact", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", choices=["info", "list", "demo", "calibrate", "bench", "plot"],
                    default=None)
    ap.add_argument("names", nargs="*", help="plot: activations to draw")
    ap.add_argument("-o", "--output", default="fastact.png", help="plot: the PNG to write")
    ap.add_argument("--out", default=None, metavar="DIR", help="demo deep: folder for the PNGs (default .)")
    ap.add_argument("--quick", action="store_true",
                    help="bench: one size, fewer repetitions; demo deep|nalu: a few seconds")
    ap.add_argument("--sizes", default=None,
                    help="bench: comma-separated sizes (default 1e6,1e7; --quick 1e6)")
    ap.add_argument("--budget", type=float, default=None, help="bench: seconds of repetitions per timing")
    ap.add_argument("--markdown", action="store_true", help="bench: a Markdown table (the README's)")
    ap.add_argument("--plot", default=None, metavar="PNG", help="bench: also save a plot of the ratios")
    ap.add_argument("--cflags", action="store_true", help="print C compiler flags")
    ap.add_argument("--libs", action="store_true", help="print linker flags")
    args = ap.parse_args(argv)
    if args.cflags or args.libs:
        print(" ".join(f for f, on in ((cflags(), args.cflags), (libs(), args.libs)) if on))
        return 0
    cmd = args.command or "info"
    with np.errstate(all="ignore"):
        if cmd == "bench":
            print(bench(args.quick, args.sizes, args.budget, args.markdown, args.plot))
        elif cmd == "plot":
            try:
                print(plot(args.names, args.output))
            except ImportError as e:
                raise SystemExit(f"python -m fastact plot: {e}; it needs matplotlib "
                                 "(pip install matplotlib, or pip install -e \".[plot]\" in a clone)") from None
        elif cmd == "demo" and args.names:  # demo deep|nalu [--quick] [--out DIR]: fastact.demos
            from fastact import demos

            if len(args.names) != 1 or args.names[0] not in demos.NAMES:
                ap.error(f"demo: choose one of {', '.join(demos.NAMES)} (or no name: values and gradients)")
            try:
                print(demos.run(args.names[0], args.quick, args.out))
            except ImportError as e:
                raise SystemExit(f"python -m fastact demo {args.names[0]}: {e}") from None
        else:
            try:
                print({"info": info, "list": listing, "demo": demo, "calibrate": calibrate}[cmd]())
            except fastact.BackendUnavailable as e:
                raise SystemExit(f"python -m fastact {cmd}: {e}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
