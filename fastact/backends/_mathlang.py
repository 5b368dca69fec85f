"""The vocabulary of the math source (``fastact/_math.py``) and what it means on each target.

The math source is written in a small typed language (Python syntax, parsed by
``tools/gen.py``, which generates ``fastact_c/src/fa_math.h`` and
``fastact/backends/_math_gen.py`` from it). Its words:

  f32 f64 u32 u64 i32       types (annotations) and conversions (``f64(x)``: C ``(double)x``)
  K("0x1.8p52")             a constant of the function's float type, written as in C
  INF, NAN                  +inf and the quiet NaN 0x7ff8... (0x7fc0... in float)
  fma(a, b, c)              a*b + c rounded once (float or double, by its operands)
  d2u, u2d, f2u, u2f        bit casts double <-> u64, float <-> u32
  horner(x, c_n, ..., c_0)  ((c_n x + c_n-1) x + ...) + c_0, one multiply and one add a step
  horner_fma(x, c_n, ...)   the same with one fma a step
  a if c else b             a select: both sides are computed (branch-free, vectorizes)
  & | on comparisons        non-short-circuit and/or
  + - * / << >> & | ^       arithmetic; u32 arithmetic wraps at 32 bits, u64 at 64

The generated Python module (``_math_gen.py``) names the target's implementation of
each word; this module provides them:

  cpu()     Numba on the CPU: llvm.fma and register bit casts (LLVM intrinsics)
  cuda()    Numba CUDA device code: cuda.fma and libdevice's bit casts
  python()  plain Python on NumPy scalars, exact (a correctly rounded fma from integer
            arithmetic): the CUDA simulator's math, and a reference that the tests compare
            with the C library bit for bit.

u32 values are held in uint64 on every Python target (Numba promotes uint32 arithmetic to
64 bits); the generated code masks the result of ``+ - * <<`` on them to 32 bits, so each
target computes the C bits.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

# ---- the words as plain Python (the names the math source imports) --------------------

f32, f64, i32 = np.float32, np.float64, np.int32
u64 = np.uint64
u32 = np.uint64  # held in 64 bits, masked (see the module docstring)
INF = math.inf
NAN = math.nan


def K(text: str) -> float:
    """A constant written as in C (hexadecimal or decimal), in the function's float type."""
    return float.fromhex(text)


def horner(x, *coeffs):
    """c_n x^n + ... + c_0 by Horner's rule (a multiply and an add a step)."""
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def horner_fma(x, *coeffs):
    """c_n x^n + ... + c_0 by Horner's rule with one fma a step."""
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = fma(acc, x, c)
    return acc


# ---- plain Python: exact, on NumPy scalars ------------------------------------------------

def _fma_exact(a: float, b: float, c: float, dtype) -> float:
    """a*b + c rounded once to dtype (IEEE fusedMultiplyAdd, round to nearest even)."""
    a, b, c = float(a), float(b), float(c)
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        with np.errstate(all="ignore"):
            return dtype(np.float64(a) * np.float64(b) + np.float64(c))  # inf/NaN: no rounding issue
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:  # the sign of an exact zero: + unless both a*b and c are -0 (round to nearest)
        prod_neg = (math.copysign(1.0, a) * math.copysign(1.0, b)) < 0
        return dtype(-0.0 if (prod_neg and math.copysign(1.0, c) < 0) else 0.0)
    try:
        d = exact.numerator / exact.denominator  # correctly rounded to double
    except OverflowError:
        return dtype(math.inf if exact > 0 else -math.inf)
    if dtype is np.float32 and Fraction(d) != exact and math.isfinite(d):
        # round to odd in double, then to float: correct rounding to float (53 >= 2*24 + 2)
        if int(np.float64(d).view(np.uint64)) & 1 == 0:
            d = float(np.nextafter(d, math.inf if exact > Fraction(d) else -math.inf))
    with np.errstate(over="ignore"):
        return dtype(d)


def _py_fma(a, b, c):
    """a*b + c rounded once, in float if an operand is a float and none a double."""
    ops = (a, b, c)
    single = any(isinstance(v, np.float32) for v in ops) and not any(isinstance(v, np.float64) for v in ops)
    return _fma_exact(a, b, c, np.float32 if single else np.float64)


def _py_errstate(fn):
    """Run fn with NumPy's floating-point warnings off: branch-free code computes both sides
    of every select, and integer arithmetic wraps on purpose."""
    @functools.wraps(fn)
    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*args)
    return run


def _d2u(x):
    return np.float64(x).view(np.uint64)


def _u2d(u):
    return np.uint64(u).view(np.float64)


def _f2u(x):
    return np.uint64(np.float32(x).view(np.uint32))


def _u2f(u):
    return np.uint32(np.uint64(u) & np.uint64(0xFFFFFFFF)).view(np.float32)


# the words the math source imports mean their plain-Python selves
fma, d2u, u2d, f2u, u2f = _py_fma, _d2u, _u2d, _f2u, _u2f


def python() -> dict:
    """The plain-Python words (see the module docstring)."""
    return {"jit": _py_errstate, "fma": _py_fma, "d2u": _d2u, "u2d": _u2d, "f2u": _f2u, "u2f": _u2f,
            "F32": np.float32, "F64": np.float64, "U64": np.uint64, "I32": np.int32}


# ---- Numba on the CPU ---------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def cpu() -> dict:
    """The Numba CPU words: LLVM's fma and bit casts, no memory and no libm."""
    from llvmlite import ir
    from numba import njit, types
    from numba.extending import intrinsic

    def _bitcast(src, dst, to_ir):
        @intrinsic
        def cast(typingctx, v):
            if v != src:
                return None

            def codegen(context, builder, sig, args):
                return to_ir(builder, args[0])
            return dst(src), codegen
        return cast

    i32t, i64t = ir.IntType(32), ir.IntType(64)
    d2u = _bitcast(types.float64, types.uint64, lambda b, v: b.bitcast(v, i64t))
    u2d = _bitcast(types.uint64, types.float64, lambda b, v: b.bitcast(v, ir.DoubleType()))
    # float bits zero-extended to 64 (u32 is held in uint64), and back with the C truncation
    f2u = _bitcast(types.float32, types.uint64, lambda b, v: b.zext(b.bitcast(v, i32t), i64t))
    u2f = _bitcast(types.uint64, types.float32, lambda b, v: b.bitcast(b.trunc(v, i32t), ir.FloatType()))

    @intrinsic
    def fma(typingctx, a, b, c):
        """a*b + c rounded once (llvm.fma: one vfmadd with FMA hardware, else libm's fma)."""
        if not (a == b == c and a in (types.float32, types.float64)):
            return None

        def codegen(context, builder, sig, args):
            t = args[0].type
            fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
            return builder.call(fn, args)
        return a(a, a, a), codegen

    # fastmath=False explicitly: a function that does not set an option inherits the first
    # caller's (and caches that version for every caller); error_model="numpy": no
    # ZeroDivisionError checks, whose branches stop vectorization; forceinline (LLVM
    # alwaysinline, like the header's always_inline): a loop with a call does not vectorize.
    return {"jit": njit(error_model="numpy", fastmath=False, forceinline=True), "fma": fma,
            "d2u": d2u, "u2d": u2d, "f2u": f2u, "u2f": u2f,
            "F32": np.float32, "F64": np.float64, "U64": np.uint64, "I32": np.int32}


# ---- Numba CUDA ------------------------------------------------------------------------------

def cuda() -> dict:
    """The CUDA device words: cuda.fma (one fused multiply-add instruction) and libdevice's
    bit casts (int64/int32 reinterpreted as uint64: same width, no conversion)."""
    from numba import cuda as c
    from numba.cuda import libdevice as ld

    dev = c.jit(device=True)

    @dev
    def d2u(x):
        return np.uint64(ld.double_as_longlong(x))

    @dev
    def u2d(u):
        return ld.longlong_as_double(np.int64(u))

    @dev
    def f2u(x):
        return np.uint64(np.uint32(ld.float_as_int(x)))

    @dev
    def u2f(u):
        return ld.int_as_float(np.int32(np.uint32(u & np.uint64(0xFFFFFFFF))))

    @dev
    def fma(a, b, c_):
        return c.fma(a, b, c_)

    return {"jit": c.jit(device=True), "fma": fma, "d2u": d2u, "u2d": u2d, "f2u": f2u, "u2f": u2f,
            "F32": np.float32, "F64": np.float64, "U64": np.uint64, "I32": np.int32}
