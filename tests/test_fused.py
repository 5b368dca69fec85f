"""Fused bias + activation (bias_relu, bias_gelu, bias_gelu_tanh, bias_silu): the same
bits as the unfused composition in one memory pass, and gradients that match."""

import numpy as np
import pytest

import fastact

ACTS = ["relu", "gelu", "gelu_tanh", "silu"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ACTS)
def test_fused_equals_unfused(act, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 300)) * 4).astype(dtype)
    b = rng.standard_normal(300).astype(dtype)
    dy = rng.standard_normal((64, 300)).astype(dtype)
    f, df = getattr(fastact, "bias_" + act), getattr(fastact, "bias_" + act + "_backward")
    g, dg = getattr(fastact, act), getattr(fastact, act + "_backward")
    z = x + b
    eps = np.finfo(dtype).eps
    same = np.testing.assert_array_equal if act == "relu" else (
        lambda a, r: np.testing.assert_allclose(a, r, rtol=4 * eps, atol=4 * eps * np.abs(dy).max()))
    same(f(x, b), g(z))  # float32 gelu/silu round the product once (wide), so 1-2 ULP apart
    dx, db = df(dy, x, b)
    same(dx, dg(dy, z))
    np.testing.assert_allclose(db, dg(dy, z).sum(axis=0, dtype=np.float64), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5)
    assert db.shape == b.shape and db.dtype == dtype
    # channels on another axis: the middle one of a 3-d array
    x3 = x.reshape(8, 8, 300).transpose(0, 2, 1)  # (8, 300, 8), channels on axis 1
    same(f(x3, b, axis=1), g(x3 + b[:, None]))
    dx3, db3 = df(np.ones_like(x3), x3, b, axis=1)
    np.testing.assert_allclose(db3, dg(np.ones_like(x3), x3 + b[:, None]).sum(axis=(0, 2)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("act", ACTS)
def test_fused_finite_differences(act):
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, (5, 6))
    b = rng.uniform(-1, 1, 6)
    dy = rng.standard_normal((5, 6))
    f, df = getattr(fastact, "bias_" + act), getattr(fastact, "bias_" + act + "_backward")
    dx, db = df(dy, x, b)
    h = 1e-6
    for j in range(6):
        e = np.zeros(6)
        e[j] = h
        fd = ((f(x, b + e) - f(x, b - e)) * dy).sum() / (2 * h)
        assert abs(fd - db[j]) < 1e-6 * max(1, abs(fd)), (j, fd, db[j])
    fdx = (f(x + h, b) - f(x - h, b)) / (2 * h) * dy
    np.testing.assert_allclose(dx, fdx, rtol=1e-5, atol=1e-7)


def test_fused_errors():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="channels"):
        fastact.bias_relu(x, np.ones(4))
    with pytest.raises(ValueError, match="bias"):
        fastact.bias_relu(x, np.ones((3, 1)))
    np.testing.assert_array_equal(fastact.bias_relu(x, np.ones(4), axis=0), np.full((4, 3), 2.0))
    np.testing.assert_array_equal(fastact.bias_relu(x, -2.0), np.zeros((4, 3)))  # one shared bias
