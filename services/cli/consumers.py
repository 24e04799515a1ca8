"""Which service consumes which topic, read from the subscribers the services really register.

The contracts package stands alone, so it cannot import the services; it reads this map
from ``consumers.json`` beside its catalogue. ``xueji contracts consumers --write``
regenerates that file, and a unit test fails when it no longer matches the subscribers.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from xueji_contracts.provinces import PROVINCES
from xueji_contracts.topics import CASES_TEMPLATE, case_topic

from services.dedup.main import create_app as dedup_app
from services.dedup.settings import DedupSettings
from services.evidence.main import create_app as evidence_app
from services.evidence.settings import EvidenceSettings
from services.notify.main import create_app as notify_app
from services.notify.settings import NotifySettings
from services.workflow.main import create_app as workflow_app
from services.workflow.settings import WorkflowSettings

CONSUMERS_FILE = Path(__file__).resolve().parents[2] / "contracts" / "xueji_contracts" / "consumers.json"
_CASE_TOPICS = {case_topic(code) for code in PROVINCES}


def _apps() -> dict[str, Callable[[], FastAPI]]:
    test: dict[str, Any] = {"ENVIRONMENT": "test", "SUBSCRIBE": True}
    return {
        "dedup": lambda: dedup_app(DedupSettings(**test)),
        "workflow": lambda: workflow_app(WorkflowSettings(**test)),
        "evidence": lambda: evidence_app(EvidenceSettings(**test)),
        "notify": lambda: notify_app(NotifySettings(**test)),
    }


def _topics(broker: KafkaBroker) -> set[str]:
    names = {name for subscriber in broker.subscribers
             for name in getattr(subscriber, "topic_names", ())}  # Kafka subscribers have them
    # the province topics are one channel of the AsyncAPI document, addressed by the template
    return {CASES_TEMPLATE if name in _CASE_TOPICS else name for name in names}


def service_consumers() -> dict[str, list[str]]:
    """Topic (case topics as their template) → the services subscribed to it."""
    found: dict[str, set[str]] = {}
    for service, make in _apps().items():
        for topic in _topics(make().state.broker):
            found.setdefault(topic, set()).add(service)
    return {topic: sorted(services) for topic, services in sorted(found.items())}


def rendered() -> str:
    return json.dumps(service_consumers(), indent=2, sort_keys=True) + "\n"
