"""佐证后发起重新处理: an attest-approved member is handled again in a new one-member group."""

from uuid import UUID

from ..domain.case import Actor
from ..domain.views import CaseView, case_view
from .changing import Cases


async def reinitiate_member(cases: Cases, actor: Actor, group_id: UUID, registry_number: str,
                            confirmed: bool) -> CaseView:
    """The new group is written first (its id derives from the old group and the member, so a retry
    finds it), then the old group records the re-initiation; the answer is the new group."""
    loaded = await cases.load(group_id)
    current = cases.rule_set_for((loaded.member(registry_number).brief.province_code,))
    # decided on the loaded copy first: a refusal writes nothing
    new = loaded.reinitiate(actor, registry_number, confirmed, current, cases.clock())
    await cases.create(new)
    await cases.change(
        group_id, lambda case, now: case.reinitiate(actor, registry_number, confirmed, current, now))
    return case_view(new, actor, policy=cases.policy)
