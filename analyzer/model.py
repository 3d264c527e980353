"""The one model of a session: a Transcript of Turns.

A *segment* is one source unit (a line of a typed transcript, a cue of a
VTT/SRT file, a row of a CSV table, a segment of a JSON file).  A *turn* is a
maximal run of consecutive segments by the same speaker.  Every turn keeps the
1-based index of its first segment so any figure can be traced to the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["clinician", "client", "other"]
ROLES: tuple[str, ...] = ("clinician", "client", "other")


@dataclass(frozen=True)
class Segment:
    """One source unit, before segments are merged into turns."""

    index: int  # 1-based position in the session
    speaker: str  # as written in the source
    text: str
    start_s: float | None = None
    end_s: float | None = None
    line: int | None = None  # 1-based line of the source file where the unit starts


@dataclass(frozen=True)
class Turn:
    """A maximal run of consecutive segments by one speaker."""

    index: int  # 1-based turn number within the session
    speaker: str
    role: Role
    text: str
    start_s: float | None
    end_s: float | None
    first_segment: int  # 1-based index of the first segment of this turn
    n_segments: int = 1
    line: int | None = None  # source line of the first segment

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, where the source gives both."""
        if self.start_s is None or self.end_s is None:
            return None
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True)
class Transcript:
    """A whole session as read from one source (a file, or one session of a CSV)."""

    session_id: str
    source: str  # path of the file it was read from
    turns: tuple[Turn, ...]
    format: str = ""  # reader that produced it: text, vtt, srt, json, csv
    encoding: str = "utf-8"
    role_inferred: bool = False  # True where roles were guessed, not read from labels
    warnings: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def has_times(self) -> bool:
        """True when every turn has a start time (end times may be missing)."""
        return bool(self.turns) and all(t.start_s is not None for t in self.turns)

    @property
    def speakers(self) -> list[str]:
        """Speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for t in self.turns:
            seen.setdefault(t.speaker, None)
        return list(seen)


def merge_segments(segments: list[Segment], roles: dict[str, Role]) -> tuple[Turn, ...]:
    """Merge consecutive segments by the same speaker into turns.

    ``roles`` maps each speaker label to its role.  Times: a turn starts where
    its first segment starts and ends where its last timed segment ends.
    """
    turns: list[Turn] = []
    run: list[Segment] = []

    def flush() -> None:
        if not run:
            return
        first = run[0]
        ends = [s.end_s for s in run if s.end_s is not None]
        turns.append(
            Turn(
                index=len(turns) + 1,
                speaker=first.speaker,
                role=roles.get(first.speaker, "other"),
                text=" ".join(s.text.strip() for s in run if s.text.strip()),
                start_s=first.start_s,
                end_s=ends[-1] if ends else None,
                first_segment=first.index,
                n_segments=len(run),
                line=first.line,
            )
        )
        run.clear()

    for seg in segments:
        if run and seg.speaker != run[-1].speaker:
            flush()
        run.append(seg)
    flush()
    return tuple(turns)
