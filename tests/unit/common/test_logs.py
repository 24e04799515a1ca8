import json
import logging

import pytest

from services.common.logs import JsonFormatter, redact


def formatted(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(JsonFormatter("test").format(record))  # type: ignore[no-any-return]


@pytest.mark.parametrize("text", [
    "id 11010520120304567X rejected", "old number 110105120304567", "record G11010520120304567X",
    "lower x 11010520120304567x",
])
def test_id_numbers_never_reach_the_log(text: str) -> None:
    assert "[id]" in redact(text)
    assert "0520120304567" not in redact(text)


def test_names_never_reach_the_log() -> None:
    entry = formatted("student 张三 registered", student_name="李四", id_number="110105201203045678",
                      school_code="1101050001")
    assert "张三" not in json.dumps(entry, ensure_ascii=False)
    assert entry["student_name"] == entry["id_number"] == "[redacted]"
    assert entry["school_code"] == "1101050001"


def test_an_ordinary_message_is_kept_with_its_fields() -> None:
    entry = formatted("batch processed", count=500, topic="xueji.registrations.v1")
    assert entry["msg"] == "batch processed"
    assert entry["count"] == 500
    assert entry["service"] == "test"
