"""Cases and actors for workflow tests."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from xueji_contracts.cases import CaseMember
from xueji_contracts.enums import Action, IdType, ProblemType, RecordStatus, ReviewDecision, Role, RuleSet
from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.common.settings import ServiceSettings
from services.workflow.domain.case import Actor, Case
from services.workflow.domain.handling import open_case, review, submit_action

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REF = ServiceSettings(ENVIRONMENT="test").member_ref  # the member references of the test stack
EVIDENCE = (UUID("00000000-0000-4000-8000-000000000001"),)


def brief(
    n: int,
    district: str = "110105",
    prefix: str = "L",
    status: RecordStatus = RecordStatus.PENDING,
    matches: bool = False,
) -> MemberBrief:
    number = f"{district}2012010{n:04d}1"[:18]
    rn = f"G{number}" if prefix == "G" else f"L{district}20120101{n:04d}"
    return MemberBrief(
        registry_number=rn,
        registry_prefix=prefix,
        school_code=f"{district}{n:04d}",
        district_code=district,
        province_code=district[:2] + "0000",
        status=status,
        id_type=IdType.RESIDENT_ID,
        masked_name="张*",
        id_matches_registry=matches,
    )


def case_of(
    *briefs: MemberBrief, problem: ProblemType = ProblemType.DUPLICATE_ID, rule_set: RuleSet = RuleSet.R2017
) -> Case:
    event = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=problem, members=briefs)
    case = open_case(event, rule_set, NOW, REF)
    case.pending.clear()
    return case


def registrar(b: MemberBrief) -> Actor:
    return Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=b.school_code)


def leader(b: MemberBrief) -> Actor:
    return Actor(role=Role.SCHOOL_LEADER, organisation_code=b.school_code)


def bureau(b: MemberBrief) -> Actor:
    return Actor(role=Role.BUREAU_REGISTRAR, organisation_code=b.district_code)


def arbiter(code: str) -> Actor:
    return Actor(role=Role.ARBITER, organisation_code=code)


def kinds(case: Case) -> list[str]:
    return [getattr(e, "event_type", "") for e in case.pending]


def attest(case: Case, member: MemberBrief, *, approve: bool = False, opinion: str = "two children") -> None:
    """The member's school attests with evidence; with ``approve`` its bureau approves too."""
    submit_action(case, registrar(member), member.registry_number, Action.ATTEST, NOW, evidence_ids=EVIDENCE,
                  known_evidence=frozenset(EVIDENCE), opinion=opinion)
    if approve:
        review(case, bureau(member), member.registry_number, ReviewDecision.APPROVED, None, NOW)


def evidence_stored(group_id: UUID, member: MemberBrief, evidence_id: UUID = EVIDENCE[0]) -> EvidenceStored:
    """What the evidence service announces for a file uploaded for ``member``."""
    return EvidenceStored(producer="evidence", evidence_id=evidence_id, group_id=group_id,
                          registry_number=member.registry_number, province_code=member.province_code,
                          uploaded_by=member.school_code, file_type="jpg", size_bytes=1000, sha256="0" * 64,
                          file_name="户口簿.jpg")


def case_members(*briefs: MemberBrief) -> tuple[CaseMember, ...]:
    """Members as a case event names them (the copy of a topic every member's province shares)."""
    return tuple(CaseMember(member_ref=REF(b.registry_number), school_code=b.school_code,
                            district_code=b.district_code, province_code=b.province_code, brief=b)
                 for b in briefs)


def mention(b: MemberBrief) -> dict[str, str]:
    """How a case event names one member."""
    return {"member_ref": REF(b.registry_number), "registry_number": b.registry_number}
