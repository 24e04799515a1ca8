"""The notify use cases: each case event reaches the parties' inboxes and its province's webhook;
each caller reads the inbox of its organisation and role; opted-in organisations get a daily digest.

Consuming case events writes their inbox entries and one delivery job per endpoint, and ends:
the jobs are sent by each endpoint's own sender (``sending.py``), in each group's order, so a
province system that is slow or down never holds up consumption or another province.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xueji_contracts.enums import Role
from xueji_contracts.topics import CaseMessage

from services.common.auth import Principal
from services.common.errors import NotFound
from services.common.members import placements

from .domain.digest import Pending, claim_of, compose_digest, due_day
from .domain.recipients import Members, Recipient, recipients
from .ports import Doc, Mailer, NewJob, NotifyStore, Parts
from .settings import NotifySettings

log = logging.getLogger(__name__)
DIGEST_ITEMS = 1000


@dataclass(frozen=True)
class CaseDelivery:
    """A case event as it arrived: decoded, its exact bytes (signed as they are), the province of
    its topic, and the record itself (what a dead letter keeps)."""

    event: CaseMessage
    body: bytes
    province_code: str
    record: Any


async def notify_case_events(parts: Parts, deliveries: Sequence[CaseDelivery]) -> None:
    """Everything some case events cause, as if one after another: the members each tells of learnt,
    each one's inbox entries from the members known at that event, its province's delivery job.
    Each write is idempotent and one database call for them all, so a batch read again writes
    nothing twice."""
    known = await parts.store.members(sorted({str(d.event.group_id) for d in deliveries}))
    learnt: dict[str, Members] = {}
    inbox: list[tuple[Doc, list[Recipient]]] = []
    for delivery in deliveries:
        group = str(delivery.event.group_id)
        if (told := members_told(delivery.event)) is not None:
            learnt.setdefault(group, {}).update(told)
            known[group] = {**known.get(group, {}), **told}
        inbox.append((json.loads(delivery.body), recipients(delivery.event, known.get(group, {}))))
    await parts.store.learn_members(learnt)
    await parts.store.deliver_to_inbox(inbox, parts.clock())
    jobs = [job for delivery in deliveries if (job := webhook_job(parts, delivery)) is not None]
    await parts.jobs.enqueue(jobs, parts.clock())
    for endpoint in sorted({job.endpoint for job in jobs}):
        parts.wake(endpoint)  # its sender: consuming the next event never waits for a province system


async def notify_case_event(parts: Parts, delivery: CaseDelivery) -> None:
    await notify_case_events(parts, [delivery])


def members_told(event: CaseMessage) -> Members | None:
    """Where the group's members sit, from an event that tells."""
    members = placements(event)
    if members is None:
        return None
    return {ref: (p.school_code, p.district_code, p.province_code) for ref, p in members.items()}


def webhook_job(parts: Parts, delivery: CaseDelivery) -> NewJob | None:
    """The delivery job of the event for its province's webhook (none when it has none)."""
    webhook = parts.webhooks.get(delivery.province_code)
    if webhook is None:
        return None
    event = delivery.event
    return NewJob(webhook.province_code, str(event.event_id), str(event.group_id), delivery.body,
                  delivery.record.partition, delivery.record.offset, getattr(event, "sequence", None))


async def read_inbox(
    store: NotifyStore, reader: Principal, unread_only: bool, page: int, page_size: int
) -> tuple[bool, list[Doc]]:
    """One page of the caller's own inbox (its organisation's, for its role), newest first, and
    whether more follow. A role nobody writes to (a province subscriber, an operator) reads none."""
    offset = (page - 1) * page_size
    return await store.list_inbox(reader.organisation_code, reader.role, unread_only, offset, page_size)


async def mark_read(store: NotifyStore, reader: Principal, entry_id: str) -> None:
    """Mark one of the caller's own entries read."""
    if not await store.mark_read(reader.organisation_code, reader.role, entry_id):
        # another organisation's or another role's entry is as unknown as a missing one
        raise NotFound(f"no notification {entry_id} in your inbox")


async def unread_of(store: NotifyStore, organisation: str) -> list[Pending]:
    """What still waits for each role of the organisation (the digest's items)."""
    pending = []
    for role in Role:
        _, unread = await store.list_inbox(organisation, role, True, 0, DIGEST_ITEMS)
        pending += [Pending(role, d["what"], d.get("group_id")) for d in unread]
    return pending


async def send_digests(settings: NotifySettings, store: NotifyStore, mailer: Mailer, now: datetime) -> int:
    """Send the local day's digest to every opted-in organisation with unread items, once across
    replicas (the first claim of an organisation and day wins); return how many went."""
    day = due_day(now, settings.DIGEST_LOCAL_TIME, settings.DIGEST_TIME_ZONE)
    if day is None:
        return 0
    sent = quiet = failed = 0
    for organisation, address in settings.DIGEST_EMAILS.items():
        claim = claim_of(organisation, day)
        if not await store.claim_digest(claim, now):
            continue  # sent today already, or being sent by another replica
        pending = await unread_of(store, organisation)
        if not pending:
            # nothing waits: no mail, and the claim is kept, so the organisation is not looked at
            # again until tomorrow (entries arriving later today are in tomorrow's digest)
            quiet += 1
            continue
        subject, body = compose_digest(organisation, day, pending)
        if not await mailer.send(address, subject, body):
            await store.release_digest(claim)  # the next check tries again
            failed += 1
            continue
        sent += 1
    if sent or quiet or failed:
        # counts only: the addresses and what the mails say stay out of the logs
        counts = {"day": day.isoformat(), "sent": sent, "nothing_pending": quiet, "failed": failed}
        (log.warning if failed else log.info)("daily digests", extra=counts)
    return sent
