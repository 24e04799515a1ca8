"""Who may upload and read a member's evidence."""

import pytest
from xueji_contracts.enums import Role

from services.evidence.domain.access import Member, OutsideJurisdiction, require_reader, require_uploader

MEMBER = Member(school_code="1101050001", district_code="110105", province_code="110000")


def test_only_the_members_school_registrar_uploads() -> None:
    require_uploader(Role.SCHOOL_REGISTRAR, "1101050001", MEMBER)
    for role, organisation in [
        (Role.SCHOOL_LEADER, "1101050001"),
        (Role.SCHOOL_REGISTRAR, "1101050002"),
        (Role.BUREAU_REGISTRAR, "110105"),
    ]:
        with pytest.raises(OutsideJurisdiction):
            require_uploader(role, organisation, MEMBER)


@pytest.mark.parametrize(
    ("role", "organisation", "allowed"),
    [
        (Role.SCHOOL_REGISTRAR, "1101050001", True),
        (Role.SCHOOL_LEADER, "1101050001", True),
        (Role.BUREAU_REGISTRAR, "110105", True),
        (Role.ARBITER, "110100", True),
        (Role.SCHOOL_REGISTRAR, "1101050002", False),
        (Role.BUREAU_REGISTRAR, "110108", False),
        (Role.ARBITER, "000000", False),
        (Role.OPERATOR, "000000", False),
    ],
)
def test_its_school_its_bureau_and_its_arbiter_read(role: Role, organisation: str, allowed: bool) -> None:
    if allowed:
        require_reader(role, organisation, MEMBER, arbiter_code="110100")
    else:
        with pytest.raises(OutsideJurisdiction):
            require_reader(role, organisation, MEMBER, arbiter_code="110100")
