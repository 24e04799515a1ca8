"""Contract documents generated from the models: JSON Schemas, AsyncAPI 3, release snapshots.

``python -m xueji_contracts.spec write`` regenerates the committed files;
``python -m xueji_contracts.spec check`` fails when they drift from the models or when a
schema breaks compatibility with the last release in ``releases/``.
"""

import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .compat import breaking_changes
from .provinces import PROVINCES
from .topics import (
    CASES_TEMPLATE,
    FIXED_TOPICS,
    Topic,
    all_messages,
    case_topics,
    consumers_of,
    service_consumers,
)

PACKAGE_DIR = Path(__file__).parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
ASYNCAPI_FILE = PACKAGE_DIR / "asyncapi.json"
RELEASES_DIR = PACKAGE_DIR / "releases"


def contract_version() -> str:
    try:
        return version("xueji-contracts")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def message_schemas() -> dict[str, dict[str, Any]]:
    """One self-contained JSON Schema per message, by event type."""
    result: dict[str, dict[str, Any]] = {}
    for model in all_messages():
        event_type = model.model_fields["event_type"].default
        result[event_type] = model.model_json_schema(mode="validation")
    return dict(sorted(result.items()))


def _operation(channel_id: str, topic: Topic, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": f"{'Published' if action == 'send' else 'Consumed'} by "
                   f"{', '.join(topic.producers if action == 'send' else consumers_of(topic))}.",
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m.__name__}"} for m in topic.messages],
    }


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic and message."""
    models: list[type[BaseModel]] = list(all_messages())
    _, defs = models_json_schema([(m, "validation") for m in models],
                                 ref_template="#/components/schemas/{model}")
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    case_topic = case_topics()[0]
    entries = [(t.name.replace(".", "-"), t.name, t) for t in FIXED_TOPICS]
    entries.append(("xueji-cases-province-" + CASES_TEMPLATE.rsplit(".", 1)[1], CASES_TEMPLATE, case_topic))
    for channel_id, address, topic in entries:
        channel: dict[str, Any] = {
            "address": address,
            "description": f"{topic.description} Key: {topic.key}. Partitions: {topic.partitions}.",
            "messages": {m.__name__: {"$ref": f"#/components/messages/{m.__name__}"} for m in topic.messages},
        }
        if "{province}" in address:
            channel["description"] = (
                "Case events of every group with a member in the province. "
                f"Key: {topic.key}. One topic per provincial unit. Order: a group's events are on one "
                "partition in the order they were decided, and each carries `sequence`, strictly "
                "increasing per group (a province sees gaps where an event concerned only other "
                "provinces). Webhook deliveries keep that order per group: a later event of a group is "
                "not sent before every earlier one has been delivered or has finally failed; delivery "
                "is at least once, so receivers drop a repeated X-Xueji-Event-Id.")
            channel["parameters"] = {"province": {"enum": sorted(PROVINCES),
                                                  "description": "Province division code."}}
        channels[channel_id] = channel
        if not topic.messages:
            continue
        if any(p.startswith(("dedup", "workflow", "evidence", "notify", "xueji")) for p in topic.producers):
            operations[f"send-{channel_id}"] = _operation(channel_id, topic, "send")
        if service_consumers().get(address):
            operations[f"receive-{channel_id}"] = _operation(channel_id, topic, "receive")
    messages = {
        m.__name__: {
            "name": m.model_fields["event_type"].default,
            "title": m.__name__,
            "summary": (m.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{m.__name__}"},
        }
        for m in models
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "xueji message contracts",
            "version": contract_version(),
            "description": "Events and commands of the problem-student-record platform. The envelope "
                           "(event_id, occurred_at, producer, correlation_id, causation_id, "
                           "schema_version, event_type) is carried in the JSON body.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(defs["$defs"].items()))},
    }


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated_files() -> dict[Path, str]:
    files = {SCHEMA_DIR / f"{name}.json": _dump(schema) for name, schema in message_schemas().items()}
    files[ASYNCAPI_FILE] = _dump(asyncapi_document())
    return files


def write() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    files = generated_files()
    for stale in set(SCHEMA_DIR.glob("*.json")) - set(files):
        stale.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return sorted(files)


def drift() -> list[str]:
    """Committed files that differ from what the models generate."""
    files = generated_files()
    problems = [f"{p.name}: differs from the models" for p, text in files.items()
                if not p.exists() or p.read_text(encoding="utf-8") != text]
    problems += [f"{p.name}: no model generates it" for p in SCHEMA_DIR.glob("*.json") if p not in files]
    return problems


def latest_release() -> tuple[str, dict[str, dict[str, Any]]] | None:
    def key(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.stem.split("."))

    releases = sorted(RELEASES_DIR.glob("*.json"), key=key)
    if not releases:
        return None
    return releases[-1].stem, json.loads(releases[-1].read_text(encoding="utf-8"))


def release(name: str) -> Path:
    """Snapshot the current schemas as release ``name``."""
    RELEASES_DIR.mkdir(exist_ok=True)
    path = RELEASES_DIR / f"{name}.json"
    path.write_text(_dump(message_schemas()), encoding="utf-8")
    return path


def _major(version_text: str) -> int:
    return int(version_text.split(".")[0])


def moved_to(major: int) -> set[str]:
    """Messages that travel only on topics of the given major version (``….v<major>``)."""
    topics_of: dict[str, set[str]] = {}
    for topic in (*FIXED_TOPICS, *case_topics()):
        for model in topic.messages:
            topics_of.setdefault(model.model_fields["event_type"].default, set()).add(topic.name)
    return {m for m, names in topics_of.items() if all(n.endswith(f".v{major}") for n in names)}


def incompatibilities(current: str | None = None, against: str | None = None) -> list[str]:
    """Breaking changes against the last release. Within a major version none is allowed; a new
    major version may break a message only if it also moved it to topics of that version, so a
    consumer of the old topics never meets a message it cannot read."""
    latest = latest_release() if against is None else (
        against, json.loads((RELEASES_DIR / f"{against}.json").read_text(encoding="utf-8")))
    if latest is None:
        return []
    name, old = latest
    new, major = message_schemas(), _major(current or contract_version())
    moved = moved_to(major) if major > _major(name) else set()
    return [f"against release {name}: {p}" for message, schema in old.items() if message not in moved
            for p in breaking_changes({message: schema}, new)]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "write":
        for path in write():
            print(f"wrote {path.relative_to(PACKAGE_DIR.parent)}")
        return 0
    if command == "release" and len(argv) == 2:
        print(f"wrote {release(argv[1])}")
        return 0
    if command == "check":
        problems = drift() + incompatibilities()
        for p in problems:
            print(f"contract check: {p}", file=sys.stderr)
        if drift():
            print("run: python -m xueji_contracts.spec write", file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m xueji_contracts.spec write|check|release VERSION", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
