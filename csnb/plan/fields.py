"""The building blocks of plan models: id, e-mail and time patterns, field types, the strict base model."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s<>\"',;\x00-\x1f\x7f]+@[^@\s<>\"',;\x00-\x1f\x7f]+\.[^@\s<>\"',;\x00-\x1f\x7f]+$"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
DOMAIN_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$"
# what a person should write instead, for each pattern (pydantic would print the regex)
PATTERN_HINTS = {
    ID_PATTERN: "not a valid id: use letters, digits, '_', '.' or '-' "
    "(at most 64, starting with a letter or digit)",
    CLIENT_ID_PATTERN: "not a valid client id: use lower-case letters, digits, '_' or '-' (at most 64)",
    EMAIL_PATTERN: "not a valid email address (expected name@example.com)",
    TIME_PATTERN: "not a valid time of day (expected HH:MM, 24-hour)",
    DOMAIN_PATTERN: "not a valid e-mail domain (expected a lower-case name such as example.com, no '@')",
}
# The dates a plan may name: wide enough for any history, narrow enough that adding a year, a
# review window or a chart margin never leaves what dates, pandas and every database can hold.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = frozenset("\n\t")  # what multi-line text keeps
CONTROL_NAMES = {"\0": "NUL", "\a": "BELL", "\b": "BACKSPACE", "\t": "TAB", "\n": "LINE FEED"}
CONTROL_NAMES |= {"\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE"}


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x00``), so printing it is safe."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _control_message(value: str, allowed: frozenset[str]) -> str | None:
    for found in _CONTROL.finditer(value):
        char = found.group()
        if char not in allowed:
            name = unicodedata.name(char, "") or CONTROL_NAMES.get(char, "control")
            where = "a line break" if char in "\n\r\u2028\u2029" else "a control character"
            return f"contains {where} (U+{ord(char):04X} {name}) at position {found.start() + 1}; remove it"
    return None


def one_line(value: str) -> str:
    """Refuse control characters and line breaks: names reach e-mail subjects and calendar entries."""
    problem = _control_message(value, frozenset())
    if problem:
        raise ValueError(problem)
    return value


def plain_text(value: str) -> str:
    """Refuse control characters other than line feed and tab."""
    problem = _control_message(value, _BREAKS)
    if problem:
        raise ValueError(problem)
    return value


def plan_date(value: dt.date) -> dt.date:
    """Refuse dates outside ``FIRST_DATE``..``LAST_DATE``."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(
            f"{value.isoformat()} is outside the dates a plan may name ({FIRST_DATE} to {LAST_DATE})"
        )
    return value


Id = Annotated[str, Field(pattern=ID_PATTERN, description="identifier used in references")]
ClientId = Annotated[str, Field(pattern=CLIENT_ID_PATTERN, description="lower-case id, used in file paths")]
Domain = Annotated[
    str, Field(max_length=253, pattern=DOMAIN_PATTERN, description="an e-mail domain such as example.com")
]
# .nan or .inf would make every comparison false; beyond 1e15 differences of values lose their units
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
Date = Annotated[dt.date, AfterValidator(plan_date)]
SECRET_OPTION = re.compile(
    r"(^|_)(pass|password|passwd|pwd)$|secret|token|api_?key|private_?key|credential", re.IGNORECASE
)
# One line of text (a name, a title, a role): no control characters, no line breaks.
Line = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(one_line)]
OptLine = Annotated[str, Field(max_length=5000), AfterValidator(one_line)]
# Text that may run over lines (a description, an agenda, a rationale): no control characters.
Text = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(plain_text)]
Prose = Annotated[str, AfterValidator(plain_text)]
Op = Literal[">=", ">", "<=", "<", "=="]
Stage = Literal["discovery", "onboarding", "adoption", "value", "renewal", "expansion"]
Level = Literal["low", "medium", "high"]
Audience = Literal["executive", "operator"]
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Model(BaseModel):
    """Base of every plan element: unknown keys are errors because they are usually typos."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
