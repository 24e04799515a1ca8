"""Incoming messages mapped to record changes: what each contract message does to one record."""

from dataclasses import replace
from datetime import date

from xueji_contracts.commands import (
    AcceptIdProblem,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.enums import IdType, PopulationOutcome, RecordStatus
from xueji_contracts.population import PopulationAnswer, PopulationVerificationResult
from xueji_contracts.problems import AmendmentApplied
from xueji_contracts.students import StudentDeleted, StudentRegistered, StudentUpdated

from ..domain.groups import PRODUCER, Group
from ..domain.identity import RecordState, amended_state, record_state
from ..domain.membership import KeyOps
from .index import Change

REMEMBERED_SOURCES = 16  # registrations and updates of one record a redelivery may still bring back


def registered(event: StudentRegistered | StudentUpdated, pepper: bytes, today: date,
               search_key: bytes = b"") -> Change:
    record, source = event.record, str(event.event_id)

    def compute(old: RecordState | None) -> RecordState:
        if old is not None and source in old.applied_sources:
            # the same message read again (a redelivery after a crash or a rebalance, or a broker
            # that lost a commit): what the platform decided since (formal, deleted) stays
            return old
        if old is not None and old.status is RecordStatus.DELETED and isinstance(event, StudentRegistered):
            # a registration sent again never brings back a record the platform deleted meanwhile;
            # an upstream change of it (StudentUpdated) still applies
            return old
        remembered = ((*old.applied_sources, source) if old else (source,))[-REMEMBERED_SOURCES:]
        new = record_state(record, pepper, today, search_key, applied_sources=remembered)
        if old is None:
            return new
        if (old.id_hash, old.name_hash) == (new.id_hash, new.name_hash):
            new = replace(new, population=old.population, population_request_id=old.population_request_id)
        # an attested identity stays accepted while it is the same; any change is checked again
        return replace(new, id_attested=old.id_attested, applied_amendments=old.applied_amendments,
                       last_amendment_kept_key=old.last_amendment_kept_key)

    raw = record.id_number if record.id_type is IdType.RESIDENT_ID and record.id_number else None
    return Change(record.registry_number, compute, population_request=(raw, record.name) if raw else None,
                  fresh=True)


def deleted(registry_number: str) -> Change:
    def compute(old: RecordState | None) -> RecordState | None:
        return replace(old, status=RecordStatus.DELETED) if old else None

    return Change(registry_number, compute)


def upstream_deleted(event: StudentDeleted) -> Change:
    return deleted(event.registry_number)


def delete_record(command: DeleteRecord) -> Change:
    return deleted(command.registry_number)


def accept_id_problem(command: AcceptIdProblem) -> Change:
    """The bureau approved an attestation of an ID problem: this identity is not flagged again."""
    def compute(old: RecordState | None) -> RecordState | None:
        return replace(old, id_attested=old.identity_fingerprint) if old and old.live else old

    return Change(command.registry_number, compute)


def mark_formal(command: MarkFormal) -> Change:
    def compute(old: RecordState | None) -> RecordState | None:
        return replace(old, status=RecordStatus.FORMAL) if old and old.live else old

    return Change(command.registry_number, compute)


REMEMBERED_AMENDMENTS = 16  # amendments of one record a redelivery may still bring back


def apply_amendment(command: ApplyAmendment, pepper: bytes, today: date, search_key: bytes = b"") -> Change:
    """The record as amended, and the case that sent it told what became of it (``AmendmentApplied``).

    The record remembers the amendment it applied last and whether that kept its identity key, so
    a redelivered command reports what the first delivery found, not "nothing changed"."""
    changes, applied = command.changes, str(command.event_id)

    def compute(old: RecordState | None) -> RecordState | None:
        if old is None or not old.live or applied in old.applied_amendments:
            return old
        new = amended_state(old, changes, pepper, today, search_key)
        kept = new.identity_key(pepper) == old.identity_key(pepper)
        remembered = (*old.applied_amendments, applied)[-REMEMBERED_AMENDMENTS:]
        return replace(new, applied_amendments=remembered, last_amendment_kept_key=kept)

    def report(state: RecordState | None) -> AmendmentApplied:
        live = state is not None and state.live
        problem = state.id_problem() if state is not None else None
        return AmendmentApplied(
            producer=PRODUCER, **command.caused(), group_id=command.group_id,
            registry_number=command.registry_number, member=state.brief() if state and live else None,
            identity_key_kept=bool(state and live and state.last_amendment_kept_key),
            id_problem=problem[0] if problem else None,
            awaiting_population=bool(state and state.awaits_population()))

    request = (changes.id_number, changes.name) if changes.id_number and changes.name else None
    return Change(command.registry_number, compute, population_request=request, report=report)


def mark_attested_distinct(command: MarkAttestedDistinct, pepper: bytes) -> Change:
    members = frozenset(command.registry_numbers)

    def ops(state: RecordState | None) -> KeyOps:
        key = state.identity_key(pepper) if state else None
        if key is None:
            return []

        def mark(group: Group) -> None:
            group.mark_attested_distinct(members)

        return [(key, mark)]

    return Change(command.registry_numbers[0], lambda old: old, group_ops=ops)


def population_result(result: PopulationAnswer | PopulationVerificationResult, batch_id: str | None = None
                      ) -> Change:
    """An answer (of the batch ``batch_id``, if it came in one)."""

    def compute(old: RecordState | None) -> RecordState | None:
        if old is None or old.population_request_id != str(result.request_id):
            return old  # unknown record, or a stale answer to an earlier number
        return replace(old, population=result.outcome)

    suggested = result.new_id_number if result.outcome is PopulationOutcome.CHANGED else None
    verified = str(result.request_id) if result.outcome is PopulationOutcome.VERIFIED else None
    return Change(result.registry_number, compute, suggested_id_number=suggested, verified_request=verified,
                  verified_batch=batch_id if verified else None)
