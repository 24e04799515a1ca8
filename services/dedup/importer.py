"""File intake: ``xueji import FILE`` publishes registrations from CSV or JSON Lines.

Both formats carry the fields of ``StudentRecord`` (UTF-8). CSV has this header:

    registry_number,name,gender,birth_date,id_type,id_number,school_code,district_code,status

The file is streamed; every row is validated on its own. A row that fails is written to
``FILE.rejected.csv`` with its line number and reason, and the import goes on: no row
stops the import and none is dropped silently.
"""

import asyncio
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import REGISTRATIONS

from services.common.kafka import PRODUCER_OPTIONS, kafka_security
from services.common.settings import ServiceSettings

CSV_FIELDS = ("registry_number", "name", "gender", "birth_date", "id_type", "id_number", "school_code",
              "district_code", "status")
PRODUCER = "xueji-import"
IN_FLIGHT = 2000


@dataclass
class ImportReport:
    read: int = 0
    published: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row or the reason it cannot be read)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            missing = set(CSV_FIELDS) - set(reader.fieldnames or ())
            if missing - {"status", "id_number"}:
                raise ValueError(f"CSV header lacks {sorted(missing)}; expected {','.join(CSV_FIELDS)}")
            for row in reader:
                values = {k: (v or None) for k, v in row.items() if k in CSV_FIELDS}
                yield reader.line_num, {k: v for k, v in values.items() if v is not None}
        else:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, f"not JSON: {error.msg}"


def _reason(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def validated(path: Path, report: ImportReport) -> Iterator[StudentRecord]:
    for line, row in _rows(path):
        report.read += 1
        if isinstance(row, str):
            report.rejected.append((line, row))
            continue
        try:
            yield StudentRecord.model_validate(row)
        except ValidationError as error:
            report.rejected.append((line, _reason(error)))


async def _publish(records: Iterator[StudentRecord], settings: ServiceSettings, report: ImportReport,
                   progress: Callable[[int], None]) -> None:
    security = kafka_security(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, client_id=PRODUCER,
                                **PRODUCER_OPTIONS, **(security.get_requirements() if security else {}))  # type: ignore[attr-defined]
    await producer.start()
    try:
        pending: list[asyncio.Future[Any]] = []
        for record in records:
            event = StudentRegistered(producer=PRODUCER, record=record)
            pending.append(await producer.send(REGISTRATIONS, event.model_dump_json().encode(),
                                               key=record.registry_number.encode(),
                                               headers=[("content-type", b"application/json")]))
            if len(pending) >= IN_FLIGHT:
                await asyncio.gather(*pending)
                report.published += len(pending)
                progress(len(pending))
                pending = []
        await asyncio.gather(*pending)
        report.published += len(pending)
        progress(len(pending))
    finally:
        await producer.stop()


def write_rejections(path: Path, report: ImportReport) -> Path | None:
    if not report.rejected:
        return None
    target = path.with_name(path.name + ".rejected.csv")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("line", "reason"))
        writer.writerows(report.rejected)
    return target


def import_file(path: Path, settings: ServiceSettings, progress: Callable[[int], None]) -> ImportReport:
    report = ImportReport()
    asyncio.run(_publish(validated(path, report), settings, report, progress))
    return report


