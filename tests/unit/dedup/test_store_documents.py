"""The identity index's documents: a record and a group survive the trip to BSON and back, and
neither holds a registry number (a G one is the full ID number) other than sealed."""

import json
from dataclasses import replace
from datetime import date
from uuid import uuid4

import bson
from xueji_contracts.enums import PopulationOutcome, RecordStatus
from xueji_contracts.students import StudentRecord

from services.dedup.adapters.store import group_from_doc, group_to_doc, record_from_doc, record_to_doc
from services.dedup.adapters.vault import Vault
from services.dedup.domain.groups import Group, id_problem_key
from services.dedup.domain.identity import record_state

from .factories import PEPPER, TODAY, id_number, record

VAULT = Vault(PEPPER)


def stored(doc: dict[str, object]) -> dict[str, object]:
    return bson.decode(bson.encode(doc))


def g_record(serial: int) -> tuple[StudentRecord, str]:
    number = id_number()
    return record(serial, number=number, prefix="G", status=RecordStatus.FORMAL), number


def test_a_record_with_every_field_set_reads_back_as_it_was_written() -> None:
    rec, number = g_record(1)
    state = replace(
        record_state(rec, PEPPER, TODAY),
        id_static_reasons=("check_digit", "region"),
        id_birth=date(2012, 1, 1),
        population=PopulationOutcome.CHANGED,
        population_request_id="3f1c",
        id_attested="attested-key",
        applied_amendments=("a1", "a2"),
    )
    doc = stored(record_to_doc(state, VAULT))
    assert "registry_number" not in doc and "_id" not in doc  # found by its home's ``holder``
    assert number not in json.dumps(doc, default=str)  # the G number (its ID number) only sealed
    assert record_from_doc(doc, VAULT) == state


def test_a_record_without_optional_fields_reads_back_as_it_was_written() -> None:
    state = record_state(record(2, number=None), PEPPER, TODAY)
    assert state.id_birth is None
    assert record_from_doc(stored(record_to_doc(state, VAULT)), VAULT) == state


def test_a_group_reads_back_as_it_was_written_and_holds_no_registry_number() -> None:
    briefs = [record_state(record(serial, number=id_number(), prefix="G"), PEPPER, TODAY).brief()
              for serial in (1, 2, 3)]
    for key in ("id:abc", id_problem_key(briefs[0].registry_number)):
        group = Group(
            key=key,
            members={b.registry_number: b for b in briefs},
            group_id=uuid4(),
            reasons=("same_id",),
            attested_sets=[frozenset(b.registry_number for b in briefs[:2])],
            opened=2,
            sequence=5,
            version=4,
        )
        doc = stored({"_id": VAULT.group_id(group.key), **group_to_doc(group, VAULT),
                      "version": group.version})
        text = json.dumps(doc, default=str)
        assert not any(b.registry_number[1:] in text for b in briefs)
        assert group_from_doc(doc, VAULT) == group
