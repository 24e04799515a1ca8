"""Evidence benchmark: uploads of 1–2 MB files through the service vs raw S3 PUT of the same files.

    ./dev bench evidence [--files 60] [--concurrency 4]

Both run in the same session against the same S3 server, with the same concurrency:
raw ``put_object`` calls (minio SDK, in threads), then multipart uploads to the running
``xueji-evidence`` process (which checks, hashes, stores and records each file).
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


async def limited(calls: list[Any], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Any) -> None:
        async with gate:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - started


async def raw_put(settings: EvidenceSettings, files: list[bytes], concurrency: int) -> float:
    client = Minio(
        settings.S3_ENDPOINT,
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY.get_secret_value(),
        secure=False,
        region=settings.S3_REGION,
    )
    bucket = f"bench-raw-{uuid.uuid4().hex[:8]}"
    client.make_bucket(bucket)

    def put(i: int) -> None:
        import io

        client.put_object(bucket, f"f{i}.jpg", io.BytesIO(files[i]), len(files[i]), content_type="image/jpeg")

    return await limited([lambda i=i: asyncio.to_thread(put, i) for i in range(len(files))], concurrency)


async def run(count: int, concurrency: int) -> None:
    settings = EvidenceSettings()
    print(f"machine: {machine()}")
    files = sample_files(count)
    total_mb = sum(map(len, files)) / 2**20
    print(f"1/2 raw S3 PUT of {count} files ({total_mb:.0f} MB), {concurrency} at a time …", flush=True)
    raw = await raw_put(settings, files, concurrency)
    keys, unique = Path(tempfile.mkdtemp()), uuid.uuid4().hex[:8]
    private, _ = local_key_pair(keys)
    database, group = f"bench_ev_{unique}", uuid.uuid4()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    await mongo[database]["evidence_cases"].insert_one(
        {
            "_id": str(group),
            "members": {RN: {"school_code": SCHOOL, "district_code": "110105", "province_code": "110000"}},
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
        print("2/2 the same files through the evidence service …", flush=True)
        headers = {"Authorization": f"Bearer {mint_token(private, Role.SCHOOL_REGISTRAR, SCHOOL)}"}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=60
        ) as http:

            async def send(i: int) -> None:
                response = await http.post(
                    "/v1/evidence",
                    params={"group_id": str(group), "registry_number": RN},
                    files=[("files", (f"f{i}.jpg", files[i], "image/jpeg"))],
                )
                if response.status_code != 200:
                    failures.append(response.status_code)

            through = await limited([lambda i=i: send(i) for i in range(count)], concurrency)
    finally:
        service.stop()
    print(f"\nfiles                    {count} × 1–2 MB = {total_mb:.0f} MB, {concurrency} at a time")
    print(f"raw S3 PUT               {total_mb / raw:.1f} MB/s")
    print(
        f"through the service      {total_mb / through:.1f} MB/s → {raw / through:.0%} of raw (target ≥ 80 %)"
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
