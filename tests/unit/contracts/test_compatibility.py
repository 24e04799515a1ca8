"""The compatibility check catches each kind of breaking change, and only those."""

import copy
from typing import Any

from xueji_contracts.compat import breaking_changes
from xueji_contracts.spec import message_schemas

OLD = message_schemas()
MESSAGE = "student.registered"


def changed(edit: Any) -> dict[str, dict[str, Any]]:
    new = copy.deepcopy(OLD)
    edit(new[MESSAGE])
    return new


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(OLD, copy.deepcopy(OLD)) == []


def test_adding_an_optional_field_is_compatible() -> None:
    new = changed(lambda s: s["properties"].update({"note": {"type": "string", "default": ""}}))
    assert breaking_changes(OLD, new) == []


def test_changing_a_description_is_compatible() -> None:
    new = changed(lambda s: s["properties"]["producer"].update({"description": "Who sent it."}))
    assert breaking_changes(OLD, new) == []


def test_removing_a_field_breaks() -> None:
    new = changed(lambda s: s["properties"].pop("producer"))
    assert breaking_changes(OLD, new) == [f"{MESSAGE}.producer: field removed or renamed"]


def test_renaming_a_field_breaks() -> None:
    def rename(schema: dict[str, Any]) -> None:
        schema["properties"]["source"] = schema["properties"].pop("producer")
        schema["required"] = ["source" if r == "producer" else r for r in schema["required"]]

    problems = breaking_changes(OLD, changed(rename))
    assert f"{MESSAGE}.producer: field removed or renamed" in problems
    assert f"{MESSAGE}.source: new required field" in problems


def test_changing_a_type_breaks() -> None:
    new = changed(lambda s: s["properties"]["producer"].update({"type": "integer"}))
    assert breaking_changes(OLD, new) == [f"{MESSAGE}.producer: type changed"]


def test_a_new_required_field_breaks() -> None:
    def add_required(schema: dict[str, Any]) -> None:
        schema["properties"]["school_year"] = {"type": "string"}
        schema["required"].append("school_year")

    assert breaking_changes(OLD, changed(add_required)) == [f"{MESSAGE}.school_year: new required field"]


def test_a_change_inside_a_nested_model_breaks() -> None:
    new = changed(lambda s: s["$defs"]["StudentRecord"]["properties"].pop("gender"))
    assert breaking_changes(OLD, new) == [f"{MESSAGE}.StudentRecord.gender: field removed or renamed"]


def test_removing_a_message_breaks() -> None:
    new = copy.deepcopy(OLD)
    del new[MESSAGE]
    assert breaking_changes(OLD, new) == [f"{MESSAGE}: message removed"]
