"""The SQLite session history (analyzer/history.py)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from analyzer import history as hist
from analyzer.errors import AnalyzerError
from analyzer.history import History, HistoryError, content_hash
from analyzer.model import Transcript, Turn


def transcript(text: str = "How have you been?", sid: str = "s1") -> Transcript:
    turns = (
        Turn(1, "T", "clinician", text, 0.0, 2.0, 1),
        Turn(2, "C", "client", "Not great, honestly.", 2.5, 5.0, 2),
    )
    return Transcript(sid, f"/data/{sid}.vtt", turns, format="vtt")


def row(sid: str = "s1", **kw) -> dict:
    return {"session_id": sid, "source": f"/data/{sid}.vtt", "n_turns": 2, "empathy_score": 60.0,
            "reflection_to_question_ratio": float("nan"), "warnings": "", **kw}


META = {"clinician": "CL-A", "session_date": "2026-09-03", "client": "P-1", "metadata_source": "manifest"}


def test_content_hash_depends_on_speaker_text_and_times():
    base = content_hash(transcript())
    assert base == content_hash(transcript())
    assert base != content_hash(transcript("How have you been??"))
    moved = Transcript("s1", "/x", (Turn(1, "T", "clinician", "How have you been?", 0.0, 2.1, 1),
                                    Turn(2, "C", "client", "Not great, honestly.", 2.5, 5.0, 2)))
    assert base != content_hash(moved)
    assert len(base) == 64


def test_add_twice_same_hash_and_version_replaces(tmp_path):
    path = tmp_path / "out" / "history.sqlite"
    h1 = content_hash(transcript())
    with History(path) as h:
        h.add(row(empathy_score=60.0), h1, META, analysed_at="2026-09-03T10:00:00+00:00")
        h.add(row(empathy_score=65.0), h1, {**META, "client": "P-2"}, analysed_at="2026-09-04T10:00:00+00:00")
        assert len(h) == 1
        frame = h.sessions_frame()
    assert len(frame) == 1
    assert frame.loc[0, "empathy_score"] == 65.0 and frame.loc[0, "client"] == "P-2"
    assert frame.loc[0, "analysed_at"] == "2026-09-04T10:00:00+00:00"
    # reopening keeps it
    with History(path) as h:
        assert len(h) == 1 and h.schema_version == hist.SCHEMA_VERSION


def test_different_content_gives_two_rows_ordered_by_clinician_then_date(tmp_path):
    with History(tmp_path / "h.sqlite") as h:
        h.add(row("late"), content_hash(transcript("b")), {**META, "session_date": "2026-10-01"})
        h.add(row("early"), content_hash(transcript("a")), META)
        h.add(row("other"), content_hash(transcript("c")), {**META, "clinician": "CL-0"})
        h.add(row("nomd"), content_hash(transcript("d")), None)
        frame = h.sessions_frame()
    assert list(frame["session_id"]) == ["other", "early", "late", "nomd"]
    assert frame.loc[3, "metadata_source"] == "none"
    assert list(frame.columns[:4]) == ["session_id", "source", "clinician", "session_date"]
    assert str(frame["empathy_score"].dtype) == "Float64" and str(frame["n_turns"].dtype) == "Int64"
    assert frame["reflection_to_question_ratio"].isna().all()  # NaN stored as null, read back as <NA>


def test_same_transcript_two_versions_shows_latest_unless_asked(tmp_path):
    h1 = content_hash(transcript())
    with History(tmp_path / "h.sqlite") as h:
        h.add(row(empathy_score=50.0), h1, META, analyzer_version="0.1.0", analysed_at="2026-01-01T00:00:00+00:00")
        h.add(row(empathy_score=70.0), h1, META, analyzer_version="0.2.0", analysed_at="2026-02-01T00:00:00+00:00")
        assert len(h) == 2
        assert list(h.sessions_frame()["empathy_score"]) == [70.0]
        assert len(h.sessions_frame(all_versions=True)) == 2


def test_add_a_session_result_hashes_its_transcript(tmp_path):
    class Result:  # the SessionResult interface History.add relies on
        transcript = transcript()
        session = row()

    with History(tmp_path / "h.sqlite") as h:
        got = h.add(Result(), metadata=META)
        assert got == content_hash(transcript())
        with pytest.raises(ValueError, match="transcript_hash"):
            h.add(row())


def test_extra_manifest_columns_are_kept(tmp_path):
    with History(tmp_path / "h.sqlite") as h:
        h.add(row(), "abc", {**META, "site": "North"})
        assert h.sessions_frame().loc[0, "site"] == "North"


def test_odd_values_are_stored_safely(tmp_path):
    import numpy as np

    with History(tmp_path / "h.sqlite") as h:
        h.add(row(n_turns=np.int64(7), duration_s=float("inf"), label=object.__name__), "abc", META)
        f = h.sessions_frame()
    assert f.loc[0, "n_turns"] == 7 and f["duration_s"].isna().all() and f.loc[0, "label"] == "object"
    with History(tmp_path / "h.sqlite") as h, pytest.raises(ValueError, match="no session_id"):
        h.add({"source": "x"}, "def", META)


def test_not_sqlite_is_a_clear_error(tmp_path):
    p = tmp_path / "history.sqlite"
    p.write_text("session_id,clinician\nx,y\n", encoding="utf-8")
    with pytest.raises(HistoryError) as ei:
        History(p).open()
    assert "not an SQLite database" in str(ei.value) and str(p) in str(ei.value)
    assert isinstance(ei.value, AnalyzerError)
    assert p.read_text(encoding="utf-8").startswith("session_id")  # untouched


def test_other_sqlite_database_is_a_clear_error(tmp_path):
    p = tmp_path / "other.sqlite"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE patients (id INTEGER)")
    c.close()
    with pytest.raises(HistoryError, match="not a session-analyzer history.*patients"):
        History(p).open()


def _set_version(p, v):
    c = sqlite3.connect(p)
    with c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(v),))
    c.close()


def test_newer_schema_is_a_clear_error(tmp_path):
    p = tmp_path / "h.sqlite"
    History(p).open().close()
    _set_version(p, hist.SCHEMA_VERSION + 1)
    with pytest.raises(HistoryError) as ei:
        History(p).open()
    msg = str(ei.value)
    assert f"written by schema {hist.SCHEMA_VERSION + 1}; this version reads {hist.SCHEMA_VERSION}" in msg
    assert str(p) in msg


def test_older_schema_without_migration_is_a_clear_error(tmp_path):
    p = tmp_path / "h.sqlite"
    History(p).open().close()
    _set_version(p, 0)
    with pytest.raises(HistoryError, match=f"written by schema 0; this version reads {hist.SCHEMA_VERSION} and cannot migrate"):
        History(p).open()


def test_older_schema_is_migrated_in_place(tmp_path, monkeypatch):
    p = tmp_path / "h.sqlite"
    with History(p) as h:
        h.add(row(), "abc", META)
    # pretend this version reads schema N+1 and knows how to upgrade N → N+1
    old = hist.SCHEMA_VERSION

    def add_reviewer(conn):
        conn.execute("ALTER TABLE sessions ADD COLUMN reviewer TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(hist, "SCHEMA_VERSION", old + 1)
    monkeypatch.setitem(hist.MIGRATIONS, old, add_reviewer)
    with History(p) as h:
        assert h.schema_version == old + 1
        assert len(h) == 1 and h.sessions_frame().loc[0, "clinician"] == "CL-A"
        cols = [r[1] for r in h.conn.execute("PRAGMA table_info(sessions)")]
        assert "reviewer" in cols


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    p = tmp_path / "h.sqlite"
    with History(p) as h:
        h.add(row(), "abc", META)
    old = hist.SCHEMA_VERSION

    def broken(conn):
        conn.execute("ALTER TABLE sessions ADD COLUMN x TEXT")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(hist, "SCHEMA_VERSION", old + 1)
    monkeypatch.setitem(hist.MIGRATIONS, old, broken)
    with pytest.raises(HistoryError, match="boom"):
        History(p).open()
    monkeypatch.setattr(hist, "SCHEMA_VERSION", old)
    with History(p) as h:
        assert h.schema_version == old
        assert "x" not in [r[1] for r in h.conn.execute("PRAGMA table_info(sessions)")]


def test_row_json_holds_the_full_row(tmp_path):
    p = tmp_path / "h.sqlite"
    with History(p) as h:
        h.add(row(extra_col="kept"), "abc", META)
        blob = h.conn.execute("SELECT row_json FROM sessions").fetchone()[0]
    data = json.loads(blob)
    assert data["extra_col"] == "kept" and data["reflection_to_question_ratio"] is None


def test_sessions_stored_under_old_figure_names_read_as_shares():
    from analyzer.history import _renamed

    rec = {"percent_open_questions": 84.6, "percent_open_questions_band": "good", "client_recovery_rate": 0.5}
    _renamed(rec)
    assert rec == {"open_question_share": 0.846, "open_question_share_band": "good", "client_recovery_share": 0.5}
    current = {"open_question_share": 0.5, "percent_open_questions": 99.0}
    _renamed(current)
    assert current["open_question_share"] == 0.5  # a current name is never overwritten
