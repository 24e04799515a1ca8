"""Who may upload and read a member's evidence (issue: its school, its bureau, its arbiter)."""

from dataclasses import dataclass

from xueji_contracts.enums import Role

from services.common.errors import OutsideJurisdiction as OutsideJurisdiction
from services.common.errors import Refused

MEMBER_OF_GROUP = "evidence.member_of_group"


@dataclass(frozen=True)
class Member:
    """Where a member sits, and whether it is still in the group (one dedup moved out is not: its
    evidence stays readable by its parties, but nothing more is uploaded for it)."""

    school_code: str
    district_code: str
    province_code: str
    in_group: bool = True


def require_uploader(role: Role, organisation: str, member: Member) -> None:
    if role is not Role.SCHOOL_REGISTRAR or organisation != member.school_code:
        raise OutsideJurisdiction("only the registrar of the member's school uploads its evidence")
    if not member.in_group:
        raise Refused(
            MEMBER_OF_GROUP,
            "该学籍已不在本问题组中，不能再为其上传佐证材料 (the member is no longer in this group: "
            "no evidence can be uploaded for it)",
        )


def require_reader(role: Role, organisation: str, member: Member, arbiter_code: str | None) -> None:
    allowed = (
        (role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER) and organisation == member.school_code)
        or (role is Role.BUREAU_REGISTRAR and organisation == member.district_code)
        or (role is Role.ARBITER and organisation == arbiter_code)
    )
    if not allowed:
        raise OutsideJurisdiction(
            "only the member's school, its bureau and its arbiter may read this evidence"
        )
