"""Bytes -> text, shared by every reader.

Transcripts come from many tools: UTF-8 (with or without a BOM), UTF-16 from
Windows exports, cp1252 from older Word/Excel.  We try them in that order and
record the one used, and we refuse files that are not text at all (a PDF or
a .docx handed over by mistake) with a message that says so.
"""

from __future__ import annotations

import re

from ..errors import FormatError

# Signatures of the files most often handed over instead of a transcript.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "zip archive, e.g. .docx or .xlsx: save it as plain text or CSV"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xd0\xcf\x11\xe0", "MS Office .doc/.xls: save it as plain text or CSV"),
    (b"ID3", "MP3 audio"),
    (b"RIFF", "RIFF audio/video, e.g. .wav"),
    (b"OggS", "Ogg audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM video"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3\x00", "SQLite database"),
)

# Control characters ordinary text files contain (tab, newlines, form feed, DOS end-of-file).
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1a")
# The other control characters (Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F), as one
# character class so they are counted in C rather than character by character.
_CONTROLS = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in _ALLOWED_CONTROLS) + "]"
)
_MAX_CONTROL_SHARE = 0.05


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL, as in UTF-16 of mostly-ASCII text."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _binary(path: str, why: str) -> FormatError:
    return FormatError(f"looks like a binary file ({why}), not a transcript", path=path)


def check_text(text: str, path: str) -> str:
    """Normalise newlines and reject empty or binary-looking text; returns the text.

    Used for decoded files and for strings given to ``read_text`` alike.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FormatError("file is empty", path=path)
    if "\x00" in text:
        raise _binary(path, "contains NUL bytes")
    controls = len(_CONTROLS.findall(text))
    if controls and controls / len(text) > _MAX_CONTROL_SHARE:
        raise _binary(path, f"{controls} control characters in {len(text)}")
    return text


def decode(data: bytes, path: str) -> tuple[str, str, list[str]]:
    """Decode a transcript file's bytes.

    Returns ``(text, encoding, warnings)`` with newlines normalised to ``\\n``.
    Raises :class:`FormatError` for an empty file, a binary file, or bytes
    that are neither UTF-8, UTF-16 nor cp1252.
    """
    if not data.strip():
        raise FormatError("file is empty", path=path)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _binary(path, what)
    if data[4:8] == b"ftyp":
        raise _binary(path, "MP4/M4A audio or video")

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-32-LE also starts with FF FE; its BOM is FF FE 00 00.
        encoding = "utf-32" if data.startswith(b"\xff\xfe\x00\x00") else "utf-16"
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"has a {encoding.upper()} byte-order mark but cannot be decoded as {encoding.upper()} "
                f"(byte offset {exc.start})",
                path=path,
            ) from None
        return check_text(text, path), encoding, [f"decoded as {encoding.upper()} (byte-order mark), not UTF-8"]

    guess = _utf16_without_bom(data)
    if guess is not None:
        try:
            text = data.decode(guess)
        except UnicodeDecodeError:
            raise _binary(path, "NUL bytes in a pattern that is not valid UTF-16") from None
        return check_text(text, path), guess, [f"decoded as {guess.upper()} (no byte-order mark), not UTF-8"]

    nul = data.find(b"\x00")
    if nul >= 0:
        raise _binary(path, f"NUL byte at offset {nul}")

    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return check_text(text, path), encoding, []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"cannot decode: byte 0x{data[exc.start]:02X} at offset {exc.start} is neither UTF-8 nor cp1252",
            path=path,
            line=_line_of(data, exc.start),
        ) from None
    warning = (
        f"decoded as cp1252, not UTF-8 (first non-UTF-8 byte 0x{data[first_bad]:02X} "
        f"on line {_line_of(data, first_bad)})"
    )
    return check_text(text, path), "cp1252", [warning]
