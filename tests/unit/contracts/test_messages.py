from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError
from xueji_contracts import case_topic, catalogue, topics
from xueji_contracts.enums import Gender, IdType, ProblemType, RecordStatus
from xueji_contracts.provinces import PROVINCES, province_of
from xueji_contracts.students import StudentRecord, StudentRegistered


def a_record(**changes: object) -> StudentRecord:
    values: dict[str, object] = {
        "registry_number": "G11010520120304567X", "name": "张三", "gender": Gender.MALE,
        "birth_date": date(2012, 3, 4), "id_type": IdType.RESIDENT_ID,
        "id_number": "11010520120304567X", "school_code": "1101050001", "district_code": "110105",
    }
    values.update(changes)
    return StudentRecord.model_validate(values)


def test_messages_are_frozen() -> None:
    event = StudentRegistered(producer="test", record=a_record())
    with pytest.raises(ValidationError):
        event.producer = "other"  # type: ignore[misc]


def test_the_envelope_is_filled_in_and_survives_the_wire() -> None:
    event = StudentRegistered(producer="test", record=a_record())
    decoded = topics.registration_adapter.validate_json(event.model_dump_json())
    assert decoded == event
    assert decoded.schema_version == "1.0"
    assert decoded.record.status is RecordStatus.PENDING


def test_a_consumer_ignores_fields_added_later() -> None:
    event = StudentRegistered(producer="test", record=a_record())
    payload = event.model_dump(mode="json") | {"added_in_1_1": "x"}
    assert topics.registration_adapter.validate_python(payload) == event


def test_a_topic_union_picks_the_message_by_event_type() -> None:
    payload = {"event_type": "student.deleted", "producer": "p", "registry_number": "G11010520120304567X",
               "school_code": "1101050001", "district_code": "110105"}
    assert type(topics.registration_adapter.validate_python(payload)).__name__ == "StudentDeleted"


def test_a_registry_number_must_be_19_characters_with_a_known_prefix() -> None:
    with pytest.raises(ValidationError):
        a_record(registry_number="X11010520120304567X")
    with pytest.raises(ValidationError):
        a_record(registry_number="G1101052012030456")


def test_every_message_documents_itself() -> None:
    for model in topics.all_messages():
        assert model.__doc__, model.__name__
        assert model.model_config.get("frozen"), model.__name__


def test_every_provincial_unit_has_its_own_case_topic() -> None:
    assert len(PROVINCES) == 32
    names = {t.name for t in catalogue()}
    assert {case_topic(code) for code in PROVINCES} <= names
    assert case_topic("440000") == "xueji.cases.440000.v2"
    with pytest.raises(ValueError, match="not a provincial unit"):
        case_topic("440100")


def test_every_topic_name_carries_its_major_version() -> None:
    # contracts 2: the case topics moved to v2 with their events (members by reference)
    assert all(t.name.endswith(".v2" if t.name.startswith("xueji.cases.") else ".v1") for t in catalogue())


def test_province_of_a_district() -> None:
    assert province_of("441303") == "440000"


def test_problem_types_match_the_document() -> None:
    assert {p.value for p in ProblemType} == {
        "DUPLICATE_ID", "DUPLICATE_NGB", "ID_NOT_FOUND", "ID_NAME_MISMATCH", "ID_CHANGED"}


def test_case_events_name_every_province_they_go_to() -> None:
    from xueji_contracts.cases import GroupClosed

    with pytest.raises(ValidationError):
        GroupClosed(producer="workflow", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                    province_codes=())
