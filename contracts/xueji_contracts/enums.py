"""Vocabulary shared by every message (DOMAIN.md §1, §3, §4, §5, §7)."""

from enum import IntEnum, StrEnum


class IdType(StrEnum):
    """身份证件类型. Only ``resident_id`` is deduplicated by number (DOMAIN §2)."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    HONG_KONG = "hong_kong"  # 香港特区护照/身份证明
    MACAO = "macao"  # 澳门特区护照/身份证明
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"  # 境外永久居住证
    PASSPORT = "passport"  # 护照
    OTHER = "other"  # 其他


class Gender(IntEnum):
    MALE = 1
    FEMALE = 2


class RecordStatus(StrEnum):
    PENDING = "pending"  # 未核办
    FORMAL = "formal"  # 已核办
    DELETED = "deleted"


class ProblemType(StrEnum):
    DUPLICATE_ID = "DUPLICATE_ID"  # 身份证件号重复
    DUPLICATE_NGB = "DUPLICATE_NGB"  # 姓名性别出生日期重复
    ID_NOT_FOUND = "ID_NOT_FOUND"  # 身份证件号不存在
    ID_NAME_MISMATCH = "ID_NAME_MISMATCH"  # 身份证件号与姓名不匹配
    ID_CHANGED = "ID_CHANGED"  # 身份证件号已发生变更


class Action(StrEnum):
    ATTEST = "attest"  # 佐证
    AMEND = "amend"  # 变更
    DELETE = "delete"  # 删除


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ArbitrationStatus(StrEnum):
    NOT_NEEDED = "not_needed"
    UNDECIDED = "undecided"  # 等待是否需要进行仲裁
    PENDING = "pending"
    DECIDED = "decided"


class RuleSet(StrEnum):
    R2014 = "2014"
    R2017 = "2017"


class Role(StrEnum):
    SCHOOL_REGISTRAR = "school_registrar"  # 学校学籍管理员
    SCHOOL_LEADER = "school_leader"  # 学校学籍主管领导
    BUREAU_REGISTRAR = "bureau_registrar"  # 主管教育局 (核办)
    ARBITER = "arbiter"  # 仲裁
    PROVINCE_SUBSCRIBER = "province_subscriber"
    OPERATOR = "operator"


class PopulationOutcome(StrEnum):
    VERIFIED = "verified"
    NOT_FOUND = "not_found"
    NAME_MISMATCH = "name_mismatch"
    CHANGED = "changed"


class DeadlineStage(StrEnum):
    SCHOOL_HANDLING = "school_handling"
    BUREAU_REVIEW = "bureau_review"
    ARBITRATION = "arbitration"
    DEDUP_UPDATE = "dedup_update"  # an approved amendment awaits dedup's new state of the record


class SettlementOutcome(StrEnum):
    ATTESTED = "attested"
    AMENDED = "amended"
    DELETED = "deleted"
    LEFT_GROUP = "left_group"  # dedup moved the record out of the group (an upstream change)
    CLEARED = "cleared"  # the conflict went away before this member had to settle anything


class Channel(StrEnum):
    INBOX = "inbox"
    WEBHOOK = "webhook"
    EMAIL = "email"
