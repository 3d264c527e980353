"""Sentence sentiment with VADER (Hutto & Gilbert 2014), adjusted for counselling talk.

A small adapter around one ``SentimentIntensityAnalyzer``: before a spaCy sentence is scored, the tokens
that models/sentiment.toml marks as valence-free in context ("like" in "it sounds like", "feeling" in
"you're feeling", turn-initial "okay"/"well") are replaced by a placeholder VADER does not know.  VADER's
lexicon itself is never edited.  A turn's score is the mean of its sentences' compound scores weighted by
their word counts (:func:`analyzer.markers.clarity.count_words`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ..errors import ConfigError
from ..resources import load_toml
from .patterns import PatternSet
from .text import TokenView, token_view, vocab_cached, words_between

CONFIG = "sentiment.toml"


class SentimentScorer:
    """One VADER analyzer plus the context rules of models/sentiment.toml; reuse it (see :func:`get_scorer`)."""

    def __init__(self, config: str | Path | None = None) -> None:
        data, label = load_toml(Path(config) if config else CONFIG)
        self.placeholder = str(data.get("placeholder", "xx"))
        self.rules: list[dict[str, Any]] = []
        for n, rule in enumerate(data.get("rule", []), 1):
            rid, action, target, pattern = rule.get("id"), rule.get("action"), rule.get("target"), rule.get("pattern")
            if not isinstance(rid, str) or action not in ("neutral", "keep") or not isinstance(target, int):
                raise ConfigError(f"rule {n} needs a string id, action 'neutral' or 'keep' and an integer target", path=label)
            if not isinstance(pattern, list) or not pattern:
                raise ConfigError(f"rule {rid!r} needs a non-empty token pattern", path=label)
            self.rules.append({"id": rid, "action": action, "target": target, "pattern": pattern})
        self.label = label
        self.analyzer = SentimentIntensityAnalyzer()
        valence = data.get("valence", {})
        if not isinstance(valence, dict) or not all(isinstance(v, (int, float)) and -4 <= v <= 4 for v in valence.values()):
            raise ConfigError("[valence] must map words to numbers in VADER's range -4..4", path=label)
        # this instance's own dict (built in its __init__): the override does not leak to other analyzers
        self.analyzer.lexicon.update({str(k).lower(): float(v) for k, v in valence.items()})
        if self.placeholder.lower() in self.analyzer.lexicon:
            raise ConfigError(f"placeholder {self.placeholder!r} carries valence in VADER's lexicon", path=label)
        self._by_id = {rule["id"]: rule for rule in self.rules}
        # VADER's compound score per text, remembered within a session (per instance: each has its own
        # lexicon).  Short sentences ("Okay.", "Yeah.", "Mm-hmm.") recur constantly, and VADER is a pure
        # function of the text once the lexicon is set above, so a cached score is the score.
        # :meth:`new_session` empties it, so memory stays bounded and a run's speed does not depend on
        # sessions repeating each other.
        self._compound = lru_cache(maxsize=4096)(self._vader_compound)
        self._rows = [{"label": r["action"], "id": r["id"], "pattern": r["pattern"]} for r in self.rules]
        self._rows_key = ("sentiment", self.label, json.dumps(self._rows, sort_keys=True))

    def _pattern_set(self, vocab: Vocab) -> PatternSet:
        # the generic pattern code (validated by spaCy's Matcher, matched by the fast path), compiled once
        # per vocab and rule set in the text layer's cache
        return vocab_cached(vocab, self._rows_key, lambda: PatternSet(vocab, self._rows, source=self.label))

    def neutralised(self, doc: Doc) -> set[int]:
        """Token indices of ``doc`` that are replaced by the placeholder before scoring."""
        ps = self._pattern_set(doc.vocab)
        neutral: set[int] = set()
        keep: set[int] = set()
        for rule_id, start, end in ps.matches(doc):
            rule = self._by_id[rule_id]
            t = rule["target"]
            i = start + t if t >= 0 else end + t
            if start <= i < end:
                (keep if rule["action"] == "keep" else neutral).add(i)
        return neutral - keep

    def adjusted_text(self, sent: Span, neutral: set[int]) -> str:
        """The sentence text VADER sees."""
        return self._adjusted(token_view(sent.doc), sent.start, sent.end, neutral)

    def _adjusted(self, view: TokenView, start: int, end: int, neutral: set[int]) -> str:
        """:meth:`adjusted_text` of the sentence ``start:end`` from the Doc's token lists (no Span/Token objects)."""
        if not neutral:
            return view.span_text(start, end)  # == Span.text
        if neutral.isdisjoint(range(start, end)):
            return view.span_text(start, end).strip()  # the join below without a placeholder, stripped
        ph, orths, glued = self.placeholder, view.orths, view.glued
        # Token.text_with_ws is the text plus its single trailing space, if any
        return "".join(
            (ph if i in neutral else orths[i]) + ("" if glued[i] else " ") for i in range(start, end)
        ).strip()

    def new_session(self) -> None:
        """Forget the sentence scores remembered for the previous session."""
        self._compound.cache_clear()

    def _vader_compound(self, text: str) -> float:
        return self.analyzer.polarity_scores(text)["compound"]

    def _scored(self, doc: Doc) -> list[tuple[float, int]]:
        neutral = self.neutralised(doc) if len(doc) else set()
        view = token_view(doc)
        out = []
        for start, end in view.sents():
            n = words_between(doc, start, end)
            if not n:
                continue
            out.append((self._compound(self._adjusted(view, start, end, neutral)), n))
        return out

    def sentence_scores(self, doc: Doc) -> list[float]:
        """VADER compound per spaCy sentence (sentences without words are skipped), after the adjustments."""
        return [s for s, _ in self._scored(doc)]

    def turn_score(self, doc: Doc) -> float | None:
        """Word-weighted mean of the sentence compounds; None for a turn without words."""
        return self.turn_and_sentence_scores(doc)[0]

    def turn_and_sentence_scores(self, doc: Doc) -> tuple[float | None, list[float]]:
        """:meth:`turn_score` and :meth:`sentence_scores` from one pass over the turn."""
        scored = self._scored(doc)
        total = sum(n for _, n in scored)
        if not total:
            return None, []
        return round(sum(s * n for s, n in scored) / total, 4), [s for s, _ in scored]


@lru_cache(maxsize=1)
def get_scorer() -> SentimentScorer:
    """The shared scorer (one VADER analyzer per process)."""
    return SentimentScorer()
