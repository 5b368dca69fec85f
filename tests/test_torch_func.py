"""fastact.torch under torch.func transforms and forward-mode AD: each transform gives the
Jacobian's answer (the reference: the Jacobian of the eager function by reverse-mode autograd,
which gradcheck ties to finite differences in test_torch_integration.py) or raises a clear
NotImplementedError -- never zeros."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastact.torch")
import torch.autograd.forward_ad as fwAD  # noqa: E402

from fastact._registry import ACTIVATIONS  # noqa: E402

NAMES = [a.name for a in ACTIVATIONS]
KIND = {a.name: a for a in ACTIVATIONS}


def _case(name):
    """(f: x -> y with the other arguments fixed, x)."""
    spec = KIND[name]
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    shape = {"eltwise": (5,), "rowwise": (2, 4), "gated": (2, 6), "channelwise": (2, 3), "random": (6,)}[spec.kind]
    x = torch.randn(shape, dtype=torch.float64, generator=g) * 2
    fn = getattr(ft, name)
    if spec.kind == "channelwise":
        w = torch.rand(3, dtype=torch.float64, generator=g)
        return (lambda v: fn(v, w)), x
    if spec.kind == "random":
        return (lambda v: fn(v, training=True, seed=5)), x
    return fn, x


def _jacobian(f, x):
    return torch.autograd.functional.jacobian(f, x).reshape(f(x).numel(), x.numel())


@pytest.mark.parametrize("name", NAMES)
def test_forward_mode_is_the_jacobian(name):
    f, x = _case(name)
    J = _jacobian(f, x)
    t = torch.linspace(-1, 1, x.numel(), dtype=torch.float64).reshape(x.shape)
    want = (J @ t.reshape(-1)).reshape(f(x).shape)
    y, jt = torch.func.jvp(f, (x,), (t,))
    torch.testing.assert_close(y, f(x))
    torch.testing.assert_close(jt, want, rtol=1e-12, atol=1e-12)
    with fwAD.dual_level():
        out = f(fwAD.make_dual(x, t))
        torch.testing.assert_close(fwAD.unpack_dual(out).tangent, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(torch.func.grad(lambda v: f(v).sum())(x),
                               (J.T @ torch.ones(J.shape[0], dtype=J.dtype)).reshape(x.shape))


@pytest.mark.parametrize("name", NAMES)
def test_vmap_and_the_jacobian_transforms(name):
    f, x = _case(name)
    spec = KIND[name]
    X = torch.stack([x, -x, 0.5 * x])
    if spec.kind == "random":  # the mask is drawn from the flat element index: no batching rule
        with pytest.raises(NotImplementedError, match=f"fastact.torch.{name}: vmap"):
            torch.func.vmap(f)(X)
    else:
        torch.testing.assert_close(torch.func.vmap(f)(X), torch.stack([f(v) for v in X]))
        J = _jacobian(f, x)
        torch.testing.assert_close(torch.func.jacfwd(f)(x).reshape(J.shape), J, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(torch.func.jacrev(f)(x).reshape(J.shape), J, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["gelu", "softmax", "glu", "sigmoid", "bias_gelu"])
def test_second_derivatives_raise(name):
    f, x = _case(name)
    with pytest.raises(NotImplementedError, match="second derivatives"):
        torch.func.hessian(lambda v: f(v).sum())(x)


def test_forward_mode_wrt_a_weight_raises():
    x = torch.randn(2, 3, dtype=torch.float64)
    w = torch.full((3,), 0.25, dtype=torch.float64)
    with pytest.raises(NotImplementedError, match="with respect to weight"):
        torch.func.jvp(lambda v: ft.prelu(x, v), (w,), (torch.ones_like(w),))


def test_modules_take_the_same_path():
    m = ft.GELU()
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    _, jt = torch.func.jvp(m, (x,), (torch.ones_like(x),))
    np.testing.assert_allclose(jt.numpy(), torch.func.vmap(torch.func.grad(lambda v: m(v)))(x).numpy(), rtol=1e-12)


@pytest.mark.parametrize(("name", "extras"), [("silu", ()), ("softmax", (-1,)), ("glu", (-1,)), ("elu", (1.0,))])
def test_custom_op_itself_refuses_forward_mode(name, extras):
    """torch.ops.fastact.<name> has no forward-mode rule: under dual tensors and torch.func.jvp it
    raises, naming fastact.torch.<name> (which has one), instead of returning zero tangents."""
    import torch.autograd.forward_ad as fwAD

    x = torch.randn(2, 4, dtype=torch.float64)
    op = getattr(torch.ops.fastact, name)
    with fwAD.dual_level(), pytest.raises(NotImplementedError, match=f"fastact.torch.{name}"):
        op(fwAD.make_dual(x, torch.ones_like(x)), *extras)
    with pytest.raises(NotImplementedError, match=f"fastact.torch.{name}"):
        torch.func.jvp(lambda v: op(v, *extras), (x,), (torch.ones_like(x),))
