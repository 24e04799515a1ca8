"""The daily digest: one e-mail per organisation summarising what still waits for it."""

from collections import Counter
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Pending:
    what: str
    group_id: str | None


def compose_digest(organisation: str, day: date, pending: list[Pending]) -> tuple[str, str]:
    """(subject, plain-text body); no names or ID numbers, only what to do and in which group."""
    subject = f"学籍问题处理 {day:%Y-%m-%d}: {len(pending)} pending item(s) for {organisation}"
    counts = Counter(p.what for p in pending)
    lines = [f"Pending for {organisation} on {day:%Y-%m-%d}:", ""]
    lines += [f"  {count} × {what}" for what, count in counts.most_common()]
    lines += ["", "Groups:", *sorted({f"  {p.group_id}" for p in pending if p.group_id})]
    return subject, "\n".join(lines) + "\n"
