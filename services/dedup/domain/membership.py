"""What a record's change does to the groups it belongs to, and whether to ask the population
database about it (DOMAIN §2, §3). Each is decided here, once, for every path that stores a record."""

from collections.abc import Callable
from uuid import UUID, uuid4

from xueji_contracts.population import PopulationQuestion

from .groups import Group, id_problem_key
from .identity import RecordState, evolve
from .idnumber import normalise_id_number

GroupOp = Callable[[Group], None]
KeyOps = list[tuple[str, GroupOp]]  # (group key, what to do to that group)


def membership_ops(rn: str, old: RecordState | None, new: RecordState | None, pepper: bytes,
                   suggested: str | None) -> KeyOps:
    """The record leaves the key it no longer holds, joins (or updates its brief in) the key it
    holds now, and its ID-problem group follows its ID problem; nothing when nothing changed."""
    ops: KeyOps = []
    old_key = old.identity_key(pepper) if old else None
    new_key = new.identity_key(pepper) if new else None
    if old_key and old_key != new_key:
        ops.append((old_key, lambda g: g.drop(rn)))
    if new_key and new is not None:
        brief = new.brief()
        if old_key != new_key or old is None or old.brief() != brief:
            ops.append((new_key, lambda g: g.put(brief)))
    if new is None or not new.live:
        if old is not None and old.id_problem():
            ops.append((id_problem_key(rn), lambda g: g.remove_record(rn)))
    elif old is None or old.id_problem() != new.id_problem() or (
            new.id_problem() and old.brief() != new.brief()):
        idp_brief, problem = new.brief(), new.id_problem()
        ops.append((id_problem_key(rn), lambda g: g.set_id_problem(idp_brief, problem, suggested)))
    return ops


StoredAndAsked = tuple[RecordState, PopulationQuestion | None]


def population_request(state: RecordState, asked: tuple[str, str] | None,
                       batch: Callable[[], str] | None = None) -> StoredAndAsked:
    """The record as stored and the question to ask (in a batch), for a message that gave the raw number and
    name (``asked``): a record not yet asked about is asked under a new id it then awaits; one
    still awaiting an answer is asked again under the same id (the message is read again after
    a stop before sending, and the database answers each id once); any other is not asked.
    A record asked about keeps the batch its question goes in, from ``batch`` when given."""
    if asked is None:
        return state, None
    if state.needs_population_check():
        request_id = uuid4()
    elif state.awaits_population() and state.population_request_id is not None:
        request_id = UUID(state.population_request_id)
    else:
        return state, None
    raw_number, name = asked
    question = PopulationQuestion(request_id=request_id, registry_number=state.registry_number,
                                  id_number=normalise_id_number(raw_number), name=name)
    batch_id = batch() if batch else state.population_batch_id
    return evolve(state, population_request_id=str(request_id), population_batch_id=batch_id), question
