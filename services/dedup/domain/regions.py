"""GB/T 2260 division codes: every code that appeared in a revision from 1980 on."""

from functools import cache
from importlib.resources import files


@cache
def _codes() -> frozenset[str]:
    table = files("services.dedup.domain.data").joinpath("gbt2260.tsv").read_text(encoding="utf-8")
    return frozenset(line.split("\t", 1)[0] for line in table.splitlines()[1:] if line)


def is_known_region(code: str) -> bool:
    """True for a current or abolished county-level (or higher) code."""
    return code in _codes()


def region_count() -> int:
    return len(_codes())
