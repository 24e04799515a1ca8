"""Every single-record subscriber of every service parks poison by itself (real broker, each service
as it runs): invalid JSON, JSON nested 50 000 deep, the wrong schema, a header that is not UTF-8.
Each bad record is dead-lettered once, with its origin and reason, never dropped in silence."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from xueji_contracts.topics import DEAD_LETTERS, EVIDENCE, PROBLEMS, case_topic

from services.common import deadletter
from services.common.reading import collect
from services.common.settings import ServiceSettings
from services.evidence import main as evidence_main
from services.evidence.settings import EvidenceSettings
from services.notify import main as notify_main
from services.notify.settings import NotifySettings
from services.workflow import main as workflow_main
from services.workflow.settings import WorkflowSettings

from ..consumer_groups import groups_of, start_at_end

pytestmark = pytest.mark.integration

POISON: dict[str, tuple[bytes, list[tuple[str, bytes]]]] = {
    "invalid_json": (b"{not json", []),
    "deep": (b"[" * 50_000 + b"]" * 50_000, []),
    "wrong_schema": (b'{"event_type": "case.group_opened", "producer": "x"}', []),
    "bad_header": (b'{"event_type": "problem.cleared"}', [("trace", b"\xff\xfe")]),
}


def apps(unique: str, home: Path) -> dict[str, tuple[str, Callable[[], FastAPI], tuple[str, ...]]]:
    """Each service with a consumer group and a database of its own, and the topics to poison."""
    common: dict[str, Any] = {"MONGO_DATABASE": f"poison_{unique}"}
    return {
        "workflow": (f"wf-{unique}", lambda: workflow_main.create_app(
            WorkflowSettings(**common, CONSUMER_GROUP=f"wf-{unique}")), (PROBLEMS, EVIDENCE)),
        "evidence": (f"ev-{unique}", lambda: evidence_main.create_app(
            EvidenceSettings(**common, CONSUMER_GROUP=f"ev-{unique}", BUCKET_PREFIX=f"poison-{unique}")),
            (case_topic("110000"),)),
        "notify": (f"nt-{unique}", lambda: notify_main.create_app(
            NotifySettings(**common, CONSUMER_GROUP=f"nt-{unique}", PROVINCE_CODES=("110000",))),
            (case_topic("110000"),)),
    }


@pytest.mark.parametrize("service", ["workflow", "evidence", "notify"])
async def test_each_services_subscribers_park_poison_alone(service: str, tmp_path: Path) -> None:
    unique = uuid4().hex[:8]
    group, create, poisoned = apps(unique, tmp_path)[service]
    await start_at_end(groups_of(service, group))
    app = create()
    marker = f"{service}-{unique}".encode()
    async with app.router.lifespan_context(app):
        producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP,
                                    max_request_size=2_000_000)
        await producer.start()
        try:
            for topic in poisoned:
                for kind, (body, headers) in POISON.items():
                    labels = [("x-test", marker), ("x-kind", kind.encode())]
                    await producer.send_and_wait(topic, body, key=kind.encode(), headers=[*labels, *headers])
        finally:
            await producer.stop()

        def ours(dl: Any) -> Any:
            headers = dict(dl.headers)
            name = f"xueji-{service}".encode()
            if headers.get("x-test") != marker or headers.get(deadletter.SERVICE) != name:
                return None
            origin, kind = headers[deadletter.SOURCE_TOPIC].decode(), headers["x-kind"].decode()
            return origin, kind, headers[deadletter.ERROR]

        expected = len(poisoned) * len(POISON)
        parked = await collect(ServiceSettings().KAFKA_BOOTSTRAP, DEAD_LETTERS,
                               lambda seen: len(seen) >= expected, 60, keep=ours)
        await asyncio.sleep(1)  # a record parked twice would show by now
        parked += await collect(ServiceSettings().KAFKA_BOOTSTRAP, DEAD_LETTERS, lambda _: True, 3, keep=ours)
    found = sorted((topic, kind) for topic, kind, _ in set(parked))
    assert found == sorted((t, k) for t in poisoned for k in POISON)
    assert len(parked) == len(set(parked)) == expected  # each once
    assert all(reason for _, _, reason in parked)
