"""Reading a multipart upload as it streams: every file is checked while its bytes arrive.

A file over the limit is refused at its first byte too many, so the rest of the request
is never read; nothing is stored until every file of the request passed every check and the
body was read to its closing boundary. Each file is kept in memory meanwhile: at most
``MAX_FILE_BYTES`` each and ``MAX_FILES_PER_UPLOAD`` of them, so the buffer is bounded.

A body that is not a complete ``multipart/form-data`` upload of ``files`` is refused as
``MalformedUpload``, each way with its own code: no or another Content-Type, no boundary, a body
that ends before its closing boundary, a body the parser cannot split, a field other than
``files``, no file at all.
"""

import hashlib
from collections.abc import AsyncIterator, Mapping
from email.message import EmailMessage

from starlette.requests import ClientDisconnect
from streaming_form_data import StreamingFormDataParser
from streaming_form_data.parser import ParseFailedException, UnexpectedPartException
from streaming_form_data.targets import BaseTarget

from services.common.errors import ServiceError

from .domain.files import FileCheck, FileRefused, Received, claimed_type, sanitise_name

FIELD = "files"
MULTIPART = "multipart/form-data"
__all__ = ["FIELD", "MalformedUpload", "Received", "read_files"]


class MalformedUpload(ServiceError):
    """The request is not a complete multipart upload of files; ``code`` says how, ``rule`` names
    what it breaks. Nothing was stored."""

    title = "Malformed upload"

    def __init__(self, code: str, status: int, rule: str, detail: str) -> None:
        super().__init__(detail, code=code, rule=rule)
        self.status = status


def boundary_of(headers: Mapping[str, str]) -> bytes:
    """The multipart boundary the Content-Type names, read as the parser reads it."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not content_type:
        raise MalformedUpload("upload_content_type_missing", 415, "upload.content_type",
                              f"send the files as {MULTIPART}: the request has no Content-Type")
    message = EmailMessage()
    message["content-type"] = content_type
    if message.get_content_type() != MULTIPART:
        raise MalformedUpload("upload_not_multipart", 415, "upload.content_type",
                              f"send the files as {MULTIPART}, not {message.get_content_type()}")
    boundary = message.get_boundary()
    if not boundary:
        raise MalformedUpload("upload_boundary_missing", 400, "upload.boundary",
                              f"the {MULTIPART} Content-Type names no boundary")
    return boundary.encode()


class ClosingBoundary:
    """Watches the raw body for the closing boundary: a body cut short anywhere before it (even
    between two parts, where every part seen looks whole) is truncated."""

    def __init__(self, boundary: bytes) -> None:
        self.ender = b"\r\n--" + boundary + b"--"
        self.tail = b"\r\n"  # the first delimiter of a body may come without the line break before it
        self.seen = False

    def feed(self, chunk: bytes) -> None:
        if not self.seen:
            window = self.tail + chunk
            self.seen = self.ender in window
            self.tail = window[-(len(self.ender) - 1):]


class CheckedFiles(BaseTarget):  # type: ignore[misc]
    def __init__(self, allowed: tuple[str, ...], max_bytes: int, max_files: int) -> None:
        super().__init__()
        self.allowed, self.max_bytes, self.max_files = allowed, max_bytes, max_files
        self.files: list[Received] = []
        self.refused: FileRefused | None = None
        self.open = False  # a file has started and not yet ended
        self._check: FileCheck | None = None
        self._hash = hashlib.sha256()

    def on_start(self) -> None:
        if len(self.files) >= self.max_files:
            self._refuse(FileRefused("upload.max_files", f"at most {self.max_files} files per upload"))
        name = sanitise_name(self.multipart_filename or "")
        kind = claimed_type(name, self.allowed)
        self._check, self._hash = FileCheck(name, kind, self.max_bytes), hashlib.sha256()
        self.files.append(Received(name, kind))
        self.open = True

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
            self.open = False

    def _refuse(self, refused: FileRefused) -> None:
        self.refused = refused
        raise refused


def truncated() -> MalformedUpload:
    return MalformedUpload("upload_truncated", 400, "upload.complete",
                           "the body ended before the closing multipart boundary: nothing was stored")


async def read_files(
    headers: dict[str, str],
    body: AsyncIterator[bytes],
    allowed: tuple[str, ...],
    max_bytes: int,
    max_files: int,
) -> list[Received]:
    """Every file of the upload, each checked and whole, once the body was read to its end."""
    closing = ClosingBoundary(boundary_of(headers))
    target = CheckedFiles(allowed, max_bytes, max_files)
    parser = StreamingFormDataParser(headers=headers, strict=True)  # strict: any other field is refused
    parser.register(FIELD, target)
    try:
        async for chunk in body:
            closing.feed(chunk)
            parser.data_received(chunk)
    except FileRefused:
        raise
    except UnexpectedPartException as error:
        name = error.part_name[:40]
        raise MalformedUpload("upload_unexpected_field", 422, "upload.fields",
                              f"only the form field '{FIELD}' is accepted, not {name!r}") from error
    except ParseFailedException as error:
        if target.refused is not None:  # a refusal raised inside the parser comes out wrapped
            raise target.refused from error
        raise MalformedUpload("upload_malformed", 400, "upload.multipart",
                              f"the body is not a valid {MULTIPART} upload") from error
    except ClientDisconnect as error:
        raise truncated() from error
    if not closing.seen or target.open:
        raise truncated()
    if not target.files:
        raise MalformedUpload("upload_no_files", 422, "upload.files",
                              f"send at least one file in the form field '{FIELD}'")
    return target.files
