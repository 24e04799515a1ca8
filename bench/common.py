"""What every benchmark shares: the machine it ran on, percentiles, process CPU, service metrics."""

import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from pymongo import monitoring

VENV_BIN = Path(sys.executable).parent


STATEMENTS = {"insert": "documents", "update": "updates", "delete": "deletes"}  # command: its list


class Statements(monitoring.CommandListener):
    """Write statements a client sends (inserts, updates, deletes), by command and collection."""

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if field := STATEMENTS.get(name):
            self.sent[name, event.command[name]] += len(event.command.get(field, []))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def of(self, command: str | None = None) -> Counter[str]:
        """Statements by collection, of one command or of all."""
        found: Counter[str] = Counter()
        for (name, collection), n in self.sent.items():
            if command in (None, name):
                found[collection] += n
        return found


def machine() -> str:
    cpu = "unknown CPU"
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1) if found else cpu
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} × {cpu}, {memory:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of every process below it (a server that runs as a child)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds(current)
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return total


def management_port(port: int) -> int:
    """The management port (health, metrics) of the service on HTTP ``port``: here its port + 1000."""
    return port + 1000


def metric(port: int, name: str, labels: str = "") -> float:
    """The value of one Prometheus sample of the service on HTTP ``port`` (0 when not exported yet)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{management_port(port)}/metrics", timeout=5) as response:
        text = response.read().decode()
    pattern = re.compile(rf"^{re.escape(name)}(\{{[^}}]*\}})? ([0-9.e+-]+)$", re.MULTILINE)
    return sum(float(value) for found_labels, value in pattern.findall(text) if labels in found_labels)


def samples(port: int, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of one Prometheus metric of the service on HTTP ``port``, by its labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{management_port(port)}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == name}


@dataclass
class ServiceProcess:
    """A service started from its console script, with the stack's environment."""

    entry_point: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, **self.env, "XUEJI_HTTP_PORT": str(self.port),
               "XUEJI_MANAGEMENT_PORT": str(self.management_port), "XUEJI_LOG_LEVEL": "WARNING"}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(VENV_BIN / self.entry_point)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.management_port}/readyz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.entry_point} did not become ready; see {self.log}")

    @property
    def management_port(self) -> int:
        return management_port(self.port)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
