"""The C loops' fast forms (Activation.fast_when) give the formula's bits.

Blocks of elements whose guard holds run the fast form (exp without its subnormal and overflow
handling, the tail branches folded); other blocks run the formula. Both must give the bits of the
formula itself, here evaluated by the Numba build of the generated scalar functions
(``_scalar_gen.py``, bit-identical to C: tests/test_math.py), on inputs that keep every
block on the fast form (small |x|), on inputs where blocks mix guarded and unguarded elements,
and on the special values.
"""

import numpy as np
import pytest

import fastact
from fastact._registry import ACTIVATIONS, BY_NAME

from .accuracy import special_values

numba = pytest.importorskip("numba")

FAST = [a.name for a in ACTIVATIONS if a.fast_when]


def test_the_fast_forms_exist():
    assert {"sigmoid", "tanh", "silu", "gelu", "gelu_tanh", "quick_gelu", "mish", "softplus", "logsigmoid"} <= set(FAST)


def _exact(name, role, dtype, **params):
    """The formula, elementwise, from the Numba scalar module (no fast forms there)."""
    from fastact.backends import _scalar_gen

    f = getattr(_scalar_gen, f"{name}_{role}_{'f32' if dtype == np.float32 else 'f64'}")
    spec = BY_NAME[name]
    vals = {**spec.defaults, **params}
    prm = tuple(dtype(vals[p]) for p in spec.param_names) + (dtype(0),) * (4 - len(spec.params))
    if role == "fwd":
        @numba.njit
        def run(x):
            y = np.empty_like(x)
            for i in range(x.size):
                y[i] = f(x[i], prm)
            return y
        return run

    @numba.njit
    def run(dy, x):
        dx = np.empty_like(x)
        for i in range(x.size):
            dx[i] = f(dy[i], x[i], prm)
        return dx
    return run


def _inputs(dtype):
    rng = np.random.default_rng(7)
    inside = (rng.standard_normal(50_000) * 1.5).astype(dtype)  # every block on the fast form
    wide = (rng.standard_normal(50_000) * 40).astype(dtype)      # blocks with |x| > 80 among them
    edges = np.array([80, -80, 87, -87, 40, -40, 8.9, -8.9, 47, -47, 12, -12, 0.0, -0.0], dtype)
    edges = np.concatenate([edges, np.nextafter(edges, dtype(np.inf)), np.nextafter(edges, dtype(-np.inf))])
    with np.errstate(all="ignore"):
        specials = special_values(dtype)
    mixed = inside.copy()
    mixed[::97] = wide[:mixed[::97].size]  # one unguarded element in most blocks
    return np.concatenate([inside, wide, mixed, edges, specials]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FAST)
def test_fast_form_has_the_formulas_bits(name, dtype):
    x = _inputs(dtype)
    dy = np.random.default_rng(3).standard_normal(x.size).astype(dtype)
    with np.errstate(all="ignore"):
        want_y = _exact(name, "fwd", dtype)(x)
        want_dx = _exact(name, "bwd", dtype)(dy, x)
        got_y = getattr(fastact, name)(x, backend="native")
        got_dx = getattr(fastact, name + "_backward")(dy, x, backend="native")
        inplace = x.copy()
        getattr(fastact, name)(inplace, out=inplace, backend="native")
    np.testing.assert_array_equal(got_y.view(np.uint8), want_y.view(np.uint8), err_msg=f"{name} forward")
    np.testing.assert_array_equal(got_dx.view(np.uint8), want_dx.view(np.uint8), err_msg=f"{name} backward")
    np.testing.assert_array_equal(inplace.view(np.uint8), want_y.view(np.uint8), err_msg=f"{name} in place")
    strided = getattr(fastact, name)(x[::3], backend="native")
    np.testing.assert_array_equal(strided.view(np.uint8), np.ascontiguousarray(want_y[::3]).view(np.uint8), err_msg=f"{name} strided")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_form_with_parameters(dtype):
    x = _inputs(dtype)
    dy = np.ones_like(x)
    p = {"beta": 2.5, "threshold": 7.0}  # the guard reads z = beta x
    with np.errstate(all="ignore"):
        want_y, want_dx = _exact("softplus", "fwd", dtype, **p)(x), _exact("softplus", "bwd", dtype, **p)(dy, x)
        got_y, got_dx = fastact.softplus(x, **p), fastact.softplus_backward(dy, x, **p)
    np.testing.assert_array_equal(got_y.view(np.uint8), want_y.view(np.uint8))
    np.testing.assert_array_equal(got_dx.view(np.uint8), want_dx.view(np.uint8))
