"""Pacing of empty fetches: a fetch that added nothing returns no sooner than the interval."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.consumer.fetcher import Fetcher

from services.common import fetching


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)

    fake = SimpleNamespace(sleep=sleep, CancelledError=asyncio.CancelledError)
    monkeypatch.setattr(fetching, "asyncio", fake)
    monkeypatch.setattr(fetching, "_interval", 0.1)
    return asked


def fetch_answering(added: bool) -> Any:
    async def fetch(self: object, *args: object) -> bool:
        return added

    return fetch


async def test_an_early_empty_fetch_waits_out_the_interval(sleeps: list[float]) -> None:
    assert await fetching.paced(fetch_answering(False))(object(), "assignment", 1, "request") is False
    assert len(sleeps) == 1
    assert 0.09 < sleeps[0] <= 0.1


async def test_a_fetch_that_added_records_returns_at_once(sleeps: list[float]) -> None:
    assert await fetching.paced(fetch_answering(True))(object()) is True
    assert sleeps == []


async def test_a_fetch_held_by_the_broker_for_the_interval_does_not_wait_again(
        monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    clock = iter([100.0, 100.5])
    monkeypatch.setattr(fetching, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    assert await fetching.paced(fetch_answering(False))(object()) is False
    assert sleeps == []


async def test_a_cancelled_wait_answers_no_records_like_aiokafka_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetching, "_interval", 60.0)
    task = asyncio.create_task(fetching.paced(fetch_answering(False))(object()))
    await asyncio.sleep(0.01)
    task.cancel()
    assert await task is False


def test_pacing_is_installed_once_and_zero_turns_the_wait_off() -> None:
    fetching.pace_empty_fetches(100)
    installed = Fetcher._proc_fetch_request
    fetching.pace_empty_fetches(0)
    assert Fetcher._proc_fetch_request is installed is not fetching._original
    assert fetching._interval == 0
    fetching.pace_empty_fetches(100)
