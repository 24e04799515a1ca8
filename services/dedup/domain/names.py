"""Name normalisation for the name + gender + birth-date key (DOMAIN §2, decided)."""

import unicodedata

from .decisions import CANONICAL_MIDDLE_DOT, MIDDLE_DOTS

_DOTS = str.maketrans(dict.fromkeys(MIDDLE_DOTS, CANONICAL_MIDDLE_DOT))


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).translate(_DOTS).upper()


def normalise_name(name: str) -> str:
    """NFKC (full-width → half-width), no white space anywhere, one middle dot, upper case.

    Repeated to a fixed point: NFKC can turn a spacing accent into a space and a
    combining mark, which composes differently once the space is gone.
    """
    text = _normalise_once(name)
    for _ in range(3):
        again = _normalise_once(text)
        if again == text:
            break
        text = again
    return text
