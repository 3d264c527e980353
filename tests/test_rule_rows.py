"""A rule's behaviour lives on its data row and is checked when the file is loaded."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.markers import lexical, questions, reflections
from analyzer.markers.patterns import PatternSet, RuleBehaviour


def _rows(*rows: dict) -> list[dict]:
    return [{**r, "_line": i + 1} for i, r in enumerate(rows)]


def test_behaviour_fields_are_read_from_the_row(nlp):
    ps = PatternSet(nlp.vocab, _rows(
        {"label": "stem", "id": "so-you", "pattern": "so you", "position": "clause_initial"},
        {"label": "open", "id": "what-is", "pattern": "what is", "needs_qmark": True},
        {"label": "advice", "id": "could-try", "pattern": "you could try", "soft_proposal": True},
        {"label": "closed", "id": "do-you", "pattern": "do you", "yes_no_inversion": True},
        {"label": "stem", "id": "plain", "pattern": "it sounds like"},
    ), source="rules.jsonl")
    assert ps.behaviour("so-you") == RuleBehaviour(position="clause_initial")
    assert ps.behaviour("what-is").needs_qmark and ps.behaviour("could-try").soft_proposal
    assert ps.behaviour("do-you").yes_no_inversion
    assert ps.behaviour("plain") == RuleBehaviour() and ps.behaviour("made-in-code") == RuleBehaviour()


@pytest.mark.parametrize(("row", "message"), [
    ({"posiiton": "clause_initial"}, "unknown field(s) ['posiiton']"),
    ({"position": "start"}, "position must be one of"),
    ({"needs_qmark": "yes"}, "needs_qmark must be true or false"),
])
def test_a_wrong_behaviour_field_names_file_line_and_what_is_allowed(nlp, row, message):
    rows = _rows({"label": "stem", "id": "ok", "pattern": "you feel"},
                 {"label": "stem", "id": "bad", "pattern": "so you", **row})
    with pytest.raises(ConfigError) as err:
        PatternSet(nlp.vocab, rows, source="rules.jsonl")
    text = str(err.value)
    assert "rules.jsonl:2" in text and message in text and "'bad'" in text


def test_rule_ids_named_in_code_are_checked_when_the_file_is_loaded(nlp, tmp_path):
    ps = PatternSet(nlp.vocab, _rows({"label": "closed", "id": "q.closed.do", "pattern": "do you"}), source="q.jsonl")
    with pytest.raises(ConfigError) as err:
        ps.require((questions.COPULA_OPENER, questions.MID_INVERSION), questions.__name__)
    assert "q.closed.be" in str(err.value) and "analyzer.markers.questions" in str(err.value)
    assert questions.pattern_set(nlp.vocab).meta  # the shipped file has every id the code names


@pytest.mark.parametrize(("module", "field"), [
    (reflections, "position"), (questions, "needs_qmark"), (questions, "yes_no_inversion"), (lexical, "soft_proposal"),
])
def test_shipped_rules_declare_the_behaviour_their_module_reads(nlp, module, field):
    ps = {reflections: reflections.pattern_set, questions: questions.pattern_set,
          lexical: lexical._patterns}[module](nlp.vocab)
    declared = [rid for rid, b in ps.behaviours.items() if getattr(b, field) not in (False, "anywhere")]
    assert declared, f"no row of {module.__name__}'s patterns declares {field}"


def test_soft_proposal_on_the_row_decides_a_menu_of_options(nlp, monkeypatch):
    """A soft offer in a turn that lays out options is choice left to the client; drop the row's field and it is advice."""
    text = "You could try a walk in the morning, or another option is calling a friend."
    assert lexical.code_lexical(nlp(text))["advice"] == []
    ps = lexical._patterns(nlp.vocab)
    for rule_id, behaviour in list(ps.behaviours.items()):
        if behaviour.soft_proposal:
            monkeypatch.setitem(ps.behaviours, rule_id, RuleBehaviour())
    assert lexical.code_lexical(nlp(text))["advice"] != []
