"""The dedup use cases: what each incoming message does to the identity index.

Each maps its messages to record changes (``changes``), applies them to the index (load →
decide → save, ``index``) and publishes what the change stored in the groups' outboxes and
the population requests it asks (``Publisher``).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from xueji_contracts.commands import (
    AcceptIdProblem,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.population import (
    PopulationVerificationBatchResult,
    PopulationVerificationResult,
)
from xueji_contracts.students import StudentDeleted
from xueji_contracts.topics import DedupCommand, RegistrationMessage

from ..ports import Publisher
from . import changes
from .index import Change, Indexer

PopulationResult = PopulationVerificationBatchResult | PopulationVerificationResult

__all__ = ["Dedup", "Indexer", "apply_command", "apply_population_result", "apply_registration"]


@dataclass(frozen=True)
class Dedup:
    """What every use case reaches: real adapters in ``main``, fakes in the tests."""

    index: Indexer
    publisher: Publisher


async def apply_registration(dedup: Dedup, messages: Sequence[RegistrationMessage]) -> None:
    """Registrations and upstream deletions: re-index each record, find duplicates and ID problems."""
    await _apply(dedup, [_registration_change(dedup.index, m) for m in messages])


async def apply_command(dedup: Dedup, command: DedupCommand) -> None:
    """An approved decision of the workflow: amend, delete, mark formal, mark attested distinct,
    accept an ID problem."""
    await _apply(dedup, [_command_change(dedup.index, command)])


async def apply_population_result(dedup: Dedup, results: Sequence[PopulationResult]) -> None:
    """Answers of the population database (batches, or one at a time): not found, name mismatch or
    changed raise a problem."""
    batch: list[Change] = []
    for result in results:
        if isinstance(result, PopulationVerificationBatchResult):
            batch_id = str(result.batch_id)
            batch += [changes.population_result(a, batch_id) for a in result.answers]
        else:
            batch.append(changes.population_result(result))
    await _apply(dedup, batch)


async def _apply(dedup: Dedup, batch: list[Change]) -> None:
    produced = await dedup.index.apply(batch)
    await dedup.publisher.publish(produced)


def _registration_change(index: Indexer, message: RegistrationMessage) -> Change:
    if isinstance(message, StudentDeleted):
        return changes.upstream_deleted(message)
    return changes.registered(message, index.pepper, index.today(), index.search_key)


def _command_change(index: Indexer, command: DedupCommand) -> Change:
    match command:
        case ApplyAmendment():
            return changes.apply_amendment(command, index.pepper, index.today(), index.search_key)
        case DeleteRecord():
            return changes.delete_record(command)
        case MarkFormal():
            return changes.mark_formal(command)
        case MarkAttestedDistinct():
            return changes.mark_attested_distinct(command, index.pepper)
        case AcceptIdProblem():
            return changes.accept_id_problem(command)
