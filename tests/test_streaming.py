"""Speed levers that must not change a result: streamed Docs, the array-based token view and sentencizer."""

from __future__ import annotations

import pytest
import spacy

from analyzer import io as readers
from analyzer.markers import code_session
from analyzer.markers.patterns import TokenView
from analyzer.markers.settings import load_settings
from analyzer.nlp import pipe_texts

TEXTS = [
    "Hello  there, don't go. Yes?\n\nok",
    "so you feel like nobody listens to you at home",
    "Mm-hmm.",
    "I'd recommend you try the breathing exercise — well, if you want to!",
    "x…y. \"Yes.\" No",
    "",
    " ",
    "Café au lait 😀 costs $3.50; U.S.A. e-mail: a@b.org",
]


def _rows(result):
    return [(tc.turn.index, tc.question, tc.reflection, tc.sentiment, tc.evidence, dict(tc.flags)) for tc in result.turns]


def test_streamed_docs_give_the_same_codes_as_a_list(nlp, samples):
    for path in sorted(samples.glob("*.vtt")) + sorted(samples.glob("*.txt")):
        for tr in readers.read(path):
            texts = [t.text for t in tr.turns]
            listed = code_session(tr, list(nlp.pipe(texts)), load_settings())
            streamed = code_session(tr, pipe_texts(nlp, iter(texts)), load_settings())
            assert _rows(streamed) == _rows(listed)
            assert streamed.figures == listed.figures


def test_a_doc_too_many_or_too_few_is_an_error(nlp, samples):
    tr = readers.read(samples / "typed_notes.txt")[0]
    docs = list(nlp.pipe(t.text for t in tr.turns))
    with pytest.raises(ValueError):
        code_session(tr, docs[:-1], load_settings())
    with pytest.raises(ValueError):
        code_session(tr, docs + docs[:1], load_settings())


def test_docs_no_later_turn_reads_are_let_go(nlp, samples):
    tr = readers.read(samples / "typed_notes.txt")[0]
    docs = list(nlp.pipe(t.text for t in tr.turns))
    code_session(tr, docs, load_settings())
    # their caches (token view, matches) are cleared so reference counting frees them
    assert all(not d.user_data for d in docs)


def test_token_view_equals_token_attributes(nlp):
    for doc in nlp.pipe(TEXTS):
        v = TokenView(doc)
        assert v.text == doc.text
        assert v.lowers == [t.lower_ for t in doc]
        assert v.orths == [t.text for t in doc]
        assert v.puncts == [t.is_punct for t in doc]
        assert v.spaces == [t.is_space for t in doc]
        assert v.alphas == [t.is_alpha for t in doc]
        assert v.sent_starts == [bool(t.is_sent_start) for t in doc]
        assert v.idxs == [t.idx for t in doc]
        assert v.glued == [t.whitespace_ == "" for t in doc]


def test_sentence_starts_equal_spacys_sentencizer(nlp):
    ref = spacy.blank("en")
    ref.add_pipe("sentencizer")
    texts = TEXTS + ["a. b", "Hi!! there?? ok.", "...", "one two three", "What? Why. Fine!"]
    for ours, theirs in zip(nlp.pipe(texts), ref.pipe(texts)):
        assert [t.is_sent_start for t in ours] == [t.is_sent_start for t in theirs], ours.text


def _loads_spacy(code: str) -> bool:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('spacy' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_version_and_export_do_not_load_spacy(tmp_path, samples):
    from click.testing import CliRunner

    from analyzer.cli import cli

    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["analyze", str(samples / "typed_notes.txt"), "--out", str(out), "-q",
                                    "--no-reports", "--jobs", "1"]).exit_code == 0
    run_cli = ("from click.testing import CliRunner\nfrom analyzer.cli import cli\n"
               "r = CliRunner().invoke(cli, {args!r})\nassert r.exit_code == 0, r.output")
    assert not _loads_spacy(run_cli.format(args=["--version"]))
    assert not _loads_spacy(run_cli.format(args=["export", "--history", str(out / "history.sqlite"),
                                                 "--out", str(tmp_path / "sup.csv")]))
    assert _loads_spacy(run_cli.format(args=["analyze", str(samples / "typed_notes.txt"), "--out",
                                             str(tmp_path / "o2"), "-q", "--no-reports", "--jobs", "1"]))
