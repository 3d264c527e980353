"""90% intervals on every score: they hold the score, shrink with more evidence and are reproducible."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analyzer import io as readers
from analyzer.errors import ConfigError
from analyzer.pipeline import analyze, analyze_transcript
from analyzer.uncertainty import _div, _quantiles, load_uncertainty

SKILLS = ("patience", "empathy", "emotional_intelligence", "effective_communication", "overall")
RATIOS = ("reflection_to_question_ratio", "complex_reflection_share", "open_question_share")


@pytest.fixture(scope="module")
def sample_results(samples: Path):
    return list(analyze([samples]))


def test_every_score_and_miti_ratio_has_an_interval_that_holds_it(sample_results) -> None:
    for sr in sample_results:
        row = sr.session
        for s in SKILLS:
            score, lo, hi = row[f"{s}_score"], row[f"{s}_score_low"], row[f"{s}_score_high"]
            if score is None:
                assert lo is None and hi is None
                continue
            assert 0 <= lo <= score <= hi <= 100, (sr.session_id, s, lo, score, hi)
            assert row[f"{s}_uncertain"] == ((hi - lo) > load_uncertainty().max_width)
        for r in RATIOS:
            v, lo, hi = row[r], row[f"{r}_low"], row[f"{r}_high"]
            if v is None:
                assert lo is None
                continue
            assert 0 <= lo <= v <= hi, (sr.session_id, r, lo, v, hi)
            if r.startswith("percent"):
                assert hi <= 100


def test_intervals_are_reproducible(samples: Path, nlp) -> None:
    (tr,) = readers.read(samples / "typed_notes.txt")
    a, b = analyze_transcript(tr, nlp).session, analyze_transcript(tr, nlp).session
    assert [a[f"{s}_score_low"] for s in SKILLS] == [b[f"{s}_score_low"] for s in SKILLS]
    assert a["overall_score_high"] == b["overall_score_high"]


def test_more_turns_of_the_same_kind_give_a_narrower_interval(samples: Path, nlp) -> None:
    (tr,) = readers.read(samples / "typed_notes.txt")
    turns = list(tr.turns)
    long = replace(tr, turns=tuple(replace(t, index=i + 1) for i, t in enumerate(turns * 4)))
    short_row, long_row = analyze_transcript(tr, nlp).session, analyze_transcript(long, nlp).session
    for s in ("empathy", "effective_communication", "overall"):
        w_short = short_row[f"{s}_score_high"] - short_row[f"{s}_score_low"]
        w_long = long_row[f"{s}_score_high"] - long_row[f"{s}_score_low"]
        assert w_long < w_short, (s, w_short, w_long)


def test_a_session_with_every_reflection_complex_has_no_spread_in_complex_share(sample_results) -> None:
    for sr in sample_results:
        row = sr.session
        if row["n_reflections"] and row["n_complex_reflections"] == row["n_reflections"]:
            assert row["complex_reflection_share_low"] == row["complex_reflection_share_high"] == 1
            return
    pytest.skip("no sample session with only complex reflections")


def test_quantiles_and_division_match_numpy() -> None:
    x = np.sort(np.random.default_rng(1).normal(size=200))
    assert np.allclose(_quantiles(x, 0.05), np.quantile(x, [0.05, 0.95]))
    out = _div(np.array([1.0, 2.0]), np.array([0.0, 4.0]), 100)
    assert np.isnan(out[0]) and out[1] == 50


def test_a_bad_uncertainty_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "uncertainty.toml"
    bad.write_text("level = 0.9\nresamples = 5\nseed = 1\nmax_width = 30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="resamples"):
        load_uncertainty(str(bad))


def test_the_report_shows_the_interval_beside_each_score_and_the_miti_ratios(sample_results) -> None:
    from analyzer.report import session_report_html

    sr = next(r for r in sample_results if r.session_id == "typed_notes")
    page = session_report_html(sr)
    e = sr.session
    assert f"90% {e['empathy_score_low']:.0f}–{e['empathy_score_high']:.0f}" in page
    assert f"90% {e['overall_score_low']:.0f}–{e['overall_score_high']:.0f}" in page
    assert f"90% {e['reflection_to_question_ratio_low']:.1f}–{e['reflection_to_question_ratio_high']:.1f}" in page
    wide = next((r for r in sample_results if any(r.session.get(f"{s}_uncertain") for s in SKILLS)), None)
    assert wide is not None and ">uncertain</span>" in session_report_html(wide)


def test_the_supervision_export_carries_each_sessions_interval(tmp_path: Path, samples: Path) -> None:
    import pandas as pd

    from analyzer.export import supervision_table, write_supervision_csv
    from analyzer.history import History
    from analyzer.run import run_analysis

    run_analysis([samples], tmp_path / "out", reports=False)
    with History(tmp_path / "out" / "history.sqlite") as h:
        frame = h.sessions_frame()
    table = supervision_table(frame, "session")
    row = table[table["session_id"] == "typed_notes"].iloc[0]
    assert row["empathy_score_low"] <= row["empathy_score"] <= row["empathy_score_high"]
    assert row["overall_uncertain"] in (True, False)
    written = pd.read_csv(write_supervision_csv(table, tmp_path / "sup.csv"), encoding="utf-8-sig")
    assert {"empathy_score_low", "overall_score_high", "empathy_uncertain"} <= set(written.columns)
    monthly = supervision_table(frame, "month")
    assert monthly["empathy_score_low"].isna().all()  # a period's mean score has no interval
