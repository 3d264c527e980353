"""Generic application of pattern files from models/patterns/.

A pattern file is JSON lines in spaCy's ``{"label", "pattern", "id"}`` shape
(as used by ``SpanRuler``/``Matcher``/``PhraseMatcher``), plus an optional
``value`` (sub-type, default ``"1"``) and ``note`` (why the pattern is there).
``pattern`` is either a string, matched case-insensitively as a phrase on
token ``LOWER``, or a list of token dicts for the ``Matcher``.  Lines starting
with ``//`` are comments: each file opens with its source or rationale.

The code knows nothing about any particular marker: a supervisor can add a
pattern to a file, or a label to the file a detector reads, without touching
code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from ..errors import ConfigError
from ..resources import load_jsonl
from .base import Hit


class PatternSet:
    """Compiled patterns from one or more files, bound to one vocab."""

    def __init__(self, vocab: Vocab, rows: Iterable[dict[str, Any]], source: str = "patterns") -> None:
        self.vocab = vocab
        self.matcher = Matcher(vocab, validate=True)
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        self.meta: dict[str, tuple[str, str]] = {}  # rule id -> (label, value)
        self.labels: set[str] = set()
        tokenizer = _tokenizer_for(vocab)
        for row in rows:
            line = row.get("_line")
            label, pattern, rule_id = row.get("label"), row.get("pattern"), row.get("id")
            if not isinstance(label, str) or not label:
                raise ConfigError("pattern needs a string 'label'", path=source, line=line)
            if not isinstance(rule_id, str) or not rule_id:
                raise ConfigError("pattern needs a string 'id' (the rule id shown as evidence)", path=source, line=line)
            if rule_id in self.meta:
                raise ConfigError(f"duplicate pattern id {rule_id!r}", path=source, line=line)
            value = str(row.get("value", "1"))
            self.meta[rule_id] = (label, value)
            self.labels.add(label)
            if isinstance(pattern, str):
                self.phrases.add(rule_id, [tokenizer(pattern)])
            elif isinstance(pattern, list) and pattern and all(isinstance(p, dict) for p in pattern):
                try:
                    self.matcher.add(rule_id, [pattern])
                except (ValueError, KeyError) as exc:
                    raise ConfigError(f"invalid token pattern {rule_id!r}: {exc}", path=source, line=line) from exc
            else:
                raise ConfigError(
                    f"pattern {rule_id!r} must be a phrase string or a list of token objects", path=source, line=line
                )

    @classmethod
    def load(cls, vocab: Vocab, *names: str | Path) -> PatternSet:
        """Load shipped pattern files (``patterns/advice.jsonl``) or paths."""
        rows: list[dict[str, Any]] = []
        labels = []
        for name in names:
            file_rows, label = load_jsonl(name)
            rows.extend(file_rows)
            labels.append(label)
        return cls(vocab, rows, source=", ".join(labels))

    def spans(self, doc: Doc | Span) -> list[tuple[str, str, str, Span]]:
        """All matches as ``(label, value, rule_id, span)``; per label, overlapping matches keep the longest."""
        target = doc.as_doc() if isinstance(doc, Span) else doc
        offset = doc.start if isinstance(doc, Span) else 0
        base = doc.doc if isinstance(doc, Span) else doc
        found: dict[str, list[Span]] = {}
        # Only run a matcher that has patterns: an empty one warns (W036) and costs time on every turn.
        matches = (list(self.matcher(target)) if len(self.matcher) else []) + (
            list(self.phrases(target)) if len(self.phrases) else []
        )
        for match_id, start, end in matches:
            rule_id = self.vocab.strings[match_id]
            span = Span(base, start + offset, end + offset, label=rule_id)
            found.setdefault(self.meta[rule_id][0], []).append(span)
        out = []
        for label, spans in found.items():
            for span in sorted(filter_spans(spans), key=lambda s: s.start):
                _, value = self.meta[span.label_]
                out.append((label, value, span.label_, span))
        out.sort(key=lambda t: t[3].start)
        return out

    def hits(self, doc: Doc | Span, labels: Iterable[str] | None = None) -> list[Hit]:
        """Matches as :class:`Hit` evidence, optionally only for some labels."""
        wanted = set(labels) if labels is not None else None
        return [
            Hit.from_span(label, value, rule_id, span)
            for label, value, rule_id, span in self.spans(doc)
            if wanted is None or label in wanted
        ]


_TOKENIZERS: dict[int, Any] = {}


def _tokenizer_for(vocab: Vocab):
    """Phrase patterns must be tokenised like the texts they match: English rules, same vocab."""
    key = id(vocab)
    if key not in _TOKENIZERS:
        from spacy.lang.en import English

        nlp = English(vocab=vocab)
        _TOKENIZERS[key] = nlp.make_doc
    return _TOKENIZERS[key]
