"""The committed JSON Schemas and AsyncAPI document are what the models generate."""

from typing import Literal

import pytest
from pydantic import Field
from xueji_contracts import spec, students, topics
from xueji_contracts.envelope import Envelope


def test_committed_documents_match_the_models() -> None:
    assert spec.drift() == []


def test_the_current_schemas_keep_compatibility_with_the_last_release() -> None:
    assert spec.latest_release() is not None
    assert spec.incompatibilities() == []


def test_changing_a_model_without_regenerating_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    class StudentDeleted(Envelope):
        """A record was deleted upstream."""

        event_type: Literal["student.deleted"] = "student.deleted"
        registry_number: str
        reason: str = Field(default="", description="Added without regenerating.")

    originals = topics.all_messages()
    replaced = tuple(StudentDeleted if m is students.StudentDeleted else m for m in originals)
    monkeypatch.setattr(spec, "all_messages", lambda: replaced)
    assert "student.deleted.json: differs from the models" in spec.drift()


def test_a_breaking_model_change_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    class StudentDeleted(Envelope):
        """A record was deleted upstream (school_code dropped)."""

        event_type: Literal["student.deleted"] = "student.deleted"
        registry_number: str

    replaced = tuple(StudentDeleted if m is students.StudentDeleted else m for m in topics.all_messages())
    monkeypatch.setattr(spec, "all_messages", lambda: replaced)
    problems = spec.incompatibilities()
    assert any("student.deleted.school_code: field removed or renamed" in p for p in problems)
    assert spec.main(["check"]) == 1


def test_the_asyncapi_document_describes_every_message_and_the_province_channel() -> None:
    document = spec.asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert set(document["components"]["messages"]) == {m.__name__ for m in topics.all_messages()}
    province = document["channels"]["xueji-cases-province-v2"]
    assert province["address"] == "xueji.cases.{province}.v2"
    assert len(province["parameters"]["province"]["enum"]) == 32
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].split("/")[-1]
        assert channel in document["channels"]
