"""Publishing notify's own events (``notification.failed``) on the service's broker."""

from faststream.kafka import KafkaBroker
from pydantic import BaseModel


class BrokerPublisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def publish(self, event: BaseModel, topic: str, key: str) -> None:
        await self.broker.publish(event, topic, key=key.encode())
