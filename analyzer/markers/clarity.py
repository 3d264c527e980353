"""Clarity of a turn: the product's word count, sentence length, Flesch-Kincaid grade, jargon and fillers.

Word count (THE word count of the whole product, :func:`count_words`): a word is a run of spaCy tokens
that are not punctuation or space, where a token glued to the previous one without whitespace continues
the same word.  So contractions count once ("don't" = "do"+"n't" = 1 word; "gonna", "dont" likewise), a
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
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache

from spacy.tokens import Doc, Span

from ..resources import word_list
from .base import Hit
from .lexical import filler_hits
from .patterns import token_view

UNPUNCTUATED_MIN_WORDS = 40
JARGON_LEXICON = "lexicons/jargon.txt"
EXPLAINER_LEXICON = "lexicons/jargon_explainers.txt"
EXPLAIN_WINDOW = 8  # tokens after a jargon term searched for an explanation cue
_FINAL = re.compile(r"[.!?…]")
_JOINERS = {"-", "‐", "'", "’"}


def _word_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges ``(start, end)`` of the words of a Doc, computed once and kept in ``user_data``."""
    bounds = doc.user_data.get("sa_word_bounds")
    if bounds is not None:
        return bounds
    bounds = []
    start = None
    last = -1  # last token belonging to the current word
    v = token_view(doc)
    spaces, puncts, texts, glued_after = v.spaces, v.puncts, v.orths, v.glued
    n = len(spaces)
    for k in range(n):
        if spaces[k]:
            if start is not None:
                bounds.append((start, last + 1))
                start = None
            continue
        glued = k > 0 and glued_after[k - 1] and not spaces[k - 1]
        if puncts[k]:
            # an in-word hyphen/apostrophe glued on both sides to word tokens stays inside the word
            inside = (
                texts[k] in _JOINERS
                and start is not None
                and glued
                and glued_after[k]
                and k + 1 < n
                and not puncts[k + 1]
                and not spaces[k + 1]
            )
            if not inside and start is not None:
                bounds.append((start, last + 1))
                start = None
            continue
        if start is not None and glued:
            last = k
            continue
        if start is not None:
            bounds.append((start, last + 1))
        start, last = k, k
    if start is not None:
        bounds.append((start, last + 1))
    doc.user_data["sa_word_bounds"] = bounds
    return bounds


def iter_words(doc: Doc | Span) -> Iterator[Span]:
    """The words of ``doc`` as spans (see the module docstring for what one word is)."""
    base = doc.doc if isinstance(doc, Span) else doc
    lo, hi = (doc.start, doc.end) if isinstance(doc, Span) else (0, len(doc))
    for s, e in _word_bounds(base):
        if lo <= s and e <= hi:
            yield base[s:e]


def count_words(doc: Doc | Span) -> int:
    """Number of words (contractions and hyphenated compounds count once; punctuation never counts).

    Word boundaries are computed once per Doc (several markers need them).
    """
    if not isinstance(doc, Span):
        return len(_word_bounds(doc))
    return words_between(doc.doc, doc.start, doc.end)


def words_between(doc: Doc, start: int, end: int) -> int:
    """Number of words lying wholly within tokens ``start:end`` of ``doc`` (``count_words(doc[start:end])``)."""
    bounds = _word_bounds(doc)
    # word starts and ends both increase, so the words with start >= ``start`` and end <= ``end`` are a run
    first = bisect_left(bounds, start, key=lambda b: b[0])
    stop = bisect_right(bounds, end, key=lambda b: b[1])
    return max(0, stop - first)


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


_JARGON: dict[int, object] = {}


def jargon_hits(doc: Doc) -> list[Hit]:
    """Clinical jargon (models/lexicons/jargon.txt) used without an explanation cue next to it."""
    from .patterns import PatternSet

    key = id(doc.vocab)
    if key not in _JARGON:
        rows = [{"label": "jargon", "id": f"jargon:{t}", "pattern": t, "value": t} for t in sorted(word_list(JARGON_LEXICON))]
        _JARGON[key] = PatternSet(doc.vocab, rows, source=f"models/{JARGON_LEXICON}")
    ps = _JARGON[key]
    return [
        Hit.from_span("jargon", value, rule_id, span)
        for _, value, rule_id, span in ps.spans(doc)
        if not _explained(doc, span.end) and not _explained_before(doc, span.start)
    ]


def clarity(doc: Doc) -> dict:
    """Words, sentences, words per sentence, syllables per word, Flesch-Kincaid grade, jargon and fillers."""
    view = token_view(doc)
    words = _word_bounds(doc)
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
