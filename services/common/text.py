"""Free text people type (an opinion, a reason): what a person types is accepted, Chinese
punctuation and line breaks included; control characters and bidirectional overrides are refused
(HTTP 422 naming the character), so nobody else is shown text that hides or reorders itself."""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

ALLOWED_CONTROLS = frozenset("\n\r\t")
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def refuse_controls(text: str) -> str:
    """The text as typed, or ValueError naming the first character nobody types."""
    for char in text:
        invisible = unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and char not in ALLOWED_CONTROLS
        if invisible or char in BIDI_CONTROLS:
            name = unicodedata.name(char, "a control character")
            raise ValueError(f"U+{ord(char):04X} ({name}) is not allowed in text: remove it and send again")
    return text


# an opinion or a reason: at most 2 000 characters (a reason at least one)
Opinion = Annotated[str, StringConstraints(max_length=2000), AfterValidator(refuse_controls)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(refuse_controls)]
