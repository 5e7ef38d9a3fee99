"""The building blocks of plan models: id, e-mail and time patterns, field types, the strict base model."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
# what a person should write instead, for each pattern (pydantic would print the regex)
PATTERN_HINTS = {
    ID_PATTERN: "not a valid id: use letters, digits, '_', '.' or '-' "
    "(at most 64, starting with a letter or digit)",
    CLIENT_ID_PATTERN: "not a valid client id: use lower-case letters, digits, '_' or '-' (at most 64)",
    EMAIL_PATTERN: "not a valid email address (expected name@example.com)",
    TIME_PATTERN: "not a valid time of day (expected HH:MM, 24-hour)",
}
Id = Annotated[str, Field(pattern=ID_PATTERN, description="identifier used in references")]
ClientId = Annotated[str, Field(pattern=CLIENT_ID_PATTERN, description="lower-case id, used in file paths")]
Number = Annotated[float, Field(allow_inf_nan=False)]  # .nan or .inf would make every comparison false
SECRET_OPTION = re.compile(
    r"(^|_)(pass|password|passwd|pwd)$|secret|token|api_?key|private_?key|credential", re.IGNORECASE
)
Text = Annotated[str, Field(min_length=1, max_length=5000)]
Op = Literal[">=", ">", "<=", "<", "=="]
Stage = Literal["discovery", "onboarding", "adoption", "value", "renewal", "expansion"]
Level = Literal["low", "medium", "high"]
Audience = Literal["executive", "operator"]
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Model(BaseModel):
    """Base of every plan element: unknown keys are errors because they are usually typos."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
