"""Settings of the workflow service (``XUEJI_`` environment variables)."""

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from xueji_contracts.enums import RuleSet
from xueji_contracts.provinces import PROVINCES

from services.common.settings import DEVELOPMENT_NAME_SEARCH_KEY, ServiceSettings, require_random_bytes

from .domain.deadlines import DeadlinePolicy


class WorkflowSettings(ServiceSettings):
    HTTP_PORT: int = 8002
    MANAGEMENT_PORT: int = 9002
    CONSUMER_GROUP: str = "xueji-workflow"
    RULE_SET: RuleSet = RuleSet.R2017  # the set new groups open under (DOMAIN §7)
    # a province still on another set: XUEJI_RULE_SETS='{"440000": "2014"}' (a group of several
    # provinces that disagree opens under RULE_SET)
    RULE_SETS: dict[str, RuleSet] = Field(default_factory=dict)

    @field_validator("RULE_SETS")
    @classmethod
    def _provinces(cls, value: dict[str, RuleSet]) -> dict[str, RuleSet]:
        unknown = sorted(set(value) - set(PROVINCES))
        if unknown:
            raise ValueError(f"XUEJI_RULE_SETS names {unknown}: not provincial units (e.g. 440000)")
        return value
    OUTBOX_SWEEP_SECONDS: float = 10.0
    # problem events read at most this many at a time; the new groups among them open in one write
    PROBLEM_BATCH_RECORDS: int = Field(default=200, gt=0)
    PAGE_SIZE_MAX: int = 200
    SCHOOL_HANDLING_DAYS: int = 15
    BUREAU_REVIEW_DAYS: int = 7
    ARBITRATION_DAYS: int = 15
    REMINDER_DAYS_BEFORE: int = 2
    DEDUP_UPDATE_DAYS: int = 3  # an approved amendment not yet reflected by dedup is escalated after
    DEADLINE_SCAN_SECONDS: float = 60.0
    # The progress counters count each case change about PROGRESS_SWEEP_SECONDS after it, when the
    # outbox relay empties the outboxes it published (and in the sweep, every PROGRESS_SWEEP_SECONDS,
    # what a crash left), so a request or a consumed event never waits for them (the statistics show
    # what is still pending).
    # PROGRESS_INLINE=true counts each write right after it as well: current at once, at the cost of
    # about 15 database operations more per write, several on the same few counter documents.
    PROGRESS_SWEEP_SECONDS: float = Field(default=2.0, gt=0)
    PROGRESS_INLINE: bool = False
    # a change of a case left half-counted (a crashed replica) is taken over after this long
    PROGRESS_TAKEOVER_SECONDS: float = 60.0
    # dedup's key of each member brief's ``name_key`` (the same value): a searched name is hashed with it
    NAME_SEARCH_KEY: SecretStr = SecretStr(DEVELOPMENT_NAME_SEARCH_KEY)

    @model_validator(mode="after")
    def _strong_search_key(self) -> Self:
        """Outside local and test the search key hashes every searched name: at least 32 random bytes."""
        require_random_bytes("NAME_SEARCH_KEY", self.NAME_SEARCH_KEY, self.is_development)
        return self

    @property
    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            self.SCHOOL_HANDLING_DAYS,
            self.BUREAU_REVIEW_DAYS,
            self.ARBITRATION_DAYS,
            self.REMINDER_DAYS_BEFORE,
            self.DEDUP_UPDATE_DAYS,
        )
