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
from ..domain.membership import told
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


MAX_ATTEMPTS = 20


async def learn_parties(records: RecordStore, event: CaseMessage) -> None:
    """Whatever a case event tells of who may upload and read the group's evidence (idempotent)."""
    await learn_parties_of(records, [event])


async def learn_parties_of(records: RecordStore, events: Sequence[CaseMessage]) -> None:
    """A batch of case events: each group's case read once, its events applied in their order
    (``domain.membership.told``: the members the latest membership event names, a late copy
    changing none), and written once, all in one bulk write, only while the case is as read. A group
    another writer changed in between is read again and its events applied to what it holds now."""
    by_group: dict[UUID, list[CaseMessage]] = defaultdict(list)
    for event in events:
        by_group[event.group_id].append(event)
    todo = list(by_group)
    for _ in range(MAX_ATTEMPTS):
        if not todo:
            return
        known = await records.cases_of(todo)
        writes = []
        for group_id in todo:
            read = known.get(group_id)
            case = dict(read or {})
            for event in by_group[group_id]:
                arbiter = event.arbiter_code if isinstance(event, ArbitrationStateChanged) else None
                case = told(case, _placed(event), event.occurred_at, arbiter)
            if case != (read or {}):
                writes.append((group_id, read, case))
        todo = sorted(await records.write_cases(writes))
    raise RuntimeError(f"{len(todo)} cases kept changing under their writes")


def _placed(event: CaseMessage) -> dict[str, Doc] | None:
    members = placements(event)
    return None if members is None else {ref: p._asdict() for ref, p in members.items()}
