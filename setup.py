"""Build the compiled core.

Build modes (one switch each, read from the environment at build time):
  FASTORDER_DEBUG=1     bounds/ownership asserts, -O0 -g  (the debug build)
  FASTORDER_ANNOTATE=1  also write Cython's HTML annotation next to each .pyx (never committed)
  FASTORDER_SANITIZE=1  build with -fsanitize=address,undefined (run under LD_PRELOAD=libasan)
The default is the release build: -O2, no Cython bounds/wraparound checks in modules that index raw buffers.
"""

import glob
import os
import shutil
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

DEBUG = os.environ.get("FASTORDER_DEBUG", "") not in ("", "0")
ANNOTATE = os.environ.get("FASTORDER_ANNOTATE", "") not in ("", "0")
SANITIZE = os.environ.get("FASTORDER_SANITIZE", "") not in ("", "0")

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join("csrc")

# Compiler directives live here and only here.
directives = {
    "language_level": 3,
    "embedsignature": True,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "overflowcheck": DEBUG,
    "profile": False,
}

# No global -Wno-deprecated-declarations: the one deprecated OpenSSL use (SHA256_*) is silenced where it is
# called, in csrc/fo_sha256.h, which says why it stays.
extra_compile = ["-std=c11", "-Wall", "-Wno-unused-function", "-Wno-unreachable-code"]
extra_link: list[str] = []
macros = [("NPY_NO_DEPRECATED_API", "0")]
if DEBUG:
    extra_compile += ["-O0", "-g3"]
    macros.append(("FASTORDER_DEBUG", "1"))
else:
    extra_compile += ["-O2"]
    macros.append(("FASTORDER_DEBUG", "0"))
if SANITIZE:
    extra_compile += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
    extra_link += ["-fsanitize=address,undefined"]
if sys.platform == "darwin":
    extra_compile.remove("-Wno-unreachable-code")


def ext(name: str, *, libraries: list[str] | None = None) -> Extension:
    path = name.replace(".", "/") + ".pyx"
    return Extension(
        name,
        [path],
        include_dirs=[CSRC],
        define_macros=macros,
        libraries=libraries or [],
        extra_compile_args=extra_compile,
        extra_link_args=extra_link,
        depends=[os.path.join(CSRC, f) for f in os.listdir(os.path.join(HERE, CSRC)) if f.endswith(".h")],
    )


def discover() -> list[str]:
    """Every .pyx under fastorder/ is one extension module (fastorder/_core/buffer.pyx -> fastorder._core.buffer)."""
    names = []
    for root, _dirs, files in os.walk(os.path.join(HERE, "fastorder")):
        for f in sorted(files):
            if f.endswith(".pyx"):
                rel = os.path.relpath(os.path.join(root, f[:-4]), HERE)
                names.append(rel.replace(os.sep, "."))
    if not names:
        # a wheel without its compiled core would install and then fail at import: refuse to build it
        raise SystemExit("setup.py: no .pyx files under fastorder/ (an sdist made without MANIFEST.in?)")
    return sorted(names)


# libcrypto: HMAC uses OpenSSL's SHA-256 (SHA-NI/AVX2 code paths), the same library CPython's hashlib uses.
# No hand-written hash anywhere.
# libssl too for the compiled TLS path (the transport's link and its TLS settings); nothing else needs it.
TLS_MODULES = {"fastorder.transport.link", "fastorder.transport.tls"}
extensions = [ext(name, libraries=["ssl", "crypto"] if name in TLS_MODULES else ["crypto"]) for name in discover()]

class build_py_with_headers(build_py):
    """Ship csrc/*.h as fastorder/include/ so other Cython code can cimport the core's .pxd files
    (they name those headers); `fastorder.get_include()` returns that folder."""

    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "fastorder", "include")
        os.makedirs(dest, exist_ok=True)
        for header in glob.glob(os.path.join(HERE, CSRC, "*.h")):
            shutil.copy(header, dest)


setup(
    cmdclass={"build_py": build_py_with_headers},
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        annotate=ANNOTATE,
        nthreads=int(os.environ.get("FASTORDER_BUILD_JOBS", "0")) or 0,
    ),
    zip_safe=False,
)
