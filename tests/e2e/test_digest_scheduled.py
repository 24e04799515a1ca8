"""The daily digest goes out from the running notify service by itself: over a real SMTP server,
once per organisation and local day, however often and on however many replicas it is checked."""

import asyncio
import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..mailbox import Mailbox, smtp_server
from ..system import BIN, management_port, ready
from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import case_of, fresh_birth, register

pytestmark = pytest.mark.integration
QUIET = "110199"  # an opted-in organisation with nothing waiting: it gets no mail


def inbox_has(system: System, organisation: str, group: str) -> bool:
    with system.client("notify", Role.SCHOOL_REGISTRAR, organisation) as inbox:
        items = inbox.get("/v1/inbox", params={"page_size": 200}).json()["items"]
        return any(n["group_id"] == group for n in items)


def digest_settings(mailbox: Mailbox, emails: dict[str, str]) -> dict[str, str]:
    return {
        "XUEJI_DIGEST_EMAILS": json.dumps(emails),
        "XUEJI_SMTP_HOST": "127.0.0.1",
        "XUEJI_SMTP_PORT": str(mailbox.port),
        "XUEJI_DIGEST_LOCAL_TIME": "00:00",  # due all day, so due now
        "XUEJI_DIGEST_CHECK_SECONDS": "1",
    }


@contextmanager
def second_replica(system: System, settings: dict[str, str]) -> Iterator[int]:
    """Another notify process on the same database, serving the API only (it consumes nothing but
    runs the digest checks all the same); its HTTP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**system.env("notify"), **settings, "XUEJI_HTTP_PORT": str(port),
           "XUEJI_MANAGEMENT_PORT": str(management_port(port)), "XUEJI_SUBSCRIBE": "false",
           "XUEJI_INSTANCE_ID": f"{system.unique}-notify-2"}
    with (system.home / "notify-2.log").open("ab") as log:
        process = subprocess.Popen([str(BIN / "xueji-notify")], env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_the_running_notify_mails_one_digest_per_organisation_and_day(system: System) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    serial, school = rng.randrange(1000, 9996), rng.randrange(1000, 9990)
    a, b = (record(serial + i, number=number, school=f"110105{school + i:04d}", birth=birth)
            for i in range(2))
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as registrar:
        group = str(eventually(lambda: case_of(registrar, members))["group_id"])
    # the entries are there before the digest is first checked: a check that finds nothing waiting
    # keeps the day's claim, and that organisation would get no digest until tomorrow
    for rec in (a, b):
        eventually(partial(inbox_has, system, rec.school_code, group))
    emails = {a.school_code: "school-a@example.cn", b.school_code: "school-b@example.cn",
              QUIET: "quiet@example.cn"}
    with smtp_server() as mailbox:
        settings = digest_settings(mailbox, emails)
        with second_replica(system, settings) as port:
            system.restart_with("notify", settings)
            eventually(partial(ready, port), within=30, every=0.3)
            eventually(lambda: mailbox.to(emails[a.school_code]) and mailbox.to(emails[b.school_code]),
                       within=20, every=0.2)
            await asyncio.sleep(5)  # five more checks on each replica: the day's claims hold
        mails = mailbox.messages
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert sorted(m["To"] for m in mails) == sorted([emails[a.school_code], emails[b.school_code]])
    for rec in (a, b):
        [mail] = [m for m in mails if m["To"] == emails[rec.school_code]]
        subject, body = mail["Subject"], mail.get_content()
        assert subject.startswith(f"学籍问题处理每日提醒 {today:%Y-%m-%d}：{rec.school_code} 有 ")
        assert "学校学籍管理员 (school_registrar)：" in body and "请处理问题学籍：" in body
        assert f"    {group}\n" in body
        for personal in (a.registry_number, b.registry_number, number, a.name):
            assert personal not in subject and personal not in body
