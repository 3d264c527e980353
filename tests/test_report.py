"""The HTML session report, the run index and the plots.

Sessions are built from small inline transcripts and run through the real
pipeline (``analyze_transcript``).  While some marker modules are still
being written the pipeline cannot import; the builder then falls back to a
small stand-in coder with the same shape as TurnCodes/SessionMarkers so the
report code is still exercised (the fallback goes away by itself once the
pipeline imports).
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.markers.base import Hit
from analyzer.model import Segment, Transcript, merge_segments

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from analyzer.report import (  # noqa: E402
    figure_png_base64,
    index_html,
    plot_pauses,
    plot_sentiment,
    plot_skills,
    plot_talk_share,
    report_filename,
    session_report_html,
    write_index,
    write_session_report,
)
from analyzer.report.html import driver_text  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# ------------------------------------------------------------------ inline transcripts

TIMED = [
    (3, 7, "Counsellor", "Hello again. How have you been since we last met?"),
    (8, 15, "Client", "Alright. Sort of. It's been a bit of a week with my mum, to be honest."),
    (16, 24, "Counsellor", "A bit of a week with your mum. Do you want to tell me what's been happening?"),
    (25, 70, "Client", "It was her birthday and she criticised my hair, my job and the kids' manners in front of everyone. "
                       "It was awful, one thing after another, and I felt terrible and angry."),
    (70.2, 80, "Counsellor", "It sounds like you went in hopeful, and it turned into a string of criticisms."),
    (81, 90, "Client", "Yes. That's exactly it. I always go in hopeful and I never learn. I hate it."),
    (91, 95, "Counsellor", "What's it like for you when that happens?"),
    (96, 120, "Client", "I just shrink. I sit there like I'm nine years old again and then I drive home furious and "
                        "shout at the kids and feel guilty and miserable about that as well --"),
    (119.5, 130, "Counsellor", "You should just tell her how it makes you feel. Calm down, it's not that bad."),
    (131, 140, "Client", "Maybe. She'd just say I'm too sensitive."),
    (141, 150, "Counsellor", "So you feel hurt and small, and part of you is scared she'll never see the real you."),
    (151, 160, "Client", "Yes. That's it. Thank you, that helps a bit."),
    (161, 165, "Counsellor", "Does that make sense? What would you like to do next?"),
    (166, 170, "Client", "Mm-hmm."),
    (170.3, 178, "Counsellor", "It's completely understandable to feel jealous and sad."),
]

UNTIMED_WITH_SCRIPT = [
    "Therapist: Good to see you. What brings you here today?",
    "Client: My partner wrote <script>alert(1)</script> on the fridge & said it was a joke. <v Sam> I felt awful.",
    "Therapist: It sounds like that frightened you. What happened next?",
    "Client: I didn't sleep. I was angry and sad and I don't know what to do.",
    "Therapist: You feel angry and sad, and unsure what to do.",
    "Client: Yes, exactly, that's it.",
    "Therapist: Have you tried talking to someone about it?",
    "Client: No. Not really.",
    "Therapist: It makes sense that you'd feel shaken after that.",
    "Client: Thanks. It helps to say it.",
    "Therapist: What would help most this week?",
]


def _timed_transcript(sid: str = "timed/session 1") -> Transcript:
    segs = [Segment(i, sp, text, float(a), float(b), line=i) for i, (a, b, sp, text) in enumerate(TIMED, 1)]
    roles = {"Counsellor": "clinician", "Client": "client"}
    return Transcript(sid, "inline/timed.vtt", merge_segments(segs, roles), format="vtt")


def _untimed_transcript(sid: str = "untimed", lines: list[str] = UNTIMED_WITH_SCRIPT) -> Transcript:
    segs = []
    for i, line in enumerate(lines, 1):
        sp, text = line.split(": ", 1)
        segs.append(Segment(i, sp, text, line=i))
    roles = {"Therapist": "clinician", "Client": "client"}
    return Transcript(sid, "inline/untimed.txt", merge_segments(segs, roles), format="text", role_inferred=True,
                      warnings=("line 3: <odd> label kept as speaker",))


# ------------------------------------------------------------------ building results


@pytest.fixture(scope="module")
def build():
    """A function Transcript -> SessionResult through the real pipeline."""
    from analyzer.nlp import build_nlp
    from analyzer.pipeline import analyze_transcript

    nlp = build_nlp()
    return lambda tr: analyze_transcript(tr, nlp)


@pytest.fixture(scope="module")
def timed(build):
    return build(_timed_transcript())


@pytest.fixture(scope="module")
def untimed(build):
    return build(_untimed_transcript())


# ------------------------------------------------------------------ HTML inspection


class _Collector(HTMLParser):
    """Collects ids, hrefs, img tags, link/script tags and text, and checks tags balance."""

    VOID = {"meta", "img", "br", "col", "link", "input", "hr", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.imgs: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.html_lang: str | None = None
        self.charset = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag == "img":
            self.imgs.append(a)
        if tag == "script":
            self.scripts.append(a)
        if tag == "link":
            self.links.append(a)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "meta" and (a.get("charset") or "").lower() == "utf-8":
            self.charset = True
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    c = _Collector()
    c.feed(page)
    c.close()
    assert not c.errors, c.errors[:5]
    assert not c.stack, f"unclosed tags: {c.stack}"
    return c


def _assert_self_contained(page: str, script_ok: bool = False) -> _Collector:
    low = page.lower()
    for needle in ("http:", "https:", "//cdn", "@import", "url("):
        assert needle not in low, f"external reference {needle!r} in the page"
    assert not re.search(r"<link[^>]+stylesheet", low)
    assert not re.search(r"<script[^>]*\bsrc=", low)
    c = _parse(page)
    assert c.html_lang == "en" and c.charset
    if script_ok:  # the index's few lines of sorting, inline
        assert all(not s.get("src") for s in c.scripts) and len(c.scripts) <= 1
    else:
        assert not c.scripts, "the report needs no script"
    assert not c.links
    assert not c.imgs, "charts are inline SVG, not images"
    for svg_tag in re.findall(r"<svg[^>]*>", page):
        assert 'role="img"' in svg_tag and re.search(r'aria-label="[^"]+"', svg_tag), svg_tag[:80]
    return c


def _charts(page: str) -> list[str]:
    """The class of each inline SVG chart, in order."""
    return re.findall(r'<svg class="chart ([a-z]+)"', page)


# ------------------------------------------------------------------ session report


def test_report_is_self_contained_with_svg_charts(timed):
    page = session_report_html(timed)
    _assert_self_contained(page)
    assert _charts(page) == ["timeline", "line", "skills", "hist"]


def test_every_turn_has_an_anchor_and_every_link_resolves(timed, untimed):
    for result in (timed, untimed):
        c = _parse(session_report_html(result))
        ids = set(c.ids)
        assert len(ids) == len(c.ids), "duplicate ids"
        for tc in result.markers.turns:
            assert f"turn-{tc.turn.index}" in ids
        internal = [h for h in c.hrefs if h.startswith("#")]
        assert internal
        for h in internal:
            assert h[1:] in ids, f"dangling link {h}"
        quotes = [q for s in result.skills.skills for q in s.quotes]
        for q in quotes:
            assert f"#turn-{q.turn}" in c.hrefs


def test_evidence_links_carry_turn_and_time(timed):
    page = session_report_html(timed)
    quotes = [q for s in timed.skills.skills for q in s.quotes]
    assert quotes, "the timed session should quote evidence"
    for q in quotes:
        mm, ss = divmod(int(round(q.start_s)), 60)
        assert f'href="#turn-{q.turn}">Turn {q.turn} · {mm:02d}:{ss:02d}</a>' in page


def test_transcript_text_is_escaped(untimed):
    page = session_report_html(untimed)
    assert "<script>" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;v Sam&gt;" in page
    assert "&amp; said" in page
    c = _parse(page)
    assert not c.scripts
    text = "".join(c.text)
    assert "<script>alert(1)</script>" in text  # shown to the reader as text
    # The warning from the reader is escaped too.
    assert "&lt;odd&gt; label" in page


def test_untimed_session_shows_no_timestamps_not_zero(untimed):
    page = session_report_html(untimed)
    row = re.search(r"<tr[^>]*><th scope=\"row\">Median pause before responding</th><td>(.*?)</td>", page)
    assert row, "pause row missing"
    assert "no timestamps" in row.group(1)
    assert not re.search(r"\b0(\.0+)?\s*s\b", row.group(1))
    dur = re.search(r"<b>Length</b> (.*?)</span>", page).group(1)
    assert "no timestamps" in dur
    assert "No pause chart: no timestamps" in page
    _assert_self_contained(page)
    assert _charts(page) == ["timeline", "line", "skills"]
    assert "turn number" in page  # the timeline runs by turn without times
    assert plot_pauses(untimed) is None
    assert "roles inferred" in page


def test_start_times_without_end_times_say_so(build):
    segs = [Segment(i, sp, text, float(a), None, line=i) for i, (a, _, sp, text) in enumerate(TIMED, 1)]
    tr = Transcript("starts-only", "inline/notes.txt",
                    merge_segments(segs, {"Counsellor": "clinician", "Client": "client"}), format="text")
    result = build(tr)
    page = session_report_html(result)
    row = re.search(r"Median pause before responding</th><td>(.*?)</td>", page).group(1)
    assert "start times only" in row and "no timestamps" not in row
    assert "No pause chart: start times only" in page
    assert plot_pauses(result) is None
    assert "minutes" in plot_sentiment(result, Figure().add_subplot()).get_xlabel()


def test_timed_session_shows_pause_and_interruption_basis(timed):
    page = session_report_html(timed)
    row = re.search(r"Median pause before responding</th><td>(.*?)</td><td>(.*?)</td>", page)
    assert row and re.search(r"\d s", row.group(1)) and "timestamps" in row.group(2)
    assert "basis: timestamps" in page
    assert "MITI 4.2.1: fair ≥ 1, good ≥ 2" in page and "fair ≥ 40%, good ≥ 50%" in page


def test_skill_without_score_shows_its_reason(build):
    short = _untimed_transcript("short", UNTIMED_WITH_SCRIPT[:4])
    result = build(short)
    assert all(s.score is None for s in result.skills.skills)
    page = session_report_html(result)
    for s in result.skills.skills:
        assert s.reason
        assert s.reason.split(":")[0] in page
    assert page.count("no score") >= len(result.skills.skills)
    assert "Overall:</strong> —" in page


def test_skill_cards_show_drivers_rationale_and_suggestion(timed):
    page = session_report_html(timed)
    import html as _html

    for s in timed.skills.skills:
        assert _html.escape(s.label) in page
        for d in s.drivers:
            assert _html.escape(driver_text(d)) in page
            assert ("raised the score" if d.pull > 0 else "lowered the score") in driver_text(d)
            assert f'title="{_html.escape(d.marker.rationale)}"' in page
        if s.suggestion:
            assert _html.escape(s.suggestion) in page


def test_highlights_and_badges(timed):
    page = session_report_html(timed)
    assert "<mark" in page
    # Every badge carries the rule ids in its title.
    badges = re.findall(r'<span class="badge[^"]*" title="([^"]*)">([^<]*)</span>', page)
    assert badges
    assert all(":" in title for title, _ in badges)
    labels = {label for _, label in badges}
    assert {"open Q", "closed Q", "complex reflection", "dismissive", "interruption", "backchannel"} <= labels
    rule_ids = {h.rule_id for tc in timed.markers.turns for h in tc.hits}
    for title, label in badges:
        if label in {"open Q", "interruption", "dismissive"}:
            assert any(rid in title for rid in rule_ids), (label, title)
    # The highlighted words are the hits' own spans.
    marked = re.findall(r"<mark[^>]*title=[^>]*>([^<]*)</mark>", page)  # the legend has no title
    spans = {h.text for tc in timed.markers.turns for h in tc.hits}
    import html as _html

    assert marked and all(any(_html.unescape(m) in sp or sp in _html.unescape(m) for sp in spans) for m in marked)


def test_overlapping_and_bad_spans_do_not_break_markup():
    from analyzer.report.html import _highlight

    text = "You feel <b>hurt</b> & scared."
    hits = [
        Hit("reflection", "simple", "r1", 0, 8, "You feel"),
        Hit("emotion_label", "1", "e1", 4, 20, text[4:20]),  # overlaps the first
        Hit("emotion_label", "1", "e2", 23, 29, "scared"),
        Hit("advice", "1", "bad", 100, 120, "nowhere"),  # out of range: skipped
        Hit("question", "open", "moved", 0, 3, "scared"),  # wrong offsets: relocated by text
        Hit("interruption", "overlap", "t", 0, len(text), text),  # whole-turn codes are not highlighted
    ]
    out = _highlight(text, hits)
    assert "<b>" not in out and "&lt;b&gt;hurt&lt;/b&gt;" in out
    assert out.count("<mark") == out.count("</mark>") == 2
    c = _Collector()
    c.feed(f"<p>{out}</p>")
    assert not c.errors and not c.stack
    plain = re.sub(r"<[^>]+>", "", out)
    import html as _html

    assert _html.unescape(plain) == text


def test_report_filename_is_safe_and_distinct():
    a = report_filename("clinic/2024 session <1>")
    b = report_filename("clinic_2024_session__1_")
    assert a.startswith("reports/") and a.endswith(".html")
    assert re.fullmatch(r"reports/[A-Za-z0-9._-]+\.html", a)
    assert a != b
    assert report_filename("x") == report_filename("x")
    assert "/" not in report_filename("../../etc/passwd")[len("reports/"):]


def test_write_session_report_and_index(tmp_path, timed, untimed):
    paths = {}
    for r in (timed, untimed):
        p = write_session_report(r, tmp_path)
        assert p == tmp_path / report_filename(r.session_id)
        assert p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        paths[r.session_id] = report_filename(r.session_id)
    rows = [dict(timed.session, clinician="Dr <A>", session_date="2024-05-01"), dict(untimed.session)]
    extra = ['<section id="trends"><h2>Trends</h2><p>trend plots here</p></section>']
    idx = write_index(rows, paths, tmp_path, extra)
    assert idx == tmp_path / "index.html"
    page = idx.read_text(encoding="utf-8")
    c = _assert_self_contained(page, script_ok=True)
    for _sid, rel in paths.items():
        href = next(h for h in c.hrefs if h.endswith(Path(rel).name))
        assert (tmp_path / href).is_file()
    assert "Dr &lt;A&gt;" in page and "2024-05-01" in page
    assert 'id="trends"' in page
    for s in timed.skills.skills:
        assert s.label in page
    assert "Overall" in page
    assert "no timestamps" in page  # the untimed session is flagged


def test_index_handles_csv_strings_and_missing_columns():
    rows = [
        {"session_id": "a", "patience_score": "62.5", "patience_band": "fair", "empathy_score": "",
         "empathy_band": "", "empathy_reason": "too little to go on", "overall_score": "nan", "overall_band": ""},
    ]
    page = index_html(rows, {"a": "reports/a.html"})
    _parse(page)
    assert "<strong>63</strong>" in page or "<strong>62</strong>" in page
    assert 'title="too little to go on"' in page
    assert "Clinician" not in page and "Date" not in page
    assert index_html([], {}).count("No sessions") == 1


# ------------------------------------------------------------------ plots


@pytest.mark.parametrize("fn", [plot_sentiment, plot_talk_share, plot_skills, plot_pauses])
def test_plot_functions_use_and_return_the_given_axes(fn, timed):
    fig = Figure()
    ax = fig.add_subplot()
    assert fn(timed, ax) is ax
    assert ax.has_data() or ax.texts
    uri = figure_png_base64(fig)
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(PNG_MAGIC)


@pytest.mark.parametrize("fn", [plot_sentiment, plot_talk_share, plot_skills])
def test_plot_functions_work_untimed_and_without_axes(fn, untimed):
    import matplotlib.pyplot as plt

    ax = fn(untimed)
    try:
        assert ax is not None and ax.figure is not None
    finally:
        plt.close(ax.figure)


def test_sentiment_plot_uses_turns_when_untimed_and_minutes_when_timed(timed, untimed):
    ax = plot_sentiment(untimed, Figure().add_subplot())
    assert "turn" in ax.get_xlabel()
    ax = plot_sentiment(timed, Figure().add_subplot())
    assert "minutes" in ax.get_xlabel()


def test_importing_the_report_does_not_pick_a_backend():
    import subprocess
    import sys

    code = ("import sys, analyzer.report; "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported at import time'")
    subprocess.run([sys.executable, "-c", code], check=True)
