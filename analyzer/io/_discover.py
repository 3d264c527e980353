"""Finding transcripts in files and folders, and saying what was left out.

A folder run reads every file of a supported kind and lists every other file
with the reason it was skipped, so nothing is left out silently.  It never
reads what the tool wrote itself: the output folder of the run, or any folder
that holds the tool's tables (``turns.csv`` beside ``sessions.csv``, or a
``history.sqlite``) -- so ``analyze .`` run twice reads the same sessions.
A ConvoKit corpus folder is one source (its ``utterances.jsonl``); its other
files are part of it.  Folders behind symbolic links are followed once;
a link that loops back is named and skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._clean import display_path

_SKIP_NAMES = frozenset({"manifest.csv"})  # a folder's index of sessions, not a transcript
# A README.md/README.txt describes a folder of transcripts; it is not one.
_SKIP_STEMS = frozenset({"readme"})
# What the tool writes into an output folder; two of the tables together mark one.
_OUTPUT_TABLES = ("turns.csv", "sessions.csv", "evidence.csv")
CONVOKIT_PARTS = frozenset({"corpus.json", "conversations.json", "speakers.json", "users.json", "index.json"})

# Kinds a clinic often has beside its transcripts, named in the skip message.
_KINDS = {
    ".pdf": "PDF document", ".doc": "old Word document (save as .docx or .txt)", ".rtf": "rich text",
    ".odt": "OpenDocument text", ".rttm": "diarization times without words", ".xlsx": "Excel workbook (save as CSV)",
    ".xls": "Excel workbook (save as CSV)", ".wav": "audio", ".mp3": "audio", ".m4a": "audio", ".flac": "audio",
    ".ogg": "audio", ".mp4": "video", ".mov": "video", ".webm": "video", ".png": "image", ".jpg": "image",
    ".jpeg": "image", ".html": "web page", ".htm": "web page", ".eaf": "ELAN annotation", ".textgrid": "Praat TextGrid",
    ".zip": "zip archive",
}


@dataclass
class Inputs:
    """What :func:`find_inputs` found: files to read, paths that do not exist, and what it skipped."""

    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path as text, why)

    def skipped_lines(self) -> list[str]:
        """One ``path: skipped (why)`` line per skipped file or folder."""
        return [f"{p}: skipped ({why})" for p, why in self.skipped]


def is_output_folder(names: Iterable[str]) -> bool:
    """Does a folder holding these file names look like one the tool wrote?"""
    present = {n.casefold() for n in names}
    return "history.sqlite" in present or sum(t in present for t in _OUTPUT_TABLES) >= 2


def is_convokit_folder(names: Iterable[str]) -> bool:
    present = {n.casefold() for n in names}
    return "utterances.jsonl" in present and bool(present & CONVOKIT_PARTS)


def _why_unsupported(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if not suffix:
        return "no file suffix: name it .txt, .vtt, … or pass --format"
    return f"unsupported kind {suffix}" + (f": {_KINDS[suffix]}" if suffix in _KINDS else "")


def _walk_folder(
    root: Path, suffixes: Mapping[str, str], excluded: set[Path], found: Inputs, visited: set[Path]
) -> list[Path]:
    """Supported files under ``root`` (sorted), recording every skip in ``found``."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        real = here.resolve()
        if real in visited:
            found.skipped.append((display_path(here), "link to a folder already read"))
            dirnames[:] = []
            continue
        visited.add(real)
        if real in excluded or is_output_folder(filenames):
            found.skipped.append((display_path(here), "the analyzer's own output folder"))
            dirnames[:] = []
            continue
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                found.skipped.append((display_path(here / d), "hidden folder"))
            else:
                keep.append(d)
        dirnames[:] = keep
        convokit = is_convokit_folder(filenames)
        for name in sorted(filenames):
            path = here / name
            low = name.casefold()
            if name.startswith("."):
                why = "hidden file"
            elif low in _SKIP_NAMES:
                why = "manifest of session metadata, read with the transcripts"
            elif Path(name).stem.casefold() in _SKIP_STEMS:
                why = "README"
            elif convokit and low in CONVOKIT_PARTS:
                why = "part of the ConvoKit corpus read from utterances.jsonl"
            elif Path(name).suffix.lower() in suffixes:
                files.append(path)
                continue
            else:
                why = _why_unsupported(name)
            found.skipped.append((display_path(path), why))
    return sorted(files)


def find_inputs(
    paths: Iterable[str | Path], suffixes: Mapping[str, str], exclude: Iterable[str | Path] = ()
) -> Inputs:
    """Files to read under ``paths``; see the module docstring.  Each file is listed once.

    Files given directly are kept whatever their suffix (the reader then says
    what it makes of them); folders are searched recursively.  ``exclude``
    names folders never to read (the run's output folder).
    """
    found = Inputs()
    seen: set[Path] = set()
    visited: set[Path] = set()
    excluded = {Path(e).resolve() for e in exclude}

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.files.append(p)

    for item in paths:
        p = Path(item)
        if p.is_file():
            add(p)
        elif p.is_dir():
            for f in _walk_folder(p, suffixes, excluded, found, visited):
                add(f)
        elif p.is_symlink():
            found.missing.append(f"{display_path(p)}: broken link (its target does not exist)")
        else:
            found.missing.append(f"{display_path(p)}: no such file or folder")
    return found
