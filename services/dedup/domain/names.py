"""Name normalisation for the name + gender + birth-date key (DOMAIN §2, decided)."""

import unicodedata

from .decisions import CANONICAL_MIDDLE_DOT, MIDDLE_DOTS

_DOTS = str.maketrans(dict.fromkeys(MIDDLE_DOTS, CANONICAL_MIDDLE_DOT))


def normalise_name(name: str) -> str:
    """NFKC (full-width → half-width), no white space anywhere, one middle dot."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(text.split())
    return text.translate(_DOTS).upper()
