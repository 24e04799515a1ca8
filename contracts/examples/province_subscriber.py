"""A province system's subscriber: its own province's case events, typed by xueji-contracts.

    python province_subscriber.py --bootstrap kafka:9092 --province 440000

Needs only ``xueji-contracts`` and a Kafka client (aiokafka here).
"""

import argparse
import asyncio
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer
from xueji_contracts.topics import CaseMessage, case_adapter, case_topic


async def case_events(bootstrap: str, province: str, group: str) -> AsyncIterator[CaseMessage]:
    """Every case event of groups with a member in ``province``, in order per group."""
    consumer = AIOKafkaConsumer(case_topic(province), bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        async for record in consumer:
            yield case_adapter.validate_json(record.value)
    finally:
        await consumer.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--province", required=True)
    args = parser.parse_args()
    async for event in case_events(args.bootstrap, args.province, f"province-{args.province}"):
        print(event.occurred_at.isoformat(), event.event_type, event.group_id)


if __name__ == "__main__":
    asyncio.run(main())
