"""What the parties do to a case: schools act, withdraw, leaders confirm or decline, bureaus review,
arbiters decide.

Each loads the case, lets its method decide, saves and publishes (``Cases.change``) and
answers with the case as the caller sees it.
"""

from uuid import UUID

from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ReviewDecision

from ..domain.case import Actor
from ..domain.views import CaseView
from .changing import Cases
from .reading import seen_by


async def submit_action(cases: Cases, actor: Actor, group_id: UUID, registry_number: str, action: Action, *,
                        evidence_ids: tuple[UUID, ...] = (), opinion: str | None = None,
                        amendment: AmendedFields | None = None, confirmed: bool = False) -> CaseView:
    """School: attest, amend or request deletion, citing evidence already uploaded for the member."""
    # the cited files first, then the member's own: a file stored between the two reads is then
    # among the member's own, never taken for another member's
    cited = frozenset(await cases.store.evidence_files(set(evidence_ids))) if evidence_ids else frozenset()
    known = await cases.store.evidence_of(group_id, cases.ref(registry_number))
    elsewhere = cited - known
    case = await cases.change(group_id, lambda c, now: c.submit_action(
        actor, registry_number, action, now, evidence_ids=evidence_ids, known_evidence=known,
        elsewhere=elsewhere, opinion=opinion, amendment=amendment, confirmed=confirmed))
    return await seen_by(cases, case, actor)


async def withdraw_request(cases: Cases, actor: Actor, group_id: UUID, registry_number: str) -> CaseView:
    """School registrar: take back a request nobody has reviewed or confirmed yet."""
    case = await cases.change(group_id, lambda c, now: c.withdraw(actor, registry_number, now))
    return await seen_by(cases, case, actor)


async def confirm_deletion(cases: Cases, actor: Actor, group_id: UUID, registry_number: str) -> CaseView:
    """School leader: confirm the deletion the registrar requested."""
    case = await cases.change(group_id, lambda c, now: c.confirm_deletion(actor, registry_number, now))
    return await seen_by(cases, case, actor)


async def decline_deletion(cases: Cases, actor: Actor, group_id: UUID, registry_number: str,
                           reason: str) -> CaseView:
    """School leader: decline the deletion the registrar requested, with a reason."""
    case = await cases.change(
        group_id, lambda c, now: c.decline_deletion(actor, registry_number, reason, now))
    return await seen_by(cases, case, actor)


async def review_request(cases: Cases, actor: Actor, group_id: UUID, registry_number: str,
                         decision: ReviewDecision, reason: str | None) -> CaseView:
    """Bureau: approve the member's request, or reject it with a reason."""
    case = await cases.change(
        group_id, lambda c, now: c.review(actor, registry_number, decision, reason, now))
    return await seen_by(cases, case, actor)


async def decide_arbitration(cases: Cases, actor: Actor, group_id: UUID, approved_registry_number: str,
                             reason: str) -> CaseView:
    """Arbiter: approve exactly one of the attestations under arbitration."""
    case = await cases.change(
        group_id, lambda c, now: c.decide_arbitration(actor, approved_registry_number, reason, now))
    return await seen_by(cases, case, actor)
