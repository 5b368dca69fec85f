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
gated          halves ``a``, ``b`` of x    ``backward(dy, a, b)`` = dL/da,
               along the axis              ``backward_b(dy, a, b)`` = dL/db
random         ``x``, ``u`` = uniform in   ``backward(dy, x, u)``, the same u
               [0, 1) from (seed, offset   regenerated (fastact/_math.py: uniform24)
               + flat index)
=============  ==========================  =====================================

``d_name(v)`` calls the derivative of a parameter-free elementwise activation.

The position of an entry in ``ACTIVATIONS`` is its ``fa_activation`` value in
the C API: append new entries, never reorder.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

KINDS = ("eltwise", "rowwise", "channelwise", "gated", "random")
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
    backward_b: str = ""  # gated only: d/db (``backward`` is d/da)
    # random only: with training=False the call is this activation, with these params
    # (expressions in the own params), e.g. ("leaky_relu", {"negative_slope": "(lower + upper) / 2"})
    eval_as: tuple = ()
    training: bool = True  # random only: the default of training= (PyTorch's)
    # another activation's variant selected by a string keyword, e.g. gelu_tanh is
    # ("gelu", "approximate", "tanh"): fastact.gelu(x, approximate="tanh")
    variant: tuple = ()
    channel_axis: int = 1  # channelwise only: the default axis of the weight (prelu: 1, as PyTorch)
    weight_name: str = "weight"  # channelwise only: the public name of the per-channel array
    params: tuple[Param, ...] = ()
    checks: tuple[str, ...] = ()  # conditions across params
    ulp: tuple[float, float] = (0, 0)  # forward bound (float32, float64); 0 = exact, 0.5 = correctly rounded
    ulp_backward: tuple[float, float] = (0, 0)  # backward-from-x bound
    torch: str = ""  # torch.nn.functional name, for parity tests and docs
    notes: str = ""
    wide: bool = False  # float32 evaluates the float64 formula and rounds once
    # the forward bound is ulp + cond(x), cond = |x f'(x) / f(x)| the condition number: for
    # formulas that must round an intermediate argument (e.g. the cubic inside gelu_tanh)
    ulp_cond: bool = False
    # eltwise only: a fast form of forward and backward, for the C loops. Where the guard
    # fast_when (a condition on x and the formula's own locals) holds, the conditions of
    # fast_assume ((source text, truth) pairs) are constants and exp, log1p, tanh, xncdf, ncdf
    # and npdf may drop their range handling (tools/gen.py FAST_MATH: fa_expn for a normal e^arg,
    # fa_log1pn of an exp(-|z|), fa_tanhn for |x| <= 44, fa_xncdfn/ncdfn/npdfn for |x| <= 12; the
    # math source, fastact/_math.py, says why each gives the same bits): the formula's bits, its tail handling
    # compiled away. The C loops check the guard per block of elements and run the fast form
    # on blocks where it holds everywhere (tests/test_fast_forms.py checks the bits); every
    # other backend evaluates the formula as written.
    fast_when: str = ""
    fast_assume: tuple = ()
    fast_roles: tuple = ("fwd", "bwd")  # which of forward and backward have the fast form

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    @property
    def has_backward_y(self) -> bool:
        return bool(self.backward_y)

    @property
    def fwd_from_e(self) -> bool:
        """Row-wise forward that reads only e = exp(x - m) (and m, s, s1), not x: the kernels
        store e in the output during the sum pass and finish in place (one exp per element)."""
        names = {n.id for n in ast.walk(ast.parse(self.forward.strip())) if isinstance(n, ast.Name)}
        return self.kind == "rowwise" and "e" in names and "x" not in names


# SELU constants (Klambauer et al. 2017), as in PyTorch.
_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"
_SELU_SCALE_M1 = "0.0507009873554804934193349852946"
_SELU_SCALE_ALPHA = "1.7580993408473768599402175208123"

# x - tanh(x) = x^3 (1/3 - 2x^2/15 + ...): 21 Taylor terms, Horner in z = x^2 (error < 1e-17 for |x| < 0.6)
TANHSHRINK_FWD = """
z = x * x
series = x * z * (0.33333333333333333333 + z * (-0.13333333333333333333 + z * (0.053968253968253968254 + z * (-0.021869488536155202822 + z * (0.0088632355299021965689 + z * (-0.0035921280365724810169 + z * (0.0014558343870513182682 + z * (-0.00059002744094558598138 + z * (0.00023912911424355248149 + z * (-0.000096915379569294503256 + z * (0.000039278323883316834053 + z * (-0.000015918905069328964741 + z * (6.4516892156554307632e-6 + z * (-2.6147711512907545543e-6 + z * (1.0597268320104654351e-6 + z * (-4.2949110782738058548e-7 + z * (1.740661896357164778e-7 + z * (-7.0546369464009683252e-8 + z * (2.8591366623052539083e-8 + z * (-1.15876444327988522e-8 + z * (4.6962953982309016288e-9)))))))))))))))))))))
where(abs(x) < 0.6, series, x - tanh(x))
"""

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
        ulp=(4, 4), ulp_backward=(6, 4),
        fast_when="abs(x) <= 87",
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
        ulp=(2, 2), ulp_backward=(6, 5),
        fast_when="abs(x) <= 40",
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
        # x + x (scale - 1): the rounded float32 scale would overflow below the float maximum
        forward=f"where(x > 0, x + x * {_SELU_SCALE_M1}, {_SELU_SCALE} * ({_SELU_ALPHA} * expm1(x)))",
        backward=f"where(x > 0, dy * {_SELU_SCALE}, dy * ({_SELU_SCALE_ALPHA} * exp(x)))",
        backward_y=f"where(y > 0, dy * {_SELU_SCALE}, dy * (y + {_SELU_SCALE_ALPHA}))",
        ulp=(4, 4), ulp_backward=(5, 4),
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
        fast_when="abs(z) <= 87", fast_roles=("fwd",),  # backward: sigmoid(z), no gain
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
        forward="e / s",
        reduce_y="dy * y",
        backward_y="y * (dy - r)",
        ulp=(3, 5), ulp_backward=(4, 4),
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
        ulp=(3, 3), ulp_backward=(4, 4),
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
    # ---- the rest of the catalogue (issue "full activation catalogue") ----
    Activation(
        "clipped_relu", "eltwise", "ReLU clipped at max_value (TensorFlow relu_x, Keras relu(max_value)).",
        formula="f(x) = min(max(x, 0), max_value)",
        derivative="f'(x) = 1 if 0 < x < max_value else 0",
        forward="where(x <= 0, 0, where(x >= max_value, max_value, x))",
        backward="where(x <= 0, 0, where(x >= max_value, 0, dy))",
        backward_y="where(y <= 0, 0, where(y >= max_value, 0, dy))",
        backward_y_when="max_value > 0",
        params=(Param("max_value", 6.0, "upper clip (Keras has no default; 6 as relu6)", check="max_value >= 0"),),
        notes="No PyTorch counterpart (it equals hardtanh(0, max_value)).",
    ),
    Activation(
        "celu", "eltwise", "Continuously differentiable ELU.",
        formula="f(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)",
        derivative="f'(x) = 1 if x > 0 else exp(x / alpha) (= f(x)/alpha + 1)",
        forward="where(x > 0, x, alpha * expm1(x / alpha))",
        backward="where(x > 0, dy, dy * exp(x / alpha))",
        backward_y="where(y > 0, dy, dy * (y / alpha + 1))",
        backward_y_when="alpha > 0",
        params=(Param("alpha", 1.0, "scale of the negative part", check="alpha != 0"),),
        ulp=(3, 3), ulp_backward=(3, 3),
        torch="celu",
    ),
    Activation(
        "threshold", "eltwise", "x above the threshold, else a constant value.",
        formula="f(x) = x if x > threshold else value",
        derivative="f'(x) = 1 if x > threshold else 0",
        forward="where(x <= threshold, value, x)",
        backward="where(x <= threshold, 0, dy)",
        params=(Param("threshold", 0.0, "the threshold"), Param("value", 0.0, "the value at and below it")),
        torch="threshold",
        notes="PyTorch's F.threshold has no defaults; here threshold=0, value=0 (= relu).",
    ),
    Activation(
        "gelu_tanh", "eltwise", "GELU, tanh approximation (fastact.gelu(x, approximate='tanh')).",
        formula="f(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) = x * sigmoid(2u)",
        derivative="f'(x) = s + x s (1 - s) 2u', s = sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3)",
        forward="""
t = 1.5957691216057307117597842397375 * (x + 0.044715 * x * x * x)
e = exp(where(t < -80, 16.625, 0) - abs(t))
r = 1 / (1 + e)
where(t >= 0, x * r, where(t < -80, x * e * 6.02357383788647902928e-8, x * (e * r)))
""",
        backward="""
t = 1.5957691216057307117597842397375 * (x + 0.044715 * x * x * x)
e = exp(where(t < -80, 16.625, 0) - abs(t))
r = 1 / (1 + e)
s = where(t >= 0, r, e * r)
u = 1.5957691216057307117597842397375 * (1 + 0.134145 * x * x)
d = where(t < -80, (e + x * e * u) * 6.02357383788647902928e-8, s + x * (e * r * r) * u)
dy * where(abs(x) < 1e10, d, s)
""",
        ulp=(4, 8), ulp_backward=(5, 8), ulp_cond=True,
        fast_when="abs(t) <= 80", fast_assume=(("t < -80", False), ("abs(x) < 1e10", True)),
        torch="gelu", variant=("gelu", "approximate", "tanh"),
        notes="Written as x*sigmoid(2u): no cancellation for negative x (PyTorch's 1 + tanh loses it).",
    ),
    Activation(
        "quick_gelu", "eltwise", "Quick GELU x * sigmoid(1.702 x).",
        formula="f(x) = x * sigmoid(1.702 x)",
        derivative="f'(x) = s + 1.702 x s (1 - s), s = sigmoid(1.702 x)",
        forward="""
t = 1.702 * x
e = exp(where(t < -80, 16.625, 0) - abs(t))
r = 1 / (1 + e)
where(t >= 0, x * r, where(t < -80, x * e * 6.02357383788647902928e-8, x * (e * r)))
""",
        backward="""
t = 1.702 * x
e = exp(where(t < -80, 16.625, 0) - abs(t))
r = 1 / (1 + e)
s = where(t >= 0, r, e * r)
d = where(t < -80, (e + t * e) * 6.02357383788647902928e-8, s + t * (e * r * r))
dy * where(abs(x) < 1e10, d, s)
""",
        fast_when="abs(t) <= 80", fast_assume=(("t < -80", False), ("abs(x) < 1e10", True)),
        ulp=(3, 4), ulp_backward=(4, 8), ulp_cond=True,
    ),
    Activation(
        "silu", "eltwise", "SiLU (swish): x * sigmoid(x).",
        formula="f(x) = x * sigmoid(x)",
        derivative="f'(x) = s (1 + x (1 - s)), s = sigmoid(x)",
        forward="""
e = exp(where(x < -80, 16.625, 0) - abs(x))
r = 1 / (1 + e)
where(x >= 0, x * r, where(x < -80, x * e * 6.02357383788647902928e-8, x * (e * r)))
""",
        backward="""
e = exp(where(x < -80, 16.625, 0) - abs(x))
r = 1 / (1 + e)
s = where(x >= 0, r, e * r)
d = where(x < -80, (e + x * e) * 6.02357383788647902928e-8, s + x * (e * r * r))
dy * where(abs(x) < 1e10, d, s)
""",
        ulp=(4, 4), ulp_backward=(7, 4),
        fast_when="abs(x) <= 80", fast_assume=(("x < -80", False), ("abs(x) < 1e10", True)),
        torch="silu",
    ),
    Activation(
        "hardswish", "eltwise", "Hard swish (MobileNetV3), as PyTorch.",
        formula="f(x) = x * min(max(x + 3, 0), 6) / 6",
        derivative="f'(x) = 0 if x <= -3, (2x + 3)/6 if x < 3, else 1 (PyTorch's values at the kinks)",
        forward="""
u = x + 3
where(u <= 0, 0, where(u >= 6, x, x * u / 6))
""",
        backward="where(x <= -3, 0, where(x < 3, dy * ((2 * x + 3) / 6), dy))",
        ulp=(2, 2), ulp_backward=(2, 2),
        torch="hardswish",
    ),
    Activation(
        "hardsigmoid", "eltwise", "Hard sigmoid, as PyTorch: relu6(x + 3) / 6.",
        formula="f(x) = min(max(x + 3, 0), 6) / 6",
        derivative="f'(x) = 1/6 if -3 < x < 3 else 0",
        forward="""
u = x + 3
where(u <= 0, 0, where(u >= 6, 6, u)) / 6
""",
        backward="where(abs(x) < 3, dy / 6, where(x == x, 0, x))",  # NaN in, NaN out
        backward_y="where(y > 0, where(y < 1, dy / 6, 0), where(y == y, 0, y))",
        ulp=(1, 1), ulp_backward=(0.5, 0.5),
        torch="hardsigmoid",
    ),
    Activation(
        "mish", "eltwise", "Mish: x * tanh(softplus(x)).",
        formula="f(x) = x * tanh(log(1 + exp(x)))",
        derivative="f'(x) = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x))",
        forward="""
e = exp(where(x < -80, 16.625, 0) - abs(x))
n = e * (e + 2)
t = where(x >= 0, 1 - 2 * e * e / (1 + 2 * e + 2 * e * e), n / (n + 2))
where(x < -80, x * e * 6.02357383788647902928e-8, x * t)
""",
        backward="""
e = exp(where(x < -80, 16.625, 0) - abs(x))
n = e * (e + 2)
q = where(x >= 0, 2 * e * e / (1 + 2 * e + 2 * e * e), 2 / (n + 2))
t = where(x >= 0, 1 - q, n / (n + 2))
r = 1 / (1 + e)
s = where(x >= 0, r, e * r)
d = t + x * q * (1 + t) * s
dy * where(abs(x) >= 1e10, where(x > 0, 1, 0), where(x < -80, (e + x * e) * 6.02357383788647902928e-8, d))
""",
        ulp=(5, 8), ulp_backward=(8, 8),
        fast_when="abs(x) <= 80", fast_assume=(("x < -80", False), ("abs(x) >= 1e10", False)),
        torch="mish",
        notes="t = tanh(softplus(x)) and q = 1 - t in closed forms in e = exp(-|x|): no cancellation.",
    ),
    Activation(
        "logsigmoid", "eltwise", "Log of the sigmoid, stable for large |x|.",
        formula="f(x) = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))",
        derivative="f'(x) = 1 - sigmoid(x) = sigmoid(-x)",
        forward="min(x, 0) - log1p(exp(-abs(x)))",
        backward="""
e = exp(-abs(x))
r = 1 / (1 + e)
dy * where(x >= 0, e * r, r)
""",
        ulp=(4, 4), ulp_backward=(4, 4),
        fast_when="abs(x) <= 87", fast_roles=("fwd",),  # backward: measured no faster
        torch="logsigmoid",
    ),
    Activation(
        "tanhshrink", "eltwise", "x - tanh(x).",
        formula="f(x) = x - tanh(x)",
        derivative="f'(x) = tanh(x)^2",
        forward=TANHSHRINK_FWD,
        backward="""
t = tanh(x)
dy * (t * t)
""",
        ulp=(1, 10), ulp_backward=(1, 4), wide=True,
        torch="tanhshrink",
        notes="A 21-term series below |x| = 0.6 avoids the cancellation of x - tanh(x) near 0.",
    ),
    Activation(
        "hardshrink", "eltwise", "Hard shrinkage.",
        formula="f(x) = x if |x| > lambd else 0",
        derivative="f'(x) = 1 if |x| > lambd else 0",
        forward="where(x >= -lambd and x <= lambd, 0, x)",
        backward="where(x >= -lambd and x <= lambd, 0, dy)",
        params=(Param("lambd", 0.5, "half width of the zero band (any value, as PyTorch: lambd < 0 "
                                  "gives the identity)"),),
        torch="hardshrink",
    ),
    Activation(
        "softshrink", "eltwise", "Soft shrinkage.",
        formula="f(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
        derivative="f'(x) = 1 if |x| > lambd else 0",
        forward="where(x >= -lambd and x <= lambd, 0, where(x > lambd, x - lambd, x + lambd))",
        backward="where(x >= -lambd and x <= lambd, 0, dy)",
        params=(Param("lambd", 0.5, "half width of the zero band", check="lambd >= 0"),),
        ulp=(0.5, 0.5), ulp_backward=(0, 0),
        torch="softshrink",
    ),
    Activation(
        "squareplus", "eltwise", "Squareplus (So 2021): a smooth ReLU without exp.",
        formula="f(x) = (x + sqrt(x^2 + b)) / 2",
        derivative="f'(x) = (1 + x / sqrt(x^2 + b)) / 2",
        forward="""
a = abs(x)
q = where(a > 1e18, a, sqrt(x * x + b))
where(x >= 0, x * 0.5 + q * 0.5, (0.5 * b) / (q - x))
""",
        backward="""
a = abs(x)
q = where(a > 1e18, a, sqrt(x * x + b))
dy * where(x >= 0, where(a > 1e18, 1, (1 + x / q) / 2), (0.5 * b / q) / (q - x))
""",
        params=(Param("b", 4.0, "curvature near 0", check="b > 0"),),
        ulp=(3, 3), ulp_backward=(5, 5),
        notes="For x < 0 written as b / (2 (sqrt(x^2 + b) - x)) and f'(x) = (b / 2q) / (q - x), q = sqrt(x^2 + b): "
              "no cancellation, and no overflow of q^2 for huge |x|.",
    ),
    Activation(
        "sparse_plus", "eltwise", "Sparse plus (JAX): a piecewise-quadratic softplus.",
        formula="f(x) = 0 if x <= -1, (x + 1)^2 / 4 if -1 < x < 1, else x",
        derivative="f'(x) = 0 if x <= -1, (x + 1) / 2 if -1 < x < 1, else 1",
        forward="where(x <= -1, 0, where(x >= 1, x, (x + 1) * (x + 1) / 4))",
        backward="where(x <= -1, 0, where(x >= 1, dy, dy * ((x + 1) / 2)))",
        ulp=(2, 2), ulp_backward=(2, 2),
    ),
    Activation(
        "squared_relu", "eltwise", "Squared ReLU (Primer).",
        formula="f(x) = max(x, 0)^2",
        derivative="f'(x) = 2 max(x, 0)",
        forward="where(x <= 0, 0, x * x)",
        backward="where(x <= 0, 0, dy * x * 2)",
        ulp=(0.5, 0.5), ulp_backward=(0.5, 0.5),
    ),
    Activation(
        "gelu", "eltwise", "Gaussian error linear unit, exact (erf) form.",
        formula="f(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))",
        derivative="f'(x) = Phi(x) + x * phi(x), phi the standard normal density",
        forward="xncdf(x)",
        backward="""
d = ncdf(x) + x * npdf(x)
dy * where(abs(x) == inf, ncdf(x), d)
""",
        ulp=(8, 3), ulp_backward=(16, 4),
        fast_when="abs(x) <= 12", fast_assume=(("abs(x) == inf", False),),
        torch="gelu",
        notes="x * Phi(x) from a relatively accurate Phi (fa_ncdf): no cancellation for negative x, "
              "unlike 0.5 x (1 + erf(x/sqrt 2)). fastact.gelu(x, approximate='tanh') is gelu_tanh.",
    ),
    Activation(
        "geglu", "gated", "GEGLU with the exact GELU (fastact.geglu(x, approximate='tanh') for the tanh form).",
        formula="f(a, b) = gelu(a) * b",
        derivative="df/da = gelu'(a) * b; df/db = gelu(a)",
        forward="gelu(a) * b",
        backward="dy * b * d_gelu(a)",
        backward_b="dy * gelu(a)",
        ulp=(8, 4), ulp_backward=(8, 6),
    ),
    Activation(
        "bias_relu", "channelwise", "Fused bias add and relu: one pass over memory in training loops.",
        formula="f(x) = relu(x + bias[c]), c the index along axis (default -1)",
        derivative="dx = dy * relu'(x + bias[c]); dbias[c] = sum of dx over the other axes",
        forward="relu(x + w)",
        backward="dy * d_relu(x + w)",
        backward_weight="dy * d_relu(x + w)",
        ulp=(1, 4), ulp_backward=(2, 8), channel_axis=-1, weight_name="bias",
    ),
    Activation(
        "bias_gelu", "channelwise", "Fused bias add and gelu (exact): one pass over memory in training loops.",
        formula="f(x) = gelu(x + bias[c]), c the index along axis (default -1)",
        derivative="dx = dy * gelu'(x + bias[c]); dbias[c] = sum of dx over the other axes",
        forward="gelu(x + w)",
        backward="dy * d_gelu(x + w)",
        backward_weight="dy * d_gelu(x + w)",
        ulp=(1, 4), ulp_backward=(2, 8), channel_axis=-1, weight_name="bias",
    ),
    Activation(
        "bias_gelu_tanh", "channelwise", "Fused bias add and gelu (tanh form): one pass over memory in training loops.",
        formula="f(x) = gelu_tanh(x + bias[c]), c the index along axis (default -1)",
        derivative="dx = dy * gelu_tanh'(x + bias[c]); dbias[c] = sum of dx over the other axes",
        forward="gelu_tanh(x + w)",
        backward="dy * d_gelu_tanh(x + w)",
        backward_weight="dy * d_gelu_tanh(x + w)",
        ulp=(1, 4), ulp_backward=(2, 8), channel_axis=-1, weight_name="bias",
    ),
    Activation(
        "bias_silu", "channelwise", "Fused bias add and silu: one pass over memory in training loops.",
        formula="f(x) = silu(x + bias[c]), c the index along axis (default -1)",
        derivative="dx = dy * silu'(x + bias[c]); dbias[c] = sum of dx over the other axes",
        forward="silu(x + w)",
        backward="dy * d_silu(x + w)",
        backward_weight="dy * d_silu(x + w)",
        ulp=(1, 4), ulp_backward=(2, 8), channel_axis=-1, weight_name="bias",
    ),
    # ---- random: the counter-based generator of fastact/_math.py (uniform24) gives u per element ----
    Activation(
        "dropout", "random", "Dropout with a regenerable mask: zero with probability p, else scaled.",
        formula="f(x) = 0 if u < p else x / (1 - p), u = uniform(seed, offset + flat index)",
        derivative="f'(x) = 0 if u < p else 1 / (1 - p), the same u",
        forward="x * where(u < p, 0, 1 / (1 - p))",
        backward="dy * where(u < p, 0, 1 / (1 - p))",
        params=(Param("p", 0.5, "probability of an element being zeroed", check="p >= 0 and p <= 1"),),
        eval_as=("identity", {}),
        ulp=(0.5, 0.5), ulp_backward=(0.5, 0.5),
        torch="dropout",
        notes="The mask is a function of (seed, offset + C-order index), not of a global RNG. "
              "A dropped NaN or inf stays NaN (x * 0), as in PyTorch.",
    ),
    Activation(
        "rrelu", "random", "Randomized leaky ReLU: a random slope per element in training.",
        formula="f(x) = x if x > 0 else x * (lower + (upper - lower) * u); eval: slope (lower + upper) / 2",
        derivative="f'(x) = 1 if x > 0 else the same slope",
        forward="where(x > 0, x, x * (lower + (upper - lower) * u))",
        backward="where(x > 0, dy, dy * (lower + (upper - lower) * u))",
        params=(Param("lower", 0.125, "lowest slope"), Param("upper", 1 / 3, "highest slope")),
        checks=("lower <= upper",),
        eval_as=("leaky_relu", {"negative_slope": "(lower + upper) / 2"}), training=False,
        ulp=(1.5, 1.5), ulp_backward=(1.5, 1.5),
        torch="rrelu",
    ),
    # ---- GLU family: x = [a, b] split in halves along `axis` (odd length: ValueError) ----
    Activation(
        "glu", "gated", "Gated linear unit.",
        formula="f(a, b) = a * sigmoid(b)",
        derivative="df/da = sigmoid(b); df/db = a * sigmoid(b) * (1 - sigmoid(b))",
        forward="a * sigmoid(b)",
        backward="dy * sigmoid(b)",
        backward_b="dy * a * d_sigmoid(b)",
        ulp=(4, 4), ulp_backward=(6, 6),
        torch="glu",
    ),
    Activation(
        "geglu_tanh", "gated", "GEGLU with the tanh GELU (fastact.geglu(x, approximate='tanh')).",
        formula="f(a, b) = gelu_tanh(a) * b",
        derivative="df/da = gelu_tanh'(a) * b; df/db = gelu_tanh(a)",
        forward="gelu_tanh(a) * b",
        backward="dy * b * d_gelu_tanh(a)",
        backward_b="dy * gelu_tanh(a)",
        ulp=(4, 10), ulp_backward=(4, 10), ulp_cond=True, variant=("geglu", "approximate", "tanh"),
    ),
    Activation(
        "reglu", "gated", "ReGLU.",
        formula="f(a, b) = relu(a) * b",
        derivative="df/da = b if a > 0 else 0; df/db = relu(a)",
        forward="relu(a) * b",
        backward="where(a <= 0, 0, dy * b)",
        backward_b="dy * relu(a)",
        ulp=(0.5, 0.5), ulp_backward=(1, 1),
    ),
    Activation(
        "swiglu", "gated", "SwiGLU.",
        formula="f(a, b) = silu(a) * b",
        derivative="df/da = silu'(a) * b; df/db = silu(a)",
        forward="silu(a) * b",
        backward="dy * b * d_silu(a)",
        backward_b="dy * silu(a)",
        ulp=(4, 5), ulp_backward=(4, 6),
    ),
    Activation(
        "clamped_swiglu", "gated", "SwiGLU with clamping, as in GPT-OSS mixture-of-experts layers.",
        formula="f(a, b) = a' * sigmoid(alpha * a') * (b' + 1), a' = min(a, limit), b' = clip(b, -limit, limit)",
        derivative="df/da = [a < limit] (s + alpha a' s (1 - s)) (b' + 1); df/db = [|b| < limit] a' s",
        forward="""
ac = where(a > limit, limit, a)
bc = where(b > limit, limit, where(b < -limit, -limit, b))
ac * sigmoid(alpha * ac) * (bc + 1)
""",
        backward="""
ac = where(a > limit, limit, a)
bc = where(b > limit, limit, where(b < -limit, -limit, b))
t = alpha * ac
e = exp(-abs(t))
r = 1 / (1 + e)
s = where(t >= 0, r, e * r)
g = where(abs(ac) >= 1e10, where(ac > 0, 1, 0), s + t * (e * r * r))
where(a >= limit, 0, dy * g * (bc + 1))
""",
        backward_b="""
ac = where(a > limit, limit, a)
where(b >= limit or b <= -limit, 0, dy * ac * sigmoid(alpha * ac))
""",
        params=(Param("limit", 7.0, "clamp bound", check="limit > 0"),
                Param("alpha", 1.702, "sigmoid sharpness")),
        ulp=(4, 4), ulp_backward=(8, 8), ulp_cond=True,
        notes="Halves [gate, linear] as the rest of the GLU family (GPT-OSS interleaves them).",
    ),
)

BY_NAME: dict[str, Activation] = {a.name: a for a in ACTIVATIONS}


def _variants() -> dict[str, tuple[str, dict[str, str]]]:
    table: dict = {}
    for a in ACTIVATIONS:
        if a.variant:
            base, key, value = a.variant
            table.setdefault(base, (key, {"none": base}))[1][value] = a.name
    return table


# base name -> (keyword, {value: activation name}), "none" the base itself:
# gelu -> ("approximate", {"none": "gelu", "tanh": "gelu_tanh"})
VARIANTS = _variants()
ID: dict[str, int] = {a.name: i for i, a in enumerate(ACTIVATIONS)}


def _validate() -> None:
    for a in ACTIVATIONS:
        assert a.kind in KINDS, a.name
        assert len(a.params) <= MAX_PARAMS, a.name
        assert bool(a.reduce_y) == (a.kind == "rowwise"), a.name
        assert bool(a.backward_weight) == (a.kind == "channelwise"), a.name
        assert a.kind == "rowwise" or a.backward, a.name
        assert bool(a.backward_b) == (a.kind == "gated"), a.name
        assert bool(a.eval_as) == (a.kind == "random"), a.name
        assert "prm" not in a.param_names, a.name  # the generated code's parameter array


_validate()
