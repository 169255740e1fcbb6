"""Say what happened when fastorder's compiled core cannot be imported, instead of a bare
"No module named fastorder._core.buffer".

The usual cause: Python is started in a checkout of the repository after `pip install .`; the current
directory comes first on sys.path, so the checkout's `fastorder/` (sources only, nothing compiled) shadows the
installed package.
"""

from __future__ import annotations

import os


def require_core(package_dir: str = os.path.dirname(os.path.abspath(__file__))) -> None:
    """Import one compiled module; on failure raise an ImportError naming the folder and the fix."""
    try:
        import fastorder._core.buffer  # noqa: F401  (any compiled module would do: they are built together)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("fastorder._core"):
            raise
        raise ImportError(missing_core_message(package_dir), name=exc.name) from exc


def missing_core_message(package_dir: str) -> str:
    package_dir = os.path.abspath(package_dir)
    root = os.path.dirname(package_dir)
    if os.path.isfile(os.path.join(root, "setup.py")) or os.path.isfile(os.path.join(root, "pyproject.toml")):
        return (f"fastorder was imported from the source tree {package_dir}, which has no compiled modules "
                f"(Python looks in the current directory before the installed package). Run Python from "
                f"another directory to use the installed fastorder, or build this tree in place with "
                f"`pip install -e .` (needs a C compiler and OpenSSL headers).")
    return (f"fastorder in {package_dir} has no compiled modules (fastorder._core). Reinstall it from a wheel: "
            f"`pip install --force-reinstall fastorder`.")


require_core()   # on import, first thing in fastorder/__init__.py
