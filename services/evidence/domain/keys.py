"""Where evidence lives: one bucket per province, one object per content per member action."""

from uuid import NAMESPACE_URL, UUID, uuid5


def bucket_for(prefix: str, province_code: str) -> str:
    return f"{prefix}-{province_code}"


def object_key(group_id: UUID, registry_number: str, sha256: str, kind: str) -> str:
    """The same content uploaded twice for one member of one group is one object."""
    return f"{group_id}/{registry_number}/{sha256}.{kind}"


def evidence_id(bucket: str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"xueji-evidence:{bucket}/{key}")
