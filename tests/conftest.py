"""Suite-wide set-up. Tests run against the installed package (pytest's importlib mode). Subprocesses the
tests start (`python -m fastorder.cli …`, `python -c …`) would put their working directory — the source
checkout — first on sys.path and import the uncompiled tree; PYTHONSAFEPATH (Python >= 3.11) stops that, and
the subprocess helpers also start them outside the checkout."""

import os
import sys

os.environ["PYTHONSAFEPATH"] = "1"
sys.path.insert(0, os.path.dirname(__file__))  # importlib mode: make the suite's helpers (numtypes) importable

# Property tests: on CI (the CI environment variable set) the same examples every run, so a run is
# reproducible and cannot fail on a new random draw; locally they explore new examples each run (where the
# differential parser tests have found real divergences from llhttp).
try:
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
