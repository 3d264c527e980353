"""The marker registry: one declaration per marker, and everything that names markers generated from it."""

from __future__ import annotations

import csv
import importlib
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.errors import ConfigError
from analyzer.markers.registry import REGISTRY, MarkerDef
from analyzer.resources import model_file
from analyzer.skills import load_skill_map
from analyzer.tables import SESSION_COLUMNS, TURN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("marker", list(REGISTRY), ids=lambda m: m.name)
def test_the_registry_answers_for_every_marker(marker):
    about = REGISTRY.describe(marker.name, load_skill_map())
    importlib.import_module(str(about["module"]))
    for name in marker.data_files:
        assert model_file(name).is_file()
    assert (ROOT / str(about["test_file"])).is_file()
    assert all(c in TURN_COLUMNS for c in marker.turn_columns())
    assert all(f in SESSION_COLUMNS for f in REGISTRY.figures_of(marker.name))
    assert about["turn_columns"] or about["figures"], "a marker shows up somewhere in the tables"


def test_skills_fed_come_from_the_skill_map():
    smap = load_skill_map()
    # reflection reaches empathy through its counts and communication/emotional intelligence through figures
    # computed from it (R:Q, responses to negative turns): all answered without reading figure code
    fed = REGISTRY.skills_fed("reflection", smap)
    assert "empathy" in fed and len(fed) >= 2
    figures = REGISTRY.figures_of("reflection")
    assert {"n_reflections", "reflection_to_question_ratio", "empathic_response_to_negative_share"} <= set(figures)
    for key in fed:
        skill = next(s for s in smap.skills if s.key == key)
        assert any(m.figure in figures or m.per in figures or m.evidence == "reflection" for m in skill.markers)


def test_a_declaration_is_checked_when_registered():
    with pytest.raises(ValueError, match="declared twice"):
        REGISTRY.register(MarkerDef("advice", "flag", "analyzer.markers.lexical", "tests/test_lexical.py", about="x"))
    with pytest.raises(ValueError, match="category needs its values"):
        REGISTRY.register(MarkerDef("mood", "category", "analyzer.markers.lexical", "tests/test_lexical.py"))
    with pytest.raises(ValueError, match="phrase marker"):
        REGISTRY.register(MarkerDef("hope", "flag", "analyzer.markers.lexical", "tests/test_lexical.py", about="1 …",
                                    rule="phrase"))
    assert "mood" not in REGISTRY and "hope" not in REGISTRY


def test_skill_map_evidence_codes_are_checked(tmp_path):
    text = model_file("skill_map.toml").read_text(encoding="utf-8").replace('evidence = "reflection"',
                                                                           'evidence = "reflexion"', 1)
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_skill_map(path)
    assert "map.toml" in str(err.value) and "reflexion" in str(err.value) and "reflection" in str(err.value)


SESSION = (
    "Therapist: What has been on your mind this week?\n"
    "Client: My mother is ill and I keep snapping at everyone, I feel awful about it.\n"
    "Therapist: A lot of people feel that way when a parent is ill.\n"
    "Client: Really? I thought it was just me.\n"
)


@pytest.fixture
def normalising(tmp_path):
    """A new simple phrase marker: one pattern file and one declaration, nothing else."""
    patterns = tmp_path / "normalising.jsonl"
    patterns.write_text(
        "// written for this test: the clinician says the client's reaction is a common one\n"
        '{"label": "normalising", "id": "norm-lot-of-people-feel", "pattern": "a lot of people feel"}\n',
        encoding="utf-8")
    marker = REGISTRY.register(MarkerDef(
        "normalising", "flag", "analyzer.markers.lexical", "tests/test_registry.py", (str(patterns),),
        about="1 when the clinician says the client's reaction is a common one.",
        count_about="Clinician turns normalising the client's reaction.", tone="pos", evaluate=True, rule="phrase"))
    yield marker
    REGISTRY.unregister("normalising")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_adding_a_phrase_marker_takes_one_pattern_file_and_one_declaration(normalising, tmp_path):
    (tmp_path / "s.txt").write_text(SESSION)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(tmp_path / "s.txt"), "--out", str(out), "--no-history"])
    assert result.exit_code == 0, result.output
    turns = _rows(out / "turns.csv")
    assert [t["normalising"] for t in turns] == ["0", "0", "1", "0"]
    evidence = [e for e in _rows(out / "evidence.csv") if e["code"] == "normalising"]
    assert [(e["turn"], e["rule_id"], e["text"]) for e in evidence] == [("3", "norm-lot-of-people-feel",
                                                                         "A lot of people feel")]
    assert _rows(out / "sessions.csv")[0]["n_normalising"] == "1"
    report = next((out / "reports").glob("*.html")).read_text(encoding="utf-8")
    assert 'title="normalising: norm-lot-of-people-feel">normalising</span>' in report

    from analyzer.evaluate import evaluate

    table = tmp_path / "coded.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("sid", "who", "utt", "norm"))
        for line, code in zip(SESSION.strip().splitlines(), ("no", "", "yes", "")):
            who, text = line.split(": ", 1)
            writer.writerow(("A", who, text, code))
    mapping = tmp_path / "map.toml"
    mapping.write_text(textwrap.dedent("""
        [columns]
        session = "sid"
        speaker = "who"
        text = "utt"
        [codes.normalising]
        column = "norm"
        positive = ["yes"]
    """))
    agreement = evaluate(table, mapping).codes[0]
    assert (agreement.code, agreement.as_row()["gold_positive"], agreement.as_row()["f1"]) == ("normalising", 1, 1.0)


def test_a_removed_marker_leaves_no_column(normalising):
    assert "normalising" in TURN_COLUMNS and "n_normalising" in SESSION_COLUMNS
    REGISTRY.unregister("normalising")
    assert "normalising" not in TURN_COLUMNS and "n_normalising" not in SESSION_COLUMNS
    REGISTRY.register(normalising)  # for the fixture's clean-up
