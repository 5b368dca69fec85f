"""A deep MLP on the digits data with nine activations: which ones train, and why.

The same network (64 → 8 hidden layers of 128 → 10; ``depth``/``width`` to change) is
trained with each activation by plain minibatch SGD (no momentum, no normalization, no
skip connections: nothing that hides the activation's effect) from the same seeds, each
activation with its family's initialization:

  he      (std sqrt(2/n_in))  relu, leaky_relu, elu, gelu, silu, mish
  lecun   (std sqrt(1/n_in))  selu (its self-normalizing fixed point)
  xavier  (±sqrt(6/(n_in+n_out)))  sigmoid, tanh

(the linear output layer: lecun, or xavier for sigmoid/tanh).

For each run it records the training loss per epoch, the test accuracy, the wall time, and
for every Dense layer the mean |dL/dW| over the minibatches of the first and of the last
epoch. With sigmoid the backpropagated gradient is multiplied at each layer by
σ'(z) ≤ 1/4 times a weight matrix of gain about 1, so the first layer's weight gradients
come out orders of magnitude below the last layer's (the vanishing-gradient problem of
Hochreiter 1991 / Glorot & Bengio 2010), and the early layers barely learn.

Data: ``sklearn.datasets.load_digits`` (8×8 images, 1797 samples, bundled with
scikit-learn: no download), standardized per pixel, a fixed 75/25 split.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from fastact import nn

from . import one_blas_thread, require

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish")
INIT = {"sigmoid": "xavier", "tanh": "xavier", "selu": "lecun"}  # the rest: he


def init_for(activation: str) -> str:
    """The initialization of the activation's family."""
    return INIT.get(activation, "he")


def load_data(seed: int = 0, dtype=np.float32):
    """Digits, standardized with the training set's statistics: (xtr, ytr, xte, yte)."""
    datasets = require("sklearn.datasets", "scikit-learn")
    d = datasets.load_digits()
    x, y = d.data.astype(np.float64), d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(x))
    ntr = int(round(0.75 * len(x)))
    tr, te = idx[:ntr], idx[ntr:]
    mu, sd = x[tr].mean(0), x[tr].std(0)
    sd[sd == 0] = 1.0
    x = (x - mu) / sd
    return x[tr].astype(dtype), y[tr], x[te].astype(dtype), y[te]


def build(activation: str, n_in: int, n_out: int, depth: int, width: int, seed: int, dtype=np.float32):
    """Dense → activation, ``depth`` times, then a linear output layer; seeds fixed per layer."""
    init = init_for(activation)
    layers, n = [], n_in
    for i in range(depth):
        layers += [nn.Dense(n, width, init=init, rng=seed + i, dtype=dtype), nn.Activation(activation)]
        n = width
    out_init = "xavier" if init == "xavier" else "lecun"
    layers.append(nn.Dense(n, n_out, init=out_init, rng=seed + depth, dtype=dtype))
    return nn.Sequential(layers)


def train(activation: str, data, depth: int = 8, width: int = 128, epochs: int = 30, batch: int = 32,
          lr: float = 0.05, seed: int = 0, progress=None) -> dict:
    """One run; returns losses per epoch, test accuracy, time and the per-layer gradients."""
    xtr, ytr, xte, yte = data
    model = build(activation, xtr.shape[1], 10, depth, width, seed, xtr.dtype)
    dense = [lay for lay in model.layers if isinstance(lay, nn.Dense)]
    loss_fn, opt = nn.SoftmaxCrossEntropy(), nn.SGD(model, lr=lr)
    rng = np.random.default_rng(seed)
    grad_sum = np.zeros(len(dense))
    first_grads = None
    losses = [loss_fn.forward(model.forward(xtr), ytr)]  # before training
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(xtr))
        grad_sum[:] = 0
        nb = 0
        for s in range(0, len(order) - batch + 1, batch):  # full batches only: one buffer shape
            i = order[s:s + batch]
            loss_fn.forward(model.forward(xtr[i]), ytr[i])
            model.backward(loss_fn.backward())
            grad_sum += [np.abs(d.dW).mean() for d in dense]
            nb += 1
            opt.step()
        if epoch == 0:
            first_grads = grad_sum / nb
        losses.append(loss_fn.forward(model.forward(xtr), ytr))
        if progress is not None:
            progress.set_postfix_str(f"{activation} loss {losses[-1]:.3f}", refresh=False)
            progress.update(1)
    seconds = time.perf_counter() - t0
    acc = float((model.forward(xte).argmax(1) == yte).mean())
    return {"activation": activation, "init": init_for(activation), "losses": np.array(losses),
            "test_acc": acc, "seconds": seconds, "grad_first": first_grads, "grad_last": grad_sum / nb}


def table(results: list[dict]) -> str:
    """The summary and the two per-layer gradient tables."""
    nl = len(results[0]["grad_first"])
    rows = [f"{'activation':11s} {'init':6s} {'loss':>7s} {'test acc':>8s} {'time s':>7s} "
            f"{'|g1|/|gL| ep 1':>14s} {'|g1|/|gL| end':>13s}"]
    for r in results:
        rows.append(f"{r['activation']:11s} {r['init']:6s} {r['losses'][-1]:7.4f} {r['test_acc']:8.3f} "
                    f"{r['seconds']:7.2f} {r['grad_first'][0] / r['grad_first'][-1]:14.2e} "
                    f"{r['grad_last'][0] / r['grad_last'][-1]:13.2e}")
    for key, title in (("grad_first", "epoch 1"), ("grad_last", "last epoch")):
        rows += ["", f"mean |dL/dW| per Dense layer (1 = input side, {nl} = output), {title}:",
                 f"{'activation':11s} " + " ".join(f"{f'L{i + 1}':>8s}" for i in range(nl))]
        rows += [f"{r['activation']:11s} " + " ".join(f"{g:8.1e}" for g in r[key]) for r in results]
    return "\n".join(rows)


def plot(results: list[dict], out: str) -> list[str]:
    """loss curves and per-layer gradient magnitudes (log scale) as PNGs in out."""
    mpl = require("matplotlib", "matplotlib")
    mpl.use("Agg")
    plt = require("matplotlib.pyplot", "matplotlib")
    os.makedirs(out, exist_ok=True)
    colors = plt.get_cmap("tab10")
    paths = [os.path.join(out, "deep_loss.png"), os.path.join(out, "deep_gradients.png")]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, r in enumerate(results):
        ax.plot(np.arange(len(r["losses"])), r["losses"], label=r["activation"], color=colors(k))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title(f"digits, {len(results[0]['grad_first']) - 1} hidden layers, plain SGD")
    ax.legend(ncol=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, key, title in zip(axes, ("grad_first", "grad_last"), ("epoch 1", "last epoch"), strict=True):
        for k, r in enumerate(results):
            layers = np.arange(1, len(r[key]) + 1)
            ax.plot(layers, r[key], "o-", ms=3, label=r["activation"], color=colors(k))
        ax.set_yscale("log")
        ax.set_xlabel("Dense layer (1 = input side)")
        ax.set_title(f"mean |dL/dW| per layer, {title}")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("mean |gradient| of the weights")
    axes[1].legend(ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths


def run(quick: bool = False, activations=ACTIVATIONS, depth: int = 8, width: int = 128,
        epochs: int | None = None, batch: int = 32, lr: float = 0.05, seed: int = 0,
        progress: bool = True) -> list[dict]:
    """Train every activation (default 30 epochs; quick: 2, a few seconds); one result dict each."""
    epochs = epochs or (2 if quick else 30)
    data = load_data(seed)
    bar = None
    if progress:
        tqdm = require("tqdm", "tqdm").tqdm
        bar = tqdm(total=epochs * len(activations), desc="demo deep", unit="epoch", file=sys.stderr,
                   leave=False, dynamic_ncols=True)
    try:
        with one_blas_thread():  # batch 32 x 128: BLAS threads only add synchronization
            results = [train(a, data, depth, width, epochs, batch, lr, seed, bar) for a in activations]
    finally:
        if bar is not None:
            bar.close()
    config = (f"digits (scikit-learn, {len(data[0])} train / {len(data[2])} test), MLP {data[0].shape[1]} -> "
              f"{depth}x{width} -> 10, plain SGD lr {lr}, batch {batch}, {epochs} epochs, float32, "
              f"seed {seed}")
    for r in results:
        r["config"] = config
    return results


def main(quick: bool = False, out: str | None = None) -> str:
    """``python -m fastact demo deep [--quick] [--out DIR]``: the tables, and the PNGs in DIR (default .)."""
    t0 = time.perf_counter()
    results = run(quick=quick)
    paths = plot(results, out or ".")
    return "\n".join([results[0]["config"], "", table(results), "", *(f"wrote {p}" for p in paths),
                      f"total {time.perf_counter() - t0:.1f} s"])
