"""Behaviour of a lexical rule that lives on its data row (models/patterns/*.jsonl), checked when loaded.

A marker that lowers a clinician's score (dismissive, advice) must not fire on words that merely look like
it, so a row may say where its match counts:

* ``"position": "clause_initial"`` - the match must open a clause (turn or sentence start, after punctuation
  or after a discourse marker such as "okay", "so", "just"): an imperative "calm down" or "don't worry about
  it", not "it helps you calm down" or "you don't worry about it much".
* ``"not_in_question": true`` - cancelled when a question opener of the same sentence comes before it
  ("what helps you relax?", "how did you get over it?"): asking about coping is exploring, not telling.
* ``"unless_next": [words]`` - cancelled when the next word is one of these ("it's nothing *to* be ashamed
  of", "move on *to* the next part").
* ``"covers_own_voice": true`` (on ``<label>_scope_not`` frames) - the frame covers a match even in the
  clinician's own voice: a denial "I'm not saying it's all in your head" is the clinician's, and cancels.

The fields themselves are read and checked with every other row field when a pattern file is loaded
(:class:`analyzer.markers.patterns.RuleBehaviour`); this module decides what they mean in a turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from spacy.tokens import Span

from .base import Hit
from .patterns import DEFAULT_BEHAVIOUR, POSITIONS, RuleBehaviour, read_behaviours

DEFAULT = DEFAULT_BEHAVIOUR
__all__ = ["RuleBehaviour", "DEFAULT", "POSITIONS", "behaviours", "allowed", "question_openers"]
# Question hits that do not open the question before a match: a rising "?" on a statement and end tags
# ("don't worry about it, okay?") leave the dismissing words a statement.
NOT_OPENERS = ("q.mark.declarative", "q.tag.")
# A question opener covers a later match at most this many tokens on (run-on speech is one long sentence).
QUESTION_SCOPE_TOKENS = 12


def behaviours(files: tuple[str | Path, ...]) -> dict[str, RuleBehaviour]:
    """Rule id -> behaviour for every row of ``files`` that sets one (checked as when the files are loaded)."""
    return read_behaviours(*files)


def allowed(b: RuleBehaviour, span: Span, clause_starts: set[int], question_starts: list[int]) -> bool:
    """Whether a match of a rule with behaviour ``b`` counts where it is."""
    if b.position == "clause_initial" and span.start not in clause_starts:
        return False
    doc = span.doc
    if b.unless_next and span.end < len(doc) and doc[span.end].lower_ in b.unless_next:
        return False
    if b.not_in_question:
        sent_start = span.sent.start
        if any(sent_start <= q < span.start and span.start - q <= QUESTION_SCOPE_TOKENS for q in question_starts):
            return False
    return True


def question_openers(hits: Sequence[Hit], doc_char_to_token: Callable[[int], int | None]) -> list[int]:
    """Token starts of the question hits that open a question (``NOT_OPENERS`` left out)."""
    out = []
    for h in hits:
        if any(h.rule_id.startswith(p) for p in NOT_OPENERS):
            continue
        i = doc_char_to_token(h.start_char)
        if i is not None:
            out.append(i)
    return out
