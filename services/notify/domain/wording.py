"""What an inbox entry says, in the document's words first and in English after: kept in one place
so that someone who knows the registry can read and correct it. A value the tables do not know
yet (a newer contract) still reads, in its English name."""

from datetime import datetime

from xueji_contracts.enums import Action, ArbitrationStatus, DeadlineStage, Role, SettlementOutcome

HANDLE = "请处理问题学籍 (handle the problem record (attest, amend or delete))"
CONFIRM_DELETION = "请确认删除申请 (school leader: confirm the deletion request)"
APPROVED = "您的申请已通过核办 (your request was approved)"
AUTO_REJECTED = ("您的佐证被自动判为不通过，请重新处理 "
                 "(your attestation was rejected automatically; handle again)")
ARBITRATE = "请仲裁该组问题学籍 (arbitrate the group)"
WENT_TO_ARBITRATION = "该组已提交仲裁 (the group went to arbitration)"
ARBITER_APPROVED = "仲裁通过了您的佐证 (the arbiter approved your attestation)"
ARBITER_REJECTED = "仲裁未通过您的佐证，请变更或删除 (the arbiter rejected your attestation: amend or delete)"
SIDE_FINISHED = "本省一方处理结束 (your province's side is finished)"
GROUP_CLOSED = "该组问题学籍已关闭 (the group is closed)"
HANDLE_REINITIATED = "请处理发起重新处理的学籍 (handle the re-initiated record)"
REINITIATED = "学籍已发起重新处理 (re-initiated record)"

ENDED = {
    "withdrawn": "申请已被学校撤回 (the request was withdrawn by the school)",
    "declined": "您的删除申请被学校学籍主管领导驳回 "
                "(your deletion request was declined by the school leader)",
    "cancelled": "申请已取消：问题已不存在 (the request was cancelled: the problem is gone)",
    "problem_remains": "变更已生效但问题仍在，请重新处理 "
                       "(the amendment was applied but the problem remains: handle again)",
}

ACTIONS = {Action.ATTEST: "佐证", Action.AMEND: "变更", Action.DELETE: "删除"}
ARBITRATION = {
    ArbitrationStatus.NOT_NEEDED: "无需仲裁",
    ArbitrationStatus.UNDECIDED: "是否需要仲裁待定",
    ArbitrationStatus.PENDING: "待仲裁",
    ArbitrationStatus.DECIDED: "已仲裁",
}
OUTCOMES = {
    SettlementOutcome.ATTESTED: "已佐证",
    SettlementOutcome.AMENDED: "已变更",
    SettlementOutcome.DELETED: "已删除",
    SettlementOutcome.LEFT_GROUP: "已移出该组",
    SettlementOutcome.CLEARED: "问题已消除",
}
STAGES = {
    DeadlineStage.SCHOOL_HANDLING: "学校处理",
    DeadlineStage.BUREAU_REVIEW: "核办",
    DeadlineStage.ARBITRATION: "仲裁",
    DeadlineStage.DEDUP_UPDATE: "查重更新",
}
ROLES = {
    Role.SCHOOL_REGISTRAR: "学校学籍管理员",
    Role.SCHOOL_LEADER: "学校学籍主管领导",
    Role.BUREAU_REGISTRAR: "主管教育局",
    Role.ARBITER: "仲裁单位",
}


def review(action: Action) -> str:
    return f"请核办{ACTIONS.get(action, '')}申请 (review the {action.value} request)"


def rejected(reason: str | None) -> str:
    return f"您的申请未通过核办 (your request was rejected: {reason})"


def request_ended(ended: str, reason: str | None) -> str:
    """Why a request ended; a leader's decline says the leader's reason."""
    return ENDED[ended] + (f": {reason}" if reason and ended == "declined" else "")


def arbitration(status: ArbitrationStatus) -> str:
    return f"{ARBITRATION.get(status, '仲裁状态变更')} (arbitration is {status.value})"


def settled(outcome: SettlementOutcome) -> str:
    return f"处理完毕：{OUTCOMES.get(outcome, outcome.value)} (settled ({outcome.value}))"


def due(stage: DeadlineStage, due_at: datetime) -> str:
    return f"{STAGES.get(stage, stage.value)}期限 {due_at:%Y-%m-%d} ({stage.value} due {due_at:%Y-%m-%d})"


def missed(party_code: str, stage: DeadlineStage) -> str:
    stage_name = STAGES.get(stage, stage.value)
    return f"{party_code} 未在期限内完成{stage_name} ({party_code} missed the {stage.value} deadline)"


def role_name(role: Role) -> str:
    return f"{ROLES[role]} ({role.value})" if role in ROLES else role.value
