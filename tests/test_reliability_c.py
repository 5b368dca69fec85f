"""The C API under AddressSanitizer + UndefinedBehaviorSanitizer, under valgrind, and
fuzzed with libFuzzer (slow).

The library sources (fastact_c/src/fastact.c) are compiled directly into each test
program in a temporary directory -- the installed package is neither needed nor
touched -- with the test programs fastact_c/tests/test_capi.c (the API examples) and
fastact_c/tests/test_robust.c (every entry point x activation x dtype with NULL
pointers, n = 0, overflowing sizes, bad strides, unknown enums, invalid parameters,
exact-size buffers).

    python -m pytest -m slow tests/test_reliability_c.py
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "fastact_c" / "src" / "fastact.c"
INC = ROOT / "fastact_c" / "include"
TESTS = [ROOT / "fastact_c" / "tests" / "test_capi.c", ROOT / "fastact_c" / "tests" / "test_robust.c"]
GCC = shutil.which("gcc") or shutil.which("cc")
CLANG = shutil.which("clang")
VALGRIND = shutil.which("valgrind")
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(GCC is None, reason="no C compiler")]


def _lib_flags() -> list[str]:
    """setup.py's C_FLAGS (the library's real flags) without the optimization level."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "C_FLAGS" for t in node.targets):
            return [f for f in ast.literal_eval(node.value) if not f.startswith("-O") and f != "-fvisibility=hidden"]
    return ["-std=c99", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-fopenmp-simd"]


def _cc(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}{r.stderr[-4000:]}"


def _run(cmd: list[str], timeout: float, env=None) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} exited {r.returncode}\n{out[-6000:]}"
    m = re.search(r"(\d+) passed, (\d+) failed", out)
    assert m and int(m.group(1)) > 50 and m.group(2) == "0", out[-3000:]
    return out


@pytest.fixture(scope="module")
def asan_lib(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("asan")
    obj = d / "fastact.o"
    _cc([GCC, *_lib_flags(), "-O1", "-g", *SAN, f"-I{INC}", "-c", str(SRC), "-o", str(obj)])
    return obj


@pytest.mark.parametrize("test", TESTS, ids=lambda p: p.stem)
def test_sanitizers(asan_lib, test, tmp_path):
    exe = tmp_path / test.stem
    _cc([GCC, "-std=c99", "-O1", "-g", *SAN, "-Wall", "-Wextra", "-Werror", f"-I{INC}", str(test), str(asan_lib),
         "-o", str(exe), "-lm"])
    env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1", "PATH": "/usr/bin:/bin"}
    _run([str(exe)], timeout=600, env=env)


@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed")
def test_valgrind(tmp_path):
    """Both test programs, optimized as released (-O2 with the library's flags), under memcheck."""
    obj = tmp_path / "fastact.o"
    _cc([GCC, *_lib_flags(), "-O2", "-g", f"-I{INC}", "-c", str(SRC), "-o", str(obj)])
    for test in TESTS:
        exe = tmp_path / test.stem
        _cc([GCC, "-std=c99", "-O2", "-g", f"-I{INC}", str(test), str(obj), "-o", str(exe), "-lm"])
        _run([VALGRIND, "-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
              str(exe)], timeout=900)


@pytest.mark.skipif(CLANG is None, reason="libFuzzer needs clang: apt-get install clang libclang-rt-14-dev")
def test_libfuzzer_short_run(tmp_path):
    """30 s of libFuzzer on the generic entry points (fastact_c/fuzz/fuzz_generic.c)."""
    exe = tmp_path / "fuzz_generic"
    cmd = [CLANG, "-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
           *[f for f in _lib_flags() if f != "-std=c99"], f"-I{INC}", str(SRC),
           str(ROOT / "fastact_c" / "fuzz" / "fuzz_generic.c"), "-o", str(exe), "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0 and "fuzzer" in r.stderr and ("cannot find" in r.stderr or "not found" in r.stderr):
        pytest.skip("clang has no libFuzzer runtime: apt-get install libclang-rt-14-dev")
    assert r.returncode == 0, r.stderr[-4000:]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    run = subprocess.run([str(exe), "-max_total_time=30", "-max_len=4096", "-timeout=30",
                          f"-artifact_prefix={tmp_path}/", str(corpus)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-6000:]
    assert "Done" in run.stderr
