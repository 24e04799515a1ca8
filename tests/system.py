"""The whole system as processes on the real local stack, each service from its console script.

Used by tests/e2e and tests/resilience: a ``System`` starts every service with its own
database and consumer groups, hands out authenticated clients, and can ``kill -9`` and
restart a service.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token

from .consumer_groups import groups_of, start_at_end

BIN = Path(sys.executable).parent
T = TypeVar("T")
SERVICES = {
    "dedup": 18101,
    "population-standin": 18105,
    "workflow": 18102,
    "evidence": 18103,
    "notify": 18104,
}


def management_port(port: int) -> int:
    """The management port (health, metrics, API documentation) of the service on HTTP ``port``."""
    return port + 1000


def management_url(port: int) -> str:
    return f"http://127.0.0.1:{management_port(port)}"


def ready(port: int) -> bool:
    """The /readyz of the service on HTTP ``port``, read on its management port, answers 200."""
    try:
        return httpx.get(f"{management_url(port)}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def eventually(check: Callable[[], T | None], within: float = 60, every: float = 0.5) -> T:
    """Poll ``check`` until it returns something truthy (the system is asynchronous)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "the system did not get there in time"
        time.sleep(every)


@dataclass
class System:
    home: Path
    unique: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    settings: dict[str, dict[str, str]] = field(default_factory=dict)  # per service, over the defaults

    @property
    def keys(self) -> Path:
        return self.home / "jwt"

    @property
    def database(self) -> str:
        return f"e2e_{self.unique}"

    @property
    def population_fixture(self) -> Path:
        """What the population database stand-in answers (read afresh for each batch)."""
        return self.home / "population.jsonl"

    def consumer_group(self, name: str) -> str:
        return f"e2e-{self.unique}-{name}"

    def consumer_groups(self) -> dict[str, tuple[str, ...]]:
        groups: dict[str, tuple[str, ...]] = {}
        for name in SERVICES:
            groups |= groups_of(name, self.consumer_group(name))
        return groups

    def env(self, name: str) -> dict[str, str]:
        return {
            **os.environ,
            "XUEJI_ENVIRONMENT": "test",
            "XUEJI_HTTP_PORT": str(SERVICES[name]),
            "XUEJI_MANAGEMENT_PORT": str(management_port(SERVICES[name])),
            "XUEJI_MONGO_DATABASE": self.database,
            "XUEJI_CONSUMER_GROUP": self.consumer_group(name),
            "XUEJI_JWT_LOCAL_KEY_DIR": str(self.keys),
            "XUEJI_BUCKET_PREFIX": f"e2e-{self.unique}",
            "XUEJI_POPULATION_FIXTURE": str(self.population_fixture),
            "XUEJI_LOG_LEVEL": "WARNING",
            "XUEJI_INSTANCE_ID": f"{self.unique}-{name}",
            # group ids derive from keyed hashes: a pepper of its own keeps this system's groups
            # apart from those of other systems on the same broker, whatever numbers they drew
            "XUEJI_PEPPER": f"e2e-{self.unique}-pepper",
            **self.settings.get(name, {}),
        }

    def start(self, name: str) -> None:
        log = (self.home / f"{name}.log").open("ab")
        command = [str(BIN / f"xueji-{name}")]
        process = subprocess.Popen(command, env=self.env(name), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes[name] = process

    def wait_ready(self, *names: str, within: float = 60) -> None:
        eventually(lambda: all(ready(SERVICES[n]) for n in names), within, 0.3)

    def kill(self, name: str) -> None:
        """``kill -9``: no shutdown hooks, no offset commits, nothing flushed."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def restart_after_kill(self, name: str) -> None:
        self.kill(name)
        self.start(name)
        self.wait_ready(name)

    def restart_with(self, name: str, settings: dict[str, str]) -> None:
        """Stop a service cleanly and start it again with other settings (as an operator would)."""
        process = self.processes[name]
        process.terminate()
        process.wait(timeout=30)
        self.settings[name] = settings
        self.start(name)
        self.wait_ready(name)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def client(self, service: str, role: Role, organisation: str) -> httpx.Client:
        token = mint_token(local_key_pair(self.keys)[0], role, organisation)
        return httpx.Client(
            base_url=f"http://127.0.0.1:{SERVICES[service]}",
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )


@contextmanager
def running_system(home: Path) -> Iterator[System]:
    system = System(home)
    system.population_fixture.write_text("", encoding="utf-8")
    asyncio.run(start_at_end(system.consumer_groups()))
    try:
        for name in SERVICES:
            system.start(name)
        system.wait_ready(*SERVICES)
        yield system
    finally:
        system.stop_all()
