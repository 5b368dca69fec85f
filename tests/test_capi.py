"""The C API from a plain C program: compiled against the installed header and
library with the flags `python -m fastact --cflags --libs` prints."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fastact

ROOT = Path(__file__).resolve().parent.parent
CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler")


def _flags() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "fastact", "--cflags", "--libs"], capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def _build_and_run(src: Path, tmp_path: Path, extra=()) -> str:
    exe = tmp_path / src.stem
    cmd = [CC, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", *extra, str(src), "-o", str(exe), *_flags()]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_c_test_program(tmp_path):
    out = _build_and_run(ROOT / "fastact_c" / "tests" / "test_capi.c", tmp_path)
    m = re.search(r"(\d+) passed, (\d+) failed", out)
    assert m and int(m.group(1)) > 50 and m.group(2) == "0", out


def test_readme_c_example(tmp_path):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```c\n(.*?)```", text, re.S).group(1)
    src = tmp_path / "example.c"
    src.write_text(code)
    out = _build_and_run(src, tmp_path)
    assert "sigmoid(1) = 0.731059" in out


def test_paths():
    assert Path(fastact.get_library()).is_file()
    assert (Path(fastact.get_include()) / "fastact" / "fastact.h").is_file()
    assert (Path(fastact.get_include()) / "fastact" / "activations.def").is_file()


def test_header_is_cxx_compatible(tmp_path):
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    src = tmp_path / "t.cpp"
    src.write_text('#include <fastact/fastact.h>\nint main() { return fa_version_number() > 0 ? 0 : 1; }\n')
    subprocess.run([cxx, "-Wall", "-Werror", str(src), "-o", str(tmp_path / "t"), *_flags()], check=True)
    assert subprocess.run([str(tmp_path / "t")]).returncode == 0
