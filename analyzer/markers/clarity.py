"""Clarity of a turn: the product's word count, sentence length, Flesch-Kincaid grade, jargon and fillers.

Word count (THE word count of the whole product, :func:`count_words`, kept in the text layer
:mod:`analyzer.markers.text` and re-exported here): a word is a run of spaCy tokens that are not
punctuation or space, where a token glued to the previous one without whitespace continues the same
word.  So contractions count once ("don't" = "do"+"n't" = 1 word; "gonna", "dont" likewise), a
hyphenated compound counts once ("mm-hmm", "self-esteem" = 1), while "well—I" (a dash) counts two.  This
matches what a reader counts and is stable between punctuated and unpunctuated text, which keep in-word
apostrophes and hyphens the same way.

Readability: Flesch-Kincaid grade level (Kincaid, Fishburne, Rogers & Chissom 1975, "Derivation of new
readability formulas ... for Navy enlisted personnel", Research Branch Report 8-75):
``0.39 * words/sentences + 11.8 * syllables/words - 15.59``.  Syllables come from the vowel-group heuristic
in :func:`syllables` (no dictionary, nothing downloaded at run time).

Unpunctuated text: speech-to-text without punctuation gives the sentencizer no boundaries, so a whole turn
is one "sentence" and words-per-sentence measures turn length, not sentence length.  A turn of at least
:data:`UNPUNCTUATED_MIN_WORDS` words with no sentence-final punctuation therefore gets
``words_per_sentence = None`` and ``readability_grade = None`` (the grade's first term is words per
sentence); ``syllables_per_word`` is still reported.  Shorter turns without punctuation are plausibly one
sentence and are scored.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..resources import word_list
from .base import Hit
from .lexical import filler_hits
from .patterns import PatternSet
from .text import count_words, iter_words, token_view, vocab_cached, word_bounds, words_between

__all__ = ["clarity", "count_words", "iter_words", "words_between", "syllables", "jargon_hits"]

UNPUNCTUATED_MIN_WORDS = 40
JARGON_LEXICON = "lexicons/jargon.txt"
EXPLAINER_LEXICON = "lexicons/jargon_explainers.txt"
EXPLAIN_WINDOW = 8  # tokens after a jargon term searched for an explanation cue
_FINAL = re.compile(r"[.!?…]")


_VOWELS = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllable estimate for one word: vowel groups, corrected for silent final -e, -es/-ed endings,
    hiatus ("radio", "actual") and "-ism"; at least 1.  Digits count one syllable per digit group."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return max(1, len(re.findall(r"\d+", word)))
    if len(w) <= 3:
        return 1
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) or (w.endswith("le") and w[-3] in "aeiouy"):
        w = w[:-1]
    elif w.endswith("es") and not re.search(r"(s|x|z|ch|sh|g|c)es$", w):
        w = w[:-2]
    elif w.endswith("ed") and not re.search(r"[td]ed$", w):
        w = w[:-2]
    if w.startswith("y"):
        w = w[1:]
    n = len(_VOWELS.findall(w))
    n += len(re.findall(r"(?<![tscgxq])i[aou]", w))  # ra-di-o, pe-ri-od (not -tion, -cious)
    n += len(re.findall(r"(?<!q)ua", w))  # ac-tu-al, u-su-al (not qua-)
    n += 1 if w.endswith("ism") else 0
    return max(1, n)


def _explained(doc: Doc, end: int) -> bool:
    window = doc[end : end + EXPLAIN_WINDOW]
    if len(window) and window[0].text in ("(", "["):
        return True
    text = " " + " ".join(t.lower_ for t in window if not t.is_punct) + " "
    after = [c for c in word_list(EXPLAINER_LEXICON) if not c.startswith("<")]
    glued = text.replace(" '", "'")
    return any(f" {c} " in glued or glued.startswith(f" {c} ") for c in after)


def _explained_before(doc: Doc, start: int) -> bool:
    before = " " + " ".join(t.lower_ for t in doc[max(0, start - 4) : start] if not t.is_punct) + " "
    cues = [c[1:].strip() for c in word_list(EXPLAINER_LEXICON) if c.startswith("<")]
    return any(before.endswith(f" {c} ") for c in cues)


def _jargon_patterns(vocab: Vocab) -> PatternSet:
    def build() -> PatternSet:
        rows = [{"label": "jargon", "id": f"jargon:{t}", "pattern": t, "value": t} for t in sorted(word_list(JARGON_LEXICON))]
        return PatternSet(vocab, rows, source=f"models/{JARGON_LEXICON}")

    return vocab_cached(vocab, JARGON_LEXICON, build)


def jargon_hits(doc: Doc) -> list[Hit]:
    """Clinical jargon (models/lexicons/jargon.txt) used without an explanation cue next to it."""
    ps = _jargon_patterns(doc.vocab)
    return [
        Hit.from_span("jargon", value, rule_id, span)
        for _, value, rule_id, span in ps.spans(doc)
        if not _explained(doc, span.end) and not _explained_before(doc, span.start)
    ]


def clarity(doc: Doc) -> dict:
    """Words, sentences, words per sentence, syllables per word, Flesch-Kincaid grade, jargon and fillers."""
    view = token_view(doc)
    words = word_bounds(doc)
    n_words = len(words)
    n_sents = sum(1 for s, e in view.sents() if words_between(doc, s, e)) if n_words else 0
    n_syll = sum(syllables(view.span_text(s, e)) for s, e in words)
    punctuated = any(p and _FINAL.search(t) for p, t in zip(view.puncts, view.orths))
    wps: float | None = None
    grade: float | None = None
    if n_words and n_sents and (punctuated or n_words < UNPUNCTUATED_MIN_WORDS):
        wps = n_words / n_sents
        grade = 0.39 * wps + 11.8 * (n_syll / n_words) - 15.59
    return {
        "words": n_words,
        "sentences": n_sents,
        "words_per_sentence": round(wps, 2) if wps is not None else None,
        "syllables_per_word": round(n_syll / n_words, 3) if n_words else None,
        "readability_grade": round(grade, 2) if grade is not None else None,
        "jargon": jargon_hits(doc),
        "fillers": filler_hits(doc),
    }
