"""A province system's subscriber: its own province's case events, typed by xueji-contracts.

    python province_subscriber.py --bootstrap kafka:9092 --province 440000

Needs only ``xueji-contracts`` and a Kafka client that reads zstd batches (``aiokafka[zstd]``
here: the platform's producers compress with zstd). Each event names every member
by ``member_ref``; the registry number and brief come only with the province's own members, so a
member of another province is followed by its reference, province and school.
"""

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError
from xueji_contracts.cases import GroupOpened, MemberEvent, MembersChanged
from xueji_contracts.topics import CaseMessage, case_adapter, case_topic

Members = dict[str, str]  # member_ref → how this province may name it


async def case_events(bootstrap: str, province: str, group: str) -> AsyncIterator[CaseMessage]:
    """Every case event of groups with a member in ``province``, in order per group. A record that is
    not a case event of this contract version is skipped and reported, never fatal."""
    consumer = AIOKafkaConsumer(case_topic(province), bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        async for record in consumer:
            try:
                yield case_adapter.validate_json(record.value or b"")
            except (ValidationError, RecursionError):
                print(f"skipped an unreadable record at {record.topic}:{record.partition}:{record.offset}",
                      file=sys.stderr)
    finally:
        await consumer.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--province", required=True)
    args = parser.parse_args()
    members: Members = {}
    async for event in case_events(args.bootstrap, args.province, f"province-{args.province}"):
        learn(members, event)
        about = members.get(event.member_ref, event.member_ref) if isinstance(event, MemberEvent) else ""
        print(event.occurred_at.isoformat(), event.event_type, event.group_id, about)


def learn(members: Members, event: CaseMessage) -> None:
    """Follow members across events: own members by registry number, others by province and school."""
    if isinstance(event, GroupOpened | MembersChanged):
        for m in event.members:
            members[m.member_ref] = (m.brief.registry_number if m.brief
                                     else f"{m.province_code}/{m.school_code}/{m.member_ref}")


if __name__ == "__main__":
    asyncio.run(main())
