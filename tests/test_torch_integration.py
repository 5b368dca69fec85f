"""fastact.torch: custom ops, autograd, modules, torch.compile and training parity.

Every case is generated from the registry: gradcheck (float64) through the custom op and
through the plain autograd.Function, forward/backward parity with torch.nn.functional
where PyTorch has the function, layouts and dtypes (non-contiguous, 0-d, float16,
bfloat16), torch.library.opcheck of every op, one torch.compile(fullgraph=True) model
using several fastact modules, and an MLP trained on sklearn's digits twice (PyTorch's
activations vs fastact's) whose loss curves must agree.
"""

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastact  # noqa: E402
import fastact.torch as ft  # noqa: E402
from fastact._api import _cond  # noqa: E402
from fastact._registry import ACTIVATIONS, BY_NAME  # noqa: E402

F = torch.nn.functional
NAMES = [a.name for a in ACTIVATIONS]
SEED = 11  # for the random kinds


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: torch's intra-op threads only contend for the (shared) cores."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _grid(shape, dtype=torch.float64, seed=0):
    """Values k/4 + [0.05, 0.2): every kink of the registry (0, +-0.5, +-1, +-3, 6, 7, and the
    halved parameters below) is a multiple of 1/4, so finite differences never straddle one."""
    g = np.random.default_rng(seed)
    v = g.integers(-16, 16, shape) / 4 + g.uniform(0.05, 0.2, shape)
    return torch.tensor(v, dtype=dtype)


def _param_sets(spec):
    """(id, params): the defaults, every parameter halved, and (where backward_y_when exists)
    a valid set under which the derivative must come from x, not y."""
    out = [("default", {})]
    if spec.params:
        out.append(("halved", {p.name: p.default / 2 for p in spec.params}))
    if spec.backward_y_when:
        neg = {p.name: -p.default / 2 for p in spec.params}
        try:
            fastact._api.resolve_params(spec, "test", dict(neg))
        except ValueError:
            return out
        if not _cond(spec.backward_y_when, neg):
            out.append(("from_x", neg))
    return out


CASES = [(s.name, pid, prm) for s in ACTIVATIONS for pid, prm in _param_sets(s)]
CASE_IDS = [f"{n}-{pid}" for n, pid, _ in CASES]


def _args(spec, params, dtype=torch.float64, shape=(3, 4, 6), seed=0):
    """(tensors that need grad, callable(*tensors) on the functional API)."""
    x = _grid(shape, dtype, seed).requires_grad_(True)
    f = getattr(ft, spec.name)
    if spec.kind == "rowwise":
        return (x,), lambda t: f(t, dim=1)
    if spec.kind == "gated":
        return (x,), lambda t: f(t, dim=-1, **params)
    if spec.kind == "random":
        return (x,), lambda t: f(t, **params, training=True, seed=SEED)
    if spec.kind == "channelwise":
        n = shape[1] if spec.channel_axis == 1 else shape[-1]
        w = torch.tensor(np.random.default_rng(seed + 1).uniform(-0.5, 0.5, n), dtype=dtype, requires_grad=True)
        return (x, w), lambda t, u: f(t, u)
    return (x,), lambda t: f(t, **params)


def _extras(name, params):
    """The custom op's non-tensor arguments in schema order (for FooFunction.apply)."""
    spec = BY_NAME[name]
    values = {**spec.defaults, **params, "dim": 1 if spec.kind == "rowwise" else -1, "offset": 0,
              "training": True}
    names = re.findall(r"(?:int|float|bool) (\w+)", ft.schema(name))
    return [values[n] for n in names]


@pytest.mark.parametrize("name,pid,params", CASES, ids=CASE_IDS)
def test_gradcheck_custom_op(name, pid, params):
    spec = BY_NAME[name]
    tensors, call = _args(spec, params)
    assert torch.autograd.gradcheck(call, tensors, eps=1e-6, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name,pid,params", CASES, ids=CASE_IDS)
def test_gradcheck_autograd_function(name, pid, params):
    spec = BY_NAME[name]
    tensors, _ = _args(spec, params)
    fn = ft.functions[name]
    extra = _extras(name, params)
    if spec.kind == "random":
        seed = torch.tensor(SEED)
        assert torch.autograd.gradcheck(lambda t: fn.apply(t, seed, *extra), tensors, atol=1e-7, rtol=1e-6)
    else:
        assert torch.autograd.gradcheck(lambda *t: fn.apply(*t, *extra), tensors, atol=1e-7, rtol=1e-6)
    # the same numbers as the custom op
    _, call = _args(spec, params)
    y_op = call(*tensors)
    y_fn = fn.apply(*tensors, *((torch.tensor(SEED),) if spec.kind == "random" else ()), *extra)
    torch.testing.assert_close(y_fn, y_op, rtol=0, atol=0)


@pytest.mark.parametrize("name,pid,params", CASES, ids=CASE_IDS)
def test_matches_numpy_api(name, pid, params):
    """Forward and backward equal fastact's NumPy functions (the same kernels)."""
    spec = BY_NAME[name]
    tensors, call = _args(spec, params, dtype=torch.float32)
    y = call(*tensors)
    dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
    y.backward(dy)
    xs = [t.detach().numpy() for t in tensors]
    kw = {"rowwise": {"axis": 1}, "gated": {"axis": -1}, "random": {"seed": SEED, "training": True}}.get(spec.kind, {})
    f, fb = getattr(fastact, name), getattr(fastact, name + "_backward")
    np.testing.assert_array_equal(y.detach().numpy(), f(*xs, **kw, **params))
    grads = fb(dy.numpy(), *xs, **kw, **params)
    if spec.kind == "channelwise":
        np.testing.assert_allclose(tensors[0].grad.numpy(), grads[0], rtol=0, atol=0)
        np.testing.assert_allclose(tensors[1].grad.numpy(), grads[1], rtol=1e-6)
    else:
        np.testing.assert_allclose(tensors[0].grad.numpy(), grads, rtol=1e-6, atol=1e-7)


def test_saves_output_where_the_registry_allows():
    x = _grid((5, 6)).requires_grad_(True)
    for name, params in (("sigmoid", {}), ("elu", {"alpha": 0.5}), ("elu", {"alpha": -0.5}), ("relu", {}),
                         ("softplus", {}), ("softmax", {})):
        spec = BY_NAME[name]
        for y in (getattr(ft, name)(x, **params), ft.functions[name].apply(x, *_extras(name, params))):
            if type(y.grad_fn).__name__ == "CppFunction":  # the C++ eager path: tests/test_torch_cpp.py
                continue
            saved = y.grad_fn.saved_tensors[0]
            expect_y = spec.has_backward_y and (not spec.backward_y_when or _cond(spec.backward_y_when, {
                **spec.defaults, **params}))
            assert saved.data_ptr() == (y if expect_y else x).data_ptr(), (name, params)
    # dropout's derivative does not read x: only the seed is kept
    y = ft.dropout(x, 0.5, seed=1)
    assert [t is None for t in y.grad_fn.saved_tensors] == [True, False]


# ---- parity with torch.nn.functional -------------------------------------------------------

TORCH_NAMES = [a.name for a in ACTIVATIONS if a.torch]


def _torch_fn(spec):
    return getattr(torch, spec.torch) if spec.torch in ("sigmoid", "tanh") else getattr(F, spec.torch)


def _ours_theirs(spec, params, t1, w1, t2, w2):
    """(fastact.torch result on t1, torch.nn.functional result on t2), the same arguments."""
    ours, theirs = getattr(ft, spec.name), _torch_fn(spec)
    tkw = {**spec.defaults, **params}
    if spec.variant:
        tkw[spec.variant[1]] = spec.variant[2]
    if spec.kind in ("rowwise", "gated"):
        return ours(t1, dim=1), theirs(t2, dim=1)
    if spec.kind == "channelwise":
        return ours(t1, w1), theirs(t2, w2)
    if spec.kind == "random":  # eval forms (the training masks come from different generators)
        return ours(t1, **params, training=False), theirs(t2, **tkw, training=False)
    return ours(t1, **params), theirs(t2, **tkw)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_parity_with_torch(name, dtype):
    spec = BY_NAME[name]
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(16, 8, 5, generator=g, dtype=dtype) * 3)
    w = torch.rand(8, generator=g, dtype=dtype) * 0.5
    dy = torch.randn(x.shape, generator=g, dtype=dtype)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == torch.float32 else dict(rtol=1e-7, atol=1e-12)
    for _, params in _param_sets(spec):
        t1, t2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        w1, w2 = w.clone().requires_grad_(True), w.clone().requires_grad_(True)
        ours, theirs = _ours_theirs(spec, params, t1, w1, t2, w2)
        torch.testing.assert_close(ours, theirs, **tol)
        ours.backward(dy[tuple(slice(0, n) for n in ours.shape)])
        theirs.backward(dy[tuple(slice(0, n) for n in theirs.shape)])
        torch.testing.assert_close(t1.grad, t2.grad, **tol)
        if spec.kind == "channelwise":
            torch.testing.assert_close(w1.grad, w2.grad, rtol=tol["rtol"] * 10, atol=tol["atol"] * 100)


def test_dropout_training_and_modules():
    x = torch.randn(200, 50)
    y = ft.dropout(x, 0.3, seed=5)
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / 0.7)
    assert 0.25 < 1 - kept.float().mean().item() < 0.35
    # the mask is fastact's: the same as the NumPy function's, and regenerated in backward
    np.testing.assert_array_equal(y.numpy(), fastact.dropout(x.numpy(), 0.3, seed=5))
    t = x.clone().requires_grad_(True)
    ft.dropout(t, 0.3, seed=5).sum().backward()
    torch.testing.assert_close(t.grad, kept.float() / 0.7)
    # seed=None draws from torch's generator: repeatable under torch.manual_seed
    torch.manual_seed(3)
    a = ft.dropout(x)
    torch.manual_seed(3)
    torch.testing.assert_close(ft.dropout(x), a)
    assert not torch.equal(ft.dropout(x), a)
    m = ft.Dropout(0.5)
    assert not torch.equal(m(x), m(x))  # a new mask per call
    m.eval()
    torch.testing.assert_close(m(x), x)
    r = ft.RReLU()
    r.train()
    y = r(x)
    slope = y[x < 0] / x[x < 0]
    assert slope.min() >= 0.125 - 1e-6 and slope.max() <= 1 / 3 + 1e-6 and slope.std() > 0.01
    r.eval()
    torch.testing.assert_close(r(x), F.rrelu(x, training=False))


# ---- layouts and dtypes ------------------------------------------------------------------------

LAYOUT_NAMES = ["gelu", "elu", "sigmoid", "softmax", "log_softmax", "prelu", "bias_silu", "swiglu", "dropout"]


def _call(name, t, w=None):
    spec = BY_NAME[name]
    f = getattr(ft, name)
    if spec.kind == "rowwise":
        return f(t, dim=0)
    if spec.kind == "gated":
        return f(t, dim=0)
    if spec.kind == "channelwise":
        return f(t, w)
    if spec.kind == "random":
        return f(t, 0.4, seed=SEED)
    return f(t)


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_non_contiguous(name):
    """Strided, transposed inputs, weights and gradients give exactly the contiguous results."""
    def view(b):
        return b[::3, 2:, ::2].transpose(0, 2)  # (4, 8, 5)

    base = torch.randn(13, 10, 8, dtype=torch.float64)
    w = torch.rand(16, dtype=torch.float64)[::2]  # strided, 8 channels
    w = w if BY_NAME[name].channel_axis == 1 else w[:5]
    b1 = base.clone().requires_grad_(True)
    xc = view(base).contiguous().requires_grad_(True)
    assert not view(b1).is_contiguous()
    y1, y2 = _call(name, view(b1), w), _call(name, xc, w)
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)
    dy = torch.randn(tuple(reversed(y1.shape)), dtype=torch.float64).permute(*reversed(range(y1.dim())))
    assert not dy.is_contiguous()
    y1.backward(dy)
    y2.backward(dy)
    torch.testing.assert_close(view(b1.grad), xc.grad, rtol=0, atol=0)


def test_expanded_gradient_and_zero_d():
    x = _grid((4, 5)).requires_grad_(True)
    ft.silu(x).sum().backward()  # the incoming gradient is an expanded (stride-0) tensor
    torch.testing.assert_close(x.grad, torch.tensor(fastact.silu_backward(np.ones((4, 5)), x.detach().numpy())))
    s = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y = ft.sigmoid(s)
    assert y.shape == () and y.dtype == torch.float64
    y.backward()
    torch.testing.assert_close(s.grad, torch.sigmoid(s) * (1 - torch.sigmoid(s)))
    assert ft.softmax(torch.tensor(3.0)).item() == 1.0
    w = torch.tensor(0.25, requires_grad=True)
    s2 = torch.tensor(-2.0, requires_grad=True)
    y = ft.prelu(s2, w)
    y.backward()
    assert y.item() == -0.5 and s2.grad.item() == 0.25 and w.grad.item() == -2.0 and w.grad.shape == ()
    assert ft.dropout(torch.tensor(2.0), 0.0, seed=1).item() == 2.0


@pytest.mark.parametrize("dtype,rtol", [(torch.float16, 2e-3), (torch.bfloat16, 1.6e-2)], ids=["f16", "bf16"])
@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_half_precision(name, dtype, rtol):
    """float16/bfloat16 compute in float32 and round once."""
    x32 = torch.randn(6, 8, 10)
    w32 = torch.rand(8 if BY_NAME[name].channel_axis == 1 else 10)
    xh, wh = x32.to(dtype).requires_grad_(True), w32.to(dtype).requires_grad_(True)
    yh = _call(name, xh, wh)
    assert yh.dtype == dtype
    ref = _call(name, xh.detach().float(), wh.detach().float())
    if BY_NAME[name].kind == "eltwise":
        torch.testing.assert_close(yh, ref.to(dtype), rtol=0, atol=0)  # exactly one rounding
    torch.testing.assert_close(yh.float(), ref, rtol=rtol, atol=rtol)
    yh.sum().backward()
    assert xh.grad.dtype == dtype
    assert wh.grad is None or wh.grad.dtype == dtype
    x32r = xh.detach().float().requires_grad_(True)
    _call(name, x32r, wh.detach().float()).sum().backward()
    torch.testing.assert_close(xh.grad.float(), x32r.grad, rtol=4 * rtol, atol=4 * rtol)


def test_errors():
    with pytest.raises(TypeError, match="dtype"):
        ft.relu(torch.arange(3))
    with pytest.raises(ValueError, match="beta"):
        ft.softplus(torch.ones(3), beta=0.0)
    with pytest.raises(ValueError, match="beta"):
        ft.Softplus(beta=-1.0)
    with pytest.raises(ValueError, match="odd length"):
        ft.glu(torch.ones(3, 5))
    with pytest.raises(TypeError, match="unexpected keyword"):
        ft.elu(torch.ones(3), alfa=1.0)
    with pytest.raises(ValueError, match="approximate"):
        ft.GELU(approximate="erf")
    with pytest.raises(ValueError, match="channels"):
        ft.prelu(torch.ones(2, 3), torch.ones(4))
    with pytest.raises(TypeError, match="seed"):
        ft.dropout(torch.ones(3), seed=1.5)


def test_every_activation_has_op_function_module():
    for spec in ACTIVATIONS:
        cname = ft.class_name(spec.name)
        assert getattr(ft, spec.name) is ft.functional[spec.name]
        assert getattr(ft, cname) is ft.modules[spec.name]
        assert getattr(ft, cname + "Function") is ft.functions[spec.name]
        assert hasattr(torch.ops.fastact, spec.name) and hasattr(torch.ops.fastact, spec.name + "_backward")
        m = ft.modules[spec.name]()  # PyTorch-like defaults
        x = _grid((2, 4, 6), torch.float32)
        y = m(x)
        assert y.shape == (x.shape[:-1] + (3,) if spec.kind == "gated" else x.shape)
    assert [ft.class_name(n) for n in ("leaky_relu", "log_softmax", "prelu", "silu", "hardtanh", "swiglu")] == \
        ["LeakyReLU", "LogSoftmax", "PReLU", "SiLU", "Hardtanh", "SwiGLU"]
    assert repr(ft.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(ft.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert ft.PReLU(3).weight.shape == (3,) and ft.PReLU(3).weight[0].item() == 0.25
    torch.testing.assert_close(ft.GELU(approximate="tanh")(torch.ones(3)), F.gelu(torch.ones(3), approximate="tanh"))


def test_modules_deepcopy_and_pickle():
    import copy
    import io

    model = torch.nn.Sequential(ft.GELU(approximate="tanh"), ft.PReLU(3, init=0.1), ft.Softmax(dim=0), ft.Dropout())
    model.eval()
    x = torch.randn(4, 3)
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    for m in (copy.deepcopy(model), torch.load(buf, weights_only=False)):
        torch.testing.assert_close(m(x), model(x), rtol=0, atol=0)
        assert repr(m) == repr(model)


@pytest.mark.parametrize("name", NAMES)
def test_opcheck(name):
    """torch.library.opcheck: schema, fake kernel vs real, autograd registration, AOT dispatch."""
    spec = BY_NAME[name]
    x = _grid((3, 4, 6), torch.float64).requires_grad_(True)
    args = [x]
    if spec.kind == "channelwise":
        args.append(torch.rand(4 if spec.channel_axis == 1 else 6, dtype=torch.float64, requires_grad=True))
    if spec.kind == "random":
        args.append(torch.tensor(SEED))
    extra = _extras(name, {})
    torch.library.opcheck(ft.ops[name], (*args, *extra))


# ---- torch.compile ----------------------------------------------------------------------------

class _Model(torch.nn.Module):
    """Several fastact modules and functionals in one network (one compile for all of them)."""

    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(8, 16)
        self.act1 = ft.GELU(approximate="tanh")
        self.l2 = torch.nn.Linear(16, 16)
        self.prelu = ft.PReLU(16)
        self.act2 = ft.ELU(alpha=0.5)
        self.glu = ft.SwiGLU(dim=-1)
        self.drop = ft.Dropout(0.25)
        self.l3 = torch.nn.Linear(8, 12)
        self.bias = ft.BiasSiLU(12)
        self.out = ft.LogSoftmax(dim=-1)

    def forward(self, x):
        h = self.act1(self.l1(x))
        h = self.act2(self.prelu(self.l2(h)))
        h = self.drop(self.glu(h))
        h = ft.softplus(self.bias(self.l3(h)), beta=2.0)
        h = ft.dropout(h, 0.1, seed=7, training=self.training)
        return self.out(ft.leaky_relu(h, 0.2))


def _grads(model, x, seed):
    model.zero_grad()
    torch.manual_seed(seed)
    loss = model(x).square().mean()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


def _check_compiled(backend):
    torch.manual_seed(0)
    model = _Model()
    x = torch.randn(5, 8)
    compiled = torch.compile(model, fullgraph=True, backend=backend)  # a graph break raises
    model.eval()
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-6, atol=1e-6)
    model.train()
    loss1, g1 = _grads(model, x, 1)
    loss2, g2 = _grads(compiled, x, 1)
    torch.testing.assert_close(loss2, loss1, rtol=1e-6, atol=1e-7)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)
    # dynamic shapes: another batch size compiles once more, still without graph breaks
    torch.testing.assert_close(compiled(torch.randn(7, 8)).shape, torch.Size([7, 12]))


def test_compile_fullgraph():
    """Dynamo (fullgraph: no graph breaks), fake kernels and AOTAutograd with the registered
    autograd formulas; aot_eager keeps the compile time short."""
    torch._dynamo.reset()
    _check_compiled("aot_eager")


@pytest.mark.slow
def test_compile_fullgraph_inductor():
    """The default backend (C++ code generation, ~40 s); inductor's own RNG would draw other
    dropout seeds than eager mode, so fall back to eager's."""
    torch._dynamo.reset()
    from torch._inductor import config

    with config.patch(fallback_random=True):
        _check_compiled("inductor")


# ---- training parity -------------------------------------------------------------------------

def _mlp(mod):
    return torch.nn.Sequential(
        torch.nn.Linear(64, 128), mod.GELU(), torch.nn.Linear(128, 64), mod.PReLU(64),
        torch.nn.Linear(64, 64), mod.SiLU(), torch.nn.Linear(64, 64), mod.GLU(dim=1),
        torch.nn.Linear(32, 10), mod.LogSoftmax(dim=1))


def _train(mod, dtype, epochs=3):
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=dtype)
    y = torch.tensor(data.target)
    torch.manual_seed(0)
    model = _mlp(mod).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    g = torch.Generator().manual_seed(1)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(64):
            opt.zero_grad()
            loss = F.nll_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
    acc = (model(x).argmax(1) == y).double().mean().item()
    return np.array(losses), acc


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)], ids=["f64", "f32"])
def test_training_parity_digits(dtype, tol):
    pytest.importorskip("sklearn")
    ref, acc_ref = _train(torch.nn, dtype)
    ours, acc = _train(ft, dtype)
    assert ref[-10:].mean() < 0.25 * ref[:10].mean() and acc_ref > 0.85  # it learned
    diff = np.abs(ours - ref).max()
    assert diff <= tol, f"max loss-curve difference {diff:.3g}"
    assert abs(acc - acc_ref) < 0.005


# ---- CUDA (needs a GPU and numba-cuda) ------------------------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tensors():
    pytest.importorskip("numba.cuda")
    g = torch.Generator().manual_seed(0)
    for name in ("gelu", "sigmoid", "elu", "softmax", "log_softmax", "prelu"):
        spec = BY_NAME[name]
        for dtype in (torch.float32, torch.float64, torch.float16):
            x = torch.randn(33, 40, generator=g).to(dtype)
            w = torch.rand(40, generator=g).to(dtype)
            xc, wc = x.cuda().requires_grad_(True), w.cuda().requires_grad_(True)
            xh, wh = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
            args_c, args_h = ((xc, wc), (xh, wh)) if spec.kind == "channelwise" else ((xc,), (xh,))
            yc, yh = getattr(ft, name)(*args_c), getattr(ft, name)(*args_h)
            assert yc.is_cuda and yc.dtype == dtype
            tol = 1e-2 if dtype == torch.float16 else 1e-5
            torch.testing.assert_close(yc.cpu(), yh, rtol=tol, atol=tol)
            yc.sum().backward()
            yh.sum().backward()
            torch.testing.assert_close(xc.grad.cpu(), xh.grad, rtol=tol, atol=tol)
    x = torch.randn(64, 128, device="cuda")
    torch.testing.assert_close(ft.gelu(x.t()), F.gelu(x.t()), rtol=1e-5, atol=1e-6)  # strided


def test_import_is_optional():
    """import fastact never imports torch; fastact.torch does."""
    code = "import sys, fastact; fastact.relu([1.0]); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_eager_calls_without_a_graph_skip_the_dispatcher():
    """No input requires grad (or grad is off): the host kernel runs directly, with the custom
    op's bits; with requires_grad the op records a graph; a dispatch mode still sees the op."""
    from torch.utils._python_dispatch import TorchDispatchMode

    x = torch.linspace(-4, 4, 101, dtype=torch.float32)
    want = torch.ops.fastact.gelu(x)
    torch.testing.assert_close(ft.gelu(x), want, rtol=0, atol=0)
    torch.testing.assert_close(ft.GELU()(x), want, rtol=0, atol=0)
    xg = x.clone().requires_grad_()
    y = ft.gelu(xg)
    assert y.grad_fn is not None
    with torch.no_grad():
        assert ft.gelu(xg).grad_fn is None
    seen = []

    class Watch(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(str(func))
            return func(*args, **(kwargs or {}))

    with Watch():
        ft.gelu(x)
    assert any("fastact.gelu" in s for s in seen), seen
