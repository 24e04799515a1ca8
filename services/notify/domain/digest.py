"""The daily digest: one e-mail per organisation summarising what still waits for it, role by role
(an inbox belongs to an organisation and a role; the address belongs to the organisation)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from xueji_contracts.enums import Role

from .wording import role_name


@dataclass(frozen=True)
class Pending:
    role: Role
    what: str
    group_id: str | None


def compose_digest(organisation: str, day: date, pending: list[Pending]) -> tuple[str, str]:
    """(subject, plain-text body); no names or ID numbers, only what to do and in which group."""
    subject = f"学籍问题处理 {day:%Y-%m-%d}: {len(pending)} pending item(s) for {organisation}"
    lines = [f"Pending for {organisation} on {day:%Y-%m-%d}:"]
    for role in (r for r in Role if any(p.role is r for p in pending)):
        counts = Counter(p.what for p in pending if p.role is role)
        lines += ["", f"{role_name(role)}:", *[f"  {count} × {what}" for what, count in counts.most_common()]]
    lines += ["", "Groups:", *sorted({f"  {p.group_id}" for p in pending if p.group_id})]
    return subject, "\n".join(lines) + "\n"


def is_due(now: datetime, hour_utc: int) -> bool:
    """Digests go from the configured hour of the day on (UTC)."""
    return now.hour >= hour_utc


def claim_of(organisation: str, day: date) -> str:
    """One digest per organisation and day, whichever replica sends it."""
    return f"{organisation}:{day.isoformat()}"
