"""Numbers, money, dates and plurals as a client reads them: one date format, a number format per metric.

Babel (already installed with JupyterLab) carries the locale data: thousands and decimal separators, the
currency sign and its place. Dates keep one format everywhere (``15 Oct 2026``), whatever the locale, so
a reader never sees two spellings of the same day.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, is_currency

DEFAULT_LOCALE = "en_GB"
DEFAULT_CURRENCY = "GBP"
DASH = "—"


@dataclass(frozen=True)
class NumberStyle:
    """How one metric's numbers read: its unit, decimals, whether it is a share or money, and the locale."""

    unit: str = ""
    decimals: int | None = None  # None: whole numbers from 100 up, one decimal below
    percent: bool = False  # the value is a share (0.53) shown as 53%
    currency: str | None = None  # the value is money in this ISO 4217 currency
    locale: str = DEFAULT_LOCALE


def check_locale(name: str) -> str:
    """``name`` when Babel knows the locale (``en_GB``, ``de_DE``), else a ``ValueError`` naming it."""
    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"unknown locale {name!r} (use a name such as en_GB or de_DE)") from None
    return name.replace("-", "_")


def check_currency(code: str) -> str:
    """``code`` in upper case when it is an ISO 4217 currency (``GBP``, ``EUR``), else a ``ValueError``."""
    if not isinstance(code, str) or not is_currency(code.upper()):
        raise ValueError(f"unknown currency {code!r} (use an ISO 4217 code such as GBP, EUR or USD)")
    return code.upper()


def missing(value: Any) -> bool:
    """True for None and NaN (pandas' and numpy's missing numbers)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pattern(value: float, decimals: int | None) -> str:
    if decimals is None:
        decimals = 0 if abs(value) >= 100 or float(value).is_integer() else 1
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _money_pattern(locale: str, digits: int) -> str:
    """The locale's own currency pattern (sign before or after, spacing) with ``digits`` decimals."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return re.sub(r"0\.0+|0(?=[^0#,.]*$)", "0" + ("." + "0" * digits if digits else ""), pattern, count=1)


def unit_text(unit: str, value: float) -> str:
    """The unit after a number: ``%`` sticks to it, a plural unit reads singular for exactly one."""
    if not unit:
        return ""
    if unit == "%":
        return "%"
    if value in (1, -1) and unit.endswith("s") and not unit.endswith("ss"):
        return " " + unit[:-1]
    return " " + unit


def number(value: Any, style: NumberStyle | None = None) -> str:
    """A value as the client reads it: ``527 minutes``, ``53%``, ``£2,000``; an em dash when missing."""
    style = style or NumberStyle()
    if missing(value):
        return DASH
    if not isinstance(value, (int, float)):
        return str(value)
    value = float(value)
    if style.currency:
        digits = style.decimals if style.decimals is not None else (0 if value.is_integer() else 2)
        pattern = _money_pattern(style.locale, digits)
        return format_currency(
            value, style.currency, format=pattern, locale=style.locale, currency_digits=False
        )
    if style.percent:
        shown = value * 100
        return format_decimal(shown, format=_pattern(shown, style.decimals), locale=style.locale) + "%"
    text = format_decimal(value, format=_pattern(value, style.decimals), locale=style.locale)
    return text + unit_text(style.unit, value)


def whole(value: float) -> int:
    """``value`` rounded half up, as people round (62.5 reads 63; Python's round gives 62)."""
    return math.floor(value + 0.5)


def money(value: Any, currency: str = DEFAULT_CURRENCY, locale: str = DEFAULT_LOCALE) -> str:
    """An amount of money in the project's currency and locale: ``£2,000``."""
    return number(value, NumberStyle(currency=currency, locale=locale))


def day(value: Any) -> str:
    """The one date format of every client page: ``15 Oct 2026`` (an em dash when missing)."""
    if missing(value):
        return DASH
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%-d %b %Y") if hasattr(value, "strftime") else str(value)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``5 days``, ``0 days``: the count and the word in the right number."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def days(count: int) -> str:
    """``1 day`` or ``5 days``."""
    return plural(int(count), "day")
