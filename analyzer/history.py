"""A local history of analysed sessions, for supervision across sessions.

One SQLite file (by default ``<out>/history.sqlite``) that every ``analyze``
run can add to.  Layout (schema version :data:`SCHEMA_VERSION`):

* ``meta(key, value)`` — ``schema_version`` and ``created_by``;
* ``sessions`` — one row per analysed session: ``content_hash`` (sha256 of
  the transcript's turns: speaker, text, start and end time), ``source_key``
  (the absolute path of the file it was read from), the
  ``analyzer_version`` that produced it, ``session_id``, ``source``,
  ``clinician``, ``session_date``, ``client``, ``metadata_source``,
  ``analysed_at`` (UTC, ISO 8601) as indexed columns, and ``row_json``: the
  full sessions.csv row as JSON, so columns added by later versions need no
  schema change.

A session is its content *from one source*: the key is ``(content_hash,
source_key, analyzer_version)``.  Analysing the same file again with the same
version *replaces* its row, never duplicates it; identical turns in two
different files are two sessions.  Metadata already recorded is never blanked:
a later analysis without it (no manifest, another version) keeps the recorded
clinician, date and client; a different non-empty value wins and is reported
in :attr:`History.warnings`.  The same transcript analysed by two versions
keeps one row per version; :meth:`History.sessions_frame` shows only the
latest analysis of each session unless asked for all.  An edited transcript
has a new hash and is a new session.

Every write is one transaction, and a whole run is one (:meth:`History.begin`
… :meth:`History.commit`), so a run that is stopped leaves no rows that its
tables do not list.  The file is owner-only (0600).  Opening a file written
by an older schema migrates it in place (inside a transaction) where a
migration exists; otherwise, or for a newer schema, a damaged file, or a file
that is not a history, a :class:`HistoryError` says what the file is and what
to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import AnalyzerError

SCHEMA_VERSION = 2
DEFAULT_NAME = "history.sqlite"
METADATA_FIELDS = ("clinician", "session_date", "client")
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
    source_key       TEXT NOT NULL DEFAULT '',
    analyzer_version TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    source           TEXT NOT NULL DEFAULT '',
    clinician        TEXT NOT NULL DEFAULT '',
    session_date     TEXT NOT NULL DEFAULT '',
    client           TEXT NOT NULL DEFAULT '',
    metadata_source  TEXT NOT NULL DEFAULT 'none',
    analysed_at      TEXT NOT NULL,
    row_json         TEXT NOT NULL,
    UNIQUE (content_hash, source_key, analyzer_version)
);
CREATE INDEX IF NOT EXISTS sessions_by_clinician ON sessions (clinician, session_date);
CREATE INDEX IF NOT EXISTS sessions_by_source ON sessions (source, session_id);
"""



def _to_schema_2(conn: sqlite3.Connection) -> None:
    """Schema 1 keyed sessions by content alone; schema 2 adds the source (old rows: their ``source``)."""
    conn.execute("ALTER TABLE sessions RENAME TO sessions_v1")
    conn.execute("DROP INDEX IF EXISTS sessions_by_clinician")
    conn.execute("DROP INDEX IF EXISTS sessions_by_source")
    for stmt in _statements(_SCHEMA):
        if "meta" not in stmt.split("(")[0]:
            conn.execute(stmt)
    conn.execute(
        """INSERT INTO sessions (id, content_hash, source_key, analyzer_version, session_id, source, clinician,
                                 session_date, client, metadata_source, analysed_at, row_json)
           SELECT id, content_hash, source, analyzer_version, session_id, source, clinician,
                  session_date, client, metadata_source, analysed_at, row_json FROM sessions_v1"""
    )
    conn.execute("DROP TABLE sessions_v1")


# from-version → function upgrading a connection (inside a transaction) to from-version + 1
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _to_schema_2}


def source_key(source: str | Path) -> str:
    """What tells two sources apart: the absolute path of an existing file, else the source as given."""
    text = str(source or "")
    try:
        p = Path(text)
        return p.resolve().as_posix() if text and p.exists() else text
    except (OSError, ValueError):
        return text


def _bindable(text: str) -> str:
    # SQLite cannot store lone surrogates (a file name with a non-UTF-8 byte); keep them visible instead
    from .guard import printable_text

    return printable_text(text)


class HistoryError(AnalyzerError):
    """A history file cannot be used: not SQLite, not a history, or a schema this version cannot read."""

    code = "E500"


def content_hash(transcript: Any) -> str:
    """sha256 of a transcript's turns (speaker, text, start, end): equal for the same session re-read."""
    h = hashlib.sha256()
    for t in transcript.turns:
        for part in (t.speaker, t.text, _time(t.start_s), _time(t.end_s)):
            h.update(part.encode("utf-8", "surrogatepass"))  # a lone surrogate must not stop a run
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def _time(x: float | None) -> str:
    return "" if x is None else f"{float(x):.3f}"


def _analyzer_version() -> str:
    from ._version import __version__

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
        self._in_run = False
        self.warnings: list[str] = []  # metadata conflicts met by add(), one line each

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
        _private_file(p)
        try:
            conn = sqlite3.connect(p, isolation_level=None)  # explicit BEGIN/COMMIT below
            conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
            self._prepare()
            self._check_integrity()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise HistoryError(f"cannot be read as a session-analyzer history: {exc}; "
                               "restore it from a backup or point --history at a new file", p) from None
        except HistoryError:
            self.close()
            raise
        return self

    def _check_integrity(self) -> None:
        assert self._conn is not None
        found = [r[0] for r in self._conn.execute("PRAGMA quick_check(3)")]
        if found != ["ok"]:
            raise HistoryError(f"is damaged ({'; '.join(map(str, found))}); "
                               "restore it from a backup or point --history at a new file", self.path)

    def close(self) -> None:
        if self._conn is not None:
            if self._in_run:
                self.rollback()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> History:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ---------------------------------------------------------------- one transaction per run

    def begin(self) -> History:
        """Start the run's transaction: every :meth:`add` until :meth:`commit` lands together or not at all."""
        if not self._in_run:
            self._execute("BEGIN IMMEDIATE", doing="cannot be locked for writing (is another run using it?)")
            self._in_run = True
        return self

    def commit(self) -> None:
        """Commit the run's transaction (a no-op outside one)."""
        if self._in_run:
            self._execute("COMMIT", doing="cannot be updated")
            self._in_run = False

    def rollback(self) -> None:
        """Drop everything added since :meth:`begin`."""
        if self._in_run:
            self._in_run = False
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def _execute(self, sql: str, params: tuple[Any, ...] = (), doing: str = "cannot be updated") -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise HistoryError(f"{doing}: {exc}", self.path) from None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def _transaction(self) -> Any:
        return contextlib.nullcontext(self.conn) if self._in_run else _Tx(self.conn)

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
        version = analyzer_version or _analyzer_version()
        when = analysed_at or datetime.now(UTC).isoformat(timespec="seconds")
        session_id = str(row.get("session_id") or "")
        if not session_id:
            raise ValueError("History.add: the row has no session_id")
        source = str(row.get("source") or "")
        key = _bindable(source_key(source))
        meta = self._merged_metadata(transcript_hash, key, session_id, dict(metadata or {}))
        # ensure_ascii: a lone surrogate is stored as a JSON escape instead of failing the insert
        cells = {k: _jsonable(v) for k, v in row.items()}
        extra = {k: _jsonable(v) for k, v in meta.items() if k not in (*METADATA_FIELDS, "metadata_source")}
        if extra:
            cells["_metadata"] = extra
        blob = json.dumps(cells, ensure_ascii=True, allow_nan=False)
        values = (
            transcript_hash, key, version, _bindable(session_id), _bindable(source),
            *(_bindable(str(meta.get(k) or "")) for k in METADATA_FIELDS),
            str(meta.get("metadata_source") or "none"), when, blob,
        )
        with self._transaction():
            self._execute(
                """INSERT INTO sessions (content_hash, source_key, analyzer_version, session_id, source, clinician,
                                         session_date, client, metadata_source, analysed_at, row_json)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (content_hash, source_key, analyzer_version) DO UPDATE SET
                       session_id = excluded.session_id, source = excluded.source,
                       clinician = excluded.clinician, session_date = excluded.session_date,
                       client = excluded.client, metadata_source = excluded.metadata_source,
                       analysed_at = excluded.analysed_at, row_json = excluded.row_json""",
                values,
            )
        return transcript_hash

    def _merged_metadata(self, digest: str, key: str, session_id: str, new: dict[str, Any]) -> dict[str, Any]:
        """``new`` over what the history already knows of this session: an empty value never blanks a
        recorded one; a different non-empty value wins and is noted in :attr:`warnings`."""
        found = self._execute(
            """SELECT clinician, session_date, client, metadata_source, row_json FROM sessions
               WHERE content_hash = ? AND source_key = ? ORDER BY analysed_at DESC, id DESC LIMIT 1""",
            (digest, key), doing="cannot be read",
        ).fetchone()
        if found is None:
            return new
        old = dict(zip((*METADATA_FIELDS, "metadata_source"), found[:4]))
        old.update(json.loads(found[4]).get("_metadata", {}))
        merged = dict(new)
        for k, was in old.items():
            now = str(new.get(k) or "")
            if k == "metadata_source":
                continue
            if not now and was not in (None, ""):
                merged[k] = was
            elif now and was not in (None, "") and str(was) != now and k in METADATA_FIELDS:
                self.warnings.append(f"{session_id}: {k} was {was!r} in the history, now {now!r}; the new value is kept")
        if not any(str(new.get(k) or "") for k in METADATA_FIELDS) and any(old.get(k) for k in METADATA_FIELDS):
            merged["metadata_source"] = old["metadata_source"]  # nothing new: say where the kept values came from
        return merged

    def add_many(self, items: Iterable[tuple[Any, Mapping[str, Any] | None]]) -> int:
        """Add ``(result, metadata)`` pairs in one transaction; returns how many were added."""
        n = 0
        outer = self._in_run
        self.begin()
        try:
            for result, meta in items:
                self.add(result, metadata=meta)
                n += 1
        except BaseException:
            if not outer:
                self.rollback()
            raise
        if not outer:
            self.commit()
        return n

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def records(self, all_versions: bool = False) -> list[dict[str, Any]]:
        """Rows as dicts: the key columns, then the stored sessions.csv row.

        Without ``all_versions`` only the latest analysis of each transcript
        (content hash) is returned.
        """
        rows = self._execute(
            f"SELECT {', '.join(KEY_COLUMNS)}, source_key, row_json FROM sessions ORDER BY analysed_at, id",
            doing="cannot be read",
        ).fetchall()
        latest: dict[str, dict[str, Any]] = {}
        out: list[dict[str, Any]] = []
        for r in rows:
            rec = dict(json.loads(r[-1]))
            extra = rec.pop("_metadata", {})
            rec.update(extra)
            rec.update(dict(zip(KEY_COLUMNS, r[:-2])))
            _renamed(rec)
            if all_versions:
                out.append(rec)
            else:
                latest[rec["content_hash"] + "\x1f" + r[-2]] = rec  # one per session; later analysed_at wins
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


def _private_file(p: Path) -> None:
    """Create the history owner-only (0600) before SQLite does (it would use the umask, often 0644), and
    tighten one an older version left readable by others; SQLite gives its journal the same mode."""
    from .tables import FILE_MODE, make_private_dir

    make_private_dir(p.parent)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        st = p.stat()
        if st.st_mode & 0o077 and st.st_uid == getattr(os, "getuid", lambda: st.st_uid)():
            with contextlib.suppress(OSError):
                os.chmod(p, FILE_MODE)
    except OSError as exc:
        raise HistoryError(f"cannot be created: {exc.strerror or exc}", p) from None


def default_path(out: str | Path) -> Path:
    """Where the CLI keeps the history: ``<out>/history.sqlite``."""
    return Path(out) / DEFAULT_NAME
