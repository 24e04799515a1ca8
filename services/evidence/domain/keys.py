"""Where evidence lives: one bucket per province, one object per content per member of a group.

Nothing here names a member by its registry number (DOMAIN §8: a G number is an ID number, and
object keys, metadata and links carry none). The evidence id is derived from the member's
``member_ref`` (a keyed hash) rather than from its registry number: an id derived without a key
could be matched against every candidate number of a school, as registry numbers are few.
"""

from uuid import NAMESPACE_URL, UUID, uuid5


def bucket_for(prefix: str, province_code: str) -> str:
    return f"{prefix}-{province_code}"


def evidence_id(bucket: str, group_id: UUID, member_ref: str, sha256: str, kind: str) -> UUID:
    """The same content uploaded twice for one member of one group is one evidence id."""
    return uuid5(NAMESPACE_URL, f"xueji-evidence:{bucket}/{group_id}/{member_ref}/{sha256}.{kind}")


def object_key(group_id: UUID, evidence: UUID, kind: str) -> str:
    """``<group>/<evidence id>.<type>``: one object per evidence id, and a download is named
    ``<evidence id>.<type>`` by the key's last part."""
    return f"{group_id}/{evidence}.{kind}"
