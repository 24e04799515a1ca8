"""Backward-compatibility rules between two sets of JSON Schemas.

A consumer built on an older release must still read every new message. Breaking:
a message removed, a field removed or renamed, a field's type changed, a new required
field. Adding an optional field (or a new message) is compatible.
"""

import json
from typing import Any

_IGNORED = {"description", "examples", "title", "default"}


def _shape(schema: Any) -> Any:
    """A schema without its documentation, to compare types."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in _IGNORED}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def _object_changes(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for field, old_field in old_props.items():
        if field not in new_props:
            problems.append(f"{where}.{field}: field removed or renamed")
        elif json.dumps(_shape(old_field), sort_keys=True) != json.dumps(_shape(new_props[field]),
                                                                            sort_keys=True):
            problems.append(f"{where}.{field}: type changed")
    for field in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{where}.{field}: new required field")
    return problems


def breaking_changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """Every breaking change from ``old`` to ``new`` (both: event type → JSON Schema)."""
    problems: list[str] = []
    for message, old_schema in sorted(old.items()):
        new_schema = new.get(message)
        if new_schema is None:
            problems.append(f"{message}: message removed")
            continue
        problems += _object_changes(message, old_schema, new_schema)
        new_defs = new_schema.get("$defs", {})
        for name, old_def in sorted(old_schema.get("$defs", {}).items()):
            if name not in new_defs:
                problems.append(f"{message}.$defs.{name}: definition removed")
            else:
                problems += _object_changes(f"{message}.{name}", old_def, new_defs[name])
    return problems
