"""The local stack: idempotent start, real clients, topics from the catalogue."""

import io
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from minio import Minio
from pymongo import AsyncMongoClient
from xueji_contracts import catalogue

from services.cli.topics import create_topics
from services.common.settings import ServiceSettings

from ..soak.disruptions import local_stack

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def stack(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "deploy/local/stack.py"), command],  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


def test_starting_the_stack_twice_starts_no_second_copy() -> None:
    before = stack("status")
    again = stack("up")
    after = stack("status")
    assert again.returncode == 0
    assert again.stdout.count("already running") == 3
    assert before.stdout == after.stdout


async def test_mongodb_answers_with_transactions(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    collection = mongo.stacktest[f"t{unique}"]
    async with mongo.start_session() as session, await session.start_transaction():
        await collection.insert_one({"_id": 1}, session=session)
    assert await collection.count_documents({}) == 1


def test_s3_enforces_signatures(unique: str) -> None:
    settings = ServiceSettings()
    endpoint = __import__("os").environ["XUEJI_S3_ENDPOINT"]
    good = Minio(endpoint, access_key="xueji-local", secret_key="xueji-local-secret", secure=False)
    good.make_bucket(f"t{unique}")
    good.put_object(f"t{unique}", "a", io.BytesIO(b"abc"), 3)
    assert good.stat_object(f"t{unique}", "a").size == 3
    bad = Minio(endpoint, access_key="xueji-local", secret_key="wrong", secure=False)
    with pytest.raises(Exception, match=r"SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        bad.stat_object(f"t{unique}", "a")
    assert settings.KAFKA_BOOTSTRAP


async def test_topics_are_created_from_the_catalogue_and_creation_is_idempotent() -> None:
    settings = ServiceSettings()
    await create_topics(settings, 1, report=lambda _: None)
    created_again = await create_topics(settings, 1, report=lambda _: None)
    assert created_again == []
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        assert {t.name for t in catalogue()} <= existing
    finally:
        await admin.close()


def test_a_server_does_not_start_on_a_port_something_else_holds() -> None:
    stack_module = local_stack()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = stack_module.Server("kafka", port)
        with pytest.raises(SystemExit, match=f"port\\(s\\) {port} on 127.0.0.1 still in use"):
            stack_module.wait_for_ports(server, timeout=1)
    stack_module.wait_for_ports(server, timeout=1)  # given back: it may start


def test_every_stack_of_the_dev_script_listens_below_the_ephemeral_ports() -> None:
    """While a server is stopped (the soak stops them on purpose), a client's outgoing connection may
    take a port of the ephemeral range as its own, and the server could not listen there again."""
    script = (ROOT / "dev").read_text()
    ports = [int(p) for p in re.findall(r"XUEJI_(?:KAFKA|MONGO|S3)_PORT=(\d+)", script)]
    ports += [int(b) + 8 for b in re.findall(r"XUEJI_WEED_PORT_BASE=(\d+)", script)]  # its highest
    assert len(ports) == 12  # the test, benchmark and soak stacks
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert max(ports) < low
