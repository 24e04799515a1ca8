"""Who must hear of a case event, and why (issue: the school that must act, the bureau that
must review, the arbiter, and the other side of a cross-province group when it is affected).

Notify learns a group's members from ``case.group_opened``; ``members`` maps registry
number → (school, district, province).
"""

from dataclasses import dataclass

from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus

Members = dict[str, tuple[str, str, str]]  # registry number → (school, district, province)


@dataclass(frozen=True)
class Recipient:
    organisation_code: str
    what: str  # what they must do, or what happened to them


def _school(members: Members, rn: str, what: str) -> list[Recipient]:
    return [Recipient(members[rn][0], what)] if rn in members else []


def _every_school(members: Members, what: str) -> list[Recipient]:
    return [Recipient(school, what) for school in sorted({m[0] for m in members.values()})]


ENDED = {
    "withdrawn": "the request was withdrawn by the school",
    "declined": "your deletion request was declined by the school leader",
    "cancelled": "the request was cancelled: the problem is gone",
    "problem_remains": "the amendment was applied but the problem remains: handle again",
}


def _request_ended(event: ev.RequestEnded, members: Members) -> list[Recipient]:
    """The school hears why its request ended; whoever had it in a queue hears it is gone."""
    what = ENDED[event.ended] + (f": {event.reason}" if event.reason and event.ended == "declined" else "")
    found = [] if event.ended == "withdrawn" else _school(members, event.registry_number, what)
    if event.was_awaiting == "review" and event.registry_number in members:
        found.append(Recipient(members[event.registry_number][1], what))
    elif event.was_awaiting == "leader" and event.ended != "declined":
        found += _school(members, event.registry_number, what)
    return found


def recipients(event: ev.CaseEvent, members: Members) -> list[Recipient]:
    match event:
        case ev.GroupOpened():
            return _every_school(members, "handle the problem record (attest, amend or delete)")
        case ev.MembersChanged():
            return [r for rn in event.joined for r in _school(members, rn, "handle the problem record "
                                                                          "(attest, amend or delete)")]
        case ev.ActionSubmitted() if event.needs_leader_confirmation:
            return _school(members, event.registry_number, "school leader: confirm the deletion request")
        case ev.ActionSubmitted() | ev.DeletionConfirmed() if event.needs_review:
            district = members.get(event.registry_number, ("", "", ""))[1]
            return (
                [Recipient(district, f"review the {getattr(event, 'action', 'delete')} request")]
                if district
                else []
            )
        case ev.Reviewed():
            verdict = "approved" if event.decision.value == "approved" else f"rejected: {event.reason}"
            return _school(members, event.registry_number, f"your request was {verdict}")
        case ev.AutoRejected():
            return _school(
                members, event.registry_number, "your attestation was rejected automatically; handle again"
            )
        case ev.ArbitrationStateChanged() if event.status is ArbitrationStatus.PENDING and event.arbiter_code:
            return [
                Recipient(event.arbiter_code, "arbitrate the group"),
                *_every_school(members, "the group went to arbitration"),
            ]
        case ev.ArbitrationStateChanged():
            return _every_school(members, f"arbitration is {event.status.value}")
        case ev.ArbitrationDecided():
            return [
                *_school(members, event.approved, "the arbiter approved your attestation"),
                *[
                    r
                    for rn in event.rejected
                    for r in _school(members, rn, "the arbiter rejected your attestation: amend or delete")
                ],
            ]
        case ev.MemberSettled():
            return _school(members, event.registry_number, f"settled ({event.outcome.value})")
        case ev.SideFinished():
            return [
                Recipient(school, "your province's side is finished")
                for school, _, province in members.values()
                if province == event.province_code
            ]
        case ev.GroupClosed():
            return _every_school(members, "the group is closed")
        case ev.Reinitiated():
            school, district, _ = members.get(event.registry_number, ("", "", ""))
            return (
                [
                    Recipient(school, "handle the re-initiated record"),
                    Recipient(district, "re-initiated record"),
                ]
                if school
                else []
            )
        case ev.RequestEnded():
            return _request_ended(event, members)
        case ev.GroupReopened():
            return [r for rn in event.joined for r in _school(members, rn, "handle the problem record "
                                                                          "(attest, amend or delete)")]
        case ev.DeadlineReminder():
            return [Recipient(event.party_code, f"{event.stage.value} due {event.due_at:%Y-%m-%d}")]
        case ev.DeadlineEscalated():
            return [
                Recipient(event.escalated_to, f"{event.party_code} missed the {event.stage.value} deadline")
            ]
    return []
