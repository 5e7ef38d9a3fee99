"""Project configuration from ``csnb.toml``: store URL, time zone, branding, paths."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csnb.errors import ConfigError, Issue
from csnb.project.layout import ReportsFolder

CONFIG_FILE = "csnb.toml"


@dataclass(frozen=True)
class Branding:
    """How reports look: provider name, accent colour and an optional logo."""

    provider: str = "Customer Success"
    accent: str = "#1f5f8b"
    logo: str | None = None


@dataclass(frozen=True)
class ReportStyle:
    """How client pages write money and numbers: an ISO 4217 currency and a locale (``[report]``)."""

    currency: str = "GBP"
    locale: str = "en_GB"


def _report_style(table: Any, path: Path) -> ReportStyle:
    """``[report]`` of csnb.toml, each value checked against Babel's locale data.

    Babel is imported only for a value other than the default: it takes a third of a second, and every
    command reads this file.
    """
    table = table if isinstance(table, dict) else {}
    default = ReportStyle()
    currency, locale = table.get("currency", default.currency), table.get("locale", default.locale)
    if not isinstance(currency, str) or not isinstance(locale, str):
        raise ConfigError([Issue(str(path), 0, 0, "report", 'currency and locale are text, such as "GBP"')])
    style = ReportStyle(currency=currency.upper(), locale=locale.replace("-", "_"))
    if style == default:
        return style
    from babel.core import Locale, UnknownLocaleError
    from babel.numbers import is_currency

    if not is_currency(style.currency):
        message = f"unknown currency {currency!r} (use an ISO 4217 code: GBP, EUR, USD, ...)"
        raise ConfigError([Issue(str(path), 0, 0, "report.currency", message)])
    try:
        Locale.parse(style.locale)
    except (UnknownLocaleError, ValueError):
        message = f"unknown locale {locale!r} (use a name such as en_GB, en_US or de_DE)"
        raise ConfigError([Issue(str(path), 0, 0, "report.locale", message)]) from None
    return style


@dataclass(frozen=True)
class Config:
    """Settings of one csnb project folder."""

    root: Path
    timezone: str = "UTC"
    store: str | None = None
    as_of: dt.date | None = None  # pins "today" (the demo uses it so its statuses never drift)
    branding: Branding = field(default_factory=Branding)
    report: ReportStyle = field(default_factory=ReportStyle)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> Path:
        """Folder of the plans."""
        return self.root / "parameters"

    @property
    def reports(self) -> Path:
        """Folder the reports are written to."""
        return self.root / "reports"

    @property
    def layout(self) -> ReportsFolder:
        """Every path under the reports folder."""
        return ReportsFolder(self.reports)

    @property
    def notebooks(self) -> Path:
        """Folder of the project's notebooks."""
        return self.root / "notebooks"

    @property
    def store_url(self) -> str:
        """SQLAlchemy URL of the store (default: SQLite file in ``.csnb/``)."""
        return self.store or f"sqlite:///{self.root / '.csnb' / 'store.db'}"

    def today(self, plan: Any = None) -> dt.date:
        """The pinned date, else today in the plan's time zone (csnb.toml's when the plan names none)."""
        from csnb.project.clock import today

        return today(self, plan)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``csnb.toml`` or ``parameters/``; else ``start``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / "parameters").is_dir():
            return folder
    return start


def load_config(root: Path | None = None) -> Config:
    """Read ``csnb.toml`` of the project at ``root`` (defaults when absent)."""
    root = find_root(root)
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(root=root)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue(str(path), 0, 0, "", f"invalid TOML: {exc}")]) from None
    project = data.get("project", {})
    brand = data.get("branding", {})
    known_brand = {k: brand[k] for k in ("provider", "accent", "logo") if k in brand}
    as_of = project.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError([Issue(str(path), 0, 0, "project.as_of", f"not a date: {as_of!r}")]) from None
    return Config(
        root=root,
        timezone=project.get("timezone", "UTC"),
        store=data.get("store", {}).get("url"),
        as_of=as_of,
        branding=Branding(**known_brand),
        report=_report_style(data.get("report"), path),
        extra=data,
    )
