"""Where each member of a group sits: the one way a service learns it from the case events.

Evidence (who may upload and read) and notify (whose inboxes) both follow a group's
members from ``case.group_opened`` and ``case.members_changed``; this reads them once. Members
are known by ``member_ref``: a service that is given a registry number (an upload, an API path)
looks its member up by ``settings.member_ref(registry_number)``.
"""

from typing import NamedTuple

from xueji_contracts.cases import GroupOpened, MembersChanged
from xueji_contracts.topics import CaseMessage


class Placement(NamedTuple):
    school_code: str
    district_code: str
    province_code: str


def placements(event: CaseMessage) -> dict[str, Placement] | None:
    """The group's members after ``event`` by ``member_ref`` (every province's copy names every
    member so), or None when the event does not say."""
    if not isinstance(event, GroupOpened | MembersChanged):
        return None
    return {m.member_ref: Placement(m.school_code, m.district_code, m.province_code) for m in event.members}
