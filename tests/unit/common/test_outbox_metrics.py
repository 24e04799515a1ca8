"""An outbox entry carries when it was made; the age gauge counts only entries not yet published."""

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from pydantic import BaseModel

from services.common.metrics import observe_outbox
from services.common.outbox import entry

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Happened(BaseModel):
    event_id: str = "event-1"


def made(entry_id: str, minutes_ago: int | None) -> dict[str, str]:
    at = {} if minutes_ago is None else {"at": (NOW - timedelta(minutes=minutes_ago)).isoformat()}
    return {"id": entry_id, "topic": "t", "key": "k", "payload": "{}", **at}


def oldest(collection: str) -> float | None:
    return REGISTRY.get_sample_value("xueji_outbox_oldest_seconds", {"collection": collection})


def test_an_entry_records_when_it_was_made_in_utc() -> None:
    before = datetime.now(UTC)
    made_at = datetime.fromisoformat(entry("t", "k", Happened())["at"])
    assert made_at.tzinfo is not None
    assert before <= made_at <= datetime.now(UTC)


def test_the_age_is_that_of_the_oldest_entry_not_yet_published() -> None:
    found = [("a", 1, [made("published", 30), made("waiting", 5)]), ("b", 2, [made("from before", None)])]
    observe_outbox("cases", found, {"published"}, NOW)
    assert oldest("cases") == 300


def test_the_age_is_zero_when_nothing_waits() -> None:
    observe_outbox("evidence", [], set(), NOW)
    assert oldest("evidence") == 0
