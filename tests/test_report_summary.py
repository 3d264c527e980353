"""The report's first screen: strengths and growth areas with their moments, key moments, the change since the
clinician's previous session, print options, and plain language in everything a clinician reads."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.report import session_report_html
from analyzer.report.sections import thresholds
from analyzer.report.summary import key_moments, previous_session, score_changes, strengths_and_growth

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nlp():
    from analyzer.nlp import build_nlp

    return build_nlp()


@pytest.fixture(scope="module")
def timed(nlp):
    from test_report import _timed_transcript

    from analyzer.pipeline import analyze_transcript

    return analyze_transcript(_timed_transcript(), nlp)


@pytest.fixture(scope="module")
def sample(nlp):
    from analyzer import io as readers
    from analyzer.pipeline import analyze_transcript

    return analyze_transcript(readers.read(ROOT / "sample_transcripts" / "patient_validating.vtt")[0], nlp)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from analyzer.run import run_analysis

    out = tmp_path_factory.mktemp("summary-run")
    summary = run_analysis([ROOT / "sample_transcripts"], out)
    assert summary.ok
    return out, summary


def _turn_text(result, index: int) -> str:
    return next(tc.turn.text for tc in result.markers.turns if tc.turn.index == index)


def test_two_strengths_and_two_growth_areas_each_with_a_moment(timed, sample):
    for result in (timed, sample):
        smap = thresholds(result).skill_map
        strengths, growth = strengths_and_growth(result.skills, result.markers.turns, -0.3, 2, smap, result.session)
        assert len(strengths) == 2 and len(growth) == 2
        assert {p.headline for p in strengths}.isdisjoint({p.headline for p in growth})
        for p in strengths + growth:
            assert p.coaching
            if p.moment is not None:
                assert p.moment.quote.strip("…") in _turn_text(result, p.moment.turn) or \
                    p.moment.quote.strip("…")[:30] in _turn_text(result, p.moment.turn)
        # A strong session still gets growth areas, with the skill map's coaching line.
        lows = {m.low for s in smap.skills for m in s.markers}
        assert all(p.coaching in lows for p in growth)


def test_growth_area_quotes_the_dismissive_reply(timed):
    _, growth = strengths_and_growth(timed.skills, timed.markers.turns, -0.3, 4, thresholds(timed).skill_map,
                                     timed.session)
    quoted = {p.moment.turn for p in growth if p.moment}
    dismissive = {tc.turn.index for tc in timed.markers.turns if tc.flags.get("dismissive")}
    interrupting = {tc.turn.index for tc in timed.markers.turns if tc.interruption}
    assert quoted & (dismissive | interrupting)


def test_key_moments_pair_each_low_point_with_the_reply(timed):
    moments = key_moments(timed.markers.turns, -0.3, 3.0)
    kinds = [k.kind for k in moments]
    assert "negative" in kinds and "reply" in kinds and "interruption" in kinds
    assert [k.turn for k in moments] == sorted(k.turn for k in moments)
    for i, k in enumerate(moments):
        if k.kind == "negative":
            reply = next(m for m in moments[i + 1:] if m.kind == "reply")
            clinician_turns = [tc.turn.index for tc in timed.markers.turns
                               if tc.turn.role == "clinician" and tc.turn.index > k.turn and not tc.backchannel]
            assert reply.turn == clinician_turns[0]


def test_previous_session_is_the_latest_earlier_one_of_the_same_clinician():
    rows = [
        {"session_id": "a", "clinician": "CL-A", "session_date": "2026-01-10", "empathy_score": 40.0},
        {"session_id": "b", "clinician": "CL-A", "session_date": "2026-02-10", "empathy_score": 55.0},
        {"session_id": "c", "clinician": "CL-B", "session_date": "2026-02-20", "empathy_score": 90.0},
        {"session_id": "d", "clinician": "CL-A", "session_date": "2026-03-01", "empathy_score": 61.0},
        {"session_id": "e", "clinician": "CL-A", "session_date": "2026-03-01", "empathy_score": 10.0},
    ]
    assert previous_session(rows[3], rows)["session_id"] == "b"  # not the same-day session e, not CL-B's c
    assert previous_session(rows[0], rows) is None
    assert previous_session({"session_id": "x", "clinician": "CL-A", "session_date": ""}, rows) is None
    assert previous_session({"session_id": "x", "clinician": "", "session_date": "2027-01-01"}, rows) is None
    changes = dict(score_changes(rows[3], rows[1], ["empathy", "patience"]))
    assert changes == {"empathy": 6.0, "patience": None, "overall": None}


def test_run_reports_the_change_since_the_previous_session(run):
    out, summary = run
    page = (out / summary.reports["patient_validating"]).read_text(encoding="utf-8")
    change = re.search(r'<p class="change">(.*?)</p>', page)
    assert change and "2026-10-15" in change.group(1) and "timestamped_notes" in change.group(1)
    assert re.search(r"[▲▼=] [+-]?\d+", change.group(1))
    assert "▲ up, ▼ down" in change.group(1)
    first = (out / summary.reports["rushed_interrupting"]).read_text(encoding="utf-8")  # CL-A's first session
    assert 'class="change"' not in first


def test_transcript_prints_only_when_asked(timed):
    screen = session_report_html(timed)
    printed = session_report_html(timed, print_transcript=True)
    assert 'class="transcript screen-only"' in screen
    assert 'class="transcript"' in printed and "transcript screen-only" not in printed
    assert ".screen-only { display: none !important; }" in screen
    assert screen.index('id="summary"') < screen.index('class="rest"')  # page 1 ends where .rest begins


def test_cli_print_transcript_flag(tmp_path):
    from click.testing import CliRunner

    from analyzer.cli import cli

    res = CliRunner().invoke(cli, ["analyze", str(ROOT / "sample_transcripts" / "typed_notes.txt"), "--out",
                                   str(tmp_path), "--no-history", "--print-transcript", "-q"])
    assert res.exit_code == 0, res.output
    page = next((tmp_path / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert 'class="transcript"' in page


# ------------------------------------------------------------------ plain language

# Data-set names, file paths and sourcing notes belong in the README and the data files' comments.
DEVELOPER_WORDING = re.compile(
    r"AnnoMI|AnnoSUM|ESConv|shared/data|secondary[- ]sourced|README|\.toml\b|\.py\b|models/|--[a-z][a-z-]+",
    re.IGNORECASE,
)


class _Reader(HTMLParser):
    """Text a reader sees or hears: text nodes (not style or script), titles, alt and aria-label attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("title", "alt", "aria-label") and v]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _clinician_text(page: str) -> str:
    r = _Reader()
    r.feed(page)
    return "\n".join(r.parts)


def test_reports_and_index_carry_no_developer_wording(run):
    out, summary = run
    pages = [out / "index.html"] + [out / rel for rel in summary.reports.values()]
    for p in pages:
        text = _clinician_text(p.read_text(encoding="utf-8"))
        found = DEVELOPER_WORDING.findall(text)
        assert not found, f"{p.name}: {sorted(set(found))}"


def test_skill_map_text_shown_to_clinicians_is_plain():
    from analyzer.skills import load_skill_map

    for s in load_skill_map().skills:
        for text in (s.label, s.about, *(x for m in s.markers for x in (m.label, m.rationale, m.low))):
            assert not DEVELOPER_WORDING.search(text or ""), text


def test_role_notes_are_notes_and_problems_are_warnings(nlp):
    from analyzer.model import Segment, Transcript, merge_segments
    from analyzer.pipeline import analyze_transcript

    lines = [("Dr. Lee", "How are you today?"), ("Sam", "Tired, honestly. It has been a long week."),
             ("Dr. Lee", "A long week."), ("Sam", "Yes.")] * 3
    segs = [Segment(i, sp, t, line=i) for i, (sp, t) in enumerate(lines, 1)]
    tr = Transcript("notes", "x.txt", merge_segments(segs, {"Dr. Lee": "clinician", "Sam": "client"}), format="text",
                    warnings=("Sam = client: the main speaker besides Dr. Lee (clinician by label)",
                              "skipped 2 line(s) before the first speaker (lines 1-2)"))
    page = session_report_html(analyze_transcript(tr, nlp))
    note = re.search(r'<p class="note small" role="note">(.*?)</p>', page).group(1)
    warn = re.search(r'<div class="warn" role="note">(.*?)</div>', page).group(1)
    assert "main speaker" in note and "skipped" not in note
    assert "skipped 2 line(s)" in warn and "main speaker" not in warn


def test_index_groups_sessions_by_clinician_with_a_summary_row():
    from analyzer.config import default_config
    from analyzer.report import index_html

    def row(sid, clin, date, score, warnings=""):
        return {"session_id": sid, "clinician": clin, "session_date": date, "client": "P-1",
                "empathy_score": score, "empathy_band": "fair", "overall_score": score, "overall_band": "fair",
                "duration_s": 60.0, "warnings": warnings}

    rows = [row("b2", "CL-B", "2026-02-01", 80.0), row("a1", "CL-A", "2026-01-01", 40.0),
            row("b1", "CL-B", "2026-01-15", 60.0, "skipped 2 line(s) before the first speaker (lines 1-2)"),
            row("x", "", "", 50.0)]
    page = index_html(rows, {r["session_id"]: f"reports/{r['session_id']}.html" for r in rows},
                      skill_map=default_config().skill_map)
    heads = re.findall(r'<tr class="grouphead"><th[^>]*>(.*?)</th>', page)
    assert [h.split(" <small>")[0] for h in heads] == ["CL-A", "CL-B", "No clinician recorded"]
    assert "2 sessions · 2026-01-15 to 2026-02-01" in heads[1]
    b = page.split('<tr class="grouphead">')[2]
    assert "<strong>70</strong>" in b.split('<tr class="srow">')[0]  # CL-B's mean of 60 and 80
    assert b.index(">b1<") < b.index(">b2<")  # in date order within the group
    assert "problem: skipped 2 line(s)" in b  # the notes column says what the problem was
