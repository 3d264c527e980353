"""Pieces shared by the readers: times, speaker prefixes, raw sessions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Segment
from ..roles import classify_label

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?$")


def parse_clock(value: str) -> float | None:
    """Seconds from ``hh:mm:ss[.mmm]`` or ``mm:ss[.mmm]`` (``,`` also accepted); None if not a clock."""
    m = _CLOCK.match(value.strip())
    if not m:
        return None
    hours, minutes, seconds, frac = m.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(frac) / 10 ** len(frac) if frac else 0.0)


def parse_time_value(value: str) -> float | None:
    """A time cell: empty -> None, plain seconds ("12.5") or a clock; ValueError otherwise."""
    s = value.strip()
    if not s:
        return None
    try:
        seconds = float(s)
    except ValueError:
        clock = parse_clock(s)
        if clock is None:
            raise ValueError(s) from None
        seconds = clock
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(s)
    return seconds


@dataclass
class RawSession:
    """What a reader found for one session, before roles and turns."""

    key: str | None  # CSV session value; None for a whole file
    segments: list[Segment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    # Role words the source itself gives a speaker (CHAT @ID "Therapist", a ConvoKit speaker's meta role);
    # read through models/roles.toml like a label, ahead of the label itself.
    role_words: dict[str, str] = field(default_factory=dict)

    def add(self, speaker: str, text: str, start_s: float | None, end_s: float | None, line: int | None) -> None:
        """Append a segment, numbering it 1-based within the session."""
        self.segments.append(
            Segment(index=len(self.segments) + 1, speaker=speaker, text=text, start_s=start_s, end_s=end_s, line=line)
        )


# --- speaker prefixes -------------------------------------------------------

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# "Name (00:01:02): text" / "Name [00:01]: text" -- the colon inside the time must not split the name.
_NAME_THEN_TIME = re.compile(rf"^(?P<name>[^:\[\]()]{{1,40}}?)\s*[\[(]\s*(?P<time>{_TIME})\s*[\])]\s*:\s*(?P<text>.*)$")
_PREFIX = re.compile(r"^(?P<name>[^:]{1,60}?)\s*:(?!//)\s*(?P<text>.*)$")
_BRACKET_PREFIX = re.compile(r"^\[(?P<name>[^\[\]]{1,40})\]\s*:?\s+(?P<text>.*)$")
_MD_BOLD = (re.compile(r"^(\*\*|__)([^*:]{1,40}?)\1\s*:"), re.compile(r"^(\*\*|__)([^*:]{1,40}?):\s*\1"))
_ABBREV = re.compile(r"^(?:[^\W\d_]{1,3}\.)+$")  # "Dr.", "J.", "J.R."
_WORD = re.compile(r"^[\w'’\-]+$")
# Upper-case letters only for initials ("T", "PT", "P2"): a lower-case "so:" is speech.
_CODE = re.compile(
    r"^(?:[A-Z]{1,3}\d{0,3}|[A-Za-z]+_\d+|(?i:speaker|spk|spkr|person|voice|participant|user)[ _-]?[A-Za-z0-9]{1,3})$"
)
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "bin", "al", "el", "y"})


def clean_label(name: str) -> str:
    """A speaker label as written, without surrounding brackets, bold markers and spaces."""
    s = name.strip().strip("*_").strip()
    if len(s) >= 2 and s[0] == "[" and s[-1] == "]":
        s = s[1:-1].strip()
    return re.sub(r"\s+", " ", s)


def label_shape_ok(name: str) -> bool:
    """Does ``name`` look like a speaker label at all: 1-4 words, <= 40 chars, no sentence punctuation."""
    s = clean_label(name)
    if not s or len(s) > 40 or not any(ch.isalpha() for ch in s):
        return False
    if s.startswith(("(", "[")) or any(ch in s for ch in '?!,;"“”…:<>{}/\\=+*|'):
        return False
    words = s.split()
    if not 1 <= len(words) <= 4:
        return False
    for w in words:
        core = w.strip("()")
        if not core:
            return False
        if "." in core:
            # Dots only in abbreviations ("Dr.", "J.R."): "fine." ends a sentence.
            if not _ABBREV.match(core):
                return False
        elif not _WORD.match(core):
            return False
    return True


def is_code(name: str) -> bool:
    """SPEAKER_00, Speaker 1, T, C, P2, A/B: labels diarizers and transcribers use."""
    return bool(_CODE.match(clean_label(name)))


def is_capitalised(name: str) -> bool:
    """Every word starts with a capital (name particles such as "van" excepted)."""
    words = clean_label(name).split()
    return bool(words) and words[0][:1].isupper() and all(
        w[:1].isupper() or w[:1].isdigit() or w.lower() in _PARTICLES for w in words
    )


def is_known_label(name: str, labels: dict[str, Any]) -> bool:
    """A label models/roles.toml knows (clinician, client or other)."""
    return classify_label(clean_label(name), labels) is not None


def is_not_speaker(name: str, labels: dict[str, Any]) -> bool:
    """Words like "Note" or "Date" that are never speaker labels in typed text."""
    return clean_label(name).casefold() in labels["not_speakers"]


def split_prefix(line: str) -> tuple[str, str, float | None] | None:
    """Split ``Name: text`` (also ``**Name:**``, ``[Name]: text``, ``Name (00:01): text``).

    Returns ``(name, text, start_s)`` where ``name`` has passed only the shape
    check; callers decide whether it is a speaker.  None when there is no prefix.
    """
    s = line.strip()
    for pat in _MD_BOLD:
        s = pat.sub(r"\2:", s, count=1)
    m = _NAME_THEN_TIME.match(s)
    if m and label_shape_ok(m.group("name")):
        return clean_label(m.group("name")), m.group("text").strip(), parse_clock(m.group("time"))
    m = _PREFIX.match(s)
    if m and label_shape_ok(m.group("name")):
        return clean_label(m.group("name")), m.group("text").strip(), None
    m = _BRACKET_PREFIX.match(s)
    if m and label_shape_ok(m.group("name")) and (is_code(m.group("name")) or is_capitalised(m.group("name"))):
        return clean_label(m.group("name")), m.group("text").strip(), None
    return None
