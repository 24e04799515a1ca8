"""Tiny files of each kind, by their real signatures."""

OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504
RAR4 = b"Rar!\x1a\x07\x00" + b"\x00" * 100
RAR5 = b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
