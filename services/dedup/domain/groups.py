"""Problem groups: who shares an identity key, or which record has an ID problem.

A ``Group`` is the state behind one key (``id:…`` / ``ngb:…``) or one record's ID problem
(``idp:<registry number>``). Its methods change the state and append the events that
describe the change to ``pending``; the adapter stores both in one write (the outbox).
Group ids are derived from the key and a counter, so two consumers that open the same
group compute the same id.
"""

from dataclasses import dataclass, field, replace
from uuid import NAMESPACE_URL, UUID, uuid5

from xueji_contracts.enums import ProblemType
from xueji_contracts.problems import MemberBrief, MembershipChanged, ProblemCleared, ProblemDetected

PRODUCER = "xueji-dedup"
ProblemEvent = ProblemDetected | MembershipChanged | ProblemCleared


def problem_type_of_key(key: str) -> ProblemType | None:
    """DUPLICATE_ID for an ID-number key, DUPLICATE_NGB for a name+gender+birth key."""
    if key.startswith("id:"):
        return ProblemType.DUPLICATE_ID
    if key.startswith("ngb:"):
        return ProblemType.DUPLICATE_NGB
    return None


def id_problem_key(registry_number: str) -> str:
    return f"idp:{registry_number}"


@dataclass
class Group:
    key: str
    members: dict[str, MemberBrief] = field(default_factory=dict)
    group_id: UUID | None = None
    problem_type: ProblemType | None = None
    reasons: tuple[str, ...] = ()
    attested_sets: list[frozenset[str]] = field(default_factory=list)
    opened: int = 0  # how many groups this key has opened
    # the group this key last closed and who was in it: a record that joins it later reopens that
    # group (its case keeps the settled outcomes, DOMAIN §6) rather than opening a new one
    closed_group_id: UUID | None = None
    closed_members: frozenset[str] = frozenset()
    sequence: int = 0  # events emitted so far, for consumers to order them
    version: int = 0  # stored version, for optimistic concurrency
    pending: list[ProblemEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.problem_type = self.problem_type or problem_type_of_key(self.key)

    def snapshot(self) -> "Group":
        """A copy as it is now, to tell after a change whether anything needs storing (``==``)."""
        return replace(self, members=dict(self.members), attested_sets=list(self.attested_sets),
                       pending=list(self.pending), closed_members=frozenset(self.closed_members))

    # --- duplicate groups -------------------------------------------------------------
    def put(self, brief: MemberBrief) -> None:
        """A live record holds this key (new, or its brief changed)."""
        before = self.members.get(brief.registry_number)
        if before == brief:
            return  # redelivery: nothing changes
        self.members[brief.registry_number] = brief
        self._settle(joined=() if before else (brief.registry_number,), left=())

    def drop(self, registry_number: str) -> None:
        """A record no longer holds this key (deleted, amended away, re-keyed)."""
        if self.members.pop(registry_number, None) is not None:
            self._settle(joined=(), left=(registry_number,))

    def mark_attested_distinct(self, registry_numbers: frozenset[str]) -> None:
        """Attested as distinct people: this set (or a part of it) is never flagged again."""
        if any(registry_numbers <= s for s in self.attested_sets):
            return
        self.attested_sets.append(registry_numbers)
        self._settle(joined=(), left=())

    def is_problem(self) -> bool:
        if self.key.startswith("idp:"):
            return bool(self.members) and self.problem_type is not None
        live = frozenset(self.members)
        return len(live) >= 2 and not any(live <= s for s in self.attested_sets)

    # --- a record's own ID problem ------------------------------------------------------
    def set_id_problem(self, brief: MemberBrief, problem: tuple[ProblemType, tuple[str, ...]] | None,
                       suggested_id_number: str | None = None) -> None:
        """The record's ID problem now (None: it passes every check)."""
        new_type, reasons = problem if problem else (None, ())
        if self.group_id is not None and (new_type, reasons) != (self.problem_type, self.reasons):
            self._close("id_problem_changed" if new_type else "id_checks_pass")
        before = self.members.get(brief.registry_number)
        self.problem_type, self.reasons = new_type, reasons
        self.members = {brief.registry_number: brief} if new_type else {}
        if new_type and self.group_id is None:
            self._open(suggested_id_number)
        elif new_type and before != brief:
            self._emit_membership((), ())

    def remove_record(self, registry_number: str) -> None:
        """The record was deleted: its ID problem ends."""
        if registry_number in self.members:
            del self.members[registry_number]
            if self.group_id is not None:
                self._close("record_deleted")

    # --- transitions ------------------------------------------------------------------
    def _settle(self, joined: tuple[str, ...], left: tuple[str, ...]) -> None:
        if self.is_problem() and self.group_id is None and self.closed_members & set(self.members):
            self._reopen()
        elif self.is_problem() and self.group_id is None:
            self._open(None)
        elif self.is_problem():
            self._emit_membership(joined, left)
        elif self.group_id is not None:
            self._close("attested_distinct" if not left and not joined else "no_duplicate_left")

    def _open(self, suggested_id_number: str | None) -> None:
        if self.problem_type is None:
            raise RuntimeError("a group opens only with a problem type")
        self.opened += 1
        self.group_id = uuid5(NAMESPACE_URL, f"xueji:{self.key}:{self.opened}")
        self.sequence += 1
        self.pending.append(ProblemDetected(
            producer=PRODUCER, group_id=self.group_id, problem_type=self.problem_type,
            members=self._briefs(), reasons=self.reasons, suggested_id_number=suggested_id_number,
            sequence=self.sequence))

    def _reopen(self) -> None:
        """A record joined the key's closed group while a member of it is still here: that group
        opens again (same id, next sequence), its newcomers named as joined."""
        self.group_id = self.closed_group_id
        self._emit_membership(tuple(sorted(set(self.members) - self.closed_members)), ())

    def _emit_membership(self, joined: tuple[str, ...], left: tuple[str, ...]) -> None:
        group_id, problem_type = self._open_group()
        self.sequence += 1
        self.pending.append(MembershipChanged(
            producer=PRODUCER, group_id=group_id, problem_type=problem_type,
            members=self._briefs(), joined=joined, left=left, sequence=self.sequence))

    def _close(self, reason: str) -> None:
        group_id, problem_type = self._open_group()
        self.sequence += 1
        self.pending.append(ProblemCleared(
            producer=PRODUCER, group_id=group_id, problem_type=problem_type, reason=reason,
            members=self._briefs(), sequence=self.sequence))
        if not self.key.startswith("idp:"):  # an ID problem that comes back is a problem of its own
            self.closed_group_id, self.closed_members = group_id, frozenset(self.members)
        self.group_id = None

    def _open_group(self) -> tuple[UUID, ProblemType]:
        if self.group_id is None or self.problem_type is None:
            raise RuntimeError("no open group")
        return self.group_id, self.problem_type

    def _briefs(self) -> tuple[MemberBrief, ...]:
        return tuple(self.members[k] for k in sorted(self.members))
