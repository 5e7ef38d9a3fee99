"""A report's deadline, from the batch that enforces it to the code that runs the report's queries.

``csnb run --timeout`` stops an overrunning report by killing its worker process, and a killed client
does not stop the query it left on a database server: PostgreSQL and MariaDB run it to the end. So
the batch also hands the deadline down, as a Unix time in the ``CSNB_DEADLINE`` environment variable
(the kernel that runs the report's cells inherits it), and a SQL source limits each query on the
server to the time left: the server cancels it when the report is stopped.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

DEADLINE_ENV = "CSNB_DEADLINE"


def time_left() -> float | None:
    """Seconds until this report's deadline (negative once it has passed), or None when it has none."""
    value = os.environ.get(DEADLINE_ENV)
    if not value:
        return None
    try:
        return float(value) - time.time()
    except ValueError:
        return None


@contextlib.contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Within the block, processes started from here (a kernel) see the deadline ``at`` (a Unix time)."""
    if at is None:
        yield
        return
    saved = os.environ.get(DEADLINE_ENV)
    os.environ[DEADLINE_ENV] = repr(at)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(DEADLINE_ENV, None)
        else:
            os.environ[DEADLINE_ENV] = saved
