"""The evidence subscriber with its real wiring on FastStream's in-memory broker; the record store
is the in-memory fake."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, RuleSet
from xueji_contracts.topics import case_topic

from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.evidence.handlers import register_handlers
from services.evidence.main import SERVICE
from services.evidence.settings import EvidenceSettings

from ...unit.evidence.fakes import FakeRecords, case_members
from ...unit.workflow.factories import brief


@dataclass
class Wired:
    broker: KafkaBroker
    records: FakeRecords
    settings: EvidenceSettings


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    settings = EvidenceSettings(ENVIRONMENT="test")
    dead_letters = DeadLetters(SERVICE, attempts=1, backoff_seconds=0.01)
    broker = make_broker(settings, SERVICE, dead_letters)
    records = FakeRecords()
    register_handlers(broker, settings, records, dead_letters)
    async with TestKafkaBroker(broker) as test_broker:
        yield Wired(test_broker, records, settings)


async def test_members_of_an_opened_group_and_its_arbiter_are_learnt_by_member_ref(wired: Wired) -> None:
    group, member = uuid4(), brief(1, "440103", prefix="G")  # G + the member's 18-digit ID number
    common = {"producer": "workflow", "group_id": group, "problem_type": ProblemType.DUPLICATE_ID,
              "province_codes": ("440000",)}
    opened = ev.GroupOpened(**common, rule_set=RuleSet.R2017, members=case_members(member),
                            arbitration_status=ArbitrationStatus.NOT_NEEDED)
    pending = ev.ArbitrationStateChanged(**common, status=ArbitrationStatus.PENDING, arbiter_code="440000")
    for event in (opened, pending):
        await wired.broker.publish(event, case_topic("440000"), key=str(group).encode())
    case = await wired.records.case(group) or {}
    assert list(case["members"]) == [wired.settings.member_ref(member.registry_number)]
    assert case["members"][wired.settings.member_ref(member.registry_number)] == {
        "school_code": member.school_code, "district_code": "440103", "province_code": "440000"}
    assert case["arbiter_code"] == "440000"
    kept = json.dumps(case)
    assert member.registry_number not in kept and member.registry_number[1:] not in kept


async def test_the_subscriber_keeps_its_consumer_group_and_acks_only_once_handled(wired: Wired) -> None:
    [subscriber] = wired.broker.subscribers
    assert getattr(subscriber, "group_id", None) == "xueji-evidence.cases"
    assert getattr(subscriber, "ack_policy", None) is AckPolicy.NACK_ON_ERROR


async def test_a_membership_change_leaves_exactly_the_members_it_names(wired: Wired) -> None:
    group, stays, leaves = uuid4(), brief(1, "110105"), brief(2, "110108")
    common = {"producer": "workflow", "group_id": group, "problem_type": ProblemType.DUPLICATE_ID,
              "province_codes": ("110000",)}
    opened = ev.GroupOpened(**common, rule_set=RuleSet.R2017, members=case_members(stays, leaves),
                            arbitration_status=ArbitrationStatus.NOT_NEEDED)
    ref = wired.settings.member_ref
    changed = ev.MembersChanged(**common, members=case_members(stays), left=(ref(leaves.registry_number),))
    for event in (opened, changed, opened):  # the opening read again afterwards changes nothing
        await wired.broker.publish(event, case_topic("110000"), key=str(group).encode())
    case = await wired.records.case(group) or {}
    assert list(case["members"]) == [ref(stays.registry_number)]
    assert list(case["departed"]) == [ref(leaves.registry_number)]
