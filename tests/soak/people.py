"""The schools, bureaus and the arbiter of a soak, acting through the HTTP API on the problems that
appear, as people would: they try again when a service does not answer or asks them to retry.

Every answer is noted (``Answers``): each action seen accepted, each left without an answer (the
service was killed mid-request), and each answer that is neither a documented one nor 503.
"""

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from xueji_contracts.enums import Role

from ..system import System
from ..unit.evidence.samples import JPEG
from .plan import ARBITER, ARBITRATED, BAD_NUMBER, CROSS_PROVINCE, SAME_DISTRICT, SCHOOLS, Unit

Key = tuple[str, str, str]  # (group, registry number, what the case's history calls it)
DOCUMENTED = {"GET": {200, 503}, "POST": {200, 409, 503}}
UPLOADED = {200, 404, 409, 503}  # 404: the evidence service has not heard of the group yet
REGISTRY = re.compile(r"[GJL][0-9X]{18}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Answers:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: Counter[Key] = field(default_factory=Counter)
    unanswered: Counter[Key] = field(default_factory=Counter)
    busy: Counter[Key] = field(default_factory=Counter)  # answered 503
    unexpected: Counter[str] = field(default_factory=Counter)  # "POST /v1/…: 500 code", no personal data

    def call(self, client: httpx.Client, method: str, url: str, key: Key | None = None,
             allowed: set[int] | None = None, **kwargs: Any) -> httpx.Response | None:
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            with self.lock:
                self.statuses[0] += 1
                if key:
                    self.unanswered[key] += 1
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code not in (allowed or DOCUMENTED[method]):
                said = f"{method} {url.split('?')[0]}: {response.status_code} {problem(response)}"
                self.unexpected[UUID.sub("{id}", REGISTRY.sub("{rn}", said))] += 1
            if key and response.status_code == 200:
                self.accepted[key] += 1
            if key and response.status_code == 503:
                self.busy[key] += 1
        return response


def problem(response: httpx.Response) -> str:
    """The problem's code and detail (ids and registry numbers are taken out by the caller)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:120]
    return f"{body.get('code', '')}: {str(body.get('detail', ''))[:160]}" if isinstance(body, dict) else ""


class Cell(threading.Thread):
    """The people of one kind of problem: its schools' registrars and leaders, their bureaus, the arbiter."""

    def __init__(self, system: System, kind: str, units: list[Unit], answers: Answers) -> None:
        super().__init__(daemon=True, name=f"people-{kind}")
        self.system, self.kind, self.answers = system, kind, answers
        self.stopped = threading.Event()
        self.role_of: dict[str, int] = {}  # registry number → 0 (member A) or 1 (member B)
        self.right_number: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.attested: set[tuple[str, str]] = set()  # (group, rn) this cell attested
        self.evidence: dict[tuple[str, str], str] = {}
        self.to_reinitiate: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.add(units)

    def add(self, units: list[Unit]) -> None:
        with self.lock:
            for u in units:
                for i, rec in enumerate(u.records):
                    self.role_of[rec.registry_number] = i
                    self.names[rec.registry_number] = rec.name
                    if u.right_number:
                        self.right_number[rec.registry_number] = u.right_number

    def client(self, service: str, role: Role, organisation: str) -> httpx.Client:
        return self.system.client(service, role, organisation)

    def run(self) -> None:
        places = SCHOOLS[self.kind]
        registrars = [(s, self.client("workflow", Role.SCHOOL_REGISTRAR, s)) for _, s in places]
        leaders = {s: self.client("workflow", Role.SCHOOL_LEADER, s) for _, s in places}
        uploaders = {s: self.client("evidence", Role.SCHOOL_REGISTRAR, s) for _, s in places}
        districts = sorted({d for d, _ in places})
        bureaus = [(d, self.client("workflow", Role.BUREAU_REGISTRAR, d)) for d in districts]
        arbiter = self.client("workflow", Role.ARBITER, ARBITER)
        while not self.stopped.wait(0.3):
            for school, registrar in registrars:
                for case in self.pages(registrar, "/v1/cases", {"status": "open"}):
                    self.school_acts(case, school, registrar, leaders[school], uploaders[school])
            for district, bureau in bureaus:
                for case in self.pages(bureau, "/v1/reviews", {}):
                    self.bureau_acts(case, district, bureau)
            if self.kind == ARBITRATED:
                for case in self.pages(arbiter, "/v1/arbitrations", {"status": "pending"}):
                    self.arbiter_acts(case, arbiter)
                self.reinitiate(registrars[0][1])

    def pages(self, client: httpx.Client, url: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        page, more = 1, True
        while more and not self.stopped.is_set():
            answer = self.answers.call(client, "GET", url, params={**params, "page": page, "page_size": 200})
            if answer is None or answer.status_code != 200:
                return
            body = answer.json()
            yield from body["items"]
            more, page = body["has_more"], page + 1

    def ours(self, case: dict[str, Any], school: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for member in case["members"]:
            rn = member.get("registry_number")
            if rn in self.role_of and member.get("school_code", school) == school:
                yield rn, member

    def school_acts(self, case: dict[str, Any], school: str, registrar: httpx.Client, leader: httpx.Client,
                    uploader: httpx.Client) -> None:
        group = case["group_id"]
        for rn, member in self.ours(case, school):
            url = f"/v1/cases/{group}/members/{rn}"
            attested = member["stage"] in ("awaiting_review", "approved") or member["outcome"] == "attested"
            if self.kind == ARBITRATED and self.role_of[rn] == 0 and case.get("linked_group_id") is None \
                    and attested:
                with self.lock:  # re-initiated once the group has closed (its answer may have been lost)
                    self.to_reinitiate.add((group, rn))
            if member["stage"] == "awaiting_leader":
                self.answers.call(leader, "POST", f"{url}/deletion-confirmation",
                                  key=(group, rn, "deletion_confirmed"))
                continue
            if member["stage"] != "to_handle":
                continue
            intent = self.intent(case, rn)
            if intent is None or intent not in member["allowed_actions"]:
                continue
            body: dict[str, Any] = {"action": intent}
            if intent == "delete":
                body["confirm"] = True
            else:
                evidence = self.upload(uploader, group, rn)
                if evidence is None:
                    continue
                body["evidence_ids"] = [evidence]
                if intent == "attest":
                    body["opinion"] = "本校学生信息真实"
                else:
                    body["amendment"] = {"id_number": self.right_number[rn], "name": self.names[rn]}
            answer = self.answers.call(registrar, "POST", f"{url}/actions",
                                       key=(group, rn, f"submitted_{intent}"), json=body)
            if answer is not None and answer.status_code == 200 and intent == "attest":
                with self.lock:
                    self.attested.add((group, rn))

    def intent(self, case: dict[str, Any], rn: str) -> str | None:
        """What this member's school does: settled by the unit's kind (plan.py)."""
        if self.kind == SAME_DISTRICT:
            return "delete" if self.role_of[rn] == 1 else None  # member A's school waits
        if self.kind == BAD_NUMBER:
            return "amend"
        if self.kind == CROSS_PROVINCE:
            return "attest"
        # ARBITRATED: both attest; the loser (handling again) and the re-initiated member delete
        again = ((case["group_id"], rn) in self.attested or case.get("linked_group_id") is not None
                 or case["arbitration_status"] == "decided")
        return "delete" if again else "attest"

    def upload(self, uploader: httpx.Client, group: str, rn: str) -> str | None:
        if (group, rn) in self.evidence:
            return self.evidence[(group, rn)]
        answer = self.answers.call(uploader, "POST", "/v1/evidence", allowed=UPLOADED,
                                   params={"group_id": group, "registry_number": rn},
                                   files=[("files", ("证明.jpg", JPEG + rn.encode()))])
        if answer is None or answer.status_code != 200:
            return None
        self.evidence[(group, rn)] = str(answer.json()[0]["evidence_id"])
        return self.evidence[(group, rn)]

    def bureau_acts(self, case: dict[str, Any], district: str, bureau: httpx.Client) -> None:
        """Approve every request of a school of the district (a school's code begins with its district's)."""
        group = case["group_id"]
        for member in case["members"]:
            rn = member.get("registry_number")
            if rn in self.role_of and member["stage"] == "awaiting_review" \
                    and str(member.get("school_code", "")).startswith(district):
                self.answers.call(bureau, "POST", f"/v1/cases/{group}/members/{rn}/review",
                                  key=(group, rn, "reviewed_approved"), json={"decision": "approved"})

    def arbiter_acts(self, case: dict[str, Any], arbiter: httpx.Client) -> None:
        winner = SCHOOLS[ARBITRATED][0][1]
        for member in case["members"]:
            rn = member.get("registry_number")
            if rn in self.role_of and member.get("school_code") == winner:
                self.answers.call(arbiter, "POST", f"/v1/cases/{case['group_id']}/arbitration",
                                  key=(case["group_id"], rn, "arbitration_approved"),
                                  json={"approved_registry_number": rn, "reason": "先注册的学生"})

    def reinitiate(self, registrar: httpx.Client) -> None:
        """Member A re-opens handling once its group has closed with its attestation approved (§6)."""
        with self.lock:
            waiting = sorted(self.to_reinitiate)
        for group, rn in waiting:
            answer = self.answers.call(registrar, "GET", f"/v1/cases/{group}")
            if answer is None or answer.status_code != 200 or not answer.json()["closed"]:
                continue
            done = self.answers.call(registrar, "POST", f"/v1/cases/{group}/members/{rn}/reinitiation",
                                     key=(group, rn, "reinitiated"), json={"confirm": True})
            if done is not None and done.status_code == 200:
                with self.lock:
                    self.to_reinitiate.discard((group, rn))
