"""The csnb error hierarchy: every failure a user can act on is a ``CsnbError``."""

from __future__ import annotations

from dataclasses import dataclass


class CsnbError(Exception):
    """Base class of every error csnb raises on purpose; its message is for a person."""

    exit_code = 1

    def __reduce__(self):  # keep errors picklable across process pools and Dask workers
        return (type(self), self.args)


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in an input file, located by file, line, column and field path."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        parts = [p for p in (where, self.field) if p]
        return ": ".join(parts + [self.message])


class InputError(CsnbError):
    """Invalid input (plan, retro file, configuration): exit status 2."""

    exit_code = 2

    def __init__(self, issues: list[Issue] | tuple[Issue, ...] | str):
        if isinstance(issues, str):
            issues = [Issue(file="", line=0, column=0, field="", message=issues)]
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    def __reduce__(self):
        return (type(self), (list(self.issues),))


class PlanError(InputError):
    """A success plan failed to load or validate; carries every issue found."""


class ConfigError(InputError):
    """``csnb.toml`` or a command-line option is invalid."""


class SourceError(CsnbError):
    """Metric data could not be pulled; names client, metric and source, never a secret."""

    def __init__(self, message: str, *, client: str = "", metric: str = "", source: str = ""):
        self.client, self.metric, self.source = client, metric, source
        parts = [f"{k} {v}" for k, v in (("client", client), ("metric", metric), ("source", source)) if v]
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.detail = message

    def __reduce__(self):
        return (_rebuild_source_error, (self.detail, self.client, self.metric, self.source))


def _rebuild_source_error(message: str, client: str, metric: str, source: str) -> SourceError:
    return SourceError(message, client=client, metric=metric, source=source)


class RunError(CsnbError):
    """A report run failed; names the client and, when known, the failing cell."""

    def __init__(self, message: str, *, client: str = "", cell: int | None = None, notebook: str = ""):
        self.client, self.cell, self.notebook = client, cell, notebook
        self.detail = message
        super().__init__(message)

    def __reduce__(self):
        return (_rebuild_run_error, (self.detail, self.client, self.cell, self.notebook))


def _rebuild_run_error(message: str, client: str, cell: int | None, notebook: str) -> RunError:
    return RunError(message, client=client, cell=cell, notebook=notebook)


class OutputError(CsnbError):
    """A file could not be written (a read-only or full folder): names the path and the system's reason."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot write {self.path}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class StoreError(CsnbError):
    """The store cannot be opened: a bad URL, an unreachable server, or a file that is not a csnb store."""

    exit_code = 2


class BusyError(CsnbError):
    """Another batch holds the project's lock, and this one was asked not to wait: exit status 2."""

    exit_code = 2
