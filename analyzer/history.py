"""A local history of analysed sessions, for supervision across sessions.

One SQLite file (by default ``<out>/history.sqlite``) that every ``analyze``
run can add to.  Layout (schema version :data:`SCHEMA_VERSION`):

* ``meta(key, value)`` — ``schema_version`` and ``created_by``;
* ``sessions`` — one row per analysed session: ``content_hash`` (sha256 of
  the transcript's turns: speaker, text, start and end time), the
  ``analyzer_version`` that produced it, ``session_id``, ``source``,
  ``clinician``, ``session_date``, ``client``, ``metadata_source``,
  ``analysed_at`` (UTC, ISO 8601) as indexed columns, and ``row_json``: the
  full sessions.csv row as JSON, so columns added by later versions need no
  schema change.

The key is ``(content_hash, analyzer_version)``: analysing the same
transcript again with the same version *replaces* its row (fresh metadata and
time), never duplicates it.  The same transcript analysed by two versions
keeps one row per version; :meth:`History.sessions_frame` shows only the
latest analysis of each transcript unless asked for all.  An edited
transcript has a new hash and is a new session.

Every write is one transaction.  Opening a file written by an older schema
migrates it in place (inside a transaction) where a migration exists;
otherwise, or for a newer schema, or a file that is not a history, a
:class:`HistoryError` says what the file is and what to do.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import AnalyzerError

SCHEMA_VERSION = 1
DEFAULT_NAME = "history.sqlite"
KEY_COLUMNS = (
    "session_id", "source", "clinician", "session_date", "client", "metadata_source",
    "content_hash", "analyzer_version", "analysed_at",
)
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id               INTEGER PRIMARY KEY,
    content_hash     TEXT NOT NULL,
    analyzer_version TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    source           TEXT NOT NULL DEFAULT '',
    clinician        TEXT NOT NULL DEFAULT '',
    session_date     TEXT NOT NULL DEFAULT '',
    client           TEXT NOT NULL DEFAULT '',
    metadata_source  TEXT NOT NULL DEFAULT 'none',
    analysed_at      TEXT NOT NULL,
    row_json         TEXT NOT NULL,
    UNIQUE (content_hash, analyzer_version)
);
CREATE INDEX IF NOT EXISTS sessions_by_clinician ON sessions (clinician, session_date);
CREATE INDEX IF NOT EXISTS sessions_by_source ON sessions (source, session_id);
"""

# from-version → function upgrading a connection (inside a transaction) to from-version + 1
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}


class HistoryError(AnalyzerError):
    """A history file cannot be used: not SQLite, not a history, or a schema this version cannot read."""

    code = "E500"


def content_hash(transcript: Any) -> str:
    """sha256 of a transcript's turns (speaker, text, start, end): equal for the same session re-read."""
    h = hashlib.sha256()
    for t in transcript.turns:
        for part in (t.speaker, t.text, _time(t.start_s), _time(t.end_s)):
            h.update(part.encode("utf-8"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def _time(x: float | None) -> str:
    return "" if x is None else f"{float(x):.3f}"


def _analyzer_version() -> str:
    from . import __version__

    return __version__


def _jsonable(value: Any) -> Any:
    """A JSON-safe cell: NaN/NA → null, numpy scalars → Python numbers."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError, ImportError):
        pass
    return str(value)


class History:
    """A session history file; use as a context manager::

        with History(out / "history.sqlite") as h:
            h.add(result, metadata=metadata_for_result(result, manifest))
            frame = h.sessions_frame()
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    # ---------------------------------------------------------------- open / close

    def open(self) -> History:
        if self._conn is not None:
            return self
        p = self.path
        if p.is_dir():
            raise HistoryError("is a folder, not a history file", p)
        if p.exists() and p.stat().st_size > 0:
            with open(p, "rb") as fh:
                magic = fh.read(len(_SQLITE_MAGIC))
            if magic != _SQLITE_MAGIC:
                raise HistoryError(
                    "is not a session-analyzer history (not an SQLite database); "
                    "point --history at a new file or at a history.sqlite written by session-analyzer",
                    p,
                )
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(p, isolation_level=None)  # explicit BEGIN/COMMIT below
            conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise HistoryError(f"cannot be read as a session-analyzer history: {exc}", p) from None
        except HistoryError:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> History:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def _transaction(self) -> _Tx:
        return _Tx(self.conn)

    def _prepare(self) -> None:
        conn = self._conn
        assert conn is not None
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            with _Tx(conn):
                for stmt in _statements(_SCHEMA):
                    conn.execute(stmt)
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("INSERT INTO meta (key, value) VALUES ('created_by', ?)", (f"session-analyzer {_analyzer_version()}",))
            return
        if "meta" not in tables:
            raise HistoryError(
                f"is an SQLite database but not a session-analyzer history (tables: {', '.join(sorted(tables))})",
                self.path,
            )
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            found = int(row[0]) if row else None
        except ValueError:
            found = None
        if found is None:
            raise HistoryError("has no readable schema_version in its meta table; it was not written by session-analyzer", self.path)
        if found == SCHEMA_VERSION:
            return
        if found > SCHEMA_VERSION:
            raise HistoryError(
                f"was written by schema {found}; this version reads {SCHEMA_VERSION}. "
                "Upgrade session-analyzer to read it, or start a new history file",
                self.path,
            )
        missing = [v for v in range(found, SCHEMA_VERSION) if v not in MIGRATIONS]
        if missing:
            raise HistoryError(
                f"was written by schema {found}; this version reads {SCHEMA_VERSION} and cannot migrate it "
                f"(no migration from schema {missing[0]}). Start a new history file and re-analyse the transcripts",
                self.path,
            )
        with _Tx(conn):  # all steps or none
            for v in range(found, SCHEMA_VERSION):
                MIGRATIONS[v](conn)
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(v + 1),))

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    # ---------------------------------------------------------------- writing

    def add(
        self,
        result_or_row: Any,
        transcript_hash: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        analyzer_version: str | None = None,
        analysed_at: str | None = None,
    ) -> str:
        """Record one analysed session; returns its content hash.

        ``result_or_row`` is a :class:`~analyzer.pipeline.SessionResult` (its
        transcript gives the hash when ``transcript_hash`` is None) or a
        sessions.csv row dict (then ``transcript_hash`` is required).
        ``metadata`` is what :func:`analyzer.metadata.metadata_for` returns; a
        row that already has the same (hash, analyzer version) is replaced.
        """
        if isinstance(result_or_row, Mapping):
            row = dict(result_or_row)
            if not transcript_hash:
                raise ValueError("History.add(row): a transcript_hash is required when adding a plain row")
        else:
            row = dict(result_or_row.session)
            transcript_hash = transcript_hash or content_hash(result_or_row.transcript)
        meta = dict(metadata or {})
        version = analyzer_version or _analyzer_version()
        when = analysed_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        session_id = str(row.get("session_id") or "")
        if not session_id:
            raise ValueError("History.add: the row has no session_id")
        blob = json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False, allow_nan=False)
        extra = {k: _jsonable(v) for k, v in meta.items() if k not in ("clinician", "session_date", "client", "metadata_source")}
        if extra:
            blob = json.dumps({**json.loads(blob), "_metadata": extra}, ensure_ascii=False, allow_nan=False)
        values = (
            transcript_hash, version, session_id, str(row.get("source") or ""),
            str(meta.get("clinician") or ""), str(meta.get("session_date") or ""), str(meta.get("client") or ""),
            str(meta.get("metadata_source") or "none"), when, blob,
        )
        with self._transaction():
            self.conn.execute(
                """INSERT INTO sessions (content_hash, analyzer_version, session_id, source, clinician,
                                         session_date, client, metadata_source, analysed_at, row_json)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (content_hash, analyzer_version) DO UPDATE SET
                       session_id = excluded.session_id, source = excluded.source,
                       clinician = excluded.clinician, session_date = excluded.session_date,
                       client = excluded.client, metadata_source = excluded.metadata_source,
                       analysed_at = excluded.analysed_at, row_json = excluded.row_json""",
                values,
            )
        return transcript_hash

    def add_many(self, items: Iterable[tuple[Any, Mapping[str, Any] | None]]) -> int:
        """Add ``(result, metadata)`` pairs; returns how many were added."""
        n = 0
        for result, meta in items:
            self.add(result, metadata=meta)
            n += 1
        return n

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def records(self, all_versions: bool = False) -> list[dict[str, Any]]:
        """Rows as dicts: the key columns, then the stored sessions.csv row.

        Without ``all_versions`` only the latest analysis of each transcript
        (content hash) is returned.
        """
        rows = self.conn.execute(
            f"SELECT {', '.join(KEY_COLUMNS)}, row_json FROM sessions ORDER BY analysed_at, id"
        ).fetchall()
        latest: dict[str, dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for r in rows:
            rec = dict(json.loads(r[-1]))
            extra = rec.pop("_metadata", {})
            rec.update(extra)
            rec.update(dict(zip(KEY_COLUMNS, r[:-1])))
            _renamed(rec)
            if all_versions:
                out.append(rec)
            else:
                latest[rec["content_hash"]] = rec  # later analysed_at wins
        recs = out if all_versions else list(latest.values())
        recs.sort(key=lambda d: (d["clinician"] == "", d["clinician"], d["session_date"] == "", d["session_date"], d["session_id"]))
        return recs

    def sessions_frame(self, all_versions: bool = False) -> Any:
        """A pandas DataFrame: one row per session, ordered by clinician then date.

        Columns: ``KEY_COLUMNS`` first, then the sessions.csv columns (in
        SESSION_COLUMNS + skill column order, extra stored columns after),
        with the dtypes documented in :data:`analyzer.api.SESSION_DTYPES` (:mod:`analyzer.frames`).
        """
        import pandas as pd

        from .frames import typed_frame

        recs = self.records(all_versions)
        return typed_frame(pd.DataFrame.from_records(recs), "session", first=KEY_COLUMNS)


# Figures renamed when every proportion became a 0..1 share: (old name, new name, factor).
_RENAMED = (
    ("percent_open_questions", "open_question_share", 0.01),
    ("percent_complex_reflections", "complex_reflection_share", 0.01),
    ("percent_open_questions_band", "open_question_share_band", None),
    ("percent_complex_reflections_band", "complex_reflection_share_band", None),
    ("client_recovery_rate", "client_recovery_share", 1.0),
)


def _renamed(rec: dict[str, Any]) -> None:
    """Give a session stored by an earlier version the current figure names (so trends and exports span both)."""
    for old, new, factor in _RENAMED:
        if old in rec and new not in rec:
            value = rec.pop(old)
            if factor is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = round(value * factor, 4)
            rec[new] = value


class _Tx:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def default_path(out: str | Path) -> Path:
    """Where the CLI keeps the history: ``<out>/history.sqlite``."""
    return Path(out) / DEFAULT_NAME
