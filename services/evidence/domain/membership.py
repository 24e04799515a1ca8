"""Who is in a group: exactly the members its latest membership event names.

``case.group_opened`` and ``case.members_changed`` carry the group's members after the event, so
that set replaces what was known. A member dedup moved out (named in ``left``, or simply no longer
named) is remembered apart as departed, with where it sat: its parties may still read the evidence
it has, and an upload for it is refused as one for a member that left, not as one for a stranger.
A settled member that the event still names stays a member.
"""

import re
from datetime import datetime
from typing import Any

Placement = dict[str, Any]  # school_code, district_code, province_code
Case = dict[str, Any]  # members and departed (by member_ref), members_at, arbiter_code
MEMBER_REF = re.compile(r"m[0-9a-f]{32}")


def departures(before: dict[str, Placement], after: dict[str, Placement]) -> dict[str, Placement]:
    """The members known ``before`` that ``after`` no longer names, by ``member_ref``.

    Entries a group learnt under a registry number (before members were kept by ``member_ref``)
    are dropped rather than carried over: nothing new is kept under a registry number.
    """
    return {ref: placement for ref, placement in before.items()
            if ref not in after and MEMBER_REF.fullmatch(ref)}


def told(case: Case, members: dict[str, Placement] | None, at: datetime, arbiter_code: str | None) -> Case:
    """The case as one event leaves it: the members it names (``members``; None: it names none)
    become the members, those no longer named are departed, a member named again is no longer
    departed; an event older than the membership already known (a late copy, another province's
    topic) changes no member. An arbiter it names (``arbiter_code``) is remembered."""
    after = dict(case)
    known_at = case.get("members_at")
    if members is not None and (known_at is None or known_at <= at):
        gone = {**case.get("departed", {}), **departures(case.get("members", {}), members)}
        after.update(members=dict(members), members_at=at,
                     departed={ref: p for ref, p in gone.items() if ref not in members})
    if arbiter_code:
        after["arbiter_code"] = arbiter_code
    return after
