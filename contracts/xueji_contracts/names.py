"""The platform's name normalisation (DOMAIN §2, decided) and the keyed hash a name is found by.

Dedup keys records by the normalised name and gives each member brief ``name_key``; the
workflow hashes a searched name the same way. Both use this code, so a name written two
ways (full-width letters, inner spaces, another middle dot) is one name for both.
"""

import hmac
import unicodedata

MIDDLE_DOTS = "·•・‧∙⋅･"
CANONICAL_MIDDLE_DOT = "·"

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


def name_key(key: bytes, name: str) -> str:
    """HMAC-SHA256 of the normalised name under the search key dedup and the workflow share."""
    if not key:
        raise ValueError("name_key needs a non-empty search key")
    return hmac.new(key, normalise_name(name).encode("utf-8"), "sha256").hexdigest()
