"""Agreement statistics and the evaluate entry point (inline coded tables written for these tests)."""

from __future__ import annotations

import csv
import math

import pytest
from click.testing import CliRunner

from analyzer.agreement import binary_agreement, cohen_kappa, roc_auc, spearman
from analyzer.cli import cli
from analyzer.errors import ConfigError, FormatError
from analyzer.evaluate import evaluate, load_mapping, strip_punctuation

pytestmark = pytest.mark.usefixtures("no_network")  # analyze, export and evaluate never use the network

MAPPING = """
[columns]
session = "sid"
speaker = "who"
text = "utt"
utterance_id = "uid"
session_label = "quality"

[session_label]
positive = "good"

[codes.question]
column = "q"
positive = ["yes"]

[codes.question_type]
column = "qtype"
values = { open = "open", closed = "closed" }

[codes.reflection]
column = "r"
positive = ["yes"]

[session_scores]
figures = ["reflections_per_clinician_turn"]
"""

ROWS = [
    # sid, uid, who, utt, q, qtype, r, quality
    ("A", 1, "therapist", "What brings you in today?", "yes", "open", "no", "good"),
    ("A", 2, "client", "My drinking has got out of hand and my wife is upset.", "", "", "", "good"),
    ("A", 3, "therapist", "It sounds like the drinking is worrying you both.", "no", "", "yes", "good"),
    ("A", 3, "therapist", "It sounds like the drinking is worrying you both.", "yes", "closed", "no", "good"),  # 2nd coder
    ("A", 4, "client", "Yes, she says I'm not myself.", "", "", "", "good"),
    ("A", 5, "therapist", "Do you drink every day?", "yes", "closed", "no", "good"),
    ("A", 6, "client", "Most days, after work.", "", "", "", "good"),
    ("B", 1, "therapist", "You need to stop drinking.", "no", "", "no", "poor"),
    ("B", 2, "client", "I know, I know.", "", "", "", "poor"),
    ("B", 3, "therapist", "Alcohol damages the liver, the research is clear.", "no", "", "no", "poor"),
    ("B", 4, "client", "It's not that simple.", "", "", "", "poor"),
]


@pytest.fixture
def coded(tmp_path):
    table = tmp_path / "coded.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sid", "uid", "who", "utt", "q", "qtype", "r", "quality"])
        w.writerows(ROWS)
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAPPING)
    return table, mapping


def test_binary_agreement_and_kappa_by_hand():
    a = binary_agreement("x", [True, True, False, False], [True, False, True, False])
    assert (a.tp, a.fp, a.fn, a.tn) == (1, 1, 1, 1)
    assert a.precision == a.recall == a.f1 == 0.5
    assert a.kappa == pytest.approx(0.0)
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == pytest.approx(1.0)
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == pytest.approx(0.0)


def test_auc_and_spearman_by_hand():
    assert roc_auc([True, True, False, False], [0.9, 0.8, 0.1, 0.2]) == 1.0
    assert roc_auc([True, False], [0.5, 0.5]) == 0.5
    assert roc_auc([True, False, True], [1.0, float("nan"), 0.2]) != roc_auc([True, False, True], [1.0, 0.0, 0.2])
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2], [1, 2]))


def test_strip_punctuation_keeps_in_word_apostrophes():
    assert strip_punctuation("So, you're NOT sure -- right?") == "so you're not sure right"


def test_evaluate_compares_clinician_turns(coded):
    table, mapping = coded
    res = evaluate(table, mapping)
    assert res.n_sessions == 2 and res.n_clinician_turns == 5
    q = next(a for a in res.codes if a.code == "question")
    # gold questions: A1, A5 (A3's first coder says no); the analyzer finds the two real questions
    assert (q.tp + q.fn) == 2 and q.tp == 2 and q.fp == 0
    r = next(a for a in res.codes if a.code == "reflection")
    assert r.tp + r.fn == 1
    types = {t["code"]: t for t in res.types}
    assert types["question_type"]["accuracy"] == 1.0 and types["question_type"]["n"] == 2
    auc = {a["figure"]: a["auc"] for a in res.auc}
    assert auc["reflections_per_clinician_turn"] >= 0.5
    assert "question" in res.format() and "session AUC" in res.format()


def test_unpunctuated_evaluation_runs(coded):
    table, mapping = coded
    res = evaluate(table, mapping, unpunctuated=True)
    assert next(a for a in res.codes if a.code == "question").tp >= 1


def test_cli_evaluate_prints_and_writes(coded, tmp_path):
    table, mapping = coded
    out = tmp_path / "agreement.csv"
    result = CliRunner().invoke(cli, ["evaluate", str(table), "--mapping", str(mapping), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 sessions, 5 clinician turns" in result.output and "kappa" in result.output
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["code"] for r in rows} == {"question", "reflection"}


def test_bad_mappings_and_tables_are_clear_errors(coded, tmp_path):
    table, mapping = coded
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.replace("[codes.reflection]", "[codes.reflexion]"))
    with pytest.raises(ConfigError, match="reflexion"):
        load_mapping(bad)
    bad.write_text(MAPPING.replace('column = "r"', 'column = "refl"'))
    with pytest.raises(FormatError, match="refl"):
        evaluate(table, bad)
    result = CliRunner().invoke(cli, ["evaluate", str(table), "--mapping", str(bad)])
    assert result.exit_code != 0 and "refl" in result.output


@pytest.mark.shared
def test_annomi_agreement_stays_at_the_measured_level(shared_data):
    """Regression guard on the expert-coded set (figures in the README; floors a little below them)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    res = evaluate(shared_data / "annomi" / "AnnoMI-full.csv", root / "models" / "evaluation" / "annomi.toml")
    f1 = {a.code: a.f1 for a in res.codes}
    assert f1["question"] >= 0.87 and f1["reflection"] >= 0.58 and f1["advice"] >= 0.55
    auc = {a["figure"]: a["auc"] for a in res.auc}
    assert auc["empathy_score"] >= 0.85 and auc["overall_score"] >= 0.84


def test_evaluate_decodes_a_cp1252_table_and_refuses_a_binary_one(coded):
    table, mapping = coded
    text = table.read_text(encoding="utf-8").replace("What brings you in today?", "What brings you in today, café?")
    table.write_bytes(text.encode("cp1252"))
    res = evaluate(table, mapping)
    assert res.n_clinician_turns == 5
    table.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(FormatError, match="looks like a binary file"):
        evaluate(table, mapping)


def test_rule_audit_counts_each_rule_against_the_gold_code(coded):
    table, mapping = coded
    res = evaluate(table, mapping)
    q_rules = [f for f in res.rules if f.code == "question"]
    assert q_rules, "the two questions were found by some rule"
    # both gold questions are found, so the question rules' true positives cover the code's two
    assert all(f.code_true_positives == 2 for f in q_rules)
    assert sum(f.true_positive for f in q_rules) >= 2
    for f in q_rules:
        assert 0.0 <= f.precision <= 1.0 and f.true_positive <= f.fired
    # advice is not coded in this table: its rules get a firing count and no precision
    adv = [f for f in res.rules if f.code == "advice"]
    assert adv and all(f.true_positive is None and math.isnan(f.precision) for f in adv)


def test_rule_audit_rates_against_markers_by_session_label(coded):
    table, mapping = coded
    res = evaluate(table, mapping)
    rates = {(r["flag"], r["positive"]): r for r in res.flag_rates}
    # session B ("poor") holds the one advice turn ("You need to stop drinking.")
    assert rates[("advice", False)]["per_session"] == 1.0
    assert rates[("advice", True)]["per_session"] == 0.0
    assert "against-markers per session" in res.format()


def test_cli_evaluate_writes_the_rule_audit(coded, tmp_path):
    table, mapping = coded
    out = tmp_path / "rules.csv"
    result = CliRunner().invoke(cli, ["evaluate", str(table), "--mapping", str(mapping), "--rules", str(out)])
    assert result.exit_code == 0, result.output
    assert "per rule" in result.output
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {"code", "rule_id", "fired", "precision", "share_of_true_positives"} <= set(rows[0])
    assert any(r["code"] == "question" and int(r["fired"]) >= 1 for r in rows)


def test_committed_rule_audit_holds_figures_only():
    """benchmarks/results/rule_audit.csv (written by make evaluate) carries rule ids and counts, no text."""
    import re
    from pathlib import Path

    from analyzer.rule_audit import AUDIT_COLUMNS

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "rule_audit.csv"
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ["set", *AUDIT_COLUMNS]
    for r in rows:
        assert re.fullmatch(r"[\w.:\-]+", r["rule_id"]) and int(r["fired"]) >= 1
        assert r["precision"] == "" or 0.0 <= float(r["precision"]) <= 1.0
