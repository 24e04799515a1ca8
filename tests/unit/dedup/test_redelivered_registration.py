"""A registration read again after a crash never brings back a record the platform deleted."""

from datetime import date

from xueji_contracts.commands import DeleteRecord
from xueji_contracts.enums import RecordStatus
from xueji_contracts.students import StudentRegistered, StudentUpdated

from services.dedup.usecases.changes import delete_record, registered

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
