"""What an evidence file must be (DOMAIN §4): DOC, RAR or JPG, content matching the name, ≤ 2 MB.

Each check names the rule it enforces, so the 4xx answer says which rule a file broke.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from services.common.errors import ServiceError

MAX_BYTES = 2 * 1024 * 1024
DEFAULT_TYPES = ("doc", "rar", "jpg")
EXTENSIONS = {".doc": "doc", ".rar": "rar", ".jpg": "jpg", ".jpeg": "jpg"}
CONTENT_TYPES = {"doc": "application/msword", "rar": "application/vnd.rar", "jpg": "image/jpeg"}
SIGNATURES = (  # (type, magic bytes at offset 0)
    ("doc", bytes.fromhex("D0CF11E0A1B11AE1")),  # OLE2 compound file
    ("rar", b"Rar!\x1a\x07\x01\x00"),  # RAR 5
    ("rar", b"Rar!\x1a\x07\x00"),  # RAR 4
    ("jpg", b"\xff\xd8\xff"),  # JPEG SOI marker + the next marker
)
HEAD_BYTES = 8
NAME_LIMIT = 120


@dataclass
class Received:
    """A file of an upload as it arrived: its sanitised name, claimed type, bytes and their hash."""

    name: str
    kind: str
    data: bytearray = field(default_factory=bytearray, repr=False)
    sha256: str = ""

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


class FileRefused(ServiceError):
    """A file or upload breaks one of the rules above; ``rule`` names which."""

    code, title = "file_refused", "File refused"

    def __init__(self, rule: str, detail: str, status: int = 422) -> None:
        super().__init__(detail, rule=rule)
        self.status = status


def sanitise_name(raw: str) -> str:
    """The last path component, NFC, without control or reserved characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*\s]+', "_", name).strip("._ ")
    if not name:
        raise FileRefused("file.name", "the file has no usable name")
    stem, dot, ext = name.rpartition(".")
    return (stem[: NAME_LIMIT - len(ext) - 1] + dot + ext) if dot and stem else name[:NAME_LIMIT]


def claimed_type(name: str, allowed: tuple[str, ...]) -> str:
    """The type the name claims; refused when the province does not allow it."""
    lowered = name.lower()
    kind = next((k for ext, k in EXTENSIONS.items() if lowered.endswith(ext)), None)
    if kind is None or kind not in allowed:
        raise FileRefused(
            "file.type_allowed", f"{name}: only {', '.join(t.upper() for t in allowed)} files are allowed"
        )
    return kind


def detected_type(head: bytes) -> str | None:
    return next((kind for kind, magic in SIGNATURES if head.startswith(magic)), None)


@dataclass
class FileCheck:
    """Fed chunk by chunk while the upload streams; refuses as soon as a rule is broken."""

    name: str
    kind: str
    max_bytes: int = MAX_BYTES
    size: int = 0
    head: bytes = field(default=b"", repr=False)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FileRefused(
                "file.max_size", f"{self.name}: larger than {self.max_bytes // (1024 * 1024)} MB", 413
            )
        if len(self.head) < HEAD_BYTES:
            self.head = (self.head + chunk)[:HEAD_BYTES]
            if len(self.head) >= HEAD_BYTES:
                self._check_content()

    def finish(self) -> None:
        if self.size == 0:
            raise FileRefused("file.not_empty", f"{self.name}: the file is empty")
        self._check_content()

    def _check_content(self) -> None:
        found = detected_type(self.head)
        if found != self.kind:
            raise FileRefused(
                "file.content_matches_type", f"{self.name}: the content is not a {self.kind.upper()} file"
            )
