"""Build libfastact (the C library and its headers, installed inside the package)
and the Cython extension fastact.backends.native that links against it."""

import shutil
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
C_DIR = ROOT / "fastact_c"
# Never -ffast-math (it breaks NaN/inf and turns on flush-to-zero for the whole
# process). -ffp-contract=off: no silent a*b+c fusing, so the vector body, the
# scalar tail and the x86-64 baseline/AVX2/AVX-512 clones all give the same bits
# (results do not depend on array layout, alignment or CPU). -fno-trapping-math
# and -fno-math-errno let loops with selects vectorize; -fopenmp-simd enables
# `#pragma omp simd` without linking an OpenMP runtime.
C_FLAGS = ["-std=c99", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
           "-fopenmp-simd", "-fvisibility=hidden", "-Wall", "-Wextra", "-g0"]
# No debug info (the interpreter's CFLAGS may carry -g: 14 MB instead of 1.5 MB) and no
# run path but our own: the interpreter's LDSHARED may add -Wl,-rpath,<its prefix>/lib, a path
# of the build machine that would be searched first on every machine the wheel lands on.
LINK_FLAGS = ["-Wl,-S"]


def _without_rpath(cmd: list[str]) -> list[str]:
    out, skip = [], False
    for a in cmd:
        if skip:
            skip = False
        elif a in ("-rpath", "-Wl,-rpath"):
            skip = True  # the path is the next argument
        elif not a.startswith(("-Wl,-rpath,", "-Wl,-rpath=", "-Wl,-R", "-R")):
            out.append(a)
    return out


class BuildExt(build_ext):
    """Build libfastact next to the extension: fastact/_lib/libfastact.so and
    fastact/include/fastact/*.h, in build_lib (wheels) and, for editable and
    --inplace builds, copied into the source tree with the extension."""

    def _pkg_dir(self) -> Path:
        return Path(self.build_lib).resolve() / "fastact"  # setuptools always builds here first

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        src, dst = self._pkg_dir(), ROOT / "fastact"
        if src != dst:
            for sub in ("_lib", "include"):
                shutil.copytree(src / sub, dst / sub, dirs_exist_ok=True)

    def build_extensions(self):
        self.compiler.linker_so = _without_rpath(self.compiler.linker_so)
        if getattr(self.compiler, "linker_so_cxx", None):
            self.compiler.linker_so_cxx = _without_rpath(self.compiler.linker_so_cxx)
        pkg = self._pkg_dir()
        libdir = pkg / "_lib"
        libdir.mkdir(parents=True, exist_ok=True)
        objects = self.compiler.compile(
            [str(C_DIR / "src" / "fastact.c")], output_dir=self.build_temp,
            include_dirs=[str(C_DIR / "include")], extra_postargs=C_FLAGS + ["-fPIC"])
        self.compiler.link_shared_object(
            objects, str(libdir / "libfastact.so"), libraries=["m"],
            extra_postargs=["-Wl,-soname,libfastact.so", *LINK_FLAGS])
        shutil.copytree(C_DIR / "include" / "fastact", pkg / "include" / "fastact", dirs_exist_ok=True)
        for ext in self.extensions:
            ext.library_dirs.append(str(libdir))
        super().build_extensions()


if not sys.platform.startswith("linux"):
    sys.exit("fastact currently builds on Linux only (gcc or clang)")

ext = Extension(
    "fastact.backends.native",
    ["fastact/backends/native.pyx"],
    include_dirs=[numpy.get_include(), str(C_DIR / "include")],
    libraries=["fastact"],
    runtime_library_dirs=["$ORIGIN/../_lib"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O2", "-g0"],
    extra_link_args=LINK_FLAGS,
)

setup(ext_modules=cythonize([ext], compiler_directives={"language_level": 3}),
      cmdclass={"build_ext": BuildExt})
