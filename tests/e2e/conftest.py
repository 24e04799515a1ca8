"""The whole system as processes on the real local stack (see tests/system.py)."""

from collections.abc import Iterator

import pytest

from ..system import SERVICES, System, eventually, running_system

__all__ = ["SERVICES", "System", "eventually"]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("system")) as running:
        yield running
