"""What the build ships: no build-machine paths, no debug info, the license; a wheel without the
extension's sources (``-m slow``: builds one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import fastact
from fastact.backends import native

ROOT = Path(__file__).resolve().parent.parent
READELF = shutil.which("readelf")
LIBS = [Path(native.__file__), Path(fastact.get_library())]


@pytest.mark.skipif(READELF is None, reason="needs readelf (binutils)")
@pytest.mark.parametrize("lib", LIBS, ids=lambda p: p.name)
def test_run_paths_are_origin_relative(lib):
    """Only $ORIGIN-relative run paths: the interpreter's LDSHARED may add its own prefix."""
    dyn = subprocess.run([READELF, "-d", str(lib)], capture_output=True, text=True, check=True).stdout
    for line in dyn.splitlines():
        if "RUNPATH" in line or "RPATH" in line:
            paths = line.split("[", 1)[1].rstrip("]").split(":")
            assert all(p.startswith("$ORIGIN") for p in paths), line


@pytest.mark.skipif(READELF is None, reason="needs readelf (binutils)")
@pytest.mark.parametrize("lib", LIBS, ids=lambda p: p.name)
def test_no_debug_info(lib):
    sections = subprocess.run([READELF, "-S", "-W", str(lib)], capture_output=True, text=True, check=True).stdout
    assert ".debug_info" not in sections


def test_license_file_matches_the_metadata():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.slow
def test_wheel_contents(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, timeout=900)
    (whl,) = tmp_path.glob("fastact-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    assert not [n for n in names if n.endswith((".pyx", "native.c"))], names
    assert any(n.endswith("_lib/libfastact.so") for n in names)
    assert any(n.startswith("fastact/backends/native.") and n.endswith(".so") for n in names)
    assert any(n.endswith("include/fastact/fastact.h") for n in names)
