"""The exported list of problem records (DOMAIN §8, 导出): one row per member, shown exactly as the
case view shows it (``disclosure``), with the column headings and wording in one place.
"""

from xueji_contracts.enums import ArbitrationStatus, ProblemType, SettlementOutcome

from .deadlines import DeadlinePolicy, waited_on
from .disclosure import shown_brief, shown_registry_number
from .progress import CAMPAIGN_ZONE
from .state import Actor, CaseState, Member, Stage

COLUMNS = ("学籍号", "姓名", "学校代码", "问题类型", "处理状态", "是否需要仲裁", "期限", "问题组")
Row = tuple[str, ...]

PROBLEM_TYPES = {
    ProblemType.DUPLICATE_ID: "身份证件号重复",
    ProblemType.DUPLICATE_NGB: "姓名性别出生日期重复",
    ProblemType.ID_NOT_FOUND: "身份证件号不存在",
    ProblemType.ID_NAME_MISMATCH: "身份证件号与姓名不匹配",
    ProblemType.ID_CHANGED: "身份证件号已发生变更",
}
STAGES = {
    Stage.TO_HANDLE: "待处理",
    Stage.AWAITING_LEADER: "待学校主管领导确认",
    Stage.AWAITING_REVIEW: "主管教育局未审核",
    Stage.APPROVED: "主管教育局审核通过",
    Stage.AWAITING_DEDUP: "变更已通过，待查重更新",
    Stage.SETTLED: "处理结束",
}
OUTCOMES = {
    SettlementOutcome.ATTESTED: "佐证",
    SettlementOutcome.AMENDED: "变更",
    SettlementOutcome.DELETED: "删除",
    SettlementOutcome.LEFT_GROUP: "已移出本组",
    SettlementOutcome.CLEARED: "问题已消除",
}
ARBITRATION = {
    ArbitrationStatus.NOT_NEEDED: "否",
    ArbitrationStatus.UNDECIDED: "等待是否需要进行仲裁",
    ArbitrationStatus.PENDING: "是",
    ArbitrationStatus.DECIDED: "已仲裁",
}


def stage_text(member: Member) -> str:
    text = STAGES[member.stage]
    return f"{text}（{OUTCOMES[member.outcome]}）" if member.outcome is not None else text


def export_rows(case: CaseState, actor: Actor, policy: DeadlinePolicy) -> list[Row]:
    """The case's members as the caller may see them: a member of another province without registry
    number or name, another school's G number masked, names always masked (the case holds no other)."""
    due = {rn: timer.due_at for rn, timer in waited_on(case, policy).items()}
    rows: list[Row] = []
    for member in case.members.values():
        brief = shown_brief(actor, case, member)
        side = case.sides.get(case.side_of(member))
        deadline = due.get(member.rn)
        rows.append((
            shown_registry_number(actor, case, member) or "",
            brief.masked_name if brief else "",
            member.brief.school_code,
            PROBLEM_TYPES[case.problem_type],
            stage_text(member),
            ARBITRATION[side.arbitration if side else ArbitrationStatus.NOT_NEEDED],
            deadline.astimezone(CAMPAIGN_ZONE).date().isoformat() if deadline else "",
            str(case.group_id),
        ))
    return rows
