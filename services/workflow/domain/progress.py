"""The campaign's progress (限期消化处理, DOMAIN §8): what one case adds to the counts of every
division its members belong to, read from the case's state alone (no clock).

A case's ``tally`` maps counter keys to how many of its members count there. A key is
``level:code:parent:metric`` (``parent`` is ``-`` for the Ministry), the metric one of
- ``PROBLEM_TYPE:stage``: the members in that stage (every member counts, settled ones too);
- ``PROBLEM_TYPE:overdue``: those whose deadline escalation has fired for the deadline they wait on now;
- ``cleared:YYYY-Www:outcome``: settled members, by the ISO week they settled in and their outcome.
For example ``district:110105:110000:DUPLICATE_ID:to_handle``. The counters are the sums of every
case's tally; a change of a case reaches them as the difference of its new and old tally.
"""

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from xueji_contracts.provinces import province_of

from .deadlines import DeadlinePolicy, waited_on
from .divisions import CITIES_WITHOUT_DISTRICTS, NATIONAL, chain_above, superior_of
from .state import CaseState, Member, Stage

Tally = dict[str, int]
LEVELS = ("national", "province", "city", "district", "school")
NO_PARENT = "-"
OVERDUE = "overdue"
CLEARED = "cleared"
# [decided] the campaign's weeks and dates are those of Beijing time (a week starts Monday 00:00 there)
CAMPAIGN_ZONE = timezone(timedelta(hours=8), "CST")


class Key(NamedTuple):
    level: str
    code: str
    parent: str
    metric: str

    def __str__(self) -> str:
        return f"{self.level}:{self.code}:{self.parent}:{self.metric}"

    @classmethod
    def parse(cls, key: str) -> "Key":
        level, code, parent, metric = key.split(":", 3)
        return cls(level, code, parent, metric)


def level_of(code: str) -> str:
    """The level of a division code: a school's code is longer than six characters; a city without
    districts (东莞) is the district level of its schools."""
    if len(code) > 6:
        return "school"
    if code == NATIONAL:
        return "national"
    if code == province_of(code):
        return "province"
    return "city" if code.endswith("00") and code not in CITIES_WITHOUT_DISTRICTS else "district"


def divisions_of(member: Member) -> list[tuple[str, str, str]]:
    """(level, code, parent) of the member's school, its district and every superior up to the Ministry."""
    school, district = member.brief.school_code, member.brief.district_code
    found = [("school", school, district), ("district", district, superior_of(district))]
    found += [(level_of(code), code, NO_PARENT if code == NATIONAL else superior_of(code))
              for code in chain_above(district)]
    return found


def iso_week(moment: datetime) -> str:
    """``YYYY-Www``: the ISO week of ``moment`` in the campaign's time zone."""
    year, week, _ = moment.astimezone(CAMPAIGN_ZONE).isocalendar()
    return f"{year}-W{week:02d}"


def overdue_members(case: CaseState, policy: DeadlinePolicy) -> set[str]:
    """Registry numbers of the members whose current deadline was escalated (``waited_on``)."""
    fired = set(case.fired)
    return {rn for rn, timer in waited_on(case, policy).items() if timer.key("escalated") in fired}


def tally(case: CaseState, policy: DeadlinePolicy) -> Tally:
    """The case's contribution to the progress counters (see the module's key format)."""
    counts: Counter[str] = Counter()
    overdue = overdue_members(case, policy)
    kind = case.problem_type.value
    for member in case.members.values():
        metrics = [f"{kind}:{member.stage.value}"]
        if member.rn in overdue:
            metrics.append(f"{kind}:{OVERDUE}")
        if member.stage is Stage.SETTLED and member.since is not None and member.outcome is not None:
            metrics.append(f"{CLEARED}:{iso_week(member.since)}:{member.outcome.value}")
        for level, code, parent in divisions_of(member):
            counts.update(str(Key(level, code, parent, metric)) for metric in metrics)
    return dict(sorted(counts.items()))


def difference(new: Tally, old: Tally) -> Tally:
    """What applying ``new`` in place of ``old`` adds to the counters (no zero entries)."""
    keys = sorted(set(new) | set(old))
    return {k: d for k in keys if (d := new.get(k, 0) - old.get(k, 0))}
