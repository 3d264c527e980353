"""Session metadata: which clinician, which date, which client.

Metadata comes from exactly one of three places, in this order of precedence
(the first that has anything for a session is used whole, and
``metadata_source`` says which):

1. ``manifest`` — a ``manifest.csv`` beside the transcripts, one row per
   session.  The key column is ``file`` (or ``filename`` / ``path``): a file
   name relative to the manifest's folder, or ``NAME.csv/SESSION`` for one
   session of a multi-session CSV; or ``session_id`` (as in sessions.csv).
   Other columns: ``clinician``, ``date`` (ISO ``YYYY-MM-DD``; ``session_date``
   is accepted too), ``client``; any further columns are kept as they are.
2. ``csv`` — ``clinician`` / ``date`` (or ``session_date``) / ``client``
   columns of a CSV transcript, as the reader put them in
   ``Transcript.metadata``.
3. ``file name`` — a file named ``<clinician>_<YYYY-MM-DD>_<client>...``, e.g.
   ``CL-A_2026-09-03_P-017.vtt`` or ``CL-A_2026-09-03_P-017_part2.srt``.
   The pattern (``FILENAME_PATTERN``) is matched against the file name::

       ^(?P<clinician>[A-Za-z0-9-]+)_(?P<date>\\d{4}-\\d{2}-\\d{2})_(?P<client>[A-Za-z0-9-]+)(?:[_.\\s(\\[~-].*)?$

   Clinician and client codes are letters, digits and hyphens (no
   underscores); the date must be a real calendar date.  What copying and
   saving add to a name (``(2)``, `` (2)``, ``~1``, ``[final]``) ends the
   client code, so ``CL-A_2026-09-03_P-017(2).txt`` is client ``P-017``.
   Any other file name yields no metadata.

With none of them the session still runs: ``metadata_source`` is ``none``
and clinician, date and client are empty.  Dates are ISO only, everywhere:
``03/09/2026`` is ambiguous (3 September or 9 March) so a non-ISO date is an
error naming the file and line, never a guess.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AnalyzerError

if TYPE_CHECKING:
    from .model import Transcript
    from .pipeline import SessionResult

MANIFEST_NAME = "manifest.csv"
KEY_COLUMNS = ("file", "filename", "path", "session_id")
FIELD_COLUMNS = {"clinician": "clinician", "date": "session_date", "session_date": "session_date", "client": "client"}
METADATA_KEYS = ("clinician", "session_date", "client", "metadata_source")

FILENAME_PATTERN = re.compile(
    r"^(?P<clinician>[A-Za-z0-9-]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<client>[A-Za-z0-9-]+)(?:[_.\s(\[~-].*)?$"
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SESSION_KEY_PREFIX = "session:"


class MetadataError(AnalyzerError):
    """A manifest (or a transcript's metadata columns) cannot be used: missing key column, bad date, duplicate row."""

    code = "E400"


def parse_iso_date(value: str, path: str | Path | None = None, line: int | None = None) -> str:
    """``value`` as a checked ISO date string; empty stays empty; anything else raises MetadataError."""
    s = (value or "").strip()
    if not s:
        return ""
    if _ISO.match(s):
        try:
            return date.fromisoformat(s).isoformat()
        except ValueError:
            raise MetadataError(f"date {s!r} is not a real calendar date (use YYYY-MM-DD)", path, line) from None
    raise MetadataError(
        f"date {s!r} is not an ISO date; write it as YYYY-MM-DD (e.g. 2026-09-03) — "
        "day/month orders are ambiguous and are not guessed",
        path,
        line,
    )


def _posix(p: Path) -> str:
    return p.resolve().as_posix()


def load_manifest(folder_or_file: str | Path) -> dict[str, dict[str, Any]]:
    """Read a manifest: a folder's ``manifest.csv`` (absent → ``{}``) or a manifest file named directly.

    Returns key → metadata.  Keys are the resolved absolute path of the
    session's file (``/abs/folder/name.vtt``, or ``/abs/folder/name.csv/S01``
    for one session of a CSV) or ``session:<session_id>`` for manifests keyed
    by session id.  Each value has ``clinician``, ``session_date``, ``client``,
    any extra columns, and ``manifest`` / ``manifest_line`` saying where it
    came from.  A missing key column, a non-ISO date or a duplicated row raises
    :class:`MetadataError` naming the file and line.
    """
    p = Path(folder_or_file)
    if p.is_dir():
        p = p / MANIFEST_NAME
        if not p.is_file():
            return {}
    elif not p.is_file():
        raise MetadataError("manifest not found", p)
    folder = p.parent
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            key_col = next((c for c in KEY_COLUMNS if c in header), None)
            if key_col is None:
                raise MetadataError(
                    f"manifest needs a key column ({', '.join(KEY_COLUMNS)}); found columns: {', '.join(header) or 'none'}",
                    p,
                    1,
                )
            if not any(c in header for c in FIELD_COLUMNS):
                raise MetadataError(
                    "manifest needs at least one of the columns clinician, date, client; "
                    f"found columns: {', '.join(header)}",
                    p,
                    1,
                )
            out: dict[str, dict[str, Any]] = {}
            for row in reader:
                line = reader.line_num
                raw_key = (row.get(key_col) or "").strip().replace("\\", "/")
                if not raw_key and not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # blank line
                if not raw_key:
                    raise MetadataError(f"empty {key_col!r}", p, line)
                if key_col == "session_id":
                    key = SESSION_KEY_PREFIX + raw_key
                else:
                    key = _posix(folder / raw_key.removeprefix("./"))
                if key in out:
                    raise MetadataError(
                        f"{raw_key!r} is listed twice (first at line {out[key]['manifest_line']})", p, line
                    )
                meta: dict[str, Any] = {"clinician": "", "session_date": "", "client": ""}
                for col, value in row.items():
                    if col is None or col == key_col:
                        continue  # None: cells beyond the header
                    value = (value or "").strip()
                    if col in ("date", "session_date"):
                        meta["session_date"] = parse_iso_date(value, p, line)
                    elif col in FIELD_COLUMNS:
                        meta[FIELD_COLUMNS[col]] = value
                    else:
                        meta[col] = value
                meta["manifest"] = str(p)
                meta["manifest_line"] = line
                out[key] = meta
    except UnicodeDecodeError as exc:
        raise MetadataError(f"manifest is not UTF-8 text ({exc.reason})", p) from None
    except csv.Error as exc:
        raise MetadataError(f"manifest is not a valid CSV: {exc}", p) from None
    return out


def manifest_entry(session_id: str, source: str | Path, manifest: Mapping[str, Mapping[str, Any]] | None) -> Mapping[str, Any] | None:
    """The manifest row for a session: by session id, by ``file/SESSION``, then by whole file."""
    if not manifest:
        return None
    hit = manifest.get(SESSION_KEY_PREFIX + session_id)
    if hit is not None:
        return hit
    src = _posix(Path(source))
    if "/" in session_id:
        hit = manifest.get(src + "/" + session_id.split("/", 1)[1])
        if hit is not None:
            return hit
    return manifest.get(src)


def from_file_name(source: str | Path) -> dict[str, str] | None:
    """Clinician, date and client from a ``<clinician>_<YYYY-MM-DD>_<client>...`` file name, else None."""
    m = FILENAME_PATTERN.match(Path(source).name)
    if not m:
        return None
    try:
        d = date.fromisoformat(m["date"]).isoformat()
    except ValueError:
        return None
    return {"clinician": m["clinician"], "session_date": d, "client": m["client"]}


def metadata_for(
    session_id: str,
    source: str | Path,
    manifest: Mapping[str, Mapping[str, Any]] | None = None,
    csv_row_meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Metadata for one session: manifest, else CSV columns, else file name, else none.

    Always returns ``clinician``, ``session_date`` (ISO or empty), ``client``
    and ``metadata_source`` (``manifest``, ``csv``, ``file name`` or ``none``);
    a manifest row's extra columns come along.
    """
    entry = manifest_entry(session_id, source, manifest)
    if entry is not None:
        out = {k: v for k, v in entry.items() if k not in ("manifest", "manifest_line")}
        out["metadata_source"] = "manifest"
        return _complete(out)
    if csv_row_meta:
        got = {
            "clinician": str(csv_row_meta.get("clinician") or "").strip(),
            "session_date": str(csv_row_meta.get("session_date") or csv_row_meta.get("date") or "").strip(),
            "client": str(csv_row_meta.get("client") or "").strip(),
        }
        if any(got.values()):
            got["session_date"] = parse_iso_date(got["session_date"], f"{source} (session {session_id})")
            got["metadata_source"] = "csv"
            return got
    named = from_file_name(source)
    if named:
        return {**named, "metadata_source": "file name"}
    return {"clinician": "", "session_date": "", "client": "", "metadata_source": "none"}


def metadata_for_result(result: SessionResult | Transcript, manifest: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """:func:`metadata_for` for a :class:`~analyzer.pipeline.SessionResult` (or a Transcript)."""
    from .model import Transcript

    tr = result if isinstance(result, Transcript) else result.transcript
    return metadata_for(tr.session_id, tr.source, manifest, tr.metadata)


def load_manifests(paths: Any) -> dict[str, dict[str, Any]]:
    """The manifests of every folder in ``paths`` (and of the folder of every file), merged.

    Keys are absolute paths, so manifests of different folders never collide.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: dict[str, dict[str, Any]] = {}
    seen: set[Path] = set()
    for p in map(Path, paths):
        folder = p if p.is_dir() else p.parent
        folder = folder.resolve()
        if folder in seen:
            continue
        seen.add(folder)
        out.update(load_manifest(folder))
    return out


def _complete(meta: dict[str, Any]) -> dict[str, Any]:
    for k in METADATA_KEYS:
        meta.setdefault(k, "")
    return meta
