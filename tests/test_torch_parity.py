"""Parity with torch.nn.functional (torch==2.13.0 CPU, a test extra).

For every activation PyTorch has, forward and backward are compared on 1e5
values over many magnitudes plus special values, float32 and float64. Where
fastact and PyTorch differ by more than `2 * bound + 2` ULP (or in NaN-ness), or
the gradients by more than 1e-5 (float32) / 1e-12 (float64) relative, the
function must be listed in DIFFERENCES with the reason (also in the README) and
fastact must be the closer one to the independent reference (tests/reference.py)
at every such point.
"""

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

from .accuracy import _params, inputs
from .reference import MP, NP, REFS, ulp_error

torch = pytest.importorskip("torch")
F = torch.nn.functional

# name -> how to call PyTorch with fastact's default parameters
TORCH = {
    "relu": F.relu, "relu6": F.relu6, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "selu": F.selu,
    "softsign": F.softsign, "silu": F.silu, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
    "mish": F.mish, "logsigmoid": F.logsigmoid, "tanhshrink": F.tanhshrink, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01), "hardtanh": lambda x: F.hardtanh(x, -1.0, 1.0),
    "elu": lambda x: F.elu(x, 1.0), "celu": lambda x: F.celu(x, 1.0),
    "softplus": lambda x: F.softplus(x, 1.0, 20.0), "threshold": lambda x: F.threshold(x, 0.0, 0.0),
    "hardshrink": lambda x: F.hardshrink(x, 0.5), "softshrink": lambda x: F.softshrink(x, 0.5),
}

# Deliberate differences (documented in the README): where PyTorch's formula loses accuracy.
DIFFERENCES = {
    "gelu": "PyTorch computes 0.5 x (1 + erf(x/sqrt 2)): cancellation for x < 0 (thousands of ULP "
            "near x = -3, 0 instead of tiny values below); fastact uses x * Phi(x).",
    "gelu_tanh": "PyTorch's 0.5 x (1 + tanh(u)) cancels for x < 0; fastact uses x * sigmoid(2u).",
    "mish": "PyTorch's x * tanh(softplus(x)) loses the tail for x << 0 (softplus rounds); fastact "
            "uses a closed form in exp(-|x|).",
    "tanhshrink": "x - tanh(x) cancels near 0 in PyTorch; fastact uses a series there.",
    "logsigmoid": "tiny last-bit differences in the tail.",
    "silu": "PyTorch flushes the float32 tail (x < -88) to 0 or rounds it twice; fastact scales exp(x) there.",
    "softplus": "different rounding of log1p(exp(x)) near the threshold.",
    "sigmoid": "PyTorch returns 0 where the result is subnormal (e.g. float32 x < -87); fastact keeps it.",
    "hardsigmoid": "PyTorch's float64 backward multiplies by a float32 1/6 (3e-8 relative error).",
    "hardswish": "PyTorch gives NaN at x = -inf (x * 0) and inf * 6 / 6 overflow near the float "
                 "maximum; fastact returns the limits 0 and x.",
    "softsign": "PyTorch's x / (1 + |x|) is NaN at +-inf and its derivative underflows to 0 for "
                "|x| > 1.8e19 in float32; fastact returns +-1 and the tiny derivative.",
    "elu": "last-bit differences of expm1 in the float32 tail.",
    "selu": "last-bit differences of expm1 in the float32 tail.",
    "celu": "last-bit differences of expm1 in the float32 tail.",
}


def _torch_pair(name, x, dy):
    t = torch.tensor(x, requires_grad=True)
    y = TORCH[name](t)
    y.backward(torch.tensor(dy))
    return y.detach().numpy(), t.grad.numpy()


def _reference(name, spec, x, dtype, which):
    m = NP if dtype == np.float32 else MP
    prm = {k: m.num(v) for k, v in _params(spec, dtype).items()}
    with np.errstate(all="ignore"):
        return REFS[name][which](m.arr(x), m, **prm)


def _check(name, spec, x, dtype, got, theirs, disagree, which, scale=None):
    """Where fastact and PyTorch disagree, fastact must be the one closer to the reference."""
    idx = np.nonzero(disagree)[0]
    if not len(idx):
        return
    what = name + ("'" if which else "")
    assert name in DIFFERENCES, f"{what}: {len(idx)} values differ from PyTorch, e.g. x={x[idx[:3]]}: " \
                                f"{got[idx[:3]]} vs {theirs[idx[:3]]}"
    sel = idx[:2000]
    ref = _reference(name, spec, x[sel], dtype, which)
    if scale is not None:
        ref = ref * (MP.arr(scale[sel]) if dtype == np.float64 else scale[sel])
    e_fa, e_t = ulp_error(got[sel], ref, dtype), ulp_error(theirs[sel], ref, dtype)
    bound = max(spec.ulp_backward if which else spec.ulp) + 1
    bad = e_fa > np.maximum(e_t, bound)
    assert not bad.any(), f"{what}: PyTorch is closer to the reference at x={x[sel][bad][:3]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(TORCH))
def test_parity(name, dtype):
    spec = BY_NAME[name]
    x = inputs(dtype, spec, 100_000)
    x = np.concatenate([x, np.array([np.nan], dtype)])
    dy = np.random.default_rng(3).uniform(-2, 2, x.shape).astype(dtype)
    ty, tdx = _torch_pair(name, x, dy)
    fy, fdx = getattr(fastact, name)(x), getattr(fastact, name + "_backward")(dy, x)
    bound = spec.ulp[0] if dtype == np.float32 else spec.ulp[1]
    with np.errstate(all="ignore"):
        diff = ulp_error(fy, ty.astype(np.float64), dtype)
    _check(name, spec, x, dtype, fy, ty, diff > 2 * bound + 2, 0)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    with np.errstate(all="ignore"):
        far = ~(np.abs(fdx - tdx) <= rtol * (np.abs(tdx) + np.abs(dy))) & ~(np.isnan(fdx) & np.isnan(tdx))
    _check(name, spec, x, dtype, fdx, tdx, far & ~np.isnan(x), 1, scale=dy)


def test_parity_parameters_and_rowwise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 33)) * 5
    t = torch.tensor(x)
    np.testing.assert_allclose(fastact.softmax(x), F.softmax(t, -1).numpy(), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(fastact.log_softmax(x, axis=0), F.log_softmax(t, 0).numpy(), rtol=1e-13)
    np.testing.assert_allclose(fastact.glu(x[:, :32]), F.glu(t[:, :32], -1).numpy(), rtol=1e-14)
    w = rng.uniform(0, 0.5, 33)
    np.testing.assert_allclose(fastact.prelu(x.reshape(64, 33, 1), w), F.prelu(t.reshape(64, 33, 1), torch.tensor(w)).numpy())
    np.testing.assert_allclose(fastact.elu(x, alpha=0.3), F.elu(t, 0.3).numpy(), rtol=1e-14)
    np.testing.assert_allclose(fastact.softplus(x, beta=2.5, threshold=5), F.softplus(t, 2.5, 5).numpy(), rtol=1e-14)
    np.testing.assert_allclose(fastact.rrelu(x), F.rrelu(t, training=False).numpy(), rtol=1e-15)
    # backward of softmax and glu
    tt = t.clone().requires_grad_(True)
    dy = rng.standard_normal((64, 33))
    F.softmax(tt, -1).backward(torch.tensor(dy))
    np.testing.assert_allclose(fastact.softmax_backward(dy, x), tt.grad.numpy(), atol=1e-14)


def test_every_torch_name_is_covered():
    names = {a.name for a in ACTIVATIONS if a.torch and a.kind == "eltwise"}
    assert names <= set(TORCH), names - set(TORCH)


# piecewise functions: their kinks (with fastact's default parameters)
KINK_POINTS = {"relu": [0.0], "leaky_relu": [0.0], "relu6": [0.0, 6.0], "hardtanh": [-1.0, 1.0],
               "elu": [0.0], "celu": [0.0], "selu": [0.0], "threshold": [0.0], "softplus": [20.0],
               "hardswish": [-3.0, 3.0, 0.0], "hardsigmoid": [-3.0, 3.0], "hardshrink": [-0.5, 0.5],
               "softshrink": [-0.5, 0.5]}
# where fastact deliberately differs at a special input (README, deliberate differences)
KINK_DIFFERENCES = {("hardswish", "fwd", -np.inf): "PyTorch: -inf * 0 = NaN; fastact: the limit 0",
                    ("hardsigmoid", "bwd", np.nan): "PyTorch: 0; fastact: NaN in, NaN out",
                    ("elu", "bwd", np.nan): "PyTorch: 1; fastact: NaN in, NaN out",
                    ("celu", "bwd", np.nan): "PyTorch: 1; fastact: NaN in, NaN out",
                    ("selu", "bwd", np.nan): "PyTorch: scale; fastact: NaN in, NaN out"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(KINK_POINTS))
def test_kinks_and_specials_match_pytorch(name, dtype):
    """Exactly at each kink, and at +-inf and NaN, forward and backward equal PyTorch's values
    (to the last bits: 4 eps), the few deliberate differences listed above excepted."""
    pts = np.array(KINK_POINTS[name] + [np.inf, -np.inf, np.nan], dtype)
    want_y, want_dx = _torch_pair(name, pts, np.ones_like(pts))
    with np.errstate(all="ignore"):
        got = {"fwd": getattr(fastact, name)(pts), "bwd": getattr(fastact, name + "_backward")(np.ones_like(pts), pts)}
    for which, want in (("fwd", want_y), ("bwd", want_dx)):
        for v, a, b in zip(pts, want, got[which], strict=True):
            key = (name, which, v if not np.isnan(v) else np.nan)
            if any(k[:2] == key[:2] and (k[2] == v or (np.isnan(k[2]) and np.isnan(v))) for k in KINK_DIFFERENCES):
                continue
            close = abs(float(a) - float(b)) <= 4 * np.finfo(dtype).eps * abs(float(a))  # last bits only
            assert a == b or close or (np.isnan(a) and np.isnan(b)), f"{name} {which} at {v}: torch {a}, fastact {b}"


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_smooth_gradients_at_infinity_are_the_limits(name):
    """README: silu' and mish' at +-inf are their limits 1 and 0 (PyTorch gives NaN)."""
    x = np.array([np.inf, -np.inf])
    np.testing.assert_array_equal(getattr(fastact, name + "_backward")(np.ones(2), x), [1.0, 0.0])
    assert np.isnan(_torch_pair(name, x, np.ones(2))[1]).all()


def test_hardshrink_accepts_negative_lambd_as_pytorch():
    """PyTorch accepts any lambd (OpInfo samples use a negative one): lambd < 0 is the identity."""
    x = np.linspace(-2, 2, 41)
    t = torch.tensor(x, requires_grad=True)
    F.hardshrink(t, -0.5).sum().backward()
    np.testing.assert_array_equal(fastact.hardshrink(x, lambd=-0.5), F.hardshrink(torch.tensor(x), -0.5).numpy())
    np.testing.assert_array_equal(fastact.hardshrink_backward(np.ones_like(x), x, lambd=-0.5), t.grad.numpy())
