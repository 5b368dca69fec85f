"""dropout and rrelu: the counter-based mask (seed, offset + C-order index)."""

import numpy as np
import pytest

import fastact

N = 1_000_000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_statistics_and_scale(p, dtype):
    x = np.ones(N, dtype)
    y = fastact.dropout(x, p, seed=123)
    kept = (y != 0).mean()
    sigma = np.sqrt(p * (1 - p) / N)
    assert abs(kept - (1 - p)) < 4 * sigma, (kept, 1 - p)
    t = np.dtype(dtype).type
    assert set(np.unique(y)) == {0, t(1) * (t(1) / (t(1) - t(p)))}


def test_dropout_independent_seeds_and_offsets():
    x = np.ones(N, np.float32)
    masks = [fastact.dropout(x, 0.5, seed=s, offset=o) != 0 for s, o in ((1, 0), (2, 0), (1, 1), (1, N))]
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            agree = (masks[i] == masks[j]).mean()
            assert abs(agree - 0.5) < 4 * np.sqrt(0.25 / N), (i, j, agree)


def test_dropout_counter_semantics_and_layout():
    x = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
    full = fastact.dropout(x, 0.3, seed=9)
    # rows 100.. are counters 100*200 ..: an offset call reproduces them
    np.testing.assert_array_equal(fastact.dropout(x[100:], 0.3, seed=9, offset=100 * 200), full[100:])
    # the mask follows the logical (C-order) index, whatever the memory layout
    xf = np.asfortranarray(x)
    np.testing.assert_array_equal(fastact.dropout(xf, 0.3, seed=9), full)
    np.testing.assert_array_equal(fastact.dropout(x.T, 0.3, seed=9), fastact.dropout(x.T.copy(), 0.3, seed=9))
    # every backend and thread count gives the same mask
    big = np.ones(400_000, np.float64)
    ref = fastact.dropout(big, 0.4, seed=77, backend="native")
    for n in (1, 2):
        fastact.set_num_threads(n)
        np.testing.assert_array_equal(fastact.dropout(big, 0.4, seed=77, backend="numba"), ref)
    fastact.set_num_threads(None)


def test_dropout_backward_regenerates_the_mask():
    x = np.random.default_rng(1).standard_normal(10_000)
    y = fastact.dropout(x, 0.25, seed=5, offset=3)
    dy = np.random.default_rng(2).standard_normal(10_000)
    dx = fastact.dropout_backward(dy, x, p=0.25, seed=5, offset=3)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_array_equal(dx[y != 0], dy[y != 0] * (1 / 0.75))


def test_dropout_edges_and_errors():
    x = np.array([1.0, -2.0, np.nan, np.inf])
    np.testing.assert_array_equal(fastact.dropout(x, 0.0, seed=1), x)
    y1 = fastact.dropout(x, 1.0, seed=1)
    assert (y1[:2] == 0).all() and np.isnan(y1[2:]).all()  # NaN/inf * 0, as PyTorch
    ev = fastact.dropout(x, 0.5, training=False)
    np.testing.assert_array_equal(ev, x)
    assert ev is not x
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p"):
            fastact.dropout(x, bad, seed=1)
    with pytest.raises(TypeError, match="seed"):
        fastact.dropout(x, 0.5)
    with pytest.raises(ValueError, match="seed"):
        fastact.dropout(x, 0.5, seed=-1)
    with pytest.raises(TypeError, match="seed"):
        fastact.dropout(x, 0.5, seed=1.5)
    out = np.full(4, 3.0)
    with pytest.raises(ValueError, match="p"):
        fastact.dropout(x, 2.0, seed=1, out=out)
    assert (out == 3.0).all()
    assert fastact.dropout(np.float32(2), 0.0, seed=0) == 2
    assert fastact.dropout(np.ones((0, 3)), 0.5, seed=0).shape == (0, 3)


def test_rrelu():
    x = np.linspace(-5, 5, 10_001)
    np.testing.assert_array_equal(fastact.rrelu(x), fastact.leaky_relu(x, negative_slope=(1 / 8 + 1 / 3) / 2))
    y = fastact.rrelu(x, training=True, seed=4)
    neg = x < 0
    slope = y[neg] / x[neg]
    assert slope.min() >= 1 / 8 and slope.max() <= 1 / 3 and slope.std() > 0.03
    np.testing.assert_array_equal(y[~neg], x[~neg])
    dx = fastact.rrelu_backward(np.ones_like(x), x, training=True, seed=4)
    np.testing.assert_allclose(dx[neg], slope, rtol=1e-15)
    assert (dx[x > 0] == 1).all()
    np.testing.assert_array_equal(fastact.rrelu_backward(np.ones_like(x), x),
                                  fastact.leaky_relu_backward(np.ones_like(x), x, negative_slope=(1 / 8 + 1 / 3) / 2))
    with pytest.raises(ValueError, match="lower <= upper"):
        fastact.rrelu(x, lower=0.5, upper=0.1)
