"""A plan's ``sources:`` entry: where its metric data comes from; secrets only through ``${ENV_VAR}``."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from csnb.plan.fields import (
    ENV_REF,
    SECRET_OPTION,
    Id,
    Model,
    OptLine,
)


class Source(Model):
    """Where metric data comes from; strings may reference ``${ENV_VAR}`` (secrets only through env)."""

    kind: Id = Field(description="registered source kind: sql, csv, parquet, ...")
    url: OptLine | None = Field(None, description="SQLAlchemy URL for sql sources")
    path: OptLine | None = Field(
        None, description="file path for csv/parquet, relative to the plan, inside the project folder"
    )
    columns: dict[Literal["client", "metric", "date", "value", "segment"], OptLine] = Field(
        default_factory=dict, description="tidy name -> column name in the source"
    )
    timeout: float = Field(30.0, gt=0, le=3600, description="seconds before a pull is abandoned")
    options: dict[OptLine, OptLine | int | float | bool] = Field(default_factory=dict)
    dedicated: bool = Field(
        False,
        description="the source holds only this client's data (say, a schema of its own): its queries "
        "need not bind :client even when another plan reads the same database",
    )

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, value: str | None) -> str | None:
        match = re.search(r"://[^:/@]*:([^@]*)@", value or "")
        query = re.search(r"[?&](?:password|passwd|pwd)=([^&]*)", value or "", re.IGNORECASE)
        for secret in (match.group(1) if match else "", query.group(1) if query else ""):
            if secret and not _env_only(secret):
                # say where the secret is, never what it is
                raise ValueError(
                    "the URL holds a password; put it in an environment variable and write ${VAR}"
                )
        return value

    @field_validator("path")
    @classmethod
    def _inside_the_project(cls, value: str | None) -> str | None:
        if value and (value.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", value)):
            raise ValueError(
                "an absolute path is refused: write the path relative to the plan file, inside the project "
                "folder (e.g. ../data/metrics.csv)"
            )
        return value

    @field_validator("url", "path")
    @classmethod
    def _well_formed_refs(cls, value: str | None) -> str | None:
        # "${VAR" or "${1X}" would otherwise be used literally and fail much later, at pull time
        if value and value.count("${") != len(ENV_REF.findall(value)):
            raise ValueError("malformed environment reference; write ${VAR_NAME} or ${VAR_NAME:-default}")
        return value

    @field_validator("options")
    @classmethod
    def _no_inline_secret(
        cls, value: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        for key, option in value.items():
            if SECRET_OPTION.search(key) and not (isinstance(option, str) and _env_only(option)):
                raise ValueError(
                    f"option {key!r} looks like a secret; put it in an environment variable and "
                    "write ${VAR}"
                )
        return value

    def env_refs(self) -> list[tuple[str, str, bool]]:
        """(field, variable, has_default) for every ``${VAR}`` this source references."""
        refs = []
        for name in ("url", "path"):
            for m in ENV_REF.finditer(getattr(self, name) or ""):
                refs.append((name, m.group(1), m.group(2) is not None))
        return refs


def _env_only(text: str) -> bool:
    """True when ``text`` is exactly one ``${VAR}`` with no default (a default would be a secret)."""
    match = ENV_REF.fullmatch(text)
    return bool(match) and match.group(2) is None
