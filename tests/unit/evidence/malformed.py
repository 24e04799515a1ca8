"""Uploads that are not a complete multipart upload of files, each with the answer it must get."""

from dataclasses import dataclass

from .fakes import form
from .samples import JPEG, OLE2


@dataclass(frozen=True)
class Malformed:
    name: str
    headers: dict[str, str]
    body: bytes
    status: int
    code: str


def without_content_type(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "content-type"}


def cases() -> list[Malformed]:
    headers, body = form(("a.jpg", JPEG), ("b.doc", OLE2))
    boundary = headers["content-type"].split("boundary=", 1)[1]
    first_part_end = body.index(b"\r\n--" + boundary.encode(), 10) + 2  # just before the second part
    plain = without_content_type(headers)
    return [
        Malformed("no Content-Type", plain, body, 415, "upload_content_type_missing"),
        Malformed("JSON Content-Type", {**plain, "content-type": "application/json"}, body, 415,
                  "upload_not_multipart"),
        Malformed("multipart/mixed", {**plain, "content-type": f"multipart/mixed; boundary={boundary}"}, body,
                  415, "upload_not_multipart"),
        Malformed("no boundary", {**plain, "content-type": "multipart/form-data"}, body, 400,
                  "upload_boundary_missing"),
        Malformed("cut inside a file", headers, body[: len(body) // 3], 400, "upload_truncated"),
        Malformed("cut between two files", headers, body[:first_part_end], 400, "upload_truncated"),
        Malformed("cut before the closing dashes", headers, body[: body.rindex(b"--\r\n")], 400,
                  "upload_truncated"),
        Malformed("cut in the first part's headers", headers, body[:30], 400, "upload_truncated"),
        Malformed("empty body", headers, b"", 400, "upload_truncated"),
        Malformed("not multipart at all", headers, b"this is not a form " * 20, 400, "upload_malformed"),
        Malformed("no file field", headers, f"--{boundary}--\r\n".encode(), 422, "upload_no_files"),
        Malformed("a field besides the files", *form(("a.jpg", JPEG), data={"note": "see"}), 422,
                  "upload_unexpected_field"),
        Malformed("the file under another field", *form(("a.jpg", JPEG), field="file"), 422,
                  "upload_unexpected_field"),
    ]
