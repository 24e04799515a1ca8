"""Background loops of a service keep running after a failed run."""

import asyncio

import pytest

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
