"""Background loops of a service keep running after a failed run; its collector is settled at start-up."""

import asyncio
import gc
from collections.abc import Iterator

import pytest

from services.common.http import settle_collector
from services.common.service import every


async def test_a_failed_run_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the database blinked")

    task = asyncio.create_task(every(0.01, work, "test loop")())
    async with asyncio.timeout(5):
        while len(runs) < 3:  # noqa: ASYNC110 - waiting on the loop under test
            await asyncio.sleep(0.01)
    task.cancel()
    assert "background run failed" in caplog.text


@pytest.fixture
def collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector")
def test_what_start_up_made_is_frozen_and_the_youngest_are_collected_less_often() -> None:
    _, middle, oldest = gc.get_threshold()
    settle_collector(50_000)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (50_000, middle, oldest)


@pytest.mark.usefixtures("collector")
def test_a_threshold_of_zero_keeps_pythons_own() -> None:
    before = gc.get_threshold()
    settle_collector(0)
    assert gc.get_threshold() == before
