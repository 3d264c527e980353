"""The notebook API (analyzer/api.py) and the trends section (analyzer/report/trends.py)."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from analyzer import api
from analyzer.history import History
from analyzer.model import Transcript, Turn
from analyzer.tables import SESSION_COLUMNS, TURN_COLUMNS


@pytest.fixture(scope="module")
def analysis(samples):
    return api.analyze_folder(samples)


def test_analyze_folder_reads_every_sample_with_manifest(analysis):
    assert len(analysis) == 10 and analysis.errors == []
    s = analysis.sessions
    assert (s["metadata_source"] == "manifest").all()
    assert sorted(s["clinician"].value_counts().items()) == [("CL-A", 4), ("CL-B", 6)]
    row = s.set_index("session_id").loc["clinic_utterances/S02"]
    assert (row["clinician"], row["session_date"], row["client"]) == ("CL-B", "2026-09-22", "P-052")


def test_session_frame_dtypes_as_documented(analysis):
    s = analysis.sessions
    assert list(s.columns[: len(SESSION_COLUMNS)]) == list(SESSION_COLUMNS)
    for col, dtype in api.SESSION_DTYPES.items():
        assert col in s.columns, col
        assert str(s[col].dtype) == dtype, (col, str(s[col].dtype), dtype)
    assert api.SESSION_DTYPES["n_interruptions"] == "Int64"
    assert api.SESSION_DTYPES["empathy_score"] == "Float64"
    assert api.SESSION_DTYPES["role_inferred"] == "boolean"
    assert api.SESSION_DTYPES["empathy_band"] == "string"
    assert s["n_interruptions"].sum() > 0


def test_turn_frame_dtypes_as_documented(analysis):
    t = analysis.turns
    assert list(t.columns[: len(TURN_COLUMNS)]) == list(TURN_COLUMNS)
    for col, dtype in api.TURN_DTYPES.items():
        assert str(t[col].dtype) == dtype, (col, str(t[col].dtype), dtype)
    assert {api.TURN_DTYPES[c] for c in ("interruption", "backchannel", "advice", "reflection")} == {"boolean", "string"}
    # empty codes are <NA>, so value_counts shows only real codes
    assert set(t["question"].dropna().unique()) <= {"open", "closed"}
    assert t.loc[t["role"] == "client", "question"].isna().all()
    assert t["interruption"].sum() >= 18  # the rushed sample alone has 18


def test_frames_of_an_empty_analysis_have_the_documented_columns():
    empty = api.Analysis()
    assert list(empty.sessions.columns) == list(api.SESSION_DTYPES)
    assert str(empty.turns["turn"].dtype) == "Int64"


def test_bad_file_is_an_error_and_the_rest_go_on(tmp_path, samples):
    shutil.copy(samples / "teams_checkin.vtt", tmp_path / "CL-Q_2026-03-04_P-1.vtt")
    (tmp_path / "broken.vtt").write_bytes(b"\x00\x01\x02 not a transcript")
    an = api.analyze_folder(tmp_path)
    assert [r.session_id for r in an.results] == ["CL-Q_2026-03-04_P-1"]
    assert len(an.errors) == 1 and "broken.vtt" in str(an.errors[0])
    assert an.metadata[0] == {"clinician": "CL-Q", "session_date": "2026-03-04", "client": "P-1", "metadata_source": "file name"}


def test_manifest_false_and_unknown_option(samples):
    an = api.analyze_folder(samples / "teams_checkin.vtt", manifest=False)
    assert an.metadata[0]["metadata_source"] == "none"
    an = api.analyze_folder([samples / "teams_checkin.vtt"])  # the manifest beside a file is read too
    assert an.metadata[0]["clinician"] == "CL-A"
    with pytest.raises(TypeError, match="unknown option.*spacy_model"):
        api.analyze_folder(samples, colour="red")


def test_load(samples):
    tr = api.load(samples / "teams_checkin.vtt")
    assert isinstance(tr, Transcript) and tr.session_id == "teams_checkin"
    trs = api.load(samples / "clinic_utterances.csv")
    assert [t.session_id for t in trs] == ["clinic_utterances/S01", "clinic_utterances/S02", "clinic_utterances/S03"]
    assert len(api.load(samples)) == 10


def test_analyze_transcripts_uses_file_name_metadata():
    turns = tuple(
        Turn(i + 1, "T" if i % 2 == 0 else "C", "clinician" if i % 2 == 0 else "client",
             "What brings you here today?" if i % 2 == 0 else "I have been feeling low and tired for weeks.",
             i * 5.0, i * 5.0 + 4.0, i + 1)
        for i in range(12)
    )
    tr = Transcript("CL-Z_2026-04-01_P-3", "/nowhere/CL-Z_2026-04-01_P-3.txt", turns, format="text")
    an = api.analyze_transcripts(tr)
    assert len(an) == 1 and an.metadata[0]["clinician"] == "CL-Z"
    assert an.sessions.loc[0, "session_date"] == "2026-04-01"


def test_report_renders_inline(analysis):
    rep = analysis.report("teams_checkin")
    html = rep._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "teams_checkin" in html
    assert "<html" in rep.html.lower() and "Session report: teams_checkin" in rep.html
    with pytest.raises(KeyError, match="no session 'nope'"):
        analysis.report("nope")


def test_history_and_supervision_from_an_analysis(analysis, tmp_path):
    p = tmp_path / "history.sqlite"
    assert analysis.history(p) == 10
    assert analysis.history(p) == 10
    with History(p) as h:
        assert len(h) == 10  # the same transcripts again replace, not duplicate
        frame = h.sessions_frame()
    assert list(frame["clinician"].unique()) == ["CL-A", "CL-B"]
    sup = analysis.supervision("month")
    assert sup["n_sessions"].sum() == 10


def test_plot_helpers_are_reexported():
    from analyzer.report import plots
    from analyzer.report.trends import plot_skill_trends

    assert api.plot_sentiment is plots.plot_sentiment
    assert api.plot_skill_trends is plot_skill_trends
    with pytest.raises(AttributeError):
        api.no_such_helper  # noqa: B018


def test_plot_skill_trends_returns_the_axes(analysis):
    from analyzer.report.plots import new_figure
    from analyzer.report.trends import plot_skill_trends

    fig = new_figure()
    ax = fig.add_subplot()
    got = plot_skill_trends(analysis.sessions, "CL-A", ax=ax)
    assert got is ax
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("Patience", "Empathy", "Emotional intelligence", "Effective communication")]
    assert len(lines) == 4 and all(len(ln.get_xdata()) == 4 for ln in lines)
    assert "CL-A" in ax.get_title()


def test_trends_html_section(analysis):
    section = api_trends(analysis.sessions)
    charts = re.findall(r'<svg class="chart trend"[^>]* role="img" aria-label="([^"]+)"', section)
    assert len(charts) == 2 and "<img" not in section
    assert "clinician CL-A over 4 sessions from 2026-09-03 to 2026-11-12" in charts[0]
    assert section.count("<polyline") == 8  # four skills for each of the two clinicians
    assert section.startswith('<section class="trends"') and section.endswith("</section>")
    none = api_trends(pd.DataFrame({"session_id": ["x"], "clinician": [pd.NA], "session_date": [pd.NA]}))
    assert "<svg" not in none and "manifest.csv" in none


def api_trends(frame):
    from analyzer.report.trends import trends_html_section

    return trends_html_section(frame)
