"""pytest-benchmark suite: every activation x {fwd, bwd, bwdy} x {float32, float64} x sizes x backend,
with its baselines measured in the same run and grouped with it (see README.md here). ``bwd`` is
the backward from x, ``bwdy`` from the forward output y= (where the registry allows it).

One group per (activation, op, dtype, size) -- e.g. ``sigmoid fwd float32 1e6`` -- holds:

* ``fastact-native``, ``fastact-numba``, ``fastact-auto`` (the dispatcher's choice), all with
  ``out=`` preallocated;
* ``roofline-copy-*`` (forward) / ``roofline-add-*`` (backward): a multi-threaded copy or
  ``c = a + b`` over arrays of x's size, by Numba ``prange`` and by torch (``copy_``/``add(out=)``,
  ``torch.set_num_threads(cores)``) -- the memory-bandwidth roofline, never ``np.copyto``;
* ``numpy``: the plain NumPy formula; ``numexpr``: the same through numexpr (``out=``);
* ``torch-out``: PyTorch CPU's ``out=`` variant; ``torch-alloc``: the allocating call.

Cases, data and baselines come from ``fastact._bench`` (also used by ``python -m fastact bench``;
``tests/test_bench.py`` checks that each baseline computes what fastact computes). Test ids read
``<name>-<op>-<dtype>-<size>-<impl>``, so ``-k`` selects by any of them.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from fastact import _bench

SIZES = _bench.SIZES
FASTACT = ("fastact-native", "fastact-numba", "fastact-auto")


@functools.cache
def _torch_labels(name: str, op: str) -> tuple[str, ...]:
    small = _bench.Case(name, op, "float64", 2 * _bench.ROW)
    return tuple(_bench.torch_calls(small, _bench.make_data(small)))


@functools.lru_cache(maxsize=1)
def _roofline_impls() -> tuple[str, ...]:
    x = np.zeros(8)
    return tuple(_bench.roofline_calls("copy", x, np.empty_like(x)))


def impls(case: _bench.Case) -> list[str]:
    """Everything measured in the group of ``case``."""
    out = list(FASTACT)
    out += [f"roofline-{case.roofline}-{impl}" for impl in _roofline_impls()]
    if _bench.has_numpy(case.name):
        out.append("numpy")
    if _bench.numexpr_expression(case.name, case.op):
        out.append("numexpr")
    out += list(_torch_labels(case.name, case.op))
    return out


def _params():
    for case in _bench.cases(sizes=SIZES):
        quick = case.name in _bench.SUBSET and case.n == 10**6 and case.dtype == "float32"
        for impl in impls(case):
            yield pytest.param(case, impl, id=f"{case.id}-{impl}", marks=[pytest.mark.quick] if quick else [])


def _call(case: _bench.Case, impl: str, d: dict):
    if impl.startswith("fastact-"):
        backend = impl.split("-", 1)[1]
        return _bench.fastact_call(case, d, None if backend == "auto" else backend)
    if impl.startswith("roofline-"):
        return _bench.case_roofline(case, d).get(impl.rsplit("-", 1)[1])
    if impl == "numpy":
        return _bench.numpy_call(case, d)
    if impl == "numexpr":
        return _bench.numexpr_call(case, d)
    return _bench.torch_calls(case, d).get(impl)


def _bytes(case: _bench.Case, impl: str) -> int:
    if impl.startswith("roofline-"):  # x's size: 2 arrays (copy) or 3 (add)
        return (2 if case.op == "fwd" else 3) * case.size * np.dtype(case.dtype).itemsize
    return case.nbytes


@pytest.mark.parametrize(("case", "impl"), list(_params()))
def bench_activation(benchmark, bench_data, case, impl):
    if impl == "fastact-numba":
        from fastact import _dispatch

        try:
            _dispatch.load("numba")
        except _dispatch.BackendUnavailable as e:
            pytest.skip(str(e))
    d = bench_data(case)
    f = _call(case, impl, d)
    if f is None:
        pytest.skip(f"{impl} is not available for {case.label}")
    benchmark.group = case.label
    benchmark.extra_info.update(case=case.id, impl=impl, bytes=_bytes(case, impl))
    if impl == "fastact-auto":
        benchmark.extra_info["backend"] = _bench.chosen_backend(case)
    with np.errstate(all="ignore"):
        f()  # compile (numba), fault in the output pages
        benchmark(f)
