"""Evidence benchmark: uploads of 1–2 MB files through the service vs raw S3 PUT of the same files.

    ./dev bench evidence [--files 60] [--concurrency 4]

All run in the same session against the same S3 server, with the same concurrency:
raw ``put_object`` calls (minio SDK, in threads) into a plain bucket, then into a versioned
one (the service keeps every bucket versioned, so that is the raw cost of the same
storage), then multipart uploads to the running ``xueji-evidence`` process (which
checks, hashes, stores and records each file).
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from minio import Minio
from minio.commonconfig import ENABLED
from minio.versioningconfig import VersioningConfig
from pymongo import AsyncMongoClient
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token
from services.evidence.settings import EvidenceSettings

from .common import ServiceProcess, machine

PORT = 8103
SCHOOL, RN = "1101050001", "L110105201201010001"


def sample_files(count: int) -> list[bytes]:
    sizes = [1024 * 1024 + (i * 997 * 1024) % (1024 * 1024 - 4096) for i in range(count)]
    return [b"\xff\xd8\xff\xe0" + os.urandom(size - 6) + b"\xff\xd9" for size in sizes]


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file, and its content type."""
    request = httpx.Request("POST", "http://service", files=[("files", (name, data, "image/jpeg"))])
    return request.read(), request.headers["Content-Type"]


async def limited(calls: list[Any], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Any) -> None:
        async with gate:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - started


async def raw_put(settings: EvidenceSettings, files: list[bytes], concurrency: int, versioned: bool) -> float:
    client = Minio(
        settings.S3_ENDPOINT,
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY.get_secret_value(),
        secure=False,
        region=settings.S3_REGION,
    )
    bucket = f"bench-raw-{uuid.uuid4().hex[:8]}"
    client.make_bucket(bucket)
    if versioned:
        client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))

    def put(i: int) -> None:
        import io

        client.put_object(bucket, f"f{i}.jpg", io.BytesIO(files[i]), len(files[i]), content_type="image/jpeg")

    return await limited([lambda i=i: asyncio.to_thread(put, i) for i in range(len(files))], concurrency)


async def run(count: int, concurrency: int) -> None:
    settings = EvidenceSettings()
    print(f"machine: {machine()}")
    files = sample_files(count)
    total_mb = sum(map(len, files)) / 2**20
    print(f"1/3 raw S3 PUT of {count} files ({total_mb:.0f} MB), {concurrency} at a time …", flush=True)
    plain = await raw_put(settings, files, concurrency, versioned=False)
    print("2/3 the same, into a versioned bucket (as the service's buckets are) …", flush=True)
    raw = await raw_put(settings, files, concurrency, versioned=True)
    keys, unique = Path(tempfile.mkdtemp()), uuid.uuid4().hex[:8]
    private, _ = local_key_pair(keys)
    database, group = f"bench_ev_{unique}", uuid.uuid4()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    await mongo[database]["evidence_cases"].insert_one(
        {
            "_id": str(group),
            "members": {settings.member_ref(RN): {"school_code": SCHOOL, "district_code": "110105",
                                                  "province_code": "110000"}},
        }
    )
    await mongo.close()
    service = ServiceProcess(
        "xueji-evidence",
        PORT,
        {
            "XUEJI_MONGO_DATABASE": database,
            "XUEJI_CONSUMER_GROUP": f"bench-{database}",
            "XUEJI_BUCKET_PREFIX": f"bench-{unique}",
            "XUEJI_JWT_LOCAL_KEY_DIR": str(keys),
        },
        Path(".local/bench-ev.log"),
    )
    service.start()
    failures: list[int] = []
    try:
        print("3/3 the same files through the evidence service …", flush=True)
        headers = {"Authorization": f"Bearer {mint_token(private, Role.SCHOOL_REGISTRAR, SCHOOL)}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=60
        ) as http:

            # the multipart bodies are encoded before the clock starts, as the raw PUTs' bodies are
            bodies = [multipart(f"f{i}.jpg", files[i]) for i in range(count)]

            async def send(i: int) -> None:
                content, content_type = bodies[i]
                response = await http.post(
                    "/v1/evidence",
                    params={"group_id": str(group), "registry_number": RN},
                    content=content,
                    headers={"Content-Type": content_type},
                )
                if response.status_code != 200:
                    failures.append(response.status_code)

            through = await limited([lambda i=i: send(i) for i in range(count)], concurrency)
    finally:
        service.stop()
    print(f"\nfiles                    {count} × 1–2 MB = {total_mb:.0f} MB, {concurrency} at a time")
    print(f"raw S3 PUT               {total_mb / plain:.1f} MB/s")
    print(f"raw S3 PUT, versioned    {total_mb / raw:.1f} MB/s")
    print(
        f"through the service      {total_mb / through:.1f} MB/s → {raw / through:.0%} of raw versioned PUT"
        f" (target ≥ 80 %), {plain / through:.0%} of raw PUT"
    )
    print(f"failed uploads           {len(failures)} {sorted(set(failures))}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(run(args.files, args.concurrency))


if __name__ == "__main__":
    main()
