"""The base of every metric source: environment references, secret redaction, open/fetch/close."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote, quote_plus

from csnb.errors import SourceError
from csnb.plan.fields import ENV_REF

if TYPE_CHECKING:
    import pandas as pd

    from csnb.plan.datasource import Source as SourceSpec
    from csnb.plan.models import Metric, Plan

REDACTED = "***"
# Shorter values are not secrets, and masking them would garble every message they occur in.
_MIN_SECRET = 3


class Redactor:
    """Remembers secret strings and masks them in any message."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (and its URL-encoded form) so it never appears in a message."""
        if secret and len(secret) >= _MIN_SECRET:
            self._secrets.update({secret, quote(secret, safe=""), quote_plus(secret)})

    def __call__(self, message: str) -> str:
        """``message`` with every remembered secret replaced by ``***``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            message = message.replace(secret, REDACTED)
        return message


def resolve_env(text: str, env: Mapping[str, str], redactor: Redactor) -> str:
    """``text`` with ``${VAR}`` and ``${VAR:-default}`` replaced from ``env``; the values become secrets."""

    def substitute(match) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise SourceError(f"environment variable {name} is not set; set it before the pull")
            return default
        redactor.add(value)
        return value

    return ENV_REF.sub(substitute, text)


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message, shortened: driver messages can run to pages."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MetricSource:
    """Pulls the metrics of one plan source: ``open`` once per pull, ``fetch`` per metric, ``close`` last.

    A subclass sets ``kind`` and implements ``fetch``; it raises ``SourceError`` with a message a
    person can act on. Messages pass through ``redact`` before anyone sees them.
    """

    kind: ClassVar[str] = ""
    # Whether error messages may quote the source's values: a file could be any file, so file sources
    # never quote what they read (a path pointed at a secret must not print it).
    quotes_data: ClassVar[bool] = True

    def __init__(self, name: str, spec: SourceSpec, plan: Plan, env: Mapping[str, str] | None = None):
        self.name, self.spec, self.plan = name, spec, plan
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.redact = Redactor()

    def resolve(self, text: str) -> str:
        """``text`` with its environment references resolved (at use time, never stored in the plan)."""
        return resolve_env(text, self.env, self.redact)

    def plan_folder(self) -> Path:
        """The folder relative paths are read from: the plan file's folder, else the working folder."""
        return self.plan.path.parent if self.plan.path is not None else Path.cwd()

    def project_folder(self) -> Path:
        """The project folder: the parent of the plans folder (``parameters/``), else the plan's folder."""
        folder = self.plan_folder()
        return folder.parent if folder.name == "parameters" else folder

    def series(self, metric: Metric) -> str:
        """The metric's name in the source: its ``series``, else its id."""
        return metric.series or metric.id

    def files(self) -> list[Path]:
        """The local files this source reads (a worker without the project folder gets them with its job).

        None for a source on a server: a worker reaches the server itself, with its own credentials.
        """
        return []

    def open(self) -> None:
        """Acquire what every metric of this source shares (a connection, a file's rows)."""

    def close(self) -> None:
        """Release what ``open`` acquired; safe to call when ``open`` failed."""

    def fetch(self, metric: Metric, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Raw rows of one metric with columns ``date``, ``value`` and optionally ``segment``."""
        raise NotImplementedError

    def describe(self, exc: Exception) -> str:
        """A short message for an unexpected exception; subclasses translate their drivers' errors."""
        return f"{type(exc).__name__}: {first_line(exc)}"

    def __enter__(self) -> MetricSource:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
