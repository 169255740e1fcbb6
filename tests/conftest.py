"""Suite-wide set-up. Tests run against the installed package (pytest's importlib mode). Subprocesses the
tests start (`python -m fastorder.cli …`, `python -c …`) would put their working directory — the source
checkout — first on sys.path and import the uncompiled tree; PYTHONSAFEPATH (Python >= 3.11) stops that, and
the subprocess helpers also start them outside the checkout."""

import os

os.environ["PYTHONSAFEPATH"] = "1"
