"""TalkBank CHAT (.cha): ``*SPK:`` main tiers, ``%`` dependent tiers, ``@`` headers.

Written against the CHAT manual's description of the format:

* ``@Participants:`` lists ``CODE [Name] Role`` entries separated by commas,
  and each ``@ID:`` line is ``language|corpus|CODE|age|sex|group|SES|role|
  education|custom|``.  The role word (Therapist, Patient, Investigator,
  Participant …) is read through models/roles.toml like a speaker label;
  the speaker label itself stays the three-letter code the tiers use.
* A main tier ``*THE:<tab>text`` is one segment; lines starting with a tab
  continue the tier above.  Dependent tiers (``%mor``, ``%gra``, ``%com``,
  ``%act`` …) describe the main tier and never become speech.
* A time bullet ``\\x15start_end\\x15`` (milliseconds) gives the segment's times.
* Transcription notation is removed from the text so the markers see words:
  codes in square brackets (``[/]`` ``[//]`` retracing, ``[+ bch]``
  postcodes, ``[% comment]``, ``[: target]``, ``[*]`` errors, ``[>]``
  overlaps), ``<`` ``>`` scope brackets, events ``&=laughs``, fragments
  ``&+fr``, untranscribed ``xxx``/``yyy``/``www``, omitted ``0word``, pauses
  ``(.)`` ``(..)`` ``(1.5)``, special-form suffixes ``word@s``, CA arrows and
  overlap marks.  Filled pauses keep their word (``&-um`` -> ``um``) so the
  filler count still sees them; a trailing-off ``+...`` becomes ``...`` and an
  interruption by the other speaker ``+/.`` becomes ``--`` (the talk markers'
  cut-off signs); other ``+`` terminators become their punctuation.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import FormatError
from ._common import RawSession

_MAIN = re.compile(r"^\*(?P<code>[^:\s]{1,16}):\s?(?P<text>.*)$")
_DEPENDENT = re.compile(r"^%[^:\s]{1,16}:")
_BULLET = re.compile(r"\x15(?:[^\x15_]*?_)?(?P<start>\d+)_(?P<end>\d+)\x15")
_ANY_BULLET = re.compile(r"\x15[^\x15]*\x15?")

# Terminators and linkers beginning with "+", longest first.
_PLUS_CODES = (
    ("+//.", "."), ("+//?", "?"), ("+/.", " --"), ("+/?", " --?"), ("+...", "..."), ("+..?", "...?"),
    ('+"/.', "."), ('+".', "."), ("+!?", "?!"), ("+.", "."), ("+<", ""), ("++", ""), ("+^", ""), ("+,", ""),
    ('+"', ""),
)
_NOTATION = [
    (re.compile(r"\[[^\[\]]*\]"), " "),  # every bracketed code: [/] [//] [+ bch] [% …] [: …] [*] [>] [?]
    (re.compile(r"&-(\w+)"), r"\1"),  # filled pause: &-um -> um
    (re.compile(r"&[=+~*{}\w\-:]\S*"), " "),  # events &=laughs, fragments &+fr, nonwords &~, others
    (re.compile(r"(?<!\w)(?:xxx|yyy|www)(?!\w)", re.IGNORECASE), " "),  # untranscribed material
    (re.compile(r"(?<![\w'])0[^\W\d]\w*"), " "),  # omitted words: 0is
    (re.compile(r"\((?:\d+:)?\d*\.?\d*\)|\(\.{1,3}\)"), " "),  # pauses (.) (..) (...) (1.5) (1:02.5)
    (re.compile(r"(?<=\w)@[\w:$]*"), ""),  # special forms word@s:eng, word@c
    (re.compile(r"\(([^\s()]+)\)"), r"\1"),  # shortenings (be)cause -> because
    (re.compile(r"[<>‹›⌈⌉⌊⌋↑↓⇗↗→↘⇘∞≈≋∆∇°▁▔☺‡„^“”]"), " "),  # scope brackets, CA marks
    (re.compile(r"(?<=\w):(?=\w|\s|$)"), ""),  # lengthening no:: -> no
    (re.compile(r"(?<=\w)[+_](?=\w)"), " "),  # compounds ice+cream, multi-word names New_York
    (re.compile(r"\s+([.?!,])"), r"\1"),  # terminators against the word before
]


def clean_chat_text(text: str) -> str:
    """A CHAT main tier's speech without its transcription notation (see the module docstring)."""
    s = _ANY_BULLET.sub(" ", text)
    for code, repl in _PLUS_CODES:
        s = s.replace(code, repl)
    for pattern, repl in _NOTATION:
        s = pattern.sub(repl, s)
    return " ".join(s.split())


def _participants(value: str) -> dict[str, str]:
    """``@Participants`` -> code: role word (the last word of each entry)."""
    roles: dict[str, str] = {}
    for entry in value.split(","):
        parts = entry.split()
        if len(parts) >= 2:
            roles[parts[0]] = parts[-1]
    return roles


def _id_role(value: str) -> tuple[str, str] | None:
    fields = value.split("|")
    if len(fields) >= 8 and fields[2].strip() and fields[7].strip():
        return fields[2].strip(), fields[7].strip()
    return None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line with its tab-continuations joined)."""
    out: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        if raw[:1] == "\t" and out:
            out[-1] = (out[-1][0], f"{out[-1][1]} {raw.strip()}")
        elif raw.strip():
            out.append((lineno, raw.rstrip()))
    return out


def parse_chat(text: str, source: str, labels: dict[str, Any]) -> list[RawSession]:
    """Read a CHAT transcript into one raw session."""
    session = RawSession(key=None)
    declared: dict[str, str] = {}
    no_words = 0
    first_no_words: int | None = None
    stray: list[int] = []
    for lineno, line in _logical_lines(text):
        if line.startswith("@"):
            name, _, value = line[1:].partition(":")
            key = name.strip().casefold()
            if key == "participants":
                declared.update(_participants(value))
            elif key == "id" and (found := _id_role(value)):
                declared[found[0]] = found[1]
            elif key in ("date", "situation", "location") and value.strip():
                session.metadata.setdefault(key, value.strip())
            continue
        if _DEPENDENT.match(line):
            continue
        m = _MAIN.match(line)
        if not m:
            stray.append(lineno)
            continue
        bullet = _BULLET.search(m.group("text"))
        start = int(bullet.group("start")) / 1000 if bullet else None
        end = int(bullet.group("end")) / 1000 if bullet else None
        speech = clean_chat_text(m.group("text"))
        if not any(ch.isalnum() for ch in speech):
            no_words += 1
            first_no_words = first_no_words or lineno
            continue
        session.add(m.group("code"), speech, start, end, lineno)
    if not session.segments:
        raise FormatError("no `*SPEAKER:` main tiers with words found (a CHAT file needs them)", path=source)
    session.role_words.update({code: role.replace("_", " ") for code, role in declared.items()})
    if no_words:
        session.warnings.append(
            f"skipped {no_words} utterance(s) with no transcribed words (first at line {first_no_words})"
        )
    if stray:
        session.warnings.append(f"skipped {len(stray)} line(s) that are not CHAT tiers (first at line {stray[0]})")
    return [session]
