"""PyTorch integration: ``import fastact.torch`` (needs torch >= 2.4).

Everything here is generated from the registry (``fastact/_registry.py``), one
entry at a time; nothing is written per activation.

For every activation ``<name>`` (kinds eltwise, rowwise, channelwise, gated, random):

``fastact.torch.<name>(x, ...)``
    the functional form, PyTorch-style arguments (``dim`` instead of ``axis``):
    ``elu(x, alpha=1.0)``, ``softmax(x, dim=-1)``, ``prelu(x, weight)``,
    ``glu(x, dim=-1)``, ``dropout(x, p=0.5, training=True, seed=None, offset=0)``,
    ``gelu(x, approximate="none")``. It calls the custom op below.
``torch.ops.fastact.<name>`` (and ``fastact.torch.ops[name]``)
    a ``torch.library.custom_op`` with a fake (meta) kernel and an autograd
    formula (``register_autograd``) whose backward is the custom op
    ``fastact::<name>_backward``: ``torch.compile(fullgraph=True)`` sees each
    call as one opaque node, AOTAutograd traces the backward.
``fastact.torch.<Camel>Function`` (and ``fastact.torch.functions[name]``)
    the same computation as a plain ``torch.autograd.Function``:
    ``ELUFunction.apply(x, 1.0)`` with the custom op's arguments (see
    ``fastact.torch.schema(name)``); eager mode only (no dispatcher in between).
``fastact.torch.<Camel>`` (and ``fastact.torch.modules[name]``)
    an ``nn.Module``: ``GELU(approximate="tanh")``, ``Softmax(dim=-1)``,
    ``PReLU(num_parameters=1, init=0.25)``, ``GLU(dim=-1)``, ``Dropout(p=0.5)``,
    ``BiasGELU(num_parameters, dim=-1)`` (a learnable bias), ``LeakyReLU(0.2)``.

Tensors: CPU tensors are handed to fastact as NumPy views (``Tensor.numpy()``, no
copy, any strides) and the result is written straight into a new tensor
(``out=``); CUDA tensors go to fastact's CUDA backend through
``__cuda_array_interface__`` on the current torch stream (gated and random
activations have no CUDA kernels yet: TypeError). float16 and bfloat16 are
computed in float32 and returned in their dtype; float32/float64 keep theirs;
0-d tensors work. Integer tensors raise TypeError.

Backward: where the registry says the derivative can be computed from the output
(``backward_y``, under ``backward_y_when``), the output is saved for backward
instead of the input (relu, sigmoid, tanh, elu with alpha >= 0, softmax,
log_softmax, ...). The random activations save only their seed (and x where the
derivative reads it) and regenerate the mask in backward. Double backward is not
supported.

Random activations: ``seed=None`` draws a seed from torch's global generator
(``torch.manual_seed`` makes runs repeatable), as do the ``Dropout``/``RReLU``
modules on every call in training mode; ``training`` of a module follows
``module.train()/eval()``. Modules accept ``inplace=`` for drop-in use but always
compute out of place.
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np
import torch
import torch.autograd.forward_ad as _fwad
from torch import nn

import fastact as _fa

from . import _dispatch, _torch_cpp
from ._api import _cond, resolve_params
from ._registry import ACTIVATIONS, BY_NAME, ID, VARIANTS
from ._registry import Activation as Spec

_NS = "fastact"
_REQUIRED = object()
# words spelled as PyTorch spells them in class names (the rest are capitalized)
_WORDS = {"relu": "ReLU", "relu6": "ReLU6", "elu": "ELU", "selu": "SELU", "celu": "CELU", "gelu": "GELU",
          "silu": "SiLU", "prelu": "PReLU", "rrelu": "RReLU", "glu": "GLU", "geglu": "GEGLU",
          "reglu": "ReGLU", "swiglu": "SwiGLU", "logsigmoid": "LogSigmoid"}
_TORCH_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def class_name(name: str) -> str:
    """The PyTorch-style class name of an activation: leaky_relu -> LeakyReLU."""
    return "".join(_WORDS.get(w, w.capitalize()) for w in name.split("_"))


# ---- moving tensors in and out of fastact -------------------------------------------

_PLAIN = (torch.float32, torch.float64)


def _check_float(t: torch.Tensor, fname: str, argname: str) -> None:
    if t.dtype not in _TORCH_FLOATS:
        raise TypeError(f"{fname}: {argname} has dtype {t.dtype}; expected float16, bfloat16, float32 or float64")


def _host(t: torch.Tensor) -> np.ndarray:
    """A NumPy view of a CPU tensor (bfloat16, which NumPy lacks, as a float32 copy)."""
    t = t.detach().resolve_neg()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.numpy()


def _from_host(r, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.asarray(r)).to(dtype)


def _call(fn, tensors: dict, shape, dtype: torch.dtype, kw: dict) -> torch.Tensor:
    """fn(**tensors, **kw, out=<new tensor of shape and dtype>): fastact writes into the tensor."""
    dev = next(iter(tensors.values())).device
    compute = torch.float32 if dtype == torch.bfloat16 else dtype
    if dev.type == "cuda":
        with torch.cuda.device(dev):
            ins = {k: _cuda_operand(t, compute, dev) for k, t in tensors.items()}
            out = torch.empty(shape, dtype=compute, device=dev)
            fn(**ins, **kw, out=out, stream=torch.cuda.current_stream(dev))
    elif dev.type == "cpu":
        out = torch.empty(shape, dtype=compute)
        fn(**{k: _host(t) for k, t in tensors.items()}, **kw, out=out.numpy())
    else:
        raise TypeError(f"fastact.torch: tensors on {dev.type} are not supported (cpu and cuda are)")
    return out if compute == dtype else out.to(dtype)


def _cuda_operand(t: torch.Tensor, compute: torch.dtype, dev) -> torch.Tensor:
    """What the CUDA backend reads (through __cuda_array_interface__): no grad, compute dtype."""
    t = t.detach().to(device=dev, dtype=compute)
    # the backend walks layouts that collapse to 1-d or 2-d; others need a contiguous copy
    return t if t.is_contiguous() else t.contiguous()


def _call_pair(fn, tensors: dict, kw: dict, dtypes: tuple) -> tuple:
    """fn(**tensors, **kw) returning a tuple of arrays (channelwise backward: no out=)."""
    dev = next(iter(tensors.values())).device
    compute = torch.float32 if dtypes[0] == torch.bfloat16 else dtypes[0]
    if dev.type == "cuda":
        with torch.cuda.device(dev):
            res = fn(**{k: _cuda_operand(t, compute, dev) for k, t in tensors.items()}, **kw,
                     stream=torch.cuda.current_stream(dev))
        return tuple(torch.as_tensor(r, device=dev).to(dt) for r, dt in zip(res, dtypes, strict=True))
    if dev.type != "cpu":
        raise TypeError(f"fastact.torch: tensors on {dev.type} are not supported (cpu and cuda are)")
    res = fn(**{k: _host(t) for k, t in tensors.items()}, **kw)
    return tuple(_from_host(r, dt) for r, dt in zip(res, dtypes, strict=True))


def _seed_value(seed: torch.Tensor) -> int:
    return int(seed.item()) % 2**64


def _seed_tensor(seed) -> torch.Tensor:
    """A 0-d int64 tensor holding seed (two's complement above 2**63), or a fresh one drawn from
    torch's global generator when seed is None."""
    if seed is None:
        return torch.randint(0, 2**62, (), dtype=torch.int64)
    if isinstance(seed, torch.Tensor):
        return seed.to(torch.int64).reshape(())
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"fastact.torch: seed must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"fastact.torch: seed must be in [0, 2**64), got {seed}")
    return torch.tensor(seed - 2**64 if seed >= 2**63 else seed, dtype=torch.int64)


def _halved(shape, dim: int, fname: str) -> list:
    if len(shape) == 0:
        raise ValueError(f"{fname}: x must have at least one dimension (split in halves along dim)")
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"{fname}: dim {dim} out of range for {len(shape)} dimensions")
    d = dim % len(shape)
    if shape[d] % 2:
        raise ValueError(f"{fname}: x has odd length {shape[d]} along dim {dim}; the GLU family splits it in halves")
    out = list(shape)
    out[d] = shape[d] // 2
    return out


# ---- one registry entry as torch operations ---------------------------------------------

class _Op:
    """The custom ops, the autograd formula and the host kernels of one registry entry.

    Forward op arguments: tensors (x; x, weight for channelwise; x, seed for random), then
    ``extras``: dim (rowwise, gated, channelwise with an axis), offset and training (random),
    then the registry's parameters as floats. Backward op: (dy, saved tensors..., extras).
    """

    def __init__(self, spec: Spec):
        self.spec, self.name, self.kind = spec, spec.name, spec.kind
        self.fname = f"fastact.torch.{spec.name}"
        self.fwd_fn = getattr(_fa, spec.name)
        self.bwd_fn = getattr(_fa, spec.name + "_backward")
        self.pnames = spec.param_names
        kind = spec.kind
        self.has_dim = kind in ("rowwise", "gated") or (
            kind == "channelwise" and "axis" in inspect.signature(self.fwd_fn).parameters)
        self.default_dim = spec.channel_axis if kind == "channelwise" else -1
        self.tensor_names = {"channelwise": ("x", spec.weight_name), "random": ("x", "seed")}.get(kind, ("x",))
        self.extra_names = (("dim",) if self.has_dim else ()) + (
            ("offset", "training") if kind == "random" else ()) + self.pnames
        # the random kinds' derivatives (and their eval forms') may not read x: then only the seed is saved
        exprs = [spec.backward] + ([BY_NAME[spec.eval_as[0]].backward] if spec.eval_as else [])
        self.needs_x = kind != "random" or any(re.search(r"\bx\b", e) for e in exprs)
        # the host kernels call fastact positionally, on NumPy views (its compiled fast path)
        self.lean = kind in ("eltwise", "rowwise")
        self.act_id = ID[spec.name]

    # -- schemas
    def _extras_schema(self) -> str:
        types = {"dim": "int", "offset": "int", "training": "bool"}
        return "".join(f", {types.get(n, 'float')} {n}" for n in self.extra_names)

    def schema_fwd(self) -> str:
        return "(" + ", ".join(f"Tensor {n}" for n in self.tensor_names) + self._extras_schema() + ") -> Tensor"

    def schema_bwd(self) -> str:
        ex = self._extras_schema()
        return {
            "eltwise": f"(Tensor dy, Tensor src, bool from_y{ex}) -> Tensor",
            "rowwise": f"(Tensor dy, Tensor y{ex}) -> Tensor",
            "channelwise": f"(Tensor dy, Tensor x, Tensor {self.spec.weight_name}{ex}) -> (Tensor, Tensor)",
            "gated": f"(Tensor dy, Tensor x{ex}) -> Tensor",
            "random": f"(Tensor dy, Tensor x, Tensor seed{ex}) -> Tensor",
        }[self.kind]

    def _kw(self, extras) -> dict:
        """fastact keyword arguments for the op's extras (dim -> axis)."""
        kw = dict(zip(self.extra_names, extras, strict=True))
        if "dim" in kw:
            kw["axis"] = kw.pop("dim")
        return kw

    # -- host kernels (also the autograd.Function's forward/backward)
    def host_fwd(self, *args):
        x = args[0]
        if self.lean and x.dtype in _PLAIN and x.is_cpu and not x.is_neg():  # (x, [dim,] *params)
            out = torch.empty_like(x)  # x's layout where dense, as NumPy's out
            self.fwd_fn(x.detach().numpy(), *args[1:], out=out.numpy())
            return out
        nt = len(self.tensor_names)
        ts, kw = args[:nt], self._kw(args[nt:])
        x = ts[0]
        _check_float(x, self.fname, "x")
        shape = x.shape
        if self.kind == "random":
            kw["seed"] = _seed_value(ts[1])
            tensors = {"x": x}
        elif self.kind == "channelwise":
            tensors = {"x": x, self.spec.weight_name: ts[1]}
        else:
            tensors = {"x": x}
            if self.kind == "gated":
                shape = _halved(x.shape, kw["axis"], self.fname)
        return _call(self.fwd_fn, tensors, shape, x.dtype, kw)

    def op_fwd(self, *args):
        """The custom op's kernel: host_fwd, refused under forward-mode AD (torch.func.jvp,
        dual tensors), where the custom op has no rule and PyTorch would return zero or no
        tangents; fastact.torch.<name> runs the autograd.Function there instead."""
        if _fwad._current_level >= 0:
            raise NotImplementedError(f"torch.ops.{_NS}.{self.name}: forward-mode AD through the custom op is "
                                      f"not supported (it would give zero tangents); call fastact.torch.{self.name}")
        return self.host_fwd(*args)

    def host_bwd(self, dy, *args):
        src = args[0]
        if (self.lean and src.dtype in _PLAIN and dy.dtype == src.dtype and src.is_cpu and dy.is_cpu
                and not (src.is_neg() or dy.is_neg())):
            out = torch.empty_like(src)
            d, s_ = dy.detach().numpy(), src.detach().numpy()
            if self.kind == "eltwise":
                kw = dict(zip(self.pnames, args[2:], strict=True))
                if args[1]:  # from y
                    self.bwd_fn(d, y=s_, out=out.numpy(), **kw)
                else:
                    self.bwd_fn(d, s_, out=out.numpy(), **kw)
            else:  # rowwise, from y: (y, dim, *params)
                self.bwd_fn(d, None, args[1], y=s_, out=out.numpy(), **dict(zip(self.pnames, args[2:], strict=True)))
            return out
        if self.kind == "eltwise":
            src, from_y, extras = args[0], args[1], args[2:]
            return _call(self.bwd_fn, {"dy": dy, "y" if from_y else "x": src}, src.shape, src.dtype,
                         self._kw(extras))
        if self.kind == "rowwise":
            y, extras = args[0], args[1:]
            return _call(self.bwd_fn, {"dy": dy, "y": y}, y.shape, y.dtype, self._kw(extras))
        if self.kind == "gated":
            x, extras = args[0], args[1:]
            return _call(self.bwd_fn, {"dy": dy, "x": x}, x.shape, x.dtype, self._kw(extras))
        if self.kind == "random":
            x, seed, extras = args[0], args[1], args[2:]
            kw = self._kw(extras)
            kw["seed"] = _seed_value(seed)
            return _call(self.bwd_fn, {"dy": dy, "x": x}, x.shape, x.dtype, kw)
        x, w, extras = args[0], args[1], args[2:]
        return _call_pair(self.bwd_fn, {"dy": dy, "x": x, self.spec.weight_name: w}, self._kw(extras),
                          (x.dtype, w.dtype))

    # -- fake (meta) kernels: shapes and dtypes only
    def fake_fwd(self, *args):
        x = args[0]
        _check_float(x, self.fname, "x")
        if self.kind == "gated":
            return x.new_empty(_halved(x.shape, args[1], self.fname))
        return x.new_empty(x.shape)

    def fake_bwd(self, dy, *args):
        if self.kind == "channelwise":
            return args[0].new_empty(args[0].shape), args[1].new_empty(args[1].shape)
        return args[0].new_empty(args[0].shape)

    # -- autograd
    def from_y(self, extras) -> bool:
        """Whether the eltwise derivative is computed from the saved output."""
        spec = self.spec
        if not spec.has_backward_y:
            return False
        if not spec.backward_y_when:
            return True
        return _cond(spec.backward_y_when, dict(zip(self.extra_names, extras, strict=True)))

    def setup_context(self, ctx, inputs, output) -> tuple:
        """Save what backward (and jvp) read; returns it."""
        nt = len(self.tensor_names)
        ts, extras = inputs[:nt], tuple(inputs[nt:])
        ctx.extras = extras
        if self.kind == "eltwise":
            ctx.from_y = self.from_y(extras)
            saved = (output if ctx.from_y else ts[0],)
        elif self.kind == "rowwise":
            saved = (output,)
        elif self.kind == "random":
            saved = (ts[0] if self.needs_x else None, ts[1])
        else:
            saved = tuple(ts)
        ctx.save_for_backward(*saved)
        return saved

    def backward(self, ctx, dy, bwd):
        saved, extras = ctx.saved_tensors, ctx.extras
        nones = (None,) * len(extras)
        if self.kind == "eltwise":
            return (bwd(dy, saved[0], ctx.from_y, *extras), *nones)
        if self.kind == "channelwise":
            dx, dw = bwd(dy, saved[0], saved[1], *extras)
            return (dx, dw, *nones)
        if self.kind == "random":
            x = saved[0] if self.needs_x else dy  # the derivative does not read x
            return (bwd(dy, x, saved[1], *extras), None, *nones)
        return (bwd(dy, saved[0], *extras), *nones)


    # -- forward mode and vmap (the autograd.Function's rules; the custom op has neither)
    def jvp(self, ctx, tangents):
        """The output's tangent: J t, from the backward kernels where J is diagonal (eltwise,
        random) or symmetric (softmax); otherwise a clear error, never zeros."""
        t, saved, extras = tangents[0], ctx.saved_tensors, ctx.extras
        if any(v is not None for v in tangents[1:len(self.tensor_names)]):
            raise NotImplementedError(f"{self.fname}: forward-mode AD with respect to "
                                      f"{self.tensor_names[1]} is not implemented")
        if t is None:
            return None
        if self.kind == "eltwise":
            return self.bwd_function.apply(t, saved[0], ctx.from_y, *extras)
        if self.kind == "random":
            return self.bwd_function.apply(t, saved[0] if self.needs_x else t, saved[1], *extras)
        if self.kind == "channelwise":  # d/dx only (the weight has no tangent)
            return self.bwd_function.apply(t, saved[0], saved[1], *extras)[0]
        if self.kind == "gated":  # J t = dy/da t_a + dy/db t_b, the partials from backward(dy = 1)
            x, dim = saved[0], extras[0]
            ones = x.new_ones(_halved(x.shape, dim, self.fname))
            da, db = self.bwd_function.apply(ones, x, *extras).chunk(2, dim)
            ta, tb = t.chunk(2, dim)
            return da * ta + db * tb
        y, dim = saved[0], extras[0]
        if self.name == "softmax":  # J = diag(y) - y y^T is symmetric: J t = backward(t)
            return self.bwd_function.apply(t, y, *extras)
        if self.name == "log_softmax":  # J = I - 1 softmax^T
            return t - (y.exp() * t).sum(dim, keepdim=True)
        raise NotImplementedError(f"{self.fname}: forward-mode AD (jvp, jacfwd) is not implemented")

    def vmap(self, fn, in_dims, args):
        """Batching rule: the kernels are elementwise or work along dim, so a batch dimension
        moved to the front is one more outer dimension (dim shifts by one); channel-wise calls
        run per example (the channel axis is counted from the front)."""
        nt = len(self.tensor_names)
        if self.kind == "random":
            raise NotImplementedError(f"{self.fname}: vmap is not supported here (the random kinds "
                                      "draw from the flat element index)")
        if self.kind == "channelwise":
            return _per_example(fn, in_dims, args), 0
        if in_dims[0] is None:
            return fn.apply(*args), None
        extras = list(args[nt:])
        if self.has_dim and extras[0] >= 0:
            extras[0] += 1
        return fn.apply(args[0].movedim(in_dims[0], 0), *args[1:nt], *extras), 0

    def vmap_bwd(self, fn, info, in_dims, args):
        """Batching rule of the backward Function: (dy, x or y) batched or broadcast along a new
        leading dimension, dim shifted by one."""
        if self.kind == "random":
            raise NotImplementedError(f"{self.fname}: vmap of the backward is not supported (the mask "
                                      "is drawn from the flat element index)")
        if self.kind == "channelwise":  # dweight is per example
            return _per_example(fn, in_dims, args), 0
        args = list(args)
        for i in (0, 1):
            args[i] = (args[i].movedim(in_dims[i], 0) if in_dims[i] is not None
                       else args[i].expand(info.batch_size, *args[i].shape))
        if self.has_dim and args[2] >= 0:
            args[2] += 1
        return fn.apply(*args), 0

    def run(self, *args):
        """The custom op when traced (torch.compile, dispatch modes, tensor subclasses); otherwise
        no dispatcher: under torch.func transforms or forward-mode AD, and in eager calls that
        record a graph, the autograd.Function (the custom op would give zero tangents under the
        transforms, and its Python autograd path costs ~60 us per forward + backward); in eager
        calls that record none (no input requires grad, or grad is off), the host kernel itself."""
        if not torch.compiler.is_compiling():
            if torch._C._are_functorch_transforms_active() or _fwad._current_level >= 0:
                return self.function.apply(*args)
            ts = args[:len(self.tensor_names)]
            if _untraced(*ts):
                if torch.is_grad_enabled() and any(t.requires_grad for t in ts):
                    cpp = _torch_cpp.module() if self.kind == "eltwise" else None
                    if cpp is not None and _dispatch.nothing_forced():
                        y = cpp.eltwise_if(ts[0], _cpp_max_n(), self.act_id, self.from_y(args[1:]),
                                           *(args[1:] + _ZEROS)[:4])
                        if y is not None:
                            return y
                    return self.eager_apply(*args)
                return self.host_fwd(*args)
        return self.call(*args)

    def eager_or(self, traced, dy):
        """The backward kernel to call: the host kernel itself for a plain eager dy (no graph is
        being recorded or traced: skips ~20 us of dispatch per call), else `traced`."""
        if not torch.compiler.is_compiling() and not torch.is_grad_enabled() and _untraced(dy):
            return self.host_bwd
        return traced

    def double_backward(self, ctx, *grads):
        raise NotImplementedError(f"{self.fname}: second derivatives (of the backward, e.g. torch.func.hessian) "
                                  "are not implemented")


_ZEROS = (0.0, 0.0, 0.0, 0.0)


@functools.cache
def _cpp_max_n() -> int:
    """Tensors from this size on go to the parallel kernels (through the Python path), as the
    dispatcher would send them; the C++ eager path, which runs the native kernels, takes the
    smaller ones. The numba threshold, read once."""
    return _dispatch.numba_threshold()[0]


def _untraced(*ts) -> bool:
    """Plain tensors outside torch.func transforms and dispatch modes: the host kernel may run
    them without the dispatcher (call only when not compiling)."""
    return (all(type(t) is torch.Tensor for t in ts) and not torch._C._are_functorch_transforms_active()
            and torch._C._len_torch_dispatch_stack() == 0)


def _per_example(fn, in_dims, args):
    """fn on each example of a batch (the batched tensors' in_dims), stacked along dim 0."""
    n = next(a.shape[d] for a, d in zip(args, in_dims, strict=True) if d is not None)
    outs = [fn.apply(*(a.select(d, i) if d is not None else a for a, d in zip(args, in_dims, strict=True)))
            for i in range(n)]
    if isinstance(outs[0], tuple):
        return tuple(torch.stack(o) for o in zip(*outs, strict=True))
    return torch.stack(outs)


def _run(opname: str, *args):
    return _OPS[opname].run(*args)


# ---- the public callables built from an _Op -----------------------------------------------

def _register(op: _Op):
    """The custom ops fastact::<name> and fastact::<name>_backward, with fake kernels and autograd."""
    bwd = torch.library.custom_op(f"{_NS}::{op.name}_backward", op.host_bwd, mutates_args=(),
                                  schema=op.schema_bwd())
    bwd.register_fake(op.fake_bwd)
    fwd = torch.library.custom_op(f"{_NS}::{op.name}", op.op_fwd, mutates_args=(), schema=op.schema_fwd())
    fwd.register_fake(op.fake_fwd)
    overload = getattr(getattr(torch.ops, _NS), op.name + "_backward").default
    fwd.register_autograd(lambda ctx, dy: op.backward(ctx, dy, op.eager_or(overload, dy)),
                          setup_context=op.setup_context)
    return fwd


_VARARGS = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)])


def _function(op: _Op):
    """The same computation as a torch.autograd.Function (eager, no dispatcher), with jvp and
    vmap rules: the path of fastact.torch calls under torch.func transforms and forward AD."""
    def forward(*args):
        return op.host_fwd(*args)

    def setup_context(ctx, inputs, output):
        ctx.save_for_forward(*op.setup_context(ctx, inputs, output))
        ctx.set_materialize_grads(False)  # no tangent stays None in jvp (not zeros: weight's)
        ctx.n_inputs = len(inputs)

    def backward(ctx, dy):  # through a Function: transforms see through it (host_bwd reads storage)
        if dy is None:
            return (None,) * ctx.n_inputs
        return op.backward(ctx, dy, op.eager_or(op.bwd_function.apply, dy))

    def jvp(ctx, *tangents):
        return op.jvp(ctx, tangents)

    def vmap(info, in_dims, *args):
        return op.vmap(cls, in_dims, args)

    # Function.apply binds its arguments to inspect.signature(forward) on every call (for
    # setup_context): a fixed signature makes that a dict lookup, not a ~10 us introspection
    forward.__signature__ = _VARARGS
    cls = type(class_name(op.name) + "Function", (torch.autograd.Function,), {
        "forward": staticmethod(forward), "setup_context": staticmethod(setup_context),
        "backward": staticmethod(backward), "jvp": staticmethod(jvp), "vmap": staticmethod(vmap),
        "__module__": __name__,
        "__doc__": f"torch.autograd.Function for fastact.{op.name}: apply{_op_signature(op)}.",
    })
    return cls


def _backward_function(op: _Op):
    """The backward kernels as a torch.autograd.Function, for the forward Function's backward and
    jvp under torch.func: first order only (its own derivatives raise), with a batching rule."""
    def forward(*args):
        return op.host_bwd(*args)

    def setup_context(ctx, inputs, output):
        pass

    def backward(ctx, *grads):
        op.double_backward(ctx)

    def jvp(ctx, *tangents):
        op.double_backward(ctx)

    def vmap(info, in_dims, *args):
        return op.vmap_bwd(cls, info, in_dims, args)

    forward.__signature__ = _VARARGS
    cls = type(class_name(op.name) + "BackwardFunction", (torch.autograd.Function,), {
        "forward": staticmethod(forward), "setup_context": staticmethod(setup_context),
        "backward": staticmethod(backward), "jvp": staticmethod(jvp), "vmap": staticmethod(vmap),
        "__module__": __name__, "__doc__": f"The backward of fastact.{op.name} for torch.func transforms."})
    return cls


def _op_signature(op: _Op) -> str:
    return "(" + ", ".join(op.tensor_names + op.extra_names) + ")"


class _Binder:
    """PyTorch-style arguments (after x) of a functional or a module, bound without inspect
    (simple Python that torch.compile traces)."""

    def __init__(self, names: tuple, defaults: dict):
        self.names, self.defaults = names, defaults
        P = inspect.Parameter
        self.parameters = [P(n, P.POSITIONAL_OR_KEYWORD, default=defaults[n] if defaults[n] is not _REQUIRED
                             else P.empty) for n in names]

    def bind(self, fname: str, args: tuple, kwargs: dict) -> dict:
        if len(args) > len(self.names):
            raise TypeError(f"{fname}() takes at most {len(self.names)} arguments after x ({len(args)} given)")
        vals = dict(self.defaults)
        for n, v in zip(self.names[:len(args)], args, strict=True):
            vals[n] = v
        for k, v in kwargs.items():
            if k not in vals:
                raise TypeError(f"{fname}() got an unexpected keyword argument {k!r}")
            if k in self.names[:len(args)]:
                raise TypeError(f"{fname}() got multiple values for argument {k!r}")
            vals[k] = v
        for k, v in vals.items():
            if v is _REQUIRED:
                raise TypeError(f"{fname}() missing required argument {k!r}")
        return vals


def _validate(op: _Op, vals: dict, fname: str) -> None:
    """Eager-mode argument checks with fastact's messages (skipped while torch.compile traces:
    the kernel checks again when it runs)."""
    resolve_params(op.spec, fname, {k: vals[k] for k in op.pnames})
    if "dim" in vals and (isinstance(vals["dim"], bool) or not isinstance(vals["dim"], int)):
        raise TypeError(f"{fname}: dim must be an integer, got {type(vals['dim']).__name__}")


def _functional(name: str, ops: dict):
    """fastact.torch.<name>(x, ...): PyTorch-style arguments, calls the custom op."""
    op = ops[name]
    kind = op.kind
    names: tuple = ()
    defaults: dict = {}
    if kind == "channelwise":
        names += (op.spec.weight_name,)
        defaults[op.spec.weight_name] = _REQUIRED
    if kind in ("rowwise", "gated", "channelwise") and op.has_dim:
        names += ("dim",)
        defaults["dim"] = op.default_dim
    names += op.pnames
    defaults.update(op.spec.defaults)
    if kind == "random":
        names += ("training", "seed", "offset")
        defaults.update(training=op.spec.training, seed=None, offset=0)
    variant = VARIANTS.get(name)
    if variant:
        names += (variant[0],)
        defaults[variant[0]] = "none"
    binder = _Binder(names, defaults)
    fname = f"fastact.torch.{name}"
    # f(x) alone: the op's arguments from the defaults, checked once here
    plain = None if kind in ("random", "channelwise") else (
        ((op.default_dim,) if op.has_dim else ()) + tuple(float(op.spec.defaults[k]) for k in op.pnames))

    def f(x, *args, **kwargs):
        if plain is not None and not args and not kwargs:
            return op.run(x, *plain)
        vals = binder.bind(fname, args, kwargs)
        target = op
        if variant:
            choice = vals.pop(variant[0])
            if choice not in variant[1]:
                raise ValueError(f"{fname}: {variant[0]} must be one of {sorted(variant[1])}, got {choice!r}")
            target = ops[variant[1][choice]]
        if not torch.compiler.is_compiling():
            _validate(target, vals, fname)
        prm = tuple(float(vals[k]) for k in target.pnames)
        dims = (vals["dim"],) if target.has_dim else ()
        if kind == "channelwise":
            return target.run(x, vals[op.spec.weight_name], *dims, *prm)
        if kind == "random":
            training = bool(vals["training"])
            seed = _seed_tensor(vals["seed"]) if training else torch.zeros((), dtype=torch.int64)
            return target.run(x, seed, vals["offset"], training, *prm)
        return target.run(x, *dims, *prm)

    P = inspect.Parameter
    f.__name__ = f.__qualname__ = name
    f.__module__ = __name__
    f.__signature__ = inspect.Signature([P("x", P.POSITIONAL_OR_KEYWORD)] + binder.parameters)
    spec = op.spec
    f.__doc__ = (f"{spec.summary}\n\n    {spec.formula}\n\n    The torch form of :func:`fastact.{name}` "
                 f"(custom op ``torch.ops.fastact.{name}``); differentiable, torch.compile-able.\n")
    return f


def _module(name: str, ops: dict):
    """The nn.Module class of an activation (PyTorch-style constructor arguments)."""
    op = ops[name]
    kind, spec = op.kind, op.spec
    names: tuple = ()
    defaults: dict = {}
    if kind == "channelwise":
        names += ("num_parameters", "init")
        defaults.update(num_parameters=1, init=0.25 if spec.weight_name == "weight" else 0.0)
    if op.has_dim:
        names += ("dim",)
        defaults["dim"] = op.default_dim
    names += op.pnames
    defaults.update(spec.defaults)
    variant = VARIANTS.get(name)
    if variant:
        names += (variant[0],)
        defaults[variant[0]] = "none"
    if kind in ("eltwise", "random"):
        names += ("inplace",)
        defaults["inplace"] = False
    if kind == "channelwise":
        names += ("device", "dtype")
        defaults.update(device=None, dtype=None)
    binder = _Binder(names, defaults)
    cname = class_name(name)

    def __init__(self, *args, **kwargs):
        nn.Module.__init__(self)
        vals = binder.bind(cname, args, kwargs)
        target = op
        if variant:
            choice = vals[variant[0]]
            if choice not in variant[1]:
                raise ValueError(f"{cname}: {variant[0]} must be one of {sorted(variant[1])}, got {choice!r}")
            target = ops[variant[1][choice]]
        _validate(target, vals, cname)
        self._opname = target.name  # a name, not the op: modules stay picklable and deep-copyable
        self._vals = {k: v for k, v in vals.items() if k not in ("device", "dtype", "init")}
        dims = (int(vals["dim"]),) if target.has_dim else ()
        self._extra = dims + tuple(float(vals[k]) for k in target.pnames)
        if kind == "channelwise":
            n = vals["num_parameters"]
            w = torch.full((n,), float(vals["init"]), device=vals["device"], dtype=vals["dtype"])
            setattr(self, spec.weight_name, nn.Parameter(w))

    if kind == "channelwise":
        wname = spec.weight_name

        def forward(self, x):
            return _run(self._opname, x, getattr(self, wname), *self._extra)
    elif kind == "random":
        def forward(self, x):
            if self.training:
                return _run(self._opname, x, torch.randint(0, 2**62, (), dtype=torch.int64), 0, True, *self._extra)
            return _run(self._opname, x, torch.zeros((), dtype=torch.int64), 0, False, *self._extra)
    else:
        def forward(self, x):
            return _run(self._opname, x, *self._extra)

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self._vals.items() if not (k == "inplace" and not v))

    P = inspect.Parameter
    __init__.__signature__ = inspect.Signature([P("self", P.POSITIONAL_OR_KEYWORD)] + binder.parameters)
    doc = (f"{spec.summary}\n\n    {spec.formula}\n\n    nn.Module form of :func:`fastact.torch.{name}`"
           + (" (learnable per-channel " + spec.weight_name + ")" if kind == "channelwise" else "") + ".\n")
    return type(cname, (nn.Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                      "__module__": __name__, "__doc__": doc})


def schema(name: str) -> str:
    """The custom op's schema, e.g. schema("elu") -> '(Tensor x, float alpha) -> Tensor'."""
    return _OPS[name].schema_fwd()


def _build():
    ops = {spec.name: _Op(spec) for spec in ACTIVATIONS}
    g = globals()
    custom, functions, functional, modules = {}, {}, {}, {}
    for name, op in ops.items():
        custom[name] = _register(op)
        op.call = getattr(getattr(torch.ops, _NS), name).default
        functions[name] = op.function = _function(op)
        # the C apply under Function.apply's Python wrapper (which binds the arguments to forward's
        # signature and unwraps torch.func's dead wrappers): for plain eager calls only, ~20 us less
        op.eager_apply = super(torch.autograd.Function, op.function).apply
        op.bwd_function = _backward_function(op)
        g[functions[name].__name__] = functions[name]
    for name in ops:
        functional[name] = g[name] = _functional(name, ops)
        modules[name] = g[class_name(name)] = _module(name, ops)
    return ops, custom, functions, functional, modules


_OPS, ops, functions, functional, modules = _build()
_torch_cpp.start()  # the C++ eager path of elementwise ops: builds (once) or loads in the background
_fa._INFO_LINES.append(lambda: f"fastact.torch C++ eager path: {_torch_cpp.status()}")

__all__ = ["class_name", "schema", "ops", "functions", "functional", "modules"] + [
    n for a in ACTIVATIONS for n in (a.name, class_name(a.name), class_name(a.name) + "Function")]
