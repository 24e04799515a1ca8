"""What a party may see of a member (DOMAIN §8), decided once for the case view and its history.

- A member of another province: province and school only.
- A member the party takes part in (its own school, its district bureau, the arbiter of its
  side, an operator): everything the case keeps, the request's text included.
- Any other member of the party's province: a masked brief, a G registry number masked as an
  ID number is (``G110***********23X``), no gender or birth date, no opinion or reason text.
- Who acted is shown by role and organisation; the acting person's subject only to operators.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from xueji_contracts import cases as ev
from xueji_contracts.enums import Gender, IdType, RecordStatus, Role
from xueji_contracts.envelope import Envelope
from xueji_contracts.provinces import province_of
from xueji_contracts.refs import mask_registry_number

from .state import Actor, CaseState, Member


def sees_in_full(actor: Actor, case: CaseState, member: Member) -> bool:
    """Operators see everyone; an arbiter also the members of the side it arbitrates (all of them
    when the rule set arbitrates nationally); others the members of their own province."""
    if actor.role == Role.OPERATOR or province_of(actor.organisation_code[:6]) == member.brief.province_code:
        return True
    side = case.sides.get(case.side_of(member))
    return actor.role == Role.ARBITER and side is not None and side.arbiter_code == actor.organisation_code


def takes_part(actor: Actor, case: CaseState, member: Member) -> bool:
    """The member's own school, its district bureau, the arbiter of its side, an operator."""
    org = actor.organisation_code
    match actor.role:
        case Role.SCHOOL_REGISTRAR | Role.SCHOOL_LEADER:
            return org == member.brief.school_code
        case Role.BUREAU_REGISTRAR:
            return org == member.brief.district_code
        case Role.ARBITER:
            side = case.sides.get(case.side_of(member))
            return side is not None and org == side.arbiter_code
        case Role.OPERATOR:
            return True
    return False


def shown_registry_number(actor: Actor, case: CaseState, member: Member) -> str | None:
    if not sees_in_full(actor, case, member):
        return None
    return member.rn if takes_part(actor, case, member) else mask_registry_number(member.rn)


class BriefView(BaseModel):
    """A member's brief as one party sees it (the registry number masked for some)."""

    model_config = ConfigDict(frozen=True)

    registry_number: str = Field(description="学籍号; another school's G number masked (G110***********23X).")
    registry_prefix: str
    school_code: str
    district_code: str
    province_code: str
    status: RecordStatus
    id_type: IdType
    masked_name: str
    masked_id_number: str | None = None
    id_matches_registry: bool = False
    gender: Gender | None = Field(default=None, description="For the member's school, bureau and arbiter.")
    birth_date: date | None = None


def shown_brief(actor: Actor, case: CaseState, member: Member) -> BriefView | None:
    """The brief as the party may see it (never the name hash the case finds it by)."""
    if not sees_in_full(actor, case, member):
        return None
    fields = member.brief.model_dump(exclude={"name_key"})
    if not takes_part(actor, case, member):
        fields.update(registry_number=mask_registry_number(member.rn), gender=None, birth_date=None)
    return BriefView(**fields)


def shows_text(actor: Actor, case: CaseState, member: Member) -> bool:
    """A school's opinion, a rejection's reason: for the member's school, bureau and arbiter."""
    return takes_part(actor, case, member)


def shows_subject(actor: Actor) -> bool:
    return actor.role == Role.OPERATOR


def for_province(event: Envelope, province: str, case: CaseState) -> Envelope:
    """The copy of a case event for one province's topic (and webhook): registry numbers and briefs
    of that province's own members only; everyone else by province, school and ``member_ref``."""
    provinces = {m.ref: m.brief.province_code for m in case.members.values()}
    update: dict[str, object] = {}
    if isinstance(event, ev.MemberEvent) and provinces.get(event.member_ref) != province:
        update["registry_number"] = None
    if isinstance(event, ev.GroupOpened | ev.MembersChanged):
        update["members"] = tuple(m if m.province_code == province else m.model_copy(update={"brief": None})
                                  for m in event.members)
    return event.model_copy(update=update) if update else event
