"""The exact checks of a soak once it has drained (issue 24), each with its count.

Everything is read from where it ended up: the identity index and the cases in the database, the
province case topics from their first offset, the dead-letter topic, the object store, and what the
province systems and the people recorded. Nothing is deduplicated before it is counted.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from xueji_contracts.cases import CaseEvent
from xueji_contracts.topics import case_adapter

from services.common.members import placements
from services.dedup.adapters import store
from services.dedup.adapters.vault import Vault
from services.notify.domain.recipients import Members, recipients

from .people import Answers
from .plan import ARBITRATED, CLEAN, Unit
from .provinces import Province

Doc = dict[str, Any]


@dataclass(frozen=True)
class Check:
    name: str
    count: int  # what was checked
    failures: int
    detail: str = ""

    def line(self) -> str:
        verdict = "ok  " if self.failures == 0 else "FAIL"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{verdict} {self.name}: {self.count:,} checked, {self.failures:,} failed{detail}"


def registrations(db: Database[Doc], vault: Vault, units: list[Unit]) -> Check:
    expected = {vault.record_id(r.registry_number): (s.value, r.registry_number)
                for u in units for r, s in zip(u.records, u.final, strict=True)}
    found = {d["holder"]: d["record"]["status"]
             for d in db[store.COLLECTION].find(store.HOMES, {"holder": 1, "record.status": 1})}
    missing = sum(1 for rid in expected if rid not in found)
    wrong = Counter(f"{expected[rid][0]}→{found[rid]}" for rid in expected
                    if rid in found and found[rid] != expected[rid][0])
    extra = sum(1 for rid in found if rid not in expected)
    detail = f"{missing} missing, {extra} not sent, wrong status: {dict(wrong) or 'none'}"
    return Check("every registration sent is in the index once, with its final status", len(expected),
                 missing + extra + sum(wrong.values()), detail)


def cases_of(db: Database[Doc]) -> list[Doc]:
    fields = {"registry_numbers": 1, "closed": 1, "state.linked_group_id": 1, "state.events_emitted": 1,
              "province_codes": 1, "history": 1}
    return list(db["workflow_cases"].find({}, fields))


def one_case_each(cases: list[Doc], units: list[Unit]) -> Check:
    """Each problem one case with exactly its members (and, for an arbitrated pair, one re-initiated
    case of member A linked to it); every case closed; no case of a clean record."""
    firsts: Counter[frozenset[str]] = Counter()
    linked: Counter[tuple[frozenset[str], str]] = Counter()
    open_cases = 0
    by_id = {str(c["_id"]): c for c in cases}
    for case in cases:
        members = frozenset(case["registry_numbers"])
        link = case["state"].get("linked_group_id")
        if link is None:
            firsts[members] += 1
        else:
            origin = by_id.get(str(link))
            linked[(members, " ".join(sorted(origin["registry_numbers"])) if origin else "?")] += 1
        open_cases += not case["closed"]
    problems = [u for u in units if u.kind != CLEAN]
    failures = 0
    for u in problems:
        rns = frozenset(r.registry_number for r in u.records)
        failures += firsts.pop(rns, 0) != 1
        if u.kind == ARBITRATED:
            a = frozenset({u.records[0].registry_number})
            failures += linked.pop((a, " ".join(sorted(rns))), 0) != 1
    unplanned = sum(firsts.values()) + sum(linked.values())
    return Check("every problem is one case (closed)", len(problems), failures + unplanned + open_cases,
                 f"{unplanned} cases not planned, {open_cases} still open")


def announced_once(cases: list[Doc], topics: dict[str, list[Doc]]) -> Check:
    """Per province topic, per group: one distinct event id for each sequence number, and the
    sequence numbers exactly 1 … the case's last (nothing lost, no second event for one change)."""
    failures, checked, detail = 0, 0, Counter[str]()
    for province, events in topics.items():
        by_group: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        for e in events:
            by_group[str(e.get("group_id"))][e.get("sequence") or 0].add(str(e["event_id"]))
        ours = {str(c["_id"]): c["state"].get("events_emitted", 0) for c in cases
                if province in c.get("province_codes", [])}
        for group, last in ours.items():
            seen = by_group.pop(group, {})
            checked += sum(len(ids) for ids in seen.values())
            doubled = sum(len(ids) > 1 for ids in seen.values())
            lost = len(set(range(1, last + 1)) - set(seen))
            detail.update({"two events for one change": doubled, "lost": lost,
                           "unknown sequence": len(set(seen) - set(range(1, last + 1)))})
            failures += doubled + lost + len(set(seen) - set(range(1, last + 1)))
        stray = sum(len(ids) for seqs in by_group.values() for ids in seqs.values())
        detail["events of no case"] += stray
        failures += stray
    return Check("every case event announced once per province topic", checked, failures,
                 ", ".join(f"{k} {v}" for k, v in detail.items()))


def history_once(cases: list[Doc], answers: Answers) -> Check:
    """Each accepted action is in its case's history exactly as often as it was accepted, plus at most
    the calls left unanswered or answered 503 (those may or may not have been applied)."""
    history: Counter[tuple[str, str, str]] = Counter()
    for case in cases:
        for entry in case.get("history", []):
            if entry.get("registry_number"):
                history[(str(case["_id"]), entry["registry_number"], entry["what"])] += 1
    lost = doubled = applied_unseen = 0
    for key in set(answers.accepted) | set(answers.unanswered):
        accepted, found = answers.accepted[key], history[key]
        unknown = answers.unanswered[key] + answers.busy[key]
        lost += found < accepted
        doubled += found > accepted + unknown
        applied_unseen += max(0, min(found, accepted + unknown) - accepted)
    return Check("every action seen accepted is in its case's history once", sum(answers.accepted.values()),
                 lost + doubled, f"{lost} missing, {doubled} more often than accepted; "
                 f"{applied_unseen} applied whose answer was lost or 503")


def documented_answers(answers: Answers) -> Check:
    statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(answers.statuses.items()))
    unexpected = "; ".join(f"{k} ×{n}" for k, n in answers.unexpected.most_common(5))
    return Check("no action answered with anything but its documented answers or 503",
                 sum(answers.statuses.values()), sum(answers.unexpected.values()),
                 statuses + (f"; unexpected: {unexpected}" if unexpected else ""))


def decoded(events: list[Doc]) -> dict[str, CaseEvent]:
    """Every distinct case event of all province topics, by event id."""
    found: dict[str, CaseEvent] = {}
    for e in events:
        event = case_adapter.validate_python(e)
        if isinstance(event, CaseEvent):
            found[str(event.event_id)] = event
    return found


def inbox_once(db: Database[Doc], events: dict[str, CaseEvent]) -> Check:
    """Each case event's inbox entries are all there: every party it must reach with the members known
    up to that event, and nobody it could not reach with every member the group ever had. An entry
    is keyed by event, organisation and role, so none is there twice; one of no event is a failure."""
    members_upto: dict[str, list[tuple[int, Members]]] = defaultdict(list)
    for event in sorted(events.values(), key=lambda e: e.sequence or 0):
        placed = placements(event)  # type: ignore[arg-type]
        if placed is not None:
            members_upto[str(event.group_id)].append(
                (event.sequence or 0, {ref: (p.school_code, p.district_code, p.province_code)
                                       for ref, p in placed.items()}))
    entries: dict[str, set[tuple[str, str]]] = defaultdict(set)
    total = 0
    for d in db["notify_inbox"].find({}, {"event_id": 1, "organisation_code": 1, "role": 1}):
        entries[d["event_id"]].add((d["organisation_code"], d["role"]))
        total += 1
    missing = beyond = 0
    for event_id, event in events.items():
        known: Members = {}
        everyone: Members = {}
        for sequence, members in members_upto[str(event.group_id)]:
            everyone |= members
            if sequence <= (event.sequence or 0):
                known |= members
        must = {(r.organisation_code, r.role.value) for r in recipients(event, known)}
        may = must | {(r.organisation_code, r.role.value) for r in recipients(event, everyone)}
        got = entries.pop(event_id, set())
        missing += len(must - got)
        beyond += len(got - may)
    stray = sum(len(v) for v in entries.values())
    return Check("every inbox entry is there once", total, missing + beyond + stray,
                 f"{missing} missing, {beyond} to a party the event does not reach, {stray} of no event")


def webhooks(provinces: dict[str, Province], topics: dict[str, list[Doc]], kills: int) -> list[Check]:
    """Each endpoint: every event of its province's topic, nothing else, each group's first arrivals in
    sequence order. Arrivals twice are counted; a kill of notify may send the one delivery in flight
    at that moment again (the contract has receivers drop it by its event id), at most one per kill."""
    checks = []
    for code, province in provinces.items():
        expected = {str(e["event_id"]): e for e in topics[code]}
        arrivals = province.snapshot()
        counts = Counter(a.event_id for a in arrivals)
        missing = len(set(expected) - set(counts))
        extra = len(set(counts) - set(expected))
        twice = sum(n - 1 for n in counts.values())
        firsts: dict[str, list[int]] = defaultdict(list)
        seen: set[str] = set()
        for a in arrivals:
            if a.event_id not in seen:
                seen.add(a.event_id)
                firsts[a.group_id].append(a.sequence or 0)
        disordered = sum(1 for seqs in firsts.values() if seqs != sorted(seqs))
        failures = missing + extra + disordered + max(0, twice - kills) + province.unsigned
        checks.append(Check(f"webhook {code} received every event of its province once, in per-group order",
                            len(expected), failures,
                            f"{missing} missing, {extra} not its province's, {twice} arrived twice "
                            f"(allowed {kills}: notify killed), {disordered} groups out of order, "
                            f"{province.refused} refused while failing, {province.unsigned} bad signatures, "
                            f"{province.cut} cut mid-request"))
    return checks


def dead_letters(parked: list[tuple[bytes | None, str]], poisoned: list[tuple[bytes, str]]) -> Check:
    found = set(parked)
    missing = [p for p in poisoned if p not in found]
    return Check("every poison message is in the dead-letter topic", len(poisoned), len(missing),
                 f"missing from: {sorted({t for _, t in missing})}" if missing else "")


def evidence(db: Database[Doc], stored: tuple[set[tuple[str, str]], int] | str) -> Check:
    """``stored``: the objects' keys and how many versions they hold, or why they could not be listed."""
    records = {(d["bucket"], d["key"]) for d in db["evidence_files"].find({}, {"bucket": 1, "key": 1})}
    if isinstance(stored, str):
        return Check("every evidence object has its record, and every record its object", len(records),
                     len(records) or 1, f"{len(records)} records; {stored}")
    objects, versions = stored
    no_object = len(records - objects)
    no_record = len(objects - records)
    return Check("every evidence object has its record, and every record its object",
                 len(records) + len(objects), no_object + no_record,
                 f"{len(records)} records, {len(objects)} objects ({versions} versions); "
                 f"{no_object} records without object, {no_record} objects without record")
