"""The activation registry: every activation fastact knows, written once.

Each entry holds the formula and its derivative in a small expression language
(a restricted subset of Python, see ``tools/gen.py``) from which the C scalar
functions, the X-macro list and the Python API are generated. Nothing else in
fastact spells out a formula.

The expression language
-----------------------
Statements: ``name = expr`` (each local assigned once) and a final expression
(the result). Expressions: numbers, ``inf``, ``+ - * /``, comparisons,
``and``/``or``/``not``, ``where(cond, a, b)``, ``abs``, ``min``/``max`` (as
``where(a < b, a, b)``: not NaN-aware), ``copysign``, the vectorizable
``exp``/``expm1``/``log``/``log1p``/``tanh`` of ``fastact_c/src/fa_math.h``, and
calls to parameter-free elementwise activations by name. Every value has the
array's dtype; parameters are cast to it, as PyTorch does.

Variables by kind (``dy`` is the incoming gradient):

=============  ==========================  =====================================
kind           forward                     backward
=============  ==========================  =====================================
eltwise        ``x`` and params            ``backward(dy, x)``,
                                           ``backward_y(dy, y)`` where exact
rowwise        ``x``, row max ``m``,       ``reduce_y(dy, y)`` summed over the
               ``s = sum(exp(x - m))``,    row into ``r``; ``backward_y(dy, y,
               ``s1 = s - 1`` (exact-ish)  r)``; from x by recomputing y
channelwise    ``x``, channel weight ``w`` ``backward(dy, x, w)`` for dx,
                                           ``backward_weight(dy, x, w)`` summed
                                           per channel for dweight
=============  ==========================  =====================================

The position of an entry in ``ACTIVATIONS`` is its ``fa_activation`` value in
the C API: append new entries, never reorder.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("eltwise", "rowwise", "channelwise")
MAX_PARAMS = 4


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    doc: str
    check: str = ""  # condition that must hold, in the expression language


@dataclass(frozen=True)
class Activation:
    name: str
    kind: str
    summary: str
    formula: str  # for humans (docstrings, README)
    derivative: str  # for humans
    forward: str
    backward: str = ""
    backward_y: str = ""
    backward_y_when: str = ""  # condition on params under which backward_y is exact
    reduce_y: str = ""  # rowwise only
    backward_weight: str = ""  # channelwise only
    params: tuple[Param, ...] = ()
    checks: tuple[str, ...] = ()  # conditions across params
    ulp: tuple[float, float] = (0, 0)  # forward bound (float32, float64); 0 = exact, 0.5 = correctly rounded
    ulp_backward: tuple[float, float] = (0, 0)  # backward-from-x bound
    torch: str = ""  # torch.nn.functional name, for parity tests and docs
    notes: str = ""

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    @property
    def has_backward_y(self) -> bool:
        return bool(self.backward_y)


# SELU constants (Klambauer et al. 2017), as in PyTorch.
_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"
_SELU_SCALE_ALPHA = "1.7580993408473768599402175208123"

ACTIVATIONS: tuple[Activation, ...] = (
    Activation(
        "identity", "eltwise", "The identity (linear) activation.",
        formula="f(x) = x", derivative="f'(x) = 1",
        forward="x", backward="dy", backward_y="dy",
    ),
    Activation(
        "binary_step", "eltwise", "Heaviside step with step(0) = 1.",
        formula="f(x) = 1 if x >= 0 else 0", derivative="f'(x) = 0",
        forward="where(x < 0, 0, where(x >= 0, 1, x))",
        backward="where(x == x, 0, x)", backward_y="where(y == y, 0, y)",
        notes="NaN propagates through forward and backward.",
    ),
    Activation(
        "relu", "eltwise", "Rectified linear unit.",
        formula="f(x) = max(x, 0)", derivative="f'(x) = 1 if x > 0 else 0 (f'(0) = 0)",
        forward="where(x <= 0, 0, x)",
        backward="where(x <= 0, 0, dy)", backward_y="where(y <= 0, 0, dy)",
        torch="relu",
    ),
    Activation(
        "leaky_relu", "eltwise", "Leaky ReLU.",
        formula="f(x) = x if x > 0 else negative_slope * x",
        derivative="f'(x) = 1 if x > 0 else negative_slope",
        forward="where(x > 0, x, x * negative_slope)",
        backward="where(x > 0, dy, dy * negative_slope)",
        backward_y="where(y > 0, dy, dy * negative_slope)",
        backward_y_when="negative_slope > 0",
        params=(Param("negative_slope", 0.01, "slope for x <= 0"),),
        ulp=(0.5, 0.5), ulp_backward=(0.5, 0.5),
        torch="leaky_relu",
    ),
    Activation(
        "relu6", "eltwise", "ReLU capped at 6.",
        formula="f(x) = min(max(x, 0), 6)",
        derivative="f'(x) = 1 if 0 < x < 6 else 0",
        forward="where(x <= 0, 0, where(x >= 6, 6, x))",
        backward="where(x <= 0, 0, where(x >= 6, 0, dy))",
        backward_y="where(y <= 0, 0, where(y >= 6, 0, dy))",
        torch="relu6",
    ),
    Activation(
        "hardtanh", "eltwise", "Hard tanh: x clipped to [min_val, max_val].",
        formula="f(x) = min(max(x, min_val), max_val)",
        derivative="f'(x) = 1 if min_val < x < max_val else 0",
        forward="where(x <= min_val, min_val, where(x >= max_val, max_val, x))",
        backward="where(x <= min_val, 0, where(x >= max_val, 0, dy))",
        backward_y="where(y <= min_val, 0, where(y >= max_val, 0, dy))",
        backward_y_when="min_val < max_val",
        params=(Param("min_val", -1.0, "lower bound"), Param("max_val", 1.0, "upper bound")),
        checks=("min_val <= max_val",),
        torch="hardtanh",
    ),
    Activation(
        "sigmoid", "eltwise", "Logistic sigmoid.",
        formula="f(x) = 1 / (1 + exp(-x))",
        derivative="f'(x) = f(x) * (1 - f(x))",
        forward="""
e = exp(-abs(x))
r = 1 / (1 + e)
where(x >= 0, r, e * r)
""",
        backward="""
e = exp(-abs(x))
r = 1 / (1 + e)
dy * (e * r * r)
""",
        backward_y="dy * (y * (1 - y))",
        ulp=(4, 4), ulp_backward=(4, 4),
        torch="sigmoid",
    ),
    Activation(
        "tanh", "eltwise", "Hyperbolic tangent.",
        formula="f(x) = tanh(x)",
        derivative="f'(x) = 1 - tanh(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|)",
        forward="tanh(x)",
        backward="""
e = exp(-2 * abs(x))
d = 1 + e
dy * (4 * e / (d * d))
""",
        backward_y="dy * ((1 - y) * (1 + y))",
        ulp=(2, 2), ulp_backward=(5, 5),
        torch="tanh",
    ),
    Activation(
        "elu", "eltwise", "Exponential linear unit.",
        formula="f(x) = x if x > 0 else alpha * (exp(x) - 1)",
        derivative="f'(x) = 1 if x > 0 else alpha * exp(x) (= f(x) + alpha)",
        forward="where(x > 0, x, alpha * expm1(x))",
        backward="where(x > 0, dy, dy * (alpha * exp(x)))",
        backward_y="where(y > 0, dy, dy * (y + alpha))",
        backward_y_when="alpha >= 0",
        params=(Param("alpha", 1.0, "scale of the negative part"),),
        ulp=(3, 3), ulp_backward=(3, 3),
        torch="elu",
    ),
    Activation(
        "selu", "eltwise", "Scaled ELU with the self-normalizing constants.",
        formula=f"f(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), "
        f"alpha = {_SELU_ALPHA}, scale = {_SELU_SCALE}",
        derivative="f'(x) = scale if x > 0 else scale * alpha * exp(x) (= f(x) + scale * alpha)",
        forward=f"{_SELU_SCALE} * where(x > 0, x, {_SELU_ALPHA} * expm1(x))",
        backward=f"where(x > 0, dy * {_SELU_SCALE}, dy * ({_SELU_SCALE_ALPHA} * exp(x)))",
        backward_y=f"where(y > 0, dy * {_SELU_SCALE}, dy * (y + {_SELU_SCALE_ALPHA}))",
        ulp=(4, 4), ulp_backward=(4, 4),
        torch="selu",
    ),
    Activation(
        "softplus", "eltwise", "Smooth ReLU; linear above the threshold.",
        formula="f(x) = x if beta*x > threshold else log(1 + exp(beta*x)) / beta",
        derivative="f'(x) = 1 if beta*x > threshold else sigmoid(beta*x)",
        forward="""
z = x * beta
r = (max(z, 0) + log1p(exp(-abs(z)))) / beta
where(z > threshold, x, r)
""",
        backward="""
z = x * beta
where(z > threshold, dy, dy * sigmoid(z))
""",
        params=(
            Param("beta", 1.0, "sharpness", check="beta > 0"),
            Param("threshold", 20.0, "above beta*x > threshold the result is x"),
        ),
        ulp=(4, 4), ulp_backward=(4, 4),
        torch="softplus",
        notes="Stable form max(z,0) + log1p(exp(-|z|)); beta must be > 0 (PyTorch accepts any).",
    ),
    Activation(
        "softsign", "eltwise", "Softsign.",
        formula="f(x) = x / (1 + |x|)",
        derivative="f'(x) = 1 / (1 + |x|)^2",
        forward="""
a = abs(x)
where(a == inf, copysign(1, x), x / (1 + a))
""",
        backward="""
d = 1 + abs(x)
dy / d / d
""",
        ulp=(2, 2), ulp_backward=(4, 4),
        torch="softsign",
    ),
    Activation(
        "softmax", "rowwise", "Softmax along an axis.",
        formula="f(x)_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x))",
        derivative="dx_i = y_i * (dy_i - sum_j dy_j * y_j)",
        forward="exp(x - m) / s",
        reduce_y="dy * y",
        backward_y="y * (dy - r)",
        ulp=(1, 5), ulp_backward=(4, 4),
        torch="softmax",
        notes="A row of all -inf (or holding +inf or NaN) gives NaN, as in PyTorch.",
    ),
    Activation(
        "log_softmax", "rowwise", "Logarithm of softmax along an axis.",
        formula="f(x)_i = x_i - max(x) - log(sum_j exp(x_j - max(x)))",
        derivative="dx_i = dy_i - exp(y_i) * sum_j dy_j",
        forward="(x - m) - log1p(s1)",
        reduce_y="dy",
        backward_y="dy - exp(y) * r",
        ulp=(1, 3), ulp_backward=(4, 4),
        torch="log_softmax",
        notes="A row of all -inf (or holding +inf or NaN) gives NaN, as in PyTorch.",
    ),
    Activation(
        "prelu", "channelwise", "Parametric ReLU with a learnable slope per channel (axis 1).",
        formula="f(x) = x if x > 0 else weight[c] * x",
        derivative="df/dx = 1 if x > 0 else weight[c];  df/dweight[c] = 0 if x > 0 else x",
        forward="where(x > 0, x, w * x)",
        backward="where(x > 0, dy, w * dy)",
        backward_weight="where(x > 0, 0, dy * x)",
        torch="prelu",
    ),
)

BY_NAME: dict[str, Activation] = {a.name: a for a in ACTIVATIONS}
ID: dict[str, int] = {a.name: i for i, a in enumerate(ACTIVATIONS)}


def _validate() -> None:
    for a in ACTIVATIONS:
        assert a.kind in KINDS, a.name
        assert len(a.params) <= MAX_PARAMS, a.name
        assert bool(a.reduce_y) == (a.kind == "rowwise"), a.name
        assert bool(a.backward_weight) == (a.kind == "channelwise"), a.name
        assert a.kind == "rowwise" or a.backward, a.name


_validate()
