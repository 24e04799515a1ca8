"""The orphan sweep: an object version no evidence record names, once old enough, is removed.

An object is written before its record (``storing.py``), so a crash, an unreachable database or a
refused record in between leaves an object nobody can link to. A version younger than
``ORPHAN_AGE_SECONDS`` may belong to an upload still being recorded, and is left for a later sweep.
Records are looked up by bucket and key, so objects kept before under their old keys
(``<group>/<registry number>/<sha256>.<type>``) stay while their records do.
"""

from datetime import timedelta

from prometheus_client import Counter
from xueji_contracts.provinces import PROVINCES

from ..domain.keys import bucket_for
from ..ports import ObjectVersion, Parts

ORPHANS_REMOVED = Counter(
    "xueji_evidence_orphans_removed_total", "Object versions without an evidence record removed by the sweep"
)
KEYS_PER_LOOKUP = 500


async def sweep_orphans(parts: Parts) -> int:
    """Remove, in every province's bucket, the versions older than the bound whose key no record
    names; how many were removed (also counted in ``ORPHANS_REMOVED``)."""
    settings = parts.settings
    before = parts.clock() - timedelta(seconds=settings.ORPHAN_AGE_SECONDS)
    removed = 0
    for province in PROVINCES:
        bucket = bucket_for(settings.BUCKET_PREFIX, province)
        for version in await orphans(parts, bucket, await parts.objects.versions_before(bucket, before)):
            await parts.objects.remove_version(bucket, version.key, version.version_id)
            ORPHANS_REMOVED.inc()
            removed += 1
    return removed


async def orphans(parts: Parts, bucket: str, versions: list[ObjectVersion]) -> list[ObjectVersion]:
    """The versions whose key no record names (a version without an id cannot be told apart: kept)."""
    keys = sorted({v.key for v in versions})
    recorded: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_LOOKUP):
        recorded |= await parts.records.recorded_keys(bucket, keys[start : start + KEYS_PER_LOOKUP])
    return [v for v in versions if v.key not in recorded and v.version_id is not None]
