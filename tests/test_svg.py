"""The inline SVG charts (analyzer/report/svg.py): well-formed, accessible, linked, and linear in size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from analyzer.report import svg


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # raises on unbalanced or badly escaped markup
    assert root.tag == "svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find("title") is not None and root.find("title").text == root.get("aria-label")
    assert root.get("viewBox", "").startswith("0 0 ")
    return root


def _spans(n: int) -> list[svg.Span]:
    return [svg.Span(i * 0.1, i * 0.1 + 0.08, "clinician" if i % 2 else "client", i + 1) for i in range(n)]


def test_smooth_is_a_centred_moving_mean():
    assert svg.smooth([], 3) == []
    assert svg.smooth([1.0, 2.0, 3.0, 4.0], 3) == pytest.approx([1.5, 2.0, 3.0, 3.5])
    assert svg.smooth([5.0], 7) == [5.0]
    flat = svg.smooth([0.2] * 50, 9)
    assert all(v == pytest.approx(0.2) for v in flat)


def test_ticks_are_round_numbers():
    assert svg._ticks(0, 50) == [0, 10, 20, 30, 40, 50]
    assert svg._ticks(0, 100, 4) == [0, 20, 40, 60, 80, 100] or svg._ticks(0, 100, 4) == [0, 25, 50, 75, 100] \
        or svg._ticks(0, 100, 4) == [0, 50, 100]
    assert all(float(t).is_integer() for t in svg._ticks(0.5, 216.5))


def test_timeline_draws_one_path_per_lane_and_links_marks():
    marks = [
        svg.Mark(1.0, "interruption", "Turn 11: interruption", "#turn-11"),
        svg.Mark(2.0, "silence", "9 s of silence", "#turn-21", x_end=2.15),
        svg.Mark(3.0, "negative", "Turn 31: low point", "#turn-31"),
        svg.Mark(3.1, "reply", "Turn 32: reply", "#turn-32"),
    ]
    out = svg.timeline(_spans(60), marks, 0, 6, "minutes", "Timeline & <test>")
    root = _parse(out)
    assert "Timeline &amp; &lt;test&gt;" in out
    paths = [p for p in root.iter("path") if p.get("fill") in svg.ROLE_FILL.values()]
    assert len(paths) == 2  # clinician and client lanes, however many turns
    hrefs = [a.get("href") for a in root.iter("a")]
    assert hrefs == ["#turn-21", "#turn-11", "#turn-31", "#turn-32"]  # silences are drawn first, behind the bars
    assert all(a.find("title") is not None for a in root.iter("a"))


def test_timeline_keeps_each_visible_turn_and_merges_what_is_under_a_pixel():
    apart = svg.timeline(_spans(60), [], 0, 6, "minutes", "t")  # turns 2 px apart: every one drawn
    lanes = [p.get("d") for p in _parse(apart).iter("path") if p.get("fill") in svg.ROLE_FILL.values()]
    assert [d.count("M") for d in lanes] == [30, 30]
    dense = svg.timeline(_spans(8000), [], 0, 800, "minutes", "t")  # far more turns than pixels
    lanes = [p.get("d") for p in _parse(dense).iter("path") if p.get("fill") in svg.ROLE_FILL.values()]
    assert all(d.count("M") <= 700 for d in lanes)  # at most one bar per pixel of the plot
    assert len(dense) < 20 * len(apart)


def test_line_chart_marks_peaks_with_turn_labels_and_clips_to_range():
    xs = [float(i) for i in range(10)]
    ys = [0.1, 0.0, -0.5, -0.9, -0.2, 0.3, 0.6, 2.0, 0.4, 0.1]  # 2.0 is outside the range: clipped, not lost
    marks = [svg.Mark(3.0, "peak", "Turn 7: -0.90", "#turn-7", label="#7", y=-0.9)]
    out = svg.line_chart(xs, svg.smooth(ys, 3), marks, 0, 9, "turn", "sentiment", "arc", dots=ys,
                         guides=[(-0.3, "clearly negative")])
    root = _parse(out)
    poly = root.find("polyline")
    pts = [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
    assert len(pts) == 10 and all(14 <= y <= 184 for _, y in pts)
    assert [a.get("href") for a in root.iter("a")] == ["#turn-7"]
    assert "#7" in out and "clearly negative" in out


def test_histogram_counts_whole_responses():
    values = [-0.4, 0.1, 0.2, 0.7, 1.2, 1.3, 1.4, 9.0]
    out = svg.histogram(values, [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0], "seconds", "pauses", (0.5, "0.5 s"))
    root = _parse(out)
    counts = [int(re.match(r"(\d+) ", r.find("title").text).group(1)) for r in root.iter("rect") if r.find("title") is not None]
    assert sum(counts) == len(values)  # the 9 s pause lands in the last bin rather than vanishing
    assert counts == [1, 2, 1, 3, 1]
    labels = [t.text for t in root.iter("text")]
    assert all(not re.fullmatch(r"\d+\.\d+", t or "") or t in {"0.5", "1.5", "-0.5"} for t in labels)


def test_skill_bars_show_score_interval_and_no_score():
    bars = [svg.Bar("Patience", 62.0, "fair", 55.0, 70.0), svg.Bar("Empathy", None, "", note="too little to go on")]
    out = svg.skill_bars(bars, 50, 75, "Skill scores")
    _parse(out)
    assert "Patience: 62 (fair)" in out and "too little to go on" in out
    assert out.count('stroke="#111"') == 1  # one whisker, for the skill with an interval


def test_trend_chart_skips_missing_scores():
    out = svg.trend_chart(["2026-01-01", "2026-02-01", "2026-03-01"],
                          [("Patience", [40.0, None, 60.0]), ("Empathy", [None, None, None])], 50, 75, "trend")
    root = _parse(out)
    assert len(root.findall("polyline")) == 1
    assert len(root.findall("circle")) == 2
    assert "Empathy" in out  # still in the legend
