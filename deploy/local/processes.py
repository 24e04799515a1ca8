#!/usr/bin/env python3
"""The platform's own services as local background processes.

    python3 deploy/local/processes.py up|down|status|demo

Each service runs from the project's virtual environment with the local stack's
endpoints, logs to $XUEJI_STACK_DIR/logs and keeps a PID file; ``up`` waits until the
/readyz of its management port (its HTTP port + 1000: 9001..9006) answers 200. A service whose
entry point is not installed is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import stack

VENV_BIN = stack.ROOT / ".venv" / "bin"


@dataclass(frozen=True)
class Service:
    name: str
    entry_point: str
    port: int

    @property
    def management_port(self) -> int:
        """Where its /healthz, /readyz, /metrics and /docs are (the HTTP port answers 404 for them)."""
        return self.port + 1000

    @property
    def pidfile(self) -> Path:
        return stack.stack_dir() / "run" / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return stack.stack_dir() / "logs" / f"{self.name}.log"

    @property
    def installed(self) -> bool:
        return (VENV_BIN / self.entry_point).exists()


SERVICES = [
    Service("dedup", "xueji-dedup", 8001),
    Service("population-standin", "xueji-population-standin", 8005),
    Service("workflow", "xueji-workflow", 8002),
    Service("evidence", "xueji-evidence", 8003),
    Service("notify", "xueji-notify", 8004),
    Service("console", "xueji-console", 8006),  # the people's screens, over the APIs above
]


def _pid(service: Service) -> int | None:
    try:
        pid = int(service.pidfile.read_text())
    except (OSError, ValueError):
        return None
    return pid if stack._alive(pid) else None


def _ready(service: Service) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{service.management_port}/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _env(service: Service) -> dict[str, str]:
    env = dict(os.environ)
    env.update(dict(line.split("=", 1) for line in stack.env_lines()))
    env["XUEJI_HTTP_PORT"] = str(service.port)
    env["XUEJI_MANAGEMENT_PORT"] = str(service.management_port)
    env["XUEJI_INSTANCE_ID"] = service.name  # a restarted service takes its partitions back at once
    return env


def up() -> None:
    for service in SERVICES:
        if not service.installed:
            print(f"{service.name}: not built yet, skipped")
            continue
        if pid := _pid(service):
            print(f"{service.name}: already running (pid {pid})")
            continue
        service.logfile.parent.mkdir(parents=True, exist_ok=True)
        service.pidfile.parent.mkdir(parents=True, exist_ok=True)
        with service.logfile.open("ab") as log:
            proc = subprocess.Popen([str(VENV_BIN / service.entry_point)], stdout=log,  # noqa: S603
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, env=_env(service), cwd=stack.ROOT)
        service.pidfile.write_text(str(proc.pid))
        print(f"{service.name}: started (pid {proc.pid}, http://127.0.0.1:{service.port}, "
              f"management http://127.0.0.1:{service.management_port})")
    for service in SERVICES:
        if service.installed:
            deadline = time.monotonic() + 60
            while not _ready(service):
                if time.monotonic() > deadline or _pid(service) is None:
                    raise SystemExit(f"{service.name}: not ready; see {service.logfile}")
                time.sleep(0.5)
            print(f"{service.name}: ready")


def down() -> None:
    for service in SERVICES:
        if _pid(service) is None:
            service.pidfile.unlink(missing_ok=True)
            continue
        stack.stop(stack.Server(service.name, service.port), timeout=15)


def status() -> int:
    down_count = 0
    for service in SERVICES:
        if not service.installed:
            continue
        pid = _pid(service)
        state = "ready" if pid and _ready(service) else ("starting" if pid else "down")
        down_count += state != "ready"
        print(f"{service.name:18} {state:8} port {service.port:<6} management {service.management_port:<6} "
              f"pid {pid or '-'}  log {service.logfile}")
    return 1 if down_count else 0


DEMO = ["--count", "2000", "--seed", "2017"]


def demo() -> None:
    xueji, env = VENV_BIN / "xueji", _env(SERVICES[0])
    result = subprocess.run([str(xueji), "demo", "--help"], capture_output=True, env=env)  # noqa: S603
    if result.returncode != 0:
        print("demo data: no loader built yet, skipped")
        return
    # the population stand-in reads its fixture for each batch: written (from the same count and
    # seed) before the registrations go out; what the data holds is said at the end
    fixture = subprocess.run([str(VENV_BIN / "python"), "-m", "services.dedup.demo", *DEMO],  # noqa: S603
                             check=True, stdout=subprocess.PIPE, encoding="utf-8", cwd=stack.ROOT,
                             env={**env, "PYTHONIOENCODING": "utf-8"})
    subprocess.run([str(xueji), "demo", *DEMO], check=True, env=env, cwd=stack.ROOT)  # noqa: S603
    print(fixture.stdout, end="")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "up":
        up()
    elif command == "down":
        down()
    elif command == "status":
        return status()
    elif command == "demo":
        demo()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
