"""The AsyncAPI document names each topic's consumers from the subscribers the services register."""

from xueji_contracts import spec
from xueji_contracts.topics import (
    CASES_TEMPLATE,
    REGISTRATIONS,
    case_topic,
    case_topics,
    consumers_of,
    service_consumers,
)

from services.cli.consumers import rendered
from services.cli.consumers import service_consumers as from_subscribers


def test_the_committed_consumer_map_is_what_the_subscribers_say() -> None:
    assert service_consumers() == {topic: tuple(s) for topic, s in from_subscribers().items()}
    assert spec.SCHEMA_DIR.parent.joinpath("consumers.json").read_text(encoding="utf-8") == rendered()


def test_case_topics_are_consumed_by_evidence_and_notify_and_the_provinces() -> None:
    assert service_consumers()[CASES_TEMPLATE] == ("evidence", "notify")
    province_topic = next(t for t in case_topics() if t.name == case_topic("440000"))
    assert consumers_of(province_topic) == ("evidence", "notify", "the province's subscriber")


def test_the_asyncapi_document_lists_the_real_consumers() -> None:
    operations = spec.asyncapi_document()["operations"]
    assert operations["receive-xueji-cases-province-v2"]["summary"] == (
        "Consumed by evidence, notify, the province's subscriber.")
    assert operations[f"receive-{REGISTRATIONS.replace('.', '-')}"]["summary"] == "Consumed by dedup."
