"""JSON logs that never carry an ID number or a name.

Every record passes through ``redact``: 15/18-digit resident ID numbers, G registry
numbers (which embed an ID number) and runs of CJK characters (names) are masked, and
extra fields with a personal key are dropped to ``[redacted]``. Code should not log
personal data in the first place; this is the safety net.

A line written inside a trace carries its ``trace_id`` and ``span_id`` (hex, as tracing
back ends show them), so the lines of one request or message can be found from its trace.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

PERSONAL_KEYS = frozenset({"student_name", "id_number", "new_id_number", "masked_name", "birth_date"})
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[GJL]?(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·•・]+")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask ID numbers, registry numbers that embed them, and CJK names in free text."""
    text = _ID_NUMBER.sub("[id]", text)
    return _CJK.sub("[cjk]", text)


def _clean(key: str, value: Any) -> Any:
    if key in PERSONAL_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = trace.format_trace_id(span.trace_id)
            entry["span_id"] = trace.format_span_id(span.span_id)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(key, value)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "pymongo", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
