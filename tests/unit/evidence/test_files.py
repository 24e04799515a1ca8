"""Evidence file rules: allowed types, content matching the type, size, names."""

import pytest

from services.evidence.domain.files import MAX_BYTES, FileCheck, FileRefused, claimed_type, sanitise_name

from .samples import EXE, JPEG, OLE2, RAR4, RAR5

ALL = ("doc", "rar", "jpg")


def check(name: str, content: bytes, chunk: int = 7) -> None:
    file = FileCheck(name, claimed_type(name, ALL))
    for start in range(0, len(content), chunk):
        file.feed(content[start : start + chunk])
    file.finish()


@pytest.mark.parametrize(
    ("name", "content"),
    [("证明.doc", OLE2), ("a.rar", RAR4), ("b.RAR", RAR5), ("c.jpg", JPEG), ("d.jpeg", JPEG)],
)
def test_each_allowed_type_passes_with_its_own_signature(name: str, content: bytes) -> None:
    check(name, content)


@pytest.mark.parametrize(("name", "content"), [("photo.jpg", EXE), ("x.doc", JPEG), ("y.rar", OLE2)])
def test_content_that_is_not_the_claimed_type_is_refused(name: str, content: bytes) -> None:
    with pytest.raises(FileRefused) as refused:
        check(name, content)
    assert refused.value.rule == "file.content_matches_type"


@pytest.mark.parametrize("name", ["setup.exe", "notes.pdf", "archive.zip", "noextension"])
def test_types_outside_the_provinces_list_are_refused(name: str) -> None:
    with pytest.raises(FileRefused) as refused:
        claimed_type(name, ALL)
    assert refused.value.rule == "file.type_allowed"
    with pytest.raises(FileRefused):
        claimed_type("photo.doc", ("jpg",))  # a province allowing JPG only


def test_the_size_limit_is_exact_and_refused_at_the_first_byte_too_many() -> None:
    check("big.jpg", JPEG[:3] + b"\x00" * (MAX_BYTES - 3), chunk=65536)
    file = FileCheck("big.jpg", "jpg")
    file.feed(JPEG[:3] + b"\x00" * (MAX_BYTES - 3))
    with pytest.raises(FileRefused) as refused:
        file.feed(b"\x00")
    assert (refused.value.rule, refused.value.status) == ("file.max_size", 413)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(FileRefused, match="empty"):
        FileCheck("e.jpg", "jpg").finish()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\x\\证明 材料.doc", "证明_材料.doc"),
        ("a\x00b\x1f.jpg", "ab.jpg"),
        ("x" * 300 + ".jpg", "x" * 116 + ".jpg"),
    ],
)
def test_file_names_are_sanitised(raw: str, clean: str) -> None:
    assert sanitise_name(raw) == clean


def test_a_name_with_nothing_usable_is_refused() -> None:
    with pytest.raises(FileRefused):
        sanitise_name("../..")
