"""Settings of the workflow service (``XUEJI_`` environment variables)."""

from xueji_contracts.enums import RuleSet

from services.common.settings import ServiceSettings

from .domain.deadlines import DeadlinePolicy


class WorkflowSettings(ServiceSettings):
    HTTP_PORT: int = 8002
    CONSUMER_GROUP: str = "xueji-workflow"
    RULE_SET: RuleSet = RuleSet.R2017  # the set new groups open under (DOMAIN §7)
    OUTBOX_SWEEP_SECONDS: float = 10.0
    PAGE_SIZE_MAX: int = 200
    SCHOOL_HANDLING_DAYS: int = 15
    BUREAU_REVIEW_DAYS: int = 7
    ARBITRATION_DAYS: int = 15
    REMINDER_DAYS_BEFORE: int = 2
    DEADLINE_SCAN_SECONDS: float = 60.0

    @property
    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            self.SCHOOL_HANDLING_DAYS,
            self.BUREAU_REVIEW_DAYS,
            self.ARBITRATION_DAYS,
            self.REMINDER_DAYS_BEFORE,
        )
