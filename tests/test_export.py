"""The supervision export (analyzer/export.py) over a small constructed history."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from analyzer.export import (
    EXPORT_COLUMNS,
    KEY_FIGURES,
    LEVEL_DROPS,
    SKILLS,
    export_columns,
    load_flag_rules,
    supervision_table,
    write_supervision_csv,
)
from analyzer.history import History

pytestmark = pytest.mark.usefixtures("no_network")  # analyze, export and evaluate never use the network


def session(sid, clinician, date, *, empathy=70.0, interruptions=0, rq=1.5, **kw):
    row = {"session_id": sid, "source": f"/d/{sid}.vtt", "n_turns": 40,
           "patience_score": 60.0, "empathy_score": empathy, "emotional_intelligence_score": 65.0,
           "effective_communication_score": 70.0, "overall_score": 66.0,
           "n_interruptions": interruptions, "reflection_to_question_ratio": rq,
           "client_talk_share_words": 0.5, "median_pause_before_response_s": 0.8,
           "complex_reflection_share": 0.45, "open_question_share": 0.6,
           "n_reflections": 10, "n_questions": 8, "n_dismissive": 0, "n_advice": 1}
    row.update(kw)
    meta = {"clinician": clinician, "session_date": date, "client": "P-" + sid, "metadata_source": "manifest" if clinician else "none"}
    return row, meta


SESSIONS = [
    session("a1", "CL-A", "2026-01-05", empathy=71.0, interruptions=2, rq=1.4),
    session("b1", "CL-B", "2026-01-10", empathy=40.0, interruptions=20, rq=0.5),
    session("a2", "CL-A", "2026-01-20", empathy=59.0, interruptions=9, rq=0.8),
    session("a3", "CL-A", "2026-02-10", empathy=62.0, interruptions=8, rq=0.9),
    session("b2", "CL-B", "2026-02-02", empathy=45.0, interruptions=19, rq=0.6),
    session("x1", "", "", empathy=10.0, interruptions=50),
]


@pytest.fixture
def frame(tmp_path):
    with History(tmp_path / "history.sqlite") as h:
        for i, (row, meta) in enumerate(SESSIONS):
            h.add(row, f"hash{i}", meta)
        return h.sessions_frame()


def by_id(t):
    return {r["session_id"]: r for r in t.to_dict("records")}


def test_columns_in_documented_order_for_every_level(frame):
    for by in ("session", "month", "clinician"):
        t = supervision_table(frame, by)
        assert list(t.columns) == export_columns(by) == [c for c in EXPORT_COLUMNS if c not in LEVEL_DROPS[by]]
        assert (t["level"] == by).all()
    assert export_columns("session") == list(EXPORT_COLUMNS)
    assert {"empathy_score", "empathy_band", "empathy_score_change", "n_sessions", "flags"} <= set(EXPORT_COLUMNS)
    assert all(f in EXPORT_COLUMNS for f in KEY_FIGURES)
    assert all(EXPORT_COLUMNS[c] for c in EXPORT_COLUMNS)  # every column documented


def test_by_session_order_changes_and_flags_within_clinician(frame):
    t = supervision_table(frame, "session")
    assert list(t["session_id"]) == ["a1", "a2", "a3", "b1", "b2", "x1"]
    rows = by_id(t)
    assert pd.isna(rows["a1"]["empathy_score_change"]) and rows["a1"]["flags"] == ""
    assert rows["a2"]["empathy_score_change"] == -12.0
    flags = rows["a2"]["flags"].split("; ")
    assert "interruptions up from 2 to 9" in flags
    assert "empathy down 12 points (71 → 59)" in flags
    assert any(re.fullmatch(r"R:Q fell below fair: \d\.\d \(fair from 1\.0\)", f) for f in flags), flags
    # b1 (CL-B) is not compared with a1 although it comes between CL-A's sessions in time
    assert pd.isna(rows["b1"]["empathy_score_change"]) and rows["b1"]["flags"] == ""
    assert rows["b2"]["empathy_score_change"] == 5.0 and rows["b2"]["flags"] == ""  # below every threshold
    assert rows["a3"]["flags"] == ""  # 59 → 62, 9 → 8: nothing worth flagging
    # a session without clinician is listed, never compared
    assert rows["x1"]["clinician"] == "" and rows["x1"]["flags"] == "" and pd.isna(rows["x1"]["empathy_score_change"])
    assert rows["a2"]["empathy_band"] == "fair" and rows["b1"]["empathy_band"] == "needs work"
    assert rows["a2"]["period"] == "2026-01-20" == rows["a2"]["first_date"]


def test_by_month_means_and_changes(frame):
    t = supervision_table(frame, "month")
    got = [(r["clinician"], r["period"], r["n_sessions"]) for r in t.to_dict("records")]
    assert got == [("CL-A", "2026-01", 2), ("CL-A", "2026-02", 1), ("CL-B", "2026-01", 1), ("CL-B", "2026-02", 1), ("", "", 1)]
    jan, feb = t.iloc[0], t.iloc[1]
    assert jan["empathy_score"] == 65.0 and jan["n_interruptions"] == 5.5
    assert (jan["first_date"], jan["last_date"]) == ("2026-01-05", "2026-01-20")
    assert feb["empathy_score_change"] == -3.0
    assert pd.isna(t.iloc[2]["empathy_score_change"])  # CL-B's first month: nothing before it
    assert "interruptions up from 5.5 to 8" not in feb["flags"]  # +2.5 is under the threshold of 3


def test_by_clinician_one_row_each(frame):
    t = supervision_table(frame, "clinician")
    assert list(t["clinician"]) == ["CL-A", "CL-B", ""]
    a = t.iloc[0]
    assert a["n_sessions"] == 3 and a["period"] == "all"
    assert a["empathy_score"] == round((71 + 59 + 62) / 3, 1)
    assert a["empathy_band"] == "fair"
    # Columns that cannot hold a value for a clinician's whole record are left out, not left empty.
    for col in ("session_id", "client", "flags", "empathy_score_change", "overall_score_change"):
        assert col not in t.columns


def test_by_month_drops_only_the_session_columns(frame, tmp_path):
    t = supervision_table(frame, "month")
    assert "session_id" not in t.columns and "client" not in t.columns
    assert "flags" in t.columns and "empathy_score_change" in t.columns
    out = write_supervision_csv(t, tmp_path / "m.csv")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == export_columns("month")


def test_flags_state_the_value_beside_the_threshold():
    rules = load_flag_rules()
    anchor = next(a for a in rules.anchors if a.figure == "complex_reflection_share")
    prev = {"complex_reflection_share": 0.30}
    cur = {"complex_reflection_share": 0.714}
    from analyzer.export import row_flags

    flag = next(f for f in row_flags(prev, cur, rules) if f.startswith(anchor.label))
    assert "71%" in flag and f"good from {100 * anchor.good:.0f}%" in flag


def test_unknown_level_is_rejected(frame):
    with pytest.raises(ValueError, match="session, month, clinician"):
        supervision_table(frame, "week")


def test_csv_has_bom_iso_dates_no_index_and_documented_header(frame, tmp_path):
    out = write_supervision_csv(supervision_table(frame, "session"), tmp_path / "sup" / "supervision.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(EXPORT_COLUMNS)
    recs = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert recs[0]["first_date"] == "2026-01-05" and recs[0]["session_id"] == "a1"
    assert recs[1]["n_interruptions"] == "9"  # counts stay whole numbers
    assert recs[1]["empathy_score_change"] == "-12.0"
    assert "empathy down 12 points (71 → 59)" in recs[1]["flags"]
    assert recs[0]["empathy_score_change"] == ""  # NA → empty cell
    assert not list(tmp_path.joinpath("sup").glob(".*.tmp"))


def test_csv_never_starts_a_cell_with_a_formula(tmp_path):
    row, meta = session("=HYPERLINK(1)", "CL-A", "2026-01-05")
    with History(tmp_path / "h.sqlite") as h:
        h.add(row, "h", meta)
        t = supervision_table(h.sessions_frame(), "session")
    out = write_supervision_csv(t, tmp_path / "s.csv")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rec = next(csv.DictReader(fh))
    assert rec["session_id"] == "'=HYPERLINK(1)"


def test_flag_thresholds_come_from_the_data_file(frame, tmp_path):
    rules = load_flag_rules()
    assert rules.min_change_points == 10 and any(c.figure == "n_interruptions" for c in rules.changes)
    strict = tmp_path / "flags.toml"
    strict.write_text('[skills]\nmin_change_points = 20\n[[changes]]\nfigure = "n_interruptions"\n'
                      'label = "cut-ins"\nmin_change = 10\nformat = "count"\n', encoding="utf-8")
    rows = by_id(supervision_table(frame, "session", flags_file=strict))
    assert rows["a2"]["flags"] == ""  # 12 points < 20, +7 interruptions < 10, no anchors
    bad = tmp_path / "bad.toml"
    bad.write_text('[[changes]]\nfigure = "n_nonsense"\nmin_change = 1\n', encoding="utf-8")
    from analyzer.errors import ConfigError

    with pytest.raises(ConfigError, match="n_nonsense"):
        supervision_table(frame, "session", flags_file=bad)


def test_skills_are_the_four_plus_overall():
    assert SKILLS == ("patience", "empathy", "emotional_intelligence", "effective_communication", "overall")
