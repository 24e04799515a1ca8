"""Who the members and arbiters of a group are, as the case events tell, and one member as an upload
or a link finds it."""

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from xueji_contracts.cases import ArbitrationStateChanged
from xueji_contracts.topics import CaseMessage

from services.common.errors import NotFound
from services.common.members import placements

from ..domain.access import Member
from ..domain.membership import departures, told
from ..ports import Doc, RecordStore


async def member_of(
    records: RecordStore, group_id: UUID, member_ref: str, legacy: str | None = None
) -> tuple[Member, str | None]:
    """The member as learnt from case events (one that left the group too, as no longer in it), and
    its group's arbiter.

    ``legacy`` is the registry number a group learnt its member under before members were kept by
    ``member_ref``: a member found under it is moved to its member_ref on the way.
    """
    case = await records.case(group_id) or {}
    members: dict[str, Doc] = case.get("members", {})
    known = members.get(member_ref)
    if known is None and legacy and (known := members.get(legacy)) is not None:
        await records.learn_members(group_id, {member_ref: known}, [legacy])
    in_group = known is not None
    if known is None:
        known = case.get("departed", {}).get(member_ref)
    if known is None:
        raise NotFound(f"no such member in group {group_id}")
    member = Member(known["school_code"], known["district_code"], known["province_code"], in_group)
    return member, case.get("arbiter_code")


async def learn_members(records: RecordStore, event: CaseMessage) -> None:
    """The group's members are exactly those an event that tells names, by member_ref; those it no
    longer names are kept as departed. A late copy of an older event changes nothing (idempotent)."""
    after = _placed(event)
    if after is None:
        return
    before: dict[str, Doc] = (await records.case(event.group_id) or {}).get("members", {})
    await records.replace_members(event.group_id, after, departures(before, after), event.occurred_at)


async def learn_arbiter(records: RecordStore, event: CaseMessage) -> None:
    """The group's arbiter, once arbitration names one: it may then read the evidence."""
    if isinstance(event, ArbitrationStateChanged) and event.arbiter_code:
        await records.learn_arbiter(event.group_id, event.arbiter_code)


async def learn_parties(records: RecordStore, event: CaseMessage) -> None:
    """Whatever a case event tells of who may upload and read the group's evidence."""
    await learn_members(records, event)
    await learn_arbiter(records, event)


async def learn_parties_of(records: RecordStore, events: Sequence[CaseMessage]) -> None:
    """A batch of case events, as ``learn_parties`` learns them one by one: each group's case read
    once, its events applied in their order (``domain.membership.told``), and written once, all in
    one bulk write. A group another writer changed between the read and the write is learnt again
    event by event."""
    by_group: dict[UUID, list[CaseMessage]] = defaultdict(list)
    for event in events:
        by_group[event.group_id].append(event)
    known = await records.cases_of(list(by_group))
    writes = []
    for group_id, group_events in by_group.items():
        read = known.get(group_id)
        case = dict(read or {})
        for event in group_events:
            arbiter = event.arbiter_code if isinstance(event, ArbitrationStateChanged) else None
            case = told(case, _placed(event), event.occurred_at, arbiter)
        if case != (read or {}):
            writes.append((group_id, read, case))
    for group_id in sorted(await records.write_cases(writes)):
        for event in by_group[group_id]:
            await learn_parties(records, event)


def _placed(event: CaseMessage) -> dict[str, Doc] | None:
    members = placements(event)
    return None if members is None else {ref: p._asdict() for ref, p in members.items()}
