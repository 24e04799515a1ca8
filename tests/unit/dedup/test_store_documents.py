"""The identity index's documents: a record and a group survive the trip to BSON and back."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import bson
from xueji_contracts.enums import PopulationOutcome

from services.dedup.adapters.store import group_from_doc, group_to_doc, record_from_doc, record_to_doc
from services.dedup.domain.groups import Group
from services.dedup.domain.identity import record_state

from .factories import PEPPER, TODAY, id_number, record


def stored(doc: dict[str, object]) -> dict[str, object]:
    return bson.decode(bson.encode(doc))


def test_a_record_with_every_field_set_reads_back_as_it_was_written() -> None:
    state = replace(
        record_state(record(1, number=id_number()), PEPPER, TODAY),
        id_static_reasons=("check_digit", "region"),
        id_birth=date(2012, 1, 1),
        population=PopulationOutcome.CHANGED,
        population_request_id="3f1c",
        id_attested="attested-key",
    )
    doc = stored({**record_to_doc(state), "version": 3})
    assert doc["_id"] == state.registry_number and "registry_number" not in doc
    assert record_from_doc(doc) == state


def test_a_record_without_optional_fields_reads_back_as_it_was_written() -> None:
    state = record_state(record(2, number=None), PEPPER, TODAY)
    assert state.id_birth is None
    assert record_from_doc(stored(record_to_doc(state))) == state


def test_a_group_reads_back_as_it_was_written() -> None:
    briefs = [record_state(record(serial, number=id_number()), PEPPER, TODAY).brief() for serial in (1, 2, 3)]
    group = Group(
        key="id:abc",
        members={b.registry_number: b for b in briefs},
        group_id=uuid4(),
        reasons=("same_id",),
        attested_sets=[frozenset(b.registry_number for b in briefs[:2])],
        opened=2,
        sequence=5,
        version=4,
    )
    read = group_from_doc(stored({"_id": group.key, **group_to_doc(group), "version": group.version}))
    assert read == group
