"""A registration read again after a crash never undoes what the platform decided since: a record it
deleted stays deleted, one it marked formal stays formal."""

from datetime import date

from xueji_contracts.commands import DeleteRecord, MarkFormal
from xueji_contracts.enums import RecordStatus
from xueji_contracts.students import StudentRegistered, StudentUpdated

from services.dedup.domain.identity import RecordState
from services.dedup.usecases.changes import REMEMBERED_SOURCES, delete_record, mark_formal, registered

from .factories import record

PEPPER, TODAY = b"pepper", date(2026, 12, 2)


def test_a_redelivered_registration_leaves_a_deleted_record_deleted_but_an_update_applies() -> None:
    rec = record(1234)
    stored = registered(StudentRegistered(producer="province", record=rec), PEPPER, TODAY).compute(None)
    command = DeleteRecord(producer="xueji-workflow", registry_number=rec.registry_number,
                           group_id="525e0274-938b-5977-9206-14a808e98e78")
    deleted = delete_record(command).compute(stored)
    assert deleted is not None and deleted.status is RecordStatus.DELETED
    again = registered(StudentRegistered(producer="province", record=rec), PEPPER, TODAY).compute(deleted)
    assert again is not None and again.status is RecordStatus.DELETED
    updated = registered(StudentUpdated(producer="province", record=rec), PEPPER, TODAY).compute(deleted)
    assert updated is not None and updated.status is RecordStatus.PENDING


GROUP = "525e0274-938b-5977-9206-14a808e98e78"


def formal(state: RecordState | None, registry_number: str) -> RecordState | None:
    return mark_formal(MarkFormal(producer="xueji-workflow", registry_number=registry_number,
                                  group_id=GROUP)).compute(state)


def test_a_registration_read_again_after_its_record_was_marked_formal_leaves_it_formal() -> None:
    rec = record(1234)
    registration = StudentRegistered(producer="province", record=rec)
    stored = formal(registered(registration, PEPPER, TODAY).compute(None), rec.registry_number)
    assert stored is not None and stored.status is RecordStatus.FORMAL
    again = registered(registration, PEPPER, TODAY).compute(stored)  # the same message, redelivered
    assert again == stored


def test_a_registration_and_its_update_read_again_in_order_leave_the_formal_record_as_it_was() -> None:
    rec = record(1234)
    registration = StudentRegistered(producer="province", record=rec)
    update = StudentUpdated(producer="province", record=rec.model_copy(update={"name": "王晓明"}))

    def both(state: RecordState | None) -> RecordState | None:  # the two, in the order sent
        first = registered(registration, PEPPER, TODAY).compute(state)
        return registered(update, PEPPER, TODAY).compute(first)

    settled = formal(both(None), rec.registry_number)
    replayed = both(settled)
    assert replayed == settled


def test_a_new_message_applies_and_only_the_latest_sources_are_remembered() -> None:
    rec = record(1234)
    state = None
    updates = [StudentUpdated(producer="province", record=rec) for _ in range(REMEMBERED_SOURCES + 2)]
    for update in updates:
        state = registered(update, PEPPER, TODAY).compute(state)
    assert state is not None
    assert state.applied_sources == tuple(str(u.event_id) for u in updates[-REMEMBERED_SOURCES:])
