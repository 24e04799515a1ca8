"""The two province systems of a soak: webhook endpoints on loopback that check every signature and
record every arrival. They drop nothing themselves, so an event that arrives twice is visible. Each
can be told to fail (answer 503) for a while."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xueji_contracts.webhooks import EVENT_ID, verify


@dataclass(frozen=True)
class Arrival:
    event_id: str
    group_id: str
    sequence: int | None


@dataclass
class Province:
    code: str
    secret: str
    arrivals: list[Arrival] = field(default_factory=list)
    refused: int = 0  # answered 503 while failing
    unsigned: int = 0
    cut: int = 0  # requests whose body ended early: the sender died mid-request, nothing was delivered
    failing_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_for(self, seconds: float) -> None:
        self.failing_until = time.monotonic() + seconds

    def received(self, headers: dict[str, str], body: bytes) -> int:
        if not verify(self.secret.encode(), headers, body):
            with self.lock:
                self.unsigned += 1
            return 401
        if time.monotonic() < self.failing_until:
            with self.lock:
                self.refused += 1
            return 503
        event = json.loads(body)
        with self.lock:
            arrival = Arrival(headers[EVENT_ID], str(event.get("group_id")), event.get("sequence"))
            self.arrivals.append(arrival)
        return 204

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


def server_for(province: Province) -> ThreadingHTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = self.rfile.read(length)
            if len(body) < length:  # the connection closed mid-body: no answer, as a real receiver
                with province.lock:
                    province.cut += 1
                return
            self.send_response(province.received(dict(self.headers), body))
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    province.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return server


@contextmanager
def serving(codes: tuple[str, ...]) -> Iterator[dict[str, Province]]:
    provinces = {code: Province(code, f"soak-secret-{code}") for code in codes}
    servers = [server_for(p) for p in provinces.values()]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield provinces
    finally:
        for server in servers:
            server.shutdown()


def notify_settings(provinces: dict[str, Province]) -> dict[str, str]:
    """Notify's webhooks, with pauses short enough that a failing endpoint recovers within the run."""
    return {
        "XUEJI_WEBHOOK_URLS": json.dumps({c: p.url for c, p in provinces.items()}),
        "XUEJI_WEBHOOK_SECRETS": json.dumps({c: p.secret for c, p in provinces.items()}),
        "XUEJI_DELIVERY_BACKOFF_SECONDS": "0.5", "XUEJI_DELIVERY_BACKOFF_MAX_SECONDS": "4",
        "XUEJI_CIRCUIT_PAUSE_SECONDS": "2", "XUEJI_CIRCUIT_MAX_PAUSE_SECONDS": "8",
    }
