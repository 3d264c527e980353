"""Shared types for marker detection: every detection keeps its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy loads only where spans are made (the registry and tables import this module)
    from spacy.tokens import Doc, Span


@dataclass(frozen=True)
class Hit:
    """One detection in one turn: what fired, where, and on which words.

    ``code`` is the marker (``question``, ``reflection``, ``validation`` …),
    ``value`` its sub-type (``open``/``closed``, ``simple``/``complex``, or
    ``"1"`` for a plain yes), ``rule_id`` the id of the pattern or rule in
    models/ (or in code, for the few structural rules) that fired, and
    ``start_char``/``end_char``/``text`` the span of the turn text it rests on.
    """

    code: str
    value: str
    rule_id: str
    start_char: int
    end_char: int
    text: str

    @classmethod
    def from_span(cls, code: str, value: str, rule_id: str, span: Span | Doc) -> Hit:
        """Build a hit from a spaCy span (or a whole doc)."""
        from spacy.tokens import Doc

        if isinstance(span, Doc):
            span = span[:]
        return cls(code, value, rule_id, span.start_char, span.end_char, span.text)

    def quote(self, limit: int = 80) -> str:
        """Short evidence text: ``rule_id: "span"``."""
        t = self.text if len(self.text) <= limit else self.text[: limit - 1] + "…"
        return f'{self.rule_id}: "{t}"'
