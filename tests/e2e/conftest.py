"""The whole system as processes on the real local stack: every service started from its console script."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token

BIN = Path(sys.executable).parent
T = TypeVar("T")
SERVICES = {
    "dedup": 18101,
    "population-standin": 18105,
    "workflow": 18102,
    "evidence": 18103,
    "notify": 18104,
}


@dataclass
class System:
    keys: Path
    unique: str
    population_fixture: Path  # what the population database stand-in answers (read afresh per batch)

    def client(self, service: str, role: Role, organisation: str) -> httpx.Client:
        token = mint_token(local_key_pair(self.keys)[0], role, organisation)
        return httpx.Client(
            base_url=f"http://127.0.0.1:{SERVICES[service]}",
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    unique = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("system")
    (home / "population.jsonl").write_text("", encoding="utf-8")
    processes = []
    for name, port in SERVICES.items():
        env = {
            **os.environ,
            "XUEJI_ENVIRONMENT": "test",
            "XUEJI_HTTP_PORT": str(port),
            "XUEJI_MONGO_DATABASE": f"e2e_{unique}",
            "XUEJI_CONSUMER_GROUP": f"e2e-{unique}-{name}",
            "XUEJI_JWT_LOCAL_KEY_DIR": str(home / "jwt"),
            "XUEJI_BUCKET_PREFIX": f"e2e-{unique}",
            "XUEJI_POPULATION_FIXTURE": str(home / "population.jsonl"),
            "XUEJI_LOG_LEVEL": "WARNING",
        }
        log = (home / f"{name}.log").open("wb")
        command = [str(BIN / f"xueji-{name}")]
        processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while not all(ready(port) for port in SERVICES.values()):
            assert time.monotonic() < deadline, f"services not ready; logs in {home}"
            time.sleep(0.3)
        yield System(home / "jwt", unique, home / "population.jsonl")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def eventually(check: Callable[[], T | None], within: float = 60, every: float = 0.5) -> T:
    """Poll ``check`` until it returns something truthy (the system is asynchronous)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "the system did not get there in time"
        time.sleep(every)
