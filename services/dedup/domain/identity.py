"""What dedup keeps of a record: keyed hashes and masked briefs, never raw ID numbers or names."""

import hmac
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, TypedDict

from xueji_contracts import refs as masks
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Gender, IdType, PopulationOutcome, ProblemType, RecordStatus
from xueji_contracts.problems import MemberBrief
from xueji_contracts.provinces import province_of
from xueji_contracts.students import StudentRecord

from . import decisions
from .idnumber import birth_date_of, check_id_number, gender_of, mismatches
from .names import name_key, normalise_name


def keyed_hash(pepper: bytes, material: str) -> str:
    return hmac.new(pepper, material.encode("utf-8"), decisions.KEY_HASH).hexdigest()


def mask_name(name: str) -> str:
    return masks.mask_name(name, decisions.MASK_NAME_KEEP)


def mask_id_number(number: str) -> str:
    return masks.mask_id_number(number, decisions.MASK_ID_KEEP_START, decisions.MASK_ID_KEEP_END)


@dataclass(frozen=True)
class RecordState:
    """One record as the identity index keeps it."""

    registry_number: str
    status: RecordStatus
    school_code: str
    district_code: str
    id_type: IdType
    gender: int
    birth_date: date
    name_hash: str
    masked_name: str
    id_hash: str | None = None
    masked_id_number: str | None = None
    id_static_reasons: tuple[str, ...] = ()  # reasons that depend on the number alone
    id_gender: int | None = None
    id_birth: date | None = None
    population: PopulationOutcome | None = None
    population_request_id: str | None = None
    population_batch_id: str | None = None  # the batch its question last went in (answers are kept per batch)
    id_matches_registry: bool = False
    id_attested: str | None = None  # the identity a bureau approved as correct despite its ID problem
    applied_amendments: tuple[str, ...] = ()  # event ids of the amendments applied last (redeliveries known)
    applied_sources: tuple[str, ...] = ()  # event ids of the registrations and updates applied last (same)
    last_amendment_kept_key: bool = False  # whether that amendment left the identity key as it was
    name_search_key: str | None = None  # the brief's ``name_key``: found by name in the workflow

    @property
    def identity_fingerprint(self) -> str:
        return f"{self.id_hash}|{self.name_hash}|{self.gender}|{self.birth_date.isoformat()}"

    @property
    def live(self) -> bool:
        return self.status is not RecordStatus.DELETED

    @property
    def checks_by_number(self) -> bool:
        return self.id_type is IdType.RESIDENT_ID and self.id_hash is not None

    def identity_key(self, pepper: bytes) -> str | None:
        """The dedup key: the ID number for resident IDs, else name + gender + birth date."""
        if not self.live:
            return None
        if self.checks_by_number:
            return f"id:{self.id_hash}"
        by_ngb = decisions.RESIDENT_ID_WITHOUT_NUMBER_USES_NAME_GENDER_BIRTH
        if self.id_type is IdType.RESIDENT_ID and not by_ngb:
            return None
        return "ngb:" + keyed_hash(pepper, f"{self.name_hash}|{self.gender}|{self.birth_date.isoformat()}")

    def local_reasons(self) -> tuple[str, ...]:
        if not self.checks_by_number:
            return ()
        static = self.id_static_reasons
        number_birth = None if "birth_date" in static else self.id_birth
        return static + mismatches(number_birth, self.id_gender, self.gender, self.birth_date)

    def id_problem(self) -> tuple[ProblemType, tuple[str, ...]] | None:
        """The record's own ID problem (DOMAIN §3), if any."""
        if not self.live or not self.checks_by_number or self.id_attested == self.identity_fingerprint:
            return None
        if reasons := self.local_reasons():
            return ProblemType.ID_NOT_FOUND, reasons
        match self.population:
            case PopulationOutcome.NOT_FOUND:
                return ProblemType.ID_NOT_FOUND, ("population_not_found",)
            case PopulationOutcome.NAME_MISMATCH:
                return ProblemType.ID_NAME_MISMATCH, ("population_name_mismatch",)
            case PopulationOutcome.CHANGED:
                return ProblemType.ID_CHANGED, ("population_changed",)
        return None

    def needs_population_check(self) -> bool:
        """A live resident ID passing the local check, not yet asked about (or changed since)."""
        asked = self.population is not None or self.population_request_id is not None
        return self.live and self.checks_by_number and not self.local_reasons() and not asked

    def awaits_population(self) -> bool:
        """Asked about, with no answer yet."""
        return self.live and self.checks_by_number and self.population is None \
            and self.population_request_id is not None

    def brief(self) -> MemberBrief:
        return MemberBrief(
            registry_number=self.registry_number, registry_prefix=self.registry_number[0],
            school_code=self.school_code, district_code=self.district_code,
            province_code=province_of(self.district_code), status=self.status, id_type=self.id_type,
            masked_name=self.masked_name, masked_id_number=self.masked_id_number,
            id_matches_registry=self.id_matches_registry, gender=Gender(self.gender),
            birth_date=self.birth_date, name_key=self.name_search_key)


_FIELDS = frozenset(f.name for f in fields(RecordState))


def evolve(state: RecordState, **changes: Any) -> RecordState:
    """``dataclasses.replace`` for the hot path: a copy with ``changes``, without ``__init__`` setting
    all 23 fields of a frozen dataclass again (0.6 µs against 4; ``RecordState`` checks nothing in
    ``__init__``)."""
    if not changes.keys() <= _FIELDS:
        raise TypeError(f"RecordState has no field {sorted(changes.keys() - _FIELDS)}")
    new = object.__new__(RecordState)
    new.__dict__.update(state.__dict__, **changes)
    return new


def _search_key_of(name: str, search_key: bytes) -> str | None:
    """The name's search hash under the key dedup shares with the workflow (none without a key)."""
    return name_key(search_key, name) if search_key else None


class IdFields(TypedDict):
    id_hash: str | None
    masked_id_number: str | None
    id_static_reasons: tuple[str, ...]
    id_gender: int | None
    id_birth: date | None
    id_matches_registry: bool


def _id_fields(registry_number: str, raw: str | None, pepper: bytes, today: date) -> IdFields:
    """What the index keeps of a record's ID number (none: the fields of a record without one)."""
    if not raw or not raw.strip():
        return {"id_hash": None, "masked_id_number": None, "id_static_reasons": (), "id_gender": None,
                "id_birth": None, "id_matches_registry": False}
    # the reasons of the number alone are stored; its mismatches with the record are derived
    number, static = check_id_number(raw, today)
    material = number or "".join(raw.split()).upper()
    return {"id_hash": keyed_hash(pepper, f"id|{material}"), "masked_id_number": mask_id_number(material),
            "id_static_reasons": static, "id_gender": gender_of(number) if number else None,
            "id_birth": birth_date_of(number) if number else None,
            "id_matches_registry": registry_number == f"G{material}"}


def record_state(record: StudentRecord, pepper: bytes, today: date, search_key: bytes = b"",
                 applied_sources: tuple[str, ...] = ()) -> RecordState:
    """The index entry of a registered record; ``search_key`` keys the name the workflow finds it by.
    Built in one go: a registration's entry is the hot path, and each copy of a frozen dataclass
    sets every field again."""
    raw = record.id_number if record.id_type is IdType.RESIDENT_ID else None
    return RecordState(
        registry_number=record.registry_number, status=record.status, school_code=record.school_code,
        district_code=record.district_code, id_type=record.id_type, gender=int(record.gender),
        birth_date=record.birth_date, name_hash=keyed_hash(pepper, f"name|{normalise_name(record.name)}"),
        masked_name=mask_name(record.name), name_search_key=_search_key_of(record.name, search_key),
        applied_sources=applied_sources, **_id_fields(record.registry_number, raw, pepper, today))


def amended_state(state: RecordState, changes: AmendedFields, pepper: bytes, today: date,
                  search_key: bytes = b"") -> RecordState:
    """The entry after an approved amendment: re-keyed, re-checked, verified again if needed."""
    new = replace(
        state,
        gender=int(changes.gender) if changes.gender is not None else state.gender,
        birth_date=changes.birth_date or state.birth_date,
        id_type=changes.id_type or state.id_type,
        status=RecordStatus.FORMAL,
    )
    if changes.name is not None:
        new = replace(new, name_hash=keyed_hash(pepper, f"name|{normalise_name(changes.name)}"),
                      masked_name=mask_name(changes.name), population=None, population_request_id=None,
                      name_search_key=_search_key_of(changes.name, search_key))
    if changes.id_number is not None or new.id_type is not IdType.RESIDENT_ID:
        raw = changes.id_number if new.id_type is IdType.RESIDENT_ID else None
        new = replace(new, **_id_fields(new.registry_number, raw, pepper, today), population=None,
                      population_request_id=None)
    return new
