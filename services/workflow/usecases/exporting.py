"""The export of the problem records in the caller's jurisdiction (DOMAIN §8: CSV and Excel).

The same groups as the listing with the same filters, one row per member, shown as the case
view shows it. The store is read in batches; a list longer than ``ROWS_MAX`` is refused
before anything is written (and if it grows past that while it is written, the writing stops).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from xueji_contracts.enums import ProblemType

from ..domain.case import Actor
from ..domain.errors import Invalid
from ..domain.export import COLUMNS, Row, export_rows
from ..domain.jurisdiction import visible_scope
from ..ports import Query
from .changing import Cases
from .reading import Wanted, listing_filters, wanted

ROWS_MAX = 100_000
BATCH = 500


class TooManyRows(Invalid):
    code = "export_too_large"


@dataclass(frozen=True)
class Export:
    columns: tuple[str, ...]
    batches: AsyncIterator[list[Row]]
    made_at: datetime


def too_many() -> TooManyRows:
    return TooManyRows(f"the export would hold more than {ROWS_MAX} rows: narrow the filters")


async def export_cases(cases: Cases, actor: Actor, *, problem_type: ProblemType | None = None,
                       status: Literal["open", "closed"] | None = None, opened_from: datetime | None = None,
                       opened_to: datetime | None = None, registry_number: str | None = None,
                       name: str | None = None) -> Export:
    """The members of the groups ``list_cases`` would list with these filters, as rows."""
    scope = visible_scope(actor)
    search = wanted(cases, registry_number, name)
    filters = listing_filters(problem_type, status, opened_from, opened_to, search)
    if await cases.store.count_members(scope, filters, ROWS_MAX + 1) > ROWS_MAX:
        raise too_many()
    return Export(COLUMNS, _rows(cases, actor, scope, filters, search), cases.clock())


async def _rows(cases: Cases, actor: Actor, scope: Query | None, filters: Query,
                search: Wanted | None) -> AsyncIterator[list[Row]]:
    written = 0
    async for batch in cases.store.batches(scope, filters, BATCH):
        found = [case for case in batch if search is None or search.found_in(case, actor)]
        rows = [row for case in found for row in export_rows(case, actor, cases.policy)]
        written += len(rows)
        if written > ROWS_MAX:
            raise too_many()
        yield rows
