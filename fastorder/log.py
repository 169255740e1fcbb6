"""fastorder's logger: ``logging.getLogger("fastorder")``.

Silent below WARNING by default: the library adds no handler and sets no level, so until the application
configures logging, the logger inherits the root logger's WARNING level and only warnings and errors reach
Python's last-resort handler (stderr). Turn the rest on with, e.g.,
``logging.getLogger("fastorder").setLevel(logging.INFO)`` and a handler of your own.

What is logged: connections lost, reopened, rotated and failing to reopen (WARNING/INFO); address re-probes
and moves (INFO/DEBUG); clock re-syncs (DEBUG periodic, INFO after a rejected timestamp); every exception the
library catches and does not raise (at the level its consequence deserves); orders whose outcome had to be
settled by a query (INFO). Messages name venues, hosts and error types, never a key, secret or signature.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("fastorder")

__all__ = ["logger"]
