"""Skill scoring: the shipped map, edits to it, bad maps, and the sample sessions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.io import read
from analyzer.pipeline import analyze_transcript
from analyzer.resources import model_file
from analyzer.skills import load_skill_map, score_session, skill_columns


@pytest.fixture(scope="module")
def sample_results(nlp, samples):
    skill_map = load_skill_map()
    out = {}
    for name in ("patient_validating.vtt", "rushed_interrupting.srt", "lecturing.json", "typed_notes.txt"):
        for tr in read(samples / name):
            out[tr.session_id] = analyze_transcript(tr, nlp, None, skill_map)
    return out


def _copy_map(tmp_path: Path) -> Path:
    dst = tmp_path / "skill_map.toml"
    with model_file("skill_map.toml").open("rb") as src, open(dst, "wb") as out:
        shutil.copyfileobj(src, out)
    return dst


def test_shipped_map_has_four_skills_with_rationales():
    m = load_skill_map()
    assert [s.key for s in m.skills] == ["patience", "empathy", "emotional_intelligence", "effective_communication"]
    assert all(mk.rationale for s in m.skills for mk in s.markers)
    assert skill_columns(m)[-2:] == ["overall_score", "overall_band"]


def test_rushed_session_scores_lower_on_patience_and_says_why(sample_results):
    patient = sample_results["patient_validating"].skills.by_key("patience")
    rushed = sample_results["rushed_interrupting"].skills.by_key("patience")
    assert rushed.score is not None and patient.score is not None
    assert rushed.score < patient.score - 25
    assert rushed.band == "needs work"
    reasons = " ".join(d.describe() for d in rushed.drivers)
    assert "Interruptions" in reasons or "pause" in reasons
    assert any(q.code == "interruption" for q in rushed.quotes)
    assert rushed.suggestion


def test_lecturing_session_gives_the_client_little_room(sample_results):
    lect = sample_results["lecturing"].skills.by_key("patience")
    patient = sample_results["patient_validating"].skills.by_key("patience")
    assert lect.score < patient.score
    assert any(d.marker.figure == "client_talk_share_words" and d.pull < 0 for d in lect.drivers)
    assert any("Client share of words" in d.describe() for d in lect.drivers)


def test_untimed_session_scores_without_timing_figures(sample_results):
    typed = sample_results["typed_notes"].skills.by_key("patience")
    assert typed.score is not None
    assert "median_pause_before_response_s" in typed.missing
    assert "no timestamps" in typed.reason


def test_too_few_turns_gives_an_empty_score_with_reason(nlp):
    from analyzer.io import read_text

    tr = read_text("Therapist: Hi, how are you?\nClient: Fine thanks.\n", "text")[0]
    res = analyze_transcript(tr, nlp)
    for s in res.skills.skills:
        assert s.score is None and s.band == ""
        assert "too little" in s.reason
    assert res.session["overall_score"] is None


def test_editing_a_weight_changes_the_score_as_expected(tmp_path, sample_results):
    row = sample_results["rushed_interrupting"].session
    base = score_session(row, load_skill_map()).by_key("patience").score
    path = _copy_map(tmp_path)
    text = path.read_text()
    # Give interruptions (scored low in this session) far more weight: patience must fall.
    old = 'label = "Interruptions per client turn"\nper = "n_client_turns"\nweight = 2\n'
    assert old in text
    text = text.replace(old, old.replace("weight = 2", "weight = 20"))
    path.write_text(text)
    edited = score_session(row, load_skill_map(path)).by_key("patience").score
    assert edited < base


def test_editing_points_changes_the_score(tmp_path, sample_results):
    row = sample_results["patient_validating"].session
    base = score_session(row, load_skill_map()).by_key("patience").score
    path = _copy_map(tmp_path)
    text = path.read_text().replace("points = [[0.2, 0], [0.4, 50], [0.5, 75], [0.65, 100]]",
                                    "points = [[0.7, 0], [0.9, 100]]")
    path.write_text(text)
    assert score_session(row, load_skill_map(path)).by_key("patience").score < base


def test_editing_bands_changes_band(tmp_path, sample_results):
    row = sample_results["patient_validating"].session
    path = _copy_map(tmp_path)
    path.write_text(path.read_text().replace("fair = 50\ngood = 75", "fair = 98\ngood = 99"))
    assert score_session(row, load_skill_map(path)).by_key("patience").band == "needs work"


@pytest.mark.parametrize(
    "old,new,key,hint",
    [
        ('figure = "client_talk_share_words"', 'figure = "client_talk_shar"', "figure", "unknown figure"),
        ("weight = 2\npoints = [[0.2, 0]", "weight = -1\npoints = [[0.2, 0]", "weight", "must be a number > 0"),
        ("points = [[0.2, 0], [0.4, 50], [0.5, 75], [0.65, 100]]", "points = [[0.5, 0], [0.4, 50]]", "points",
         "strictly increasing"),
        ("points = [[0.2, 0], [0.4, 50], [0.5, 75], [0.65, 100]]", "points = [[0.2, 0], [0.4, 150]]", "points",
         "0..100"),
        ("fair = 50\ngood = 75", "fair = 80\ngood = 75", "bands", "fair < good"),
        ('figure = "client_talk_share_words"', 'figure = "client_talk_share_words"\ncolour = "red"', "markers[0]",
         "unknown key"),
        ("patience = 1,", "patient = 1,", "overall.weights.patient", "not a skill"),
    ],
)
def test_bad_skill_maps_get_clear_errors(tmp_path, old, new, key, hint):
    path = _copy_map(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_skill_map(path)
    msg = str(err.value)
    assert str(path) in msg and key in msg and hint in msg


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[bands\nfair = 50")
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        load_skill_map(path)


def test_quotes_show_the_sentence_around_the_evidence():
    from analyzer.skills import quote_around

    text = "Okay. It sounds like the nights are the hardest part for you. What else?"
    start = text.index("It sounds like")
    assert quote_around(text, start, start + 14) == "It sounds like the nights are the hardest part for you."
    long = "so " + "word " * 60 + "it sounds like you are exhausted " + "more " * 60
    q = quote_around(long, long.index("it sounds"), long.index("it sounds") + 14)
    assert "it sounds like you are exhausted" in q and len(q) <= 162 and q.startswith("…") and q.endswith("…")


def test_quotes_follow_the_direction_of_each_driver(sample_results):
    """Advice turns are never quoted beside 'no directive replies' pulling a score up."""
    for res in sample_results.values():
        for skill in res.skills.skills:
            shown = {q.code for q in skill.quotes}
            for d in skill.drivers:
                if d.marker.evidence in shown and d.marker.evidence not in {
                    x.marker.evidence for x in skill.drivers if (x.pull > 0) == x.marker.higher_is_better
                }:
                    raise AssertionError(f"{skill.key}: quotes for {d.marker.name} against its direction")
    rushed = sample_results["rushed_interrupting"].skills.by_key("patience")
    assert any(q.code == "interruption" for q in rushed.quotes)
