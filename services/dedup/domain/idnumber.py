"""Resident ID numbers (GB 11643-1999): normalisation, 15→18 conversion, local checks."""

import re
import unicodedata
from datetime import date
from operator import mul

from .regions import is_known_region

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")
_FIFTEEN = re.compile(r"^\d{15}$")


class NotAnIdNumber(ValueError):
    """The text cannot be an ID number in any form (reason ``format``)."""


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits (exactly 17)."""
    if len(first17) != len(WEIGHTS):
        raise ValueError("a check digit is of 17 digits")
    return CHECK_CHARS[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


def upgrade_fifteen(number: str) -> str:
    """A legacy 15-digit number as 18 digits: insert the century ``19`` and a check digit."""
    body = number[:6] + "19" + number[6:]
    return body + check_digit(body)


def normalise_id_number(raw: str) -> str:
    """Upper-case X, no spaces (full-width too), 15 digits converted to 18."""
    text = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    if _FIFTEEN.match(text):
        return upgrade_fifteen(text)
    if _EIGHTEEN.match(text):
        return text
    raise NotAnIdNumber("not 15 or 18 characters of digits (and a final X)")


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender_of(number: str) -> int:
    """1 (male) when the 17th digit is odd, else 2 (female)."""
    return 1 if int(number[16]) % 2 else 2


def plausible_birth_date(number: str, today: date) -> date | None:
    """The birth date a number encodes, when it is a possible one (a real day, 1900 to today)."""
    born = birth_date_of(number)
    return born if born is not None and born.year >= 1900 and born <= today else None


def number_reasons(number: str, today: date) -> tuple[str, ...]:
    """Reasons a normalised 18-digit number fails on its own: check digit, region, birth date."""
    reasons: list[str] = []
    if check_digit(number[:17]) != number[17]:
        reasons.append("check_digit")
    if not is_known_region(number[:6]):
        reasons.append("region")
    if plausible_birth_date(number, today) is None:
        reasons.append("birth_date")
    return tuple(reasons)


def mismatches(number_birth: date | None, number_gender: int | None, recorded_gender: int,
               recorded_birth: date) -> tuple[str, ...]:
    """Where a number disagrees with the record it is on: the birth date it encodes (None: not a
    possible one, already a reason of its own) and its gender digit (None: no number)."""
    reasons: list[str] = []
    if number_birth is not None and number_birth != recorded_birth:
        reasons.append("birth_date_mismatch")
    if number_gender is not None and number_gender != recorded_gender:
        reasons.append("gender_mismatch")
    return tuple(reasons)


def local_check(number: str, recorded_gender: int, recorded_birth: date, today: date) -> tuple[str, ...]:
    """Reasons a normalised 18-digit number fails the local check (empty: it passes)."""
    return number_reasons(number, today) + mismatches(
        plausible_birth_date(number, today), gender_of(number), recorded_gender, recorded_birth)


def check_id_number(raw: str, today: date) -> tuple[str | None, tuple[str, ...]]:
    """(normalised number or None, the reasons it fails on its own). ``format`` when it cannot be
    normalised."""
    try:
        number = normalise_id_number(raw)
    except NotAnIdNumber:
        return None, ("format",)
    return number, number_reasons(number, today)


def check_raw_id_number(raw: str, recorded_gender: int, recorded_birth: date,
                        today: date) -> tuple[str | None, tuple[str, ...]]:
    """(normalised number or None, reasons). ``format`` when it cannot be normalised."""
    number, reasons = check_id_number(raw, today)
    if number is None:
        return None, reasons
    return number, reasons + mismatches(plausible_birth_date(number, today), gender_of(number),
                                        recorded_gender, recorded_birth)
