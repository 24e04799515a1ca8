"""The object store (MinIO's S3 API). The minio SDK blocks: every call runs in a thread."""

import asyncio
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import S3Error
from minio.versioningconfig import VersioningConfig
from urllib3.exceptions import HTTPError

from services.common.errors import Unavailable

from ..ports import ObjectVersion

T = TypeVar("T")


class StoreUnavailable(Unavailable):
    """The object store did not answer; nothing was stored."""

    code, title, retry_after = "store_unavailable", "Object store unavailable", "30"

    def __init__(self, *_: object) -> None:
        super().__init__("nothing was stored; try again shortly")


class ObjectStore:
    def __init__(self, client: Minio) -> None:
        self.client = client
        self._ready: set[str] = set()

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (HTTPError, OSError) as error:
            raise StoreUnavailable(str(error)) from error

    async def ensure_bucket(self, bucket: str) -> None:
        """A bucket per province, versioned so nothing is ever overwritten."""
        if bucket in self._ready:
            return
        if not await self._call(self.client.bucket_exists, bucket):
            try:
                await self._call(self.client.make_bucket, bucket)
            except S3Error as error:
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        await self._call(self.client.set_bucket_versioning, bucket, VersioningConfig(ENABLED))
        self._ready.add(bucket)

    async def put(
        self, bucket: str, key: str, data: bytes, content_type: str, metadata: dict[str, str]
    ) -> str | None:
        """Store a new version of the object; its version id."""
        result = await self._call(
            self.client.put_object,
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
            metadata=metadata,
        )
        return result.version_id

    async def remove_version(self, bucket: str, key: str, version_id: str | None) -> None:
        """Delete one version for good (a version without an id cannot be told apart: kept)."""
        if version_id is not None:
            await self._call(self.client.remove_object, bucket, key, version_id=version_id)

    async def link(self, bucket: str, key: str, seconds: int) -> str:
        """A presigned GET of the object alone: no response headers (no download name that could
        carry a student's name or number); the key's last part, ``<evidence id>.<type>``, names it."""
        url: str = await self._call(
            self.client.presigned_get_object, bucket, key, expires=timedelta(seconds=seconds)
        )
        return url

    async def versions_before(self, bucket: str, before: datetime) -> list[ObjectVersion]:
        """Listed in a thread, kept only when older than ``before`` (an orphan sweep's candidates)."""

        def listed() -> list[ObjectVersion]:
            if not self.client.bucket_exists(bucket):
                return []
            found = self.client.list_objects(bucket, recursive=True, include_version=True)
            return [ObjectVersion(o.object_name, o.version_id, o.last_modified) for o in found
                    if o.object_name and o.last_modified is not None and o.last_modified < before]

        return await self._call(listed)

    async def count(self, bucket: str) -> int:
        if not await self._call(self.client.bucket_exists, bucket):
            return 0
        objects = await self._call(
            lambda: list(self.client.list_objects(bucket, recursive=True, include_version=True))
        )
        return len(objects)

    async def ping(self) -> bool:
        await self._call(self.client.list_buckets)
        return True
