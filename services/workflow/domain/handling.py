"""The handling paths of a case (DOMAIN §4–6) in the form of functions of the case.

The rules are the ``Case``'s own methods (``case.py``); these keep the function form that
the contract tests and the integration fixtures build their cases with.
"""

from datetime import datetime
from uuid import UUID

from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ReviewDecision, RuleSet
from xueji_contracts.problems import MembershipChanged, ProblemCleared, ProblemDetected

from .case import Actor, Case
from .rules import ID_PROBLEMS
from .state import Ref


def open_case(event: ProblemDetected, rule_set: RuleSet, now: datetime, ref: Ref) -> Case:
    return Case.open(event, rule_set, now, ref)


def apply_membership(case: Case, event: MembershipChanged | ProblemCleared, now: datetime, ref: Ref) -> bool:
    return case.apply_membership(event, now, ref)


def submit_action(case: Case, actor: Actor, rn: str, action: Action, now: datetime, *,
                  evidence_ids: tuple[UUID, ...] = (), known_evidence: frozenset[UUID] = frozenset(),
                  elsewhere: frozenset[UUID] = frozenset(), opinion: str | None = None,
                  amendment: AmendedFields | None = None, confirmed: bool = False) -> None:
    case.submit_action(actor, rn, action, now, evidence_ids=evidence_ids, known_evidence=known_evidence,
                       elsewhere=elsewhere, opinion=opinion, amendment=amendment, confirmed=confirmed)


def confirm_deletion(case: Case, actor: Actor, rn: str, now: datetime) -> None:
    case.confirm_deletion(actor, rn, now)


def review(case: Case, actor: Actor, rn: str, decision: ReviewDecision, reason: str | None,
           now: datetime) -> None:
    case.review(actor, rn, decision, reason, now)


def decide_arbitration(case: Case, actor: Actor, approved_rn: str, reason: str, now: datetime) -> None:
    case.decide_arbitration(actor, approved_rn, reason, now)


def reinitiate(case: Case, actor: Actor, rn: str, confirmed: bool, current: RuleSet, now: datetime) -> Case:
    return case.reinitiate(actor, rn, confirmed, current, now)


__all__ = [
    "ID_PROBLEMS",
    "apply_membership",
    "confirm_deletion",
    "decide_arbitration",
    "open_case",
    "reinitiate",
    "review",
    "submit_action",
]
