"""What a batch was asked to do, and the checks that refuse a bad request before anything runs (exit 2)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from csnb.errors import ConfigError, InputError
from csnb.registry import executors as registry
from csnb.report.build import AUDIENCES
from csnb.run.engines import DEFAULT_ENGINE, engine_names

MAX_TIMEOUT = 24 * 3600.0  # seconds: a report running longer than a day is stuck, not slow
MAX_JOBS = 256  # parallel reports: each is a process with a kernel of its own


@dataclass(frozen=True)
class BatchOptions:
    """What ``csnb run --all/--due/--retry-failed`` was asked to do."""

    all: bool = False
    due: bool = False
    retry_failed: bool = False
    at: dt.datetime | None = None
    as_of: dt.date | None = None
    clients: tuple[str, ...] = ()
    audience: str = "operator"
    force: bool = False
    jobs: int | None = None
    timeout: float | None = None  # seconds per report, enforced by killing its worker
    executor: str = "local"
    address: str | None = None
    dry_run: bool = False
    static: bool = False
    store_url: str | None = None
    out_dir: Path | None = None
    engine: str = DEFAULT_ENGINE
    wait: bool = True  # when another batch runs in the project: wait for it (else BusyError, exit 2)
    cell_timeout: float | None = None  # seconds per cell, enforced by the engine as Jupyter's does
    out_url: str | None = None  # an fsspec URL (s3://..., file://...) reports are copied to
    pdf: bool = False  # also write each executive report as a one-page PDF


def check_timeout(timeout: float | None, option: str = "--timeout") -> None:
    """Refuse a timeout option that is not a number of seconds above 0 and at most a day."""
    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise ConfigError(
            f"{option}: must be a number of seconds above 0 and at most {MAX_TIMEOUT:g} (a day), "
            f"not {timeout:g}"
        )


def check_jobs(jobs: int | None) -> None:
    """Refuse a ``--jobs`` that is not a whole number from 1 to ``MAX_JOBS``."""
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise ConfigError(f"--jobs: must be a whole number from 1 to {MAX_JOBS}, not {jobs}")


def check_engine(engine: str) -> None:
    """Refuse an unknown ``--engine``."""
    if engine not in engine_names():
        raise InputError(f"--engine: must be one of {', '.join(engine_names())}, not {engine!r}")


def check_audience(audience: str) -> None:
    """Refuse an unknown ``--audience``."""
    if audience not in AUDIENCES:
        raise InputError(f"--audience: must be one of {', '.join(AUDIENCES)}, not {audience!r}")


def check_options(opts: BatchOptions) -> None:
    """Refuse a batch request that names no work, mixes exclusive options, or has a bad value."""
    if sum((opts.all, opts.due)) != 1 and not opts.retry_failed:
        raise ConfigError("choose what to run: --all, --due or --retry-failed")
    if opts.all and opts.due:
        raise ConfigError("--all and --due exclude each other")
    check_jobs(opts.jobs)
    check_timeout(opts.timeout)
    check_timeout(opts.cell_timeout, "--cell-timeout")
    if opts.at is not None and not opts.due:
        raise ConfigError("--at only applies to --due")
    check_audience(opts.audience)
    check_engine(opts.engine)
    registry.get(opts.executor)
    if opts.executor == "dask" and not opts.address:
        raise ConfigError("--executor dask needs --address tcp://HOST:PORT")
