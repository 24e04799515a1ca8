"""Evidence the evidence service stored: a school's action may cite it from then on."""

from xueji_contracts.evidence import EvidenceStored

from .changing import Cases


async def record_evidence(cases: Cases, event: EvidenceStored) -> None:
    """Remember the file for its member (idempotent: a redelivered event writes the same)."""
    await cases.store.add_evidence(event, cases.ref(event.registry_number))
