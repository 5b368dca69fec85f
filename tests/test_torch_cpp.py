"""fastact.torch's C++ eager path (fastact/_torch_cpp.cpp): it builds wherever a C++ compiler and
ninja exist, eager calls that record a graph really run it, and it gives the Python path's bits
(values and gradients) for every elementwise activation."""

from __future__ import annotations

import shutil

import pytest

torch = pytest.importorskip("torch")

import fastact.torch as ft  # noqa: E402
from fastact import _torch_cpp  # noqa: E402
from fastact._registry import ACTIVATIONS  # noqa: E402

ELTWISE = [a for a in ACTIVATIONS if a.kind == "eltwise"]


def _can_build() -> bool:
    import torch.utils.cpp_extension as ext

    return shutil.which("c++") is not None and ext.is_ninja_available()


@pytest.fixture(scope="module")
def cpp():
    if not _can_build():
        pytest.skip("no C++ compiler or ninja: the Python path serves (status says why)")
    mod = _torch_cpp.wait(600)
    assert mod is not None, f"the C++ eager path did not build: {_torch_cpp.status()}"
    return mod


def _x(dtype):
    x = torch.linspace(-9, 9, 301, dtype=dtype)
    x[::7] *= 1e-3
    return x


def _edges(dtype):
    """inf, nan, signed zeros, huge, tiny and subnormal values, and _x."""
    tiny = torch.finfo(dtype).tiny
    special = [float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1e30, -1e30, 1e-30, -1e-30, tiny / 4, -tiny / 4,
               torch.finfo(dtype).max, -torch.finfo(dtype).max, 80.0, -80.0, 1e10, -1e10]
    return torch.cat([torch.tensor(special, dtype=torch.float64).to(dtype), _x(dtype)])


def _bits(t):
    return t.detach().view(torch.int32 if t.dtype == torch.float32 else torch.int64)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spec", ELTWISE, ids=lambda a: a.name)
def test_cpp_path_runs_and_gives_the_python_paths_bits(cpp, spec, dtype):
    op = ft._OPS[spec.name]
    x = _edges(dtype).requires_grad_()
    y = getattr(ft, spec.name)(x)
    assert type(y.grad_fn).__name__ == "CppFunction", "the eager call did not run the C++ path"
    dy = torch.cos(_x(dtype)).repeat(2)[:x.numel()]
    (dx,) = torch.autograd.grad(y, x, dy)
    defaults = tuple(float(spec.defaults[k]) for k in op.pnames)
    y_py = op.eager_apply(x, *defaults)  # the autograd.Function: the Python path
    assert "CppFunction" not in type(y_py.grad_fn).__name__
    (dx_py,) = torch.autograd.grad(y_py, x, dy)
    assert torch.equal(_bits(y), _bits(y_py)) and torch.equal(_bits(dx), _bits(dx_py))


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2)], ids=["0-d", "empty", "empty-3d"])
def test_cpp_path_0d_and_empty(cpp, shape):
    x = torch.full(shape, -0.75, dtype=torch.float64, requires_grad=True)
    y = ft.silu(x)
    assert type(y.grad_fn).__name__ == "CppFunction" and y.shape == x.shape
    (dx,) = torch.autograd.grad(y, x, torch.ones_like(y))
    assert dx.shape == x.shape
    (want,) = torch.autograd.grad(torch.nn.functional.silu(x), x, torch.ones_like(y))
    torch.testing.assert_close(dx, want, rtol=4e-16, atol=0)


def test_cpp_path_takes_parameters(cpp):
    x = (torch.linspace(-6, 6, 25, dtype=torch.float64) + 0.013).requires_grad_()  # no point on a kink
    for f, kw in ((ft.elu, {"alpha": 0.5}), (ft.leaky_relu, {"negative_slope": 0.2}),
                  (ft.softplus, {"beta": 2.0, "threshold": 10.0})):
        assert type(f(x, **kw).grad_fn).__name__ == "CppFunction"
        assert torch.autograd.gradcheck(lambda v, f=f, kw=kw: f(v, **kw), (x,))


def test_cpp_path_saves_what_the_registry_says(cpp):
    """From y where the registry allows it (sigmoid, elu with alpha >= 0), else from x (softplus,
    elu with alpha < 0): the backward reads only what was saved, so overwriting the other (.data,
    past the version counter) leaves the gradient unchanged."""
    for name, kw, from_y in (("sigmoid", {}, True), ("elu", {"alpha": 0.5}, True),
                             ("elu", {"alpha": -0.5}, False), ("softplus", {}, False)):
        x = (torch.linspace(-3, 3, 13, dtype=torch.float64) + 0.013).requires_grad_()
        y = getattr(ft, name)(x, **kw)
        assert type(y.grad_fn).__name__ == "CppFunction"
        (want,) = torch.autograd.grad(y, x, torch.ones_like(y), retain_graph=True)
        (x if from_y else y).data.fill_(123.0)  # what the backward must not read
        (got,) = torch.autograd.grad(y, x, torch.ones_like(y))
        assert torch.equal(got, want), (name, kw)


def test_cpp_path_refuses_second_derivatives(cpp):
    x = _x(torch.float64).requires_grad_()
    y = ft.silu(x)
    with pytest.raises(RuntimeError, match="second derivatives"):
        torch.autograd.grad(y.sum(), x, create_graph=True)


def test_other_calls_take_the_python_path(cpp):
    x = _x(torch.float32).requires_grad_()
    assert type(ft.silu(x[::2]).grad_fn).__name__ != "CppFunction"  # not contiguous
    assert type(ft.silu(x.to(torch.float16)).grad_fn).__name__ != "CppFunction"
    with torch.no_grad():
        assert ft.silu(x).grad_fn is None  # no graph: the host kernel itself


def test_status_names_the_state():
    assert _torch_cpp.status() in ("ready", "building", "not started") or _torch_cpp.status().startswith(
        ("unavailable: ", "off "))


def test_info_reports_the_cpp_path():
    import fastact

    assert f"fastact.torch C++ eager path: {_torch_cpp.status()}" in fastact._config_text()


def test_a_forced_backend_takes_the_python_path(cpp, monkeypatch):
    """The C++ path runs the native kernels: a use_backend() block or $FASTACT_BACKEND sends the
    call through the Python path, which honours it."""
    import fastact

    x = _x(torch.float32).requires_grad_()
    assert type(ft.silu(x).grad_fn).__name__ == "CppFunction"
    with fastact.use_backend("native"):
        assert type(ft.silu(x).grad_fn).__name__ != "CppFunction"
    monkeypatch.setenv("FASTACT_BACKEND", "native")
    assert type(ft.silu(x).grad_fn).__name__ != "CppFunction"
    monkeypatch.delenv("FASTACT_BACKEND")
    assert type(ft.silu(x).grad_fn).__name__ == "CppFunction"
