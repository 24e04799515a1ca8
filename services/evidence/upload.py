"""Reading a multipart upload as it streams: every file is checked while its bytes arrive.

A file over the limit is refused at its first byte too many, so the rest of the request
is never read; nothing is stored until every file of the request passed every check.
"""

import hashlib
from collections.abc import AsyncIterator

from streaming_form_data import StreamingFormDataParser
from streaming_form_data.targets import BaseTarget

from .domain.files import FileCheck, FileRefused, Received, claimed_type, sanitise_name

FIELD = "files"
__all__ = ["FIELD", "Received", "read_files"]


class CheckedFiles(BaseTarget):  # type: ignore[misc]
    def __init__(self, allowed: tuple[str, ...], max_bytes: int, max_files: int) -> None:
        super().__init__()
        self.allowed, self.max_bytes, self.max_files = allowed, max_bytes, max_files
        self.files: list[Received] = []
        self.refused: FileRefused | None = None
        self._check: FileCheck | None = None
        self._hash = hashlib.sha256()

    def on_start(self) -> None:
        if len(self.files) >= self.max_files:
            self._refuse(FileRefused("upload.max_files", f"at most {self.max_files} files per upload"))
        name = sanitise_name(self.multipart_filename or "")
        kind = claimed_type(name, self.allowed)
        self._check, self._hash = FileCheck(name, kind, self.max_bytes), hashlib.sha256()
        self.files.append(Received(name, kind))

    def on_data_received(self, chunk: bytes) -> None:
        if self._check is None:
            return
        try:
            self._check.feed(chunk)
        except FileRefused as refused:
            self._refuse(refused)
        self._hash.update(chunk)
        self.files[-1].data += chunk

    def on_finish(self) -> None:
        if self._check is not None:
            try:
                self._check.finish()
            except FileRefused as refused:
                self._refuse(refused)
            self.files[-1].sha256 = self._hash.hexdigest()

    def _refuse(self, refused: FileRefused) -> None:
        self.refused = refused
        raise refused


async def read_files(
    headers: dict[str, str],
    body: AsyncIterator[bytes],
    allowed: tuple[str, ...],
    max_bytes: int,
    max_files: int,
) -> list[Received]:
    target = CheckedFiles(allowed, max_bytes, max_files)
    parser = StreamingFormDataParser(headers=headers)
    parser.register(FIELD, target)
    try:
        async for chunk in body:
            parser.data_received(chunk)
    except FileRefused:
        raise
    except Exception as error:
        if target.refused is not None:
            raise target.refused from error
        raise FileRefused("upload.multipart", "the body is not a valid multipart/form-data upload") from error
    if target.refused is not None:
        raise target.refused
    if not target.files:
        raise FileRefused("upload.files", f"send at least one file in the form field '{FIELD}'")
    return target.files
