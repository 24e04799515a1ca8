"""GB/T 2260 division codes: every code that appeared in a revision from 1980 on."""

from functools import cache
from importlib.resources import files

from .decisions import ACCEPT_ABOLISHED_REGION_CODES


@cache
def _codes() -> frozenset[str]:
    """The codes a number may start with: every code ever listed, or only those still listed."""
    table = files("services.dedup.domain.data").joinpath("gbt2260.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in table.splitlines()[1:] if line]
    if ACCEPT_ABOLISHED_REGION_CODES:
        return frozenset(row[0] for row in rows)
    latest = max(row[3] for row in rows)
    return frozenset(row[0] for row in rows if row[3] == latest)


def is_known_region(code: str) -> bool:
    """A code that may begin an ID number (abolished ones too, unless decided otherwise)."""
    return code in _codes()


def region_count() -> int:
    return len(_codes())
