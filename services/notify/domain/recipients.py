"""Whose inbox a case event reaches, and why (DOMAIN §8): the school that must act and its leader
for a deletion, the district bureau that must review, the arbiter, and the other side of a
cross-province group when it is affected.

An inbox belongs to an organisation **and** a role: a school's registrar and its leader, a
bureau and an arbiter of the same code each read only their own, so every recipient names both.
School work goes to the registrar (the leader hears only of deletions it must confirm or had in
its queue), review to the bureau registrar, arbitration to the arbiter. Province subscribers and
operators have no inbox entries: subscribers receive the case topic itself.

Notify learns a group's members from ``case.group_opened`` and ``case.members_changed``;
``members`` maps each ``member_ref`` → (school, district, province): every province's copy of
an event names every member by reference, its registry number only for that province's own.
"""

from dataclasses import dataclass

from xueji_contracts import cases as ev
from xueji_contracts.enums import Action, ArbitrationStatus, DeadlineStage, ReviewDecision, Role

from . import wording as say

Members = dict[str, tuple[str, str, str]]  # member_ref → (school, district, province)
REGISTRAR, LEADER = Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER
BUREAU, ARBITER = Role.BUREAU_REGISTRAR, Role.ARBITER

# Who must act at each waiting stage, so who is reminded. A deletion awaiting the school leader
# is still the school's stage: the registrar, who submitted it, is reminded.
STAGE_ROLES: dict[DeadlineStage, Role] = {
    DeadlineStage.SCHOOL_HANDLING: REGISTRAR,
    DeadlineStage.BUREAU_REVIEW: BUREAU,
    DeadlineStage.DEDUP_UPDATE: BUREAU,  # the bureau that approved the amendment
    DeadlineStage.ARBITRATION: ARBITER,
}


@dataclass(frozen=True)
class Recipient:
    organisation_code: str
    role: Role
    what: str  # what they must do, or what happened to them

    def entry_id(self, event_id: str) -> str:
        """One entry per event, organisation and role: one event may reach two roles of one code."""
        return f"{event_id}:{self.organisation_code}:{self.role.value}"


def superior_role(party_code: str) -> Role:
    """The role that hears of a missed deadline: a school's superior is its district bureau; a
    district's (a city or province bureau) and anyone's above are arbiters."""
    return BUREAU if len(party_code) > 6 else ARBITER


def _school(members: Members, rn: str, what: str, role: Role = REGISTRAR) -> list[Recipient]:
    return [Recipient(members[rn][0], role, what)] if rn in members else []


def _district(members: Members, rn: str, what: str) -> list[Recipient]:
    return [Recipient(members[rn][1], BUREAU, what)] if rn in members else []


def _every_school(members: Members, what: str) -> list[Recipient]:
    return [Recipient(school, REGISTRAR, what) for school in sorted({m[0] for m in members.values()})]


def _request_ended(event: ev.RequestEnded, members: Members) -> list[Recipient]:
    """The registrar hears why its request ended (not of its own withdrawal); whoever had it in a
    queue hears it is gone: the bureau, or the leader unless the leader itself declined it."""
    what = say.request_ended(event.ended, event.reason)
    rn = event.member_ref
    found = [] if event.ended == "withdrawn" else _school(members, rn, what)
    if event.was_awaiting == "review":
        found += _district(members, rn, what)
    elif event.was_awaiting == "leader" and event.ended != "declined":
        found += _school(members, rn, what, LEADER)
    return found


def recipients(event: ev.CaseEvent, members: Members) -> list[Recipient]:
    """Every inbox (organisation and role) the event must reach, and what each is told."""
    match event:
        case ev.GroupOpened():
            return _every_school(members, say.HANDLE)
        case ev.MembersChanged() | ev.GroupReopened():
            return [r for rn in event.joined for r in _school(members, rn, say.HANDLE)]
        case ev.ActionSubmitted() if event.needs_leader_confirmation:
            return _school(members, event.member_ref, say.CONFIRM_DELETION, LEADER)
        case ev.ActionSubmitted() | ev.DeletionConfirmed() if event.needs_review:
            action = event.action if isinstance(event, ev.ActionSubmitted) else Action.DELETE
            return _district(members, event.member_ref, say.review(action))
        case ev.Reviewed():
            approved = event.decision is ReviewDecision.APPROVED
            what = say.APPROVED if approved else say.rejected(event.reason)
            return _school(members, event.member_ref, what)
        case ev.AutoRejected():
            return _school(members, event.member_ref, say.AUTO_REJECTED)
        case ev.ArbitrationStateChanged() if event.status is ArbitrationStatus.PENDING and event.arbiter_code:
            return [Recipient(event.arbiter_code, ARBITER, say.ARBITRATE),
                    *_every_school(members, say.WENT_TO_ARBITRATION)]
        case ev.ArbitrationStateChanged():
            return _every_school(members, say.arbitration(event.status))
        case ev.ArbitrationDecided():
            return [*_school(members, event.approved, say.ARBITER_APPROVED),
                    *[r for rn in event.rejected for r in _school(members, rn, say.ARBITER_REJECTED)]]
        case ev.MemberSettled():
            return _school(members, event.member_ref, say.settled(event.outcome))
        case ev.SideFinished():
            side = {school for school, _, province in members.values() if province == event.province_code}
            return [Recipient(school, REGISTRAR, say.SIDE_FINISHED) for school in sorted(side)]
        case ev.GroupClosed():
            return _every_school(members, say.GROUP_CLOSED)
        case ev.Reinitiated():
            return [*_school(members, event.member_ref, say.HANDLE_REINITIATED),
                    *_district(members, event.member_ref, say.REINITIATED)]
        case ev.RequestEnded():
            return _request_ended(event, members)
        case ev.DeadlineReminder():
            return [Recipient(event.party_code, STAGE_ROLES[event.stage], say.due(event.stage, event.due_at))]
        case ev.DeadlineEscalated():
            return [Recipient(event.escalated_to, superior_role(event.party_code),
                              say.missed(event.party_code, event.stage))]
    return []
