"""The notify use cases: each case event reaches the parties' inboxes and its province's webhook;
each caller reads the inbox of its organisation and role; opted-in organisations get a daily digest.

Messages of one partition are handled one after the other, so one group's deliveries stay
in order; a webhook that fails after its last attempt parks the event in the dead-letter
topic (``xueji dlq replay`` sends it back) and the next event goes on.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xueji_contracts.enums import Role
from xueji_contracts.topics import NOTIFICATIONS, CaseMessage

from services.common.auth import Principal
from services.common.deadletter import PoisonMessage
from services.common.errors import NotFound
from services.common.members import placements

from .domain.delivery import failure_notice, failure_reason
from .domain.digest import Pending, claim_of, compose_digest, is_due
from .domain.recipients import Members, recipients
from .ports import Doc, Mailer, NotifyStore, Parts
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


async def notify_case_event(parts: Parts, delivery: CaseDelivery) -> None:
    """Everything one case event causes, in order: members learnt, inboxes, the webhook."""
    await learn_members(parts.store, delivery.event)
    await deliver_to_inbox(parts, delivery)
    await deliver_webhook(parts, delivery)


async def learn_members(store: NotifyStore, event: CaseMessage) -> None:
    """Where the group's members sit, from an event that tells (idempotent)."""
    members = placements(event)
    if members is not None:
        known: Members = {rn: (p.school_code, p.district_code, p.province_code) for rn, p in members.items()}
        await store.learn_members(str(event.group_id), known)


async def deliver_to_inbox(parts: Parts, delivery: CaseDelivery) -> None:
    """An entry in the inbox of every party that must hear of the event (once each)."""
    members = await parts.store.members(str(delivery.event.group_id))
    event: Doc = json.loads(delivery.body)
    await parts.store.deliver_to_inbox(event, recipients(delivery.event, members), parts.clock())


async def deliver_webhook(parts: Parts, delivery: CaseDelivery) -> None:
    """The event to its province's webhook, once; after the last failed attempt it is parked and
    ``notification.failed`` tells the operators."""
    webhook = parts.webhooks.get(delivery.province_code)
    event_id = str(delivery.event.event_id)
    if webhook is None or await parts.store.delivered(webhook.url, event_id):
        return
    outcome = await parts.sender.deliver(webhook.url, webhook.secret, event_id, delivery.body)
    if outcome.delivered:
        await parts.store.mark_delivered(webhook.url, event_id, outcome.attempts)
        return
    await parts.dead_letters.park(delivery.record, PoisonMessage(failure_reason(webhook, outcome)))
    failed = failure_notice(delivery.event.event_id, webhook, outcome)
    await parts.publisher.publish(failed, NOTIFICATIONS, key=webhook.province_code)


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
    """Send today's digest to every opted-in organisation with unread items; return how many went."""
    if not is_due(now, settings.DIGEST_HOUR_UTC):
        return 0
    sent = 0
    for organisation, address in settings.DIGEST_EMAILS.items():
        claim = claim_of(organisation, now.date())
        if not await store.claim_digest(claim, now):
            continue
        pending = await unread_of(store, organisation)
        if not pending:
            continue
        subject, body = compose_digest(organisation, now.date(), pending)
        if not await mailer.send(address, subject, body):
            await store.release_digest(claim)  # try again at the next run
            log.warning("digest not sent", extra={"organisation": organisation})
            continue
        sent += 1
    return sent
