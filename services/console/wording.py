"""What the console's users read: the platform's codes in the words of the document (Chinese)."""

from datetime import date, datetime

from .client import Refused

PROBLEM_TYPES = {
    "DUPLICATE_ID": "身份证件号重复",
    "DUPLICATE_NGB": "姓名性别出生日期重复",
    "ID_NOT_FOUND": "身份证件号不存在",
    "ID_NAME_MISMATCH": "身份证件号与姓名不匹配",
    "ID_CHANGED": "身份证件号已发生变更",
}
STAGES = {
    "to_handle": "待学校处理",
    "awaiting_leader": "待主管领导确认",
    "awaiting_review": "待教育局审核",
    "approved": "审核通过",
    "awaiting_dedup": "待比对更新",
    "settled": "已处理",
}
OUTCOMES = {
    "attested": "佐证通过",
    "amended": "已变更",
    "deleted": "已删除",
    "left_group": "已移出问题组",
    "cleared": "问题已消除",
}
ACTIONS = {"attest": "佐证", "amend": "变更", "delete": "删除"}
ARBITRATION = {"not_needed": "否", "undecided": "待定", "pending": "是（待仲裁）", "decided": "已仲裁"}
ROLES = {
    "school_registrar": "学校学籍管理员",
    "school_leader": "学校主管领导",
    "bureau_registrar": "主管教育局",
    "arbiter": "仲裁",
    "province_subscriber": "省级订阅",
    "operator": "平台运维",
}
RECORD_STATUS = {"pending": "未核办", "formal": "已核办", "deleted": "已删除"}
GENDERS = {1: "男", 2: "女", "1": "男", "2": "女"}
ID_TYPES = {
    "resident_id": "居民身份证",
    "hong_kong": "香港特区护照/身份证明",
    "macao": "澳门特区护照/身份证明",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "foreign_permanent_residence": "境外永久居住证",
    "passport": "护照",
    "other": "其他",
}
FIELDS = {"name": "姓名", "id_number": "身份证件号", "id_type": "身份证件类型", "gender": "性别",
          "birth_date": "出生日期"}
HISTORY = {
    "group_opened": "问题组产生",
    "group_opened_by_reinitiation": "重新发起产生问题组",
    "group_reopened": "问题组重新打开",
    "group_closed": "问题组处理完毕",
    "member_joined": "新学籍加入问题组",
    "member_details_changed": "学籍信息更新",
    "submitted_attest": "提交佐证",
    "submitted_amend": "提交变更",
    "submitted_delete": "提交删除",
    "deletion_confirmed": "主管领导确认删除",
    "request_withdrawn": "撤回申请",
    "request_declined": "主管领导不同意删除",
    "request_cancelled": "申请已取消",
    "reviewed_approved": "教育局审核通过",
    "reviewed_rejected": "教育局审核不通过",
    "auto_rejected": "因同组其他佐证通过而自动驳回",
    "arbitration_pending": "需要仲裁",
    "arbitration_not_needed": "无需仲裁",
    "arbitration_undecided": "等待是否需要进行仲裁",
    "arbitration_decided": "已仲裁",
    "arbitration_approved": "仲裁通过",
    "arbitration_rejected": "仲裁未通过",
    "amendment_applied": "变更已生效",
    "amendment_left_problem": "变更后问题仍在",
    "reinitiated": "发起重新处理",
    "settled_attested": "处理完成（佐证）",
    "settled_amended": "处理完成（变更）",
    "settled_deleted": "处理完成（删除）",
    "settled_left_group": "移出问题组",
    "settled_cleared": "问题已消除",
}
DEADLINE_STAGES = {"school_handling": "学校处理", "bureau_review": "教育局审核", "arbitration": "仲裁",
                   "dedup_update": "比对更新"}
PROBLEMS = {
    "outside_jurisdiction": "不在您的管辖范围内",
    "group_not_found": "没有这个问题组",
    "not_found": "没有找到",
    "invalid_input": "输入有误",
    "invalid_action": "当前不能进行此操作",
    "refused": "当前不能进行此操作",
    "evidence_not_known_yet": "佐证材料还在登记中，请稍后再提交",
    "file_refused": "文件不符合要求",
    "unavailable": "服务暂时不可用，请稍后再试",
    "http_401": "登录已失效，请重新登录",
}
FILE_RULES = {
    "file.type_allowed": "只能上传 DOC、RAR、JPG 文件",
    "file.max_size": "文件超过 2 MB",
    "file.content_matches_type": "文件内容与扩展名不符",
    "file.not_empty": "文件是空的",
    "file.name": "文件名不可用",
}


def history_text(what: str) -> str:
    if what.startswith("deadline_reminder_"):
        return f"期限提醒（{DEADLINE_STAGES.get(what.removeprefix('deadline_reminder_'), '')}）"
    if what.startswith("deadline_escalated_"):
        return f"逾期上报（{DEADLINE_STAGES.get(what.removeprefix('deadline_escalated_'), '')}）"
    if what.startswith("side_finished_"):
        return f"省份 {what.removeprefix('side_finished_')} 处理完毕"
    return HISTORY.get(what, what)


def problem_text(error: Refused) -> str:
    """The refusal as a sentence: the kind of refusal in Chinese, then the service's own detail."""
    if error.rule and error.rule in FILE_RULES:
        return FILE_RULES[error.rule]
    kind = PROBLEMS.get(error.code, "操作未成功")
    return f"{kind}：{error.detail}" if error.detail and error.detail != kind else kind


def day(value: object) -> str:
    """Dates as the users' consoles show them: YYYY-MM-DD."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return "" if value is None else str(value)


def moment(value: object) -> str:
    if isinstance(value, str) and len(value) >= 16:
        return value[:10] + " " + value[11:16]
    return day(value)
