"""The daily digest: one e-mail per organisation and local day summarising what still waits for it,
role by role (an inbox belongs to an organisation and a role; the address belongs to the organisation).

It goes to people, so it is in Chinese, and it leaves the system, so it says only what to do and in
which group: the document's words of each entry, never the free text after them (a rejection's
reason may name a student), no names, no ID numbers.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from xueji_contracts.enums import Role

from .wording import role_name


@dataclass(frozen=True)
class Pending:
    role: Role
    what: str
    group_id: str | None


def due_day(now: datetime, local_time: time, zone: ZoneInfo) -> date | None:
    """The local day whose digest is due at ``now``: today where the organisation is, once its clock
    has reached ``local_time``; None before that (yesterday's was due, and was sent, yesterday)."""
    local = now.astimezone(zone)
    return local.date() if local.time() >= local_time else None


def claim_of(organisation: str, day: date) -> str:
    """One digest per organisation and local day, whichever replica sends it."""
    return f"{organisation}:{day.isoformat()}"


def headline(what: str) -> str:
    """The document's words of an inbox entry: what comes before its English gloss, so neither the
    gloss nor a free-text reason after it (``…驳回 (…): reason``) reaches the mail."""
    return what.split(" (", 1)[0].strip()


def compose_digest(organisation: str, day: date, pending: list[Pending]) -> tuple[str, str]:
    """(subject, plain-text body): for each role, how many entries of each kind wait and in which groups."""
    subject = f"学籍问题处理每日提醒 {day:%Y-%m-%d}：{organisation} 有 {len(pending)} 项待办"
    lines = [f"{organisation} 截至 {day:%Y-%m-%d} 尚有 {len(pending)} 项待办（未读通知）。"]
    for role in (r for r in Role if any(p.role is r for p in pending)):
        mine = [p for p in pending if p.role is role]
        counts = Counter(headline(p.what) for p in mine)
        groups = sorted({p.group_id for p in mine if p.group_id})
        lines += ["", f"{role_name(role)}：{len(mine)} 项",
                  *[f"  {what}：{count} 项" for what, count in counts.most_common()]]
        if groups:
            lines += [f"  涉及问题学籍组 {len(groups)} 个：", *[f"    {group}" for group in groups]]
    lines += ["", "请登录学籍问题处理系统查看并处理。本邮件由系统自动发送，请勿回复。"]
    return subject, "\n".join(lines) + "\n"
