"""What one case has contributed to the progress counters (``workflow_progress_cases``), and the
change of it under way: the documents the projection (``progress.py``) works from."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.progress import NO_PARENT, Key, Tally

Doc = dict[str, Any]


@dataclass(frozen=True)
class Intent:
    version: int
    tally: Tally
    delta: Tally
    at: datetime
    batch: str | None = None  # counted with other cases' changes (``progress.py``, ``project_many``)

    def divisions(self) -> dict[str, tuple[str, str | None, Tally]]:
        """code → (level, parent, metric → change) of every division the delta touches."""
        found: dict[str, tuple[str, str | None, Tally]] = {}
        for key, change in self.delta.items():
            level, code, parent, metric = Key.parse(key)
            found.setdefault(code, (level, None if parent == NO_PARENT else parent, {}))[2][metric] = change
        return found


@dataclass(frozen=True)
class Contribution:
    version: int = 0
    tally: Tally = field(default_factory=dict)
    intent: Intent | None = None
    marked: list[str] | None = None
    batch: str | None = None  # a new case's, written once by this batch: counted once the batch is closed

    @classmethod
    def of(cls, doc: Doc | None) -> "Contribution":
        if doc is None:
            return cls()
        intent = Intent(**doc["intent"]) if doc.get("intent") else None
        return cls(doc.get("version", 0), doc.get("tally", {}), intent, doc.get("marked"), doc.get("batch"))
