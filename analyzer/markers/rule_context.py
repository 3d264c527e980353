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
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from spacy.tokens import Span

from ..errors import ConfigError
from ..resources import load_jsonl

ROW_KEYS = frozenset({"label", "id", "pattern", "value", "note", "_line", "position", "not_in_question",
                      "unless_next", "covers_own_voice"})
POSITIONS = ("anywhere", "clause_initial")
# Question hits that do not open the question before a match: a rising "?" on a statement and end tags
# ("don't worry about it, okay?") leave the dismissing words a statement.
NOT_OPENERS = ("q.mark.declarative", "q.tag.")
# A question opener covers a later match at most this many tokens on (run-on speech is one long sentence).
QUESTION_SCOPE_TOKENS = 12


@dataclass(frozen=True)
class RuleBehaviour:
    """What a data row says about where its match counts (defaults: anywhere, always)."""

    position: str = "anywhere"
    not_in_question: bool = False
    unless_next: frozenset[str] = frozenset()
    covers_own_voice: bool = False


DEFAULT = RuleBehaviour()


def _behaviour(row: dict[str, Any], label: str) -> RuleBehaviour:
    line = row.get("_line")
    unknown = sorted(set(row) - ROW_KEYS)
    if unknown:
        raise ConfigError(f"pattern {row.get('id')!r}: unknown field(s) {unknown}; allowed: {sorted(ROW_KEYS - {'_line'})}",
                          path=label, line=line)
    position = row.get("position", "anywhere")
    if position not in POSITIONS:
        raise ConfigError(f"pattern {row.get('id')!r}: position must be one of {list(POSITIONS)}", path=label, line=line)
    for key in ("not_in_question", "covers_own_voice"):
        if not isinstance(row.get(key, False), bool):
            raise ConfigError(f"pattern {row.get('id')!r}: {key} must be true or false", path=label, line=line)
    nxt = row.get("unless_next", [])
    if not (isinstance(nxt, list) and all(isinstance(w, str) for w in nxt)):
        raise ConfigError(f"pattern {row.get('id')!r}: unless_next must be a list of words", path=label, line=line)
    return RuleBehaviour(position, row.get("not_in_question", False), frozenset(w.lower() for w in nxt),
                         row.get("covers_own_voice", False))


@lru_cache(maxsize=None)
def behaviours(files: tuple[str, ...]) -> dict[str, RuleBehaviour]:
    """Rule id -> behaviour for every row of ``files`` that sets one (validated here, once)."""
    out: dict[str, RuleBehaviour] = {}
    for name in files:
        rows, label = load_jsonl(name)
        for row in rows:
            b = _behaviour(row, label)
            if b != DEFAULT and isinstance(row.get("id"), str):
                out[row["id"]] = b
    return out


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


def question_openers(hits: list[Any], doc_char_to_token: Any) -> list[int]:
    """Token starts of the question hits that open a question (``NOT_OPENERS`` left out)."""
    out = []
    for h in hits:
        if any(h.rule_id.startswith(p) for p in NOT_OPENERS):
            continue
        i = doc_char_to_token(h.start_char)
        if i is not None:
            out.append(i)
    return out
