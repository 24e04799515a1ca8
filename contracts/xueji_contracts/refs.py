"""How a member is shown where its identity may not go (DOMAIN §8): masked values, and the opaque
reference a member travels under where its registry number may not.

A G registry number is ``G`` + the full ID number, so outside the member's own province (and
in object stores) a member is named by ``member_ref``: a keyed hash of its registry number,
stable across events so a province system can follow one member of another province.
"""

import hmac

from .names import normalise_name

PREFIX = "m"


def member_ref(key: bytes, registry_number: str) -> str:
    """``m`` + 32 hex digits of HMAC-SHA256(key, registry number)."""
    if not key:
        raise ValueError("member_ref needs a non-empty key")
    digest = hmac.new(key, registry_number.upper().encode(), "sha256").hexdigest()
    return PREFIX + digest[:32]


def mask_registry_number(registry_number: str) -> str:
    """A G number masked as its ID number is (``G110***********23X``); J and L numbers carry no
    ID number and stay as they are."""
    if not registry_number.startswith("G"):
        return registry_number
    return registry_number[:4] + "*" * (len(registry_number) - 7) + registry_number[-3:]


def mask_name(name: str, keep: int = 1) -> str:
    """The surname (first ``keep`` characters of the normalised name), then asterisks."""
    text = normalise_name(name)
    return text[:keep] + "*" * max(len(text) - keep, 1)


def mask_id_number(number: str, keep_start: int = 3, keep_end: int = 2) -> str:
    """First 3 and last 2 characters shown (``110*************7X``)."""
    if len(number) <= keep_start + keep_end:
        return "*" * len(number)
    return number[:keep_start] + "*" * (len(number) - keep_start - keep_end) + number[-keep_end:]
