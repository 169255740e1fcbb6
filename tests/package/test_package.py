"""The installed package: stubs for every compiled module, no generated C shipped, and the core's .pxd
files usable from someone else's Cython code."""

from __future__ import annotations

import importlib.machinery
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import fastorder

PKG = pathlib.Path(fastorder.__file__).parent
INSTALLED = "site-packages" in str(PKG)
EXT = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def compiled_modules() -> list[pathlib.Path]:
    return sorted(p for p in PKG.rglob("*") if p.name.endswith(EXT))


def test_core_is_compiled():
    names = {p.name.split(".")[0] for p in compiled_modules() if p.parent.name == "_core"}
    assert {"buffer", "numbers", "sign", "ids", "wire", "binance", "okx", "htx"} <= names


def test_every_compiled_module_has_a_stub_and_the_package_is_typed():
    assert (PKG / "py.typed").is_file()
    missing = [str(p) for p in compiled_modules() if not (p.parent / (p.name.split(".")[0] + ".pyi")).is_file()]
    assert not missing, f"compiled modules without a .pyi: {missing}"


@pytest.mark.skipif(not INSTALLED, reason="checks the installed wheel, not a development tree")
def test_no_generated_or_source_files_are_shipped():
    shipped = [p for p in PKG.rglob("*") if p.suffix in (".c", ".cpp", ".html", ".pyx")]
    assert not shipped, shipped
    assert (PKG / "include" / "fo_core.h").is_file()


def test_core_pxd_can_be_cimported(tmp_path):
    pytest.importorskip("Cython")
    (tmp_path / "user_ext.pyx").write_text(textwrap.dedent("""
        from fastorder._core.buffer cimport WriteBuffer
        from fastorder._core.numbers cimport parse_number, put_dec
        from fastorder._core.csrc cimport fo_dec

        def price_text(value):
            cdef WriteBuffer b = WriteBuffer()
            cdef fo_dec d
            parse_number(value, &d, "price")
            b.put(b"px=", 3)
            put_dec(b, &d, 2)
            return b.getvalue()
    """))
    (tmp_path / "setup.py").write_text(textwrap.dedent("""
        from setuptools import Extension, setup
        from Cython.Build import cythonize
        import fastorder, os
        site = os.path.dirname(os.path.dirname(fastorder.__file__))
        setup(ext_modules=cythonize(
            [Extension("user_ext", ["user_ext.pyx"], include_dirs=[fastorder.get_include()])],
            include_path=[site], language_level=3, quiet=True))
    """))
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import user_ext; "
                          "print(user_ext.price_text('52000'))"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "b'px=52000.00'", run.stderr


def test_ruff_clean():
    """The whole tree passes ruff with the project's configuration."""
    ruff = pytest.importorskip("ruff")
    root = pathlib.Path(__file__).resolve().parents[2]
    exe = pathlib.Path(ruff.__file__).parent / "__main__.py"
    res = subprocess.run([sys.executable, str(exe), "check", str(root)], capture_output=True, text=True,
                         cwd=root, timeout=120)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_an_unbuilt_source_tree_says_what_happened_and_what_to_do(tmp_path):
    # the checkout-root case: `pip install .`, then `python -c "import fastorder"` in the checkout, whose
    # fastorder/ (sources only) comes first on sys.path. Rebuild that situation from the package's .py files.
    for src in PKG.rglob("*.py"):
        dest = tmp_path / "fastorder" / src.relative_to(PKG)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'fastorder'\n")
    # as a user runs it: the current directory on sys.path (the suite sets PYTHONSAFEPATH for its own runs)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    # -S: no site-packages, so an editable install's import hook cannot supply the compiled modules either
    r = subprocess.run([sys.executable, "-S", "-c", "import fastorder"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: fastorder was imported from the source tree"), r.stderr
    assert str(tmp_path / "fastorder") in last and "another directory" in last and "pip install -e ." in last


def test_the_version_has_one_source():
    import importlib.metadata

    # pyproject.toml reads the version from fastorder/__init__.py; the installed metadata must agree
    assert importlib.metadata.version("fastorder") == fastorder.__version__
    assert fastorder.__version__.count(".") == 2
