"""fastact.nn: finite-difference gradients of every layer and loss (float64), optimizers,
training, and the no-allocation promise."""

import tracemalloc

import numpy as np
import pytest

from fastact import nn

RNG = np.random.default_rng(1234)


def away_from_zero(shape, lo=0.2, hi=2.0, rng=RNG):
    """Random values with lo <= |x| <= hi: finite differences never straddle a kink (relu at 0)."""
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def numeric_grad(f, a, h=1e-6):
    """Central differences of the scalar f() w.r.t. every element of a (modified in place)."""
    g = np.zeros_like(a)
    flat, gf = a.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        flat[i] = old - h
        fm = f()
        flat[i] = old
        gf[i] = (fp - fm) / (2 * h)
    return g


def check_layer(layer, x, before=lambda: None, rtol=1e-5, atol=1e-7):
    """d/dx and d/dparams of sum(r * layer(x)), analytic (backward) vs central differences."""
    before()
    y = layer.forward(x)
    r = RNG.standard_normal(y.shape)

    def f():
        before()
        return float(np.vdot(r, layer.forward(x)))

    before()
    layer.forward(x)
    dx = layer.backward(r).copy()
    grads = [g.copy() for g in layer.grads]
    np.testing.assert_allclose(dx, numeric_grad(f, x), rtol=rtol, atol=atol, err_msg="dx")
    assert len(layer.params) == len(grads)
    for i, p in enumerate(layer.params):
        np.testing.assert_allclose(grads[i], numeric_grad(f, p), rtol=rtol, atol=atol, err_msg=f"param {i}")


# ---- gradients -------------------------------------------------------------------

@pytest.mark.parametrize("init", ["he", "xavier", "lecun"])
def test_dense_gradients(init):
    check_layer(nn.Dense(5, 4, init=init, rng=0), RNG.standard_normal((3, 5)))


def test_dense_no_bias_and_errors():
    d = nn.Dense(3, 2, bias=False, rng=0)
    assert len(d.params) == 1
    check_layer(d, RNG.standard_normal((4, 3)))
    with pytest.raises(ValueError, match="init"):
        nn.Dense(3, 2, init="orthogonal")
    with pytest.raises(ValueError, match="shape"):
        d.forward(np.ones((4, 5)))


def test_init_scales():
    rng = np.random.default_rng(0)
    assert nn.init_weight(400, 300, "he", rng, np.float64).std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert nn.init_weight(400, 300, "lecun", rng, np.float64).std() == pytest.approx(0.05, rel=0.02)
    w = nn.init_weight(400, 300, "xavier", rng, np.float32)
    assert w.dtype == np.float32 and np.abs(w).max() <= np.sqrt(6 / 700)
    assert w.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)


ELTWISE = [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {"negative_slope": 0.1}),
           ("elu", {}), ("elu", {"alpha": -0.5}), ("selu", {}), ("gelu", {}), ("silu", {}), ("mish", {}),
           ("softplus", {"beta": 2.0}), ("celu", {"alpha": 0.7}), ("hardswish", {})]


@pytest.mark.parametrize("name, params", ELTWISE, ids=[f"{n}{p}" for n, p in ELTWISE])
def test_activation_gradients(name, params):
    check_layer(nn.Activation(name, **params), away_from_zero((4, 6)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_rowwise_activation_gradients(name, axis):
    check_layer(nn.Activation(name, axis=axis), RNG.standard_normal((4, 5)))


@pytest.mark.parametrize("name", ["glu", "swiglu", "geglu"])
def test_gated_activation_gradients(name):
    layer = nn.Activation(name)
    x = away_from_zero((3, 8))
    assert layer.forward(x).shape == (3, 4)
    check_layer(layer, x)


def test_activation_keeps_one_array():
    """Backward from the output where the registry says it is exact, else from the input."""
    x = away_from_zero((4, 6))
    for name, params, from_y in [("relu", {}, True), ("sigmoid", {}, True), ("tanh", {}, True),
                                 ("elu", {}, True), ("elu", {"alpha": -0.5}, False),
                                 ("leaky_relu", {"negative_slope": -0.1}, False), ("softmax", {}, True),
                                 ("gelu", {}, False), ("silu", {}, False)]:
        layer = nn.Activation(name, **params)
        assert layer.from_y is from_y, name
        y = layer.forward(x)
        assert layer._saved is (y if from_y else x), name


def test_activation_rejects_channelwise_and_random():
    with pytest.raises(ValueError, match="PReLU"):
        nn.Activation("prelu")
    with pytest.raises(ValueError, match="Dropout"):
        nn.Activation("dropout")
    with pytest.raises(ValueError):
        nn.Activation("no_such_activation")


@pytest.mark.parametrize("shape, channels", [((4, 3), 3), ((2, 3, 5), 3), ((4, 6), 1)])
def test_prelu_gradients(shape, channels):
    layer = nn.PReLU(channels)
    layer.weight[:] = RNG.uniform(0.05, 0.5, channels)
    check_layer(layer, away_from_zero(shape))


def test_dropout_gradients_and_mask():
    layer = nn.Dropout(0.3, seed=7)
    x = away_from_zero((8, 16))

    def replay():
        layer.offset = 0  # the same counters, so the same mask, for every evaluation

    check_layer(layer, x, before=replay)
    replay()
    y1 = layer.forward(x).copy()
    dy = RNG.standard_normal(x.shape)
    dx = layer.backward(dy)
    kept = y1 != 0
    np.testing.assert_allclose(y1[kept], x[kept] / 0.7)
    np.testing.assert_allclose(dx, np.where(kept, dy / 0.7, 0.0))  # the mask regenerated, not stored
    assert 0.15 < 1 - kept.mean() < 0.45
    y2 = layer.forward(x)  # the next step draws new counters: a fresh mask
    assert not np.array_equal(y1 != 0, y2 != 0)
    layer.eval()
    assert layer.forward(x) is x and layer.backward(dy) is dy
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_nac_gradients():
    check_layer(nn.NAC(3, 2, rng=0), RNG.standard_normal((4, 3)))


def test_nalu_gradients():
    layer = nn.NALU(3, 2, rng=0)
    check_layer(layer, away_from_zero((4, 3), 0.5, 3.0), rtol=1e-5, atol=1e-6)
    assert len(layer.params) == 3


def test_nac_weight_constraint():
    layer = nn.NAC(3, 2, rng=0)
    np.testing.assert_allclose(layer.W, np.tanh(layer.params[0]) / (1 + np.exp(-layer.params[1])))
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.W)


def test_nalu_forward_formula():
    layer = nn.NALU(2, 3, rng=1)
    x = away_from_zero((4, 2))
    W, G = layer.W, layer.G
    g = 1 / (1 + np.exp(-(x @ G)))
    m = np.exp(np.log(np.abs(x) + layer.eps) @ W)
    np.testing.assert_allclose(layer.forward(x), g * (x @ W) + (1 - g) * m, rtol=1e-12)
    with pytest.raises(ValueError, match="gate_init"):
        nn.NALU(2, 3, gate_init="ones")


def test_sequential_gradients():
    model = nn.Sequential(nn.Dense(4, 6, rng=0), nn.Activation("tanh"), nn.PReLU(6),
                          nn.Dense(6, 5, rng=1), nn.Activation("gelu"), nn.Dense(5, 3, rng=2))
    check_layer(model, RNG.standard_normal((3, 4)), rtol=1e-5, atol=1e-7)
    assert len(model.params) == 2 + 1 + 2 + 2 and len(model) == 6
    x = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(model(x).copy(), model.forward(x))  # layers are callable
    assert isinstance(model[1], nn.Activation) and "Activation('tanh')" in repr(model)


# ---- losses ------------------------------------------------------------------------

def check_loss(loss, z, t, rtol=1e-6, atol=1e-9):
    loss.forward(z, t)
    dz = loss.backward().copy()
    np.testing.assert_allclose(dz, numeric_grad(lambda: loss.forward(z, t), z), rtol=rtol, atol=atol)


def test_softmax_cross_entropy():
    z = RNG.standard_normal((5, 4)) * 3
    labels = np.array([0, 3, 1, 1, 2])
    loss = nn.SoftmaxCrossEntropy()
    value = loss.forward(z, labels)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert value == pytest.approx(-logp[np.arange(5), labels].mean(), rel=1e-12)
    check_loss(loss, z, labels)
    probs = RNG.dirichlet(np.ones(4), 5)
    assert loss.forward(z, probs) == pytest.approx(-(probs * logp).sum() / 5, rel=1e-12)
    check_loss(loss, z, probs)


def test_softmax_cross_entropy_stable_and_checked():
    loss = nn.SoftmaxCrossEntropy()
    z = np.array([[1000.0, 0.0, -1000.0], [-800.0, -800.0, -801.0]])
    v = loss.forward(z, np.array([0, 2]))
    assert np.isfinite(v) and v == pytest.approx((0 + 1 + np.log(2 + np.exp(-1))) / 2, rel=1e-12)
    assert np.isfinite(loss.backward()).all()
    with pytest.raises(ValueError, match="labels"):
        loss.forward(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="target"):
        loss.forward(z, np.zeros(3, int))


def test_mse():
    y, t = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    loss = nn.MSE()
    assert loss.forward(y, t) == pytest.approx(np.mean((y - t) ** 2), rel=1e-12)
    check_loss(loss, y, t)
    assert loss(y, t) == loss.forward(y, t)
    with pytest.raises(ValueError):
        loss.forward(y, t[:2])


# ---- optimizers and training -------------------------------------------------------

class Quadratic(nn.Layer):
    """f(p) = ½ Σ a (p − c)², an ill-conditioned bowl with its minimum at c."""

    def __init__(self, n=20, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.a, self.c = np.logspace(-1, 1, n), rng.standard_normal(n)
        self.p, self.g = np.zeros(n), np.zeros(n)
        self.params, self.grads = [self.p], [self.g]

    def loss_and_grad(self):
        d = self.p - self.c
        self.g[:] = self.a * d
        return 0.5 * float(np.sum(self.a * d * d))


@pytest.mark.parametrize("make", [lambda q: nn.SGD(q, lr=0.05), lambda q: nn.SGD(q, lr=0.02, momentum=0.9),
                                  lambda q: nn.SGD(q.params, q.grads, lr=0.05, weight_decay=1e-4),
                                  lambda q: nn.Adam(q, lr=0.05)],
                         ids=["sgd", "momentum", "lists+decay", "adam"])
def test_optimizers_minimize_a_quadratic(make):
    q = Quadratic()
    opt = make(q)
    first = q.loss_and_grad()
    for _ in range(300):
        q.loss_and_grad()
        opt.step()
    assert q.loss_and_grad() < 1e-3 * first
    assert np.abs(q.p - q.c).max() < 0.1
    assert opt.t == 300


def test_optimizer_argument_errors():
    with pytest.raises(TypeError):
        nn.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError):
        nn.SGD([np.zeros(3)], [np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError):
        nn.Adam(Quadratic(), lr=-1)


def two_moons(n, rng):
    t = rng.uniform(0, np.pi, n)
    lab = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) + lab * 1.0, np.sin(t) * (1 - 2 * lab) + lab * 0.5], 1)
    return x + 0.1 * rng.standard_normal(x.shape), lab


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_training_reduces_loss(opt):
    rng = np.random.default_rng(0)
    x, lab = two_moons(256, rng)
    model = nn.Sequential(nn.Dense(2, 32, rng=1), nn.Activation("relu"), nn.Dropout(0.1, seed=3),
                          nn.Dense(32, 32, rng=2), nn.Activation("tanh"),
                          nn.Dense(32, 2, init="xavier", rng=3))
    loss = nn.SoftmaxCrossEntropy()
    o = nn.SGD(model, lr=0.2, momentum=0.9) if opt == "sgd" else nn.Adam(model, lr=0.01)
    first = loss.forward(model.forward(x), lab)
    for _ in range(300):
        i = rng.integers(0, 256, 64)
        loss.forward(model.forward(x[i]), lab[i])
        model.backward(loss.backward())
        o.step()
    model.eval()
    logits = model.forward(x)
    assert loss.forward(logits, lab) < 0.3 * first
    assert (logits.argmax(1) == lab).mean() > 0.95


def test_nalu_learns_addition_and_multiplication():
    rng = np.random.default_rng(0)
    for op, target in (("add", lambda x: x.sum(1, keepdims=True)),
                       ("mul", lambda x: x.prod(1, keepdims=True))):
        layer, loss = nn.NALU(2, 1, rng=1, gate_init="zeros"), nn.MSE()
        assert not layer.G.any()
        opt = nn.Adam(layer, lr=0.05, betas=(0.9, 0.99))
        for _ in range(2000):
            x = rng.uniform(1, 5, (64, 2))
            loss.forward(layer.forward(x), target(x))
            layer.backward(loss.backward())
            opt.step()
        x = rng.uniform(10, 50, (256, 2))  # 10x outside the training range
        rel = np.abs(layer.forward(x) - target(x)) / np.abs(target(x))
        assert rel.mean() < 2e-3, (op, rel.mean())


# ---- no allocation per step ------------------------------------------------------------

def test_buffers_are_reused():
    model = nn.Sequential(nn.Dense(8, 16, rng=0), nn.Activation("sigmoid"), nn.Dropout(0.2),
                          nn.Dense(16, 16, rng=1), nn.Activation("gelu"), nn.PReLU(16), nn.NALU(16, 4, rng=2))
    loss, x, t = nn.MSE(), RNG.standard_normal((10, 8)), RNG.standard_normal((10, 4))
    opt = nn.Adam(model)

    def step():
        outs = [model.forward(x)]
        loss.forward(outs[0], t)
        outs.append(loss.backward())
        model.backward(outs[1])
        opt.step()
        outs += [lay._saved if isinstance(lay, nn.Activation) else None for lay in model.layers]
        return outs

    first, second = step(), step()
    assert all(a is b for a, b in zip(first, second, strict=True))
    grads = [id(g) for g in model.grads]
    step()
    assert [id(g) for g in model.grads] == grads
    # another batch shape gets its own buffers and the first ones stay
    y_small = model.forward(x[:3])
    assert y_small.shape == (3, 4) and y_small is not first[0]
    assert model.forward(x) is first[0]


def warm_step_peak(batch, width=128):
    """Bytes allocated at peak (tracemalloc sees NumPy's data) during 3 warm training steps."""
    model = nn.Sequential(nn.Dense(width, width, rng=0), nn.Activation("relu"), nn.Dense(width, width, rng=1),
                          nn.Activation("tanh"), nn.Dropout(0.5), nn.Dense(width, 10, rng=2))
    loss, opt = nn.SoftmaxCrossEntropy(), nn.Adam(model, lr=1e-3)
    x, lab = RNG.standard_normal((batch, width)), RNG.integers(0, 10, batch)

    def step():
        loss.forward(model.forward(x), lab)
        model.backward(loss.backward())
        opt.step()

    step()
    step()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_no_allocation_in_steady_state():
    """Warm steps allocate no activation-sized arrays: only NumPy's fixed-size ufunc scratch
    (64 KiB for the broadcast bias add) and small objects, the same for any batch size."""
    small, big = warm_step_peak(64), warm_step_peak(512)
    one_buffer = 512 * 128 * 8
    assert big < one_buffer / 4, f"{big} bytes at peak in warm steps (one activation buffer: {one_buffer})"
    assert big - small < one_buffer / 16, (small, big)


def test_dense_dtype_is_the_parameters_dtype():
    """README: Dense's parameters are float64 unless dtype= says otherwise; the output follows them."""
    from fastact import nn

    x = np.ones((2, 3), np.float32)
    assert nn.Dense(3, 4, rng=0)(x).dtype == np.float64
    assert nn.Dense(3, 4, rng=0, dtype=np.float32)(x).dtype == np.float32
