"""Generic application of pattern files from models/patterns/.

A pattern file is JSON lines in spaCy's ``{"label", "pattern", "id"}`` shape
(as used by ``SpanRuler``/``Matcher``/``PhraseMatcher``), plus an optional
``value`` (sub-type, default ``"1"``) and ``note`` (why the pattern is there).
``pattern`` is either a string, matched case-insensitively as a phrase on
token ``LOWER``, or a list of token dicts in the ``Matcher`` syntax.  Lines
starting with ``//`` are comments: each file opens with its source or
rationale.

The code knows nothing about any particular marker: a supervisor can add a
pattern to a file without touching code.

Speed: spaCy's Matcher evaluates every set predicate of every pattern on
every token through Python callbacks, which alone held the whole analysis
near 15k words/s.  Rows that use only the common attributes (``LOWER`` as a
string or ``IN``/``NOT_IN``/``REGEX``, ``ORTH``, ``IS_PUNCT``, ``IS_ALPHA``,
``IS_SENT_START``, boolean ``_`` extensions, and the operators ``? * + !``)
are matched here instead, from an index of each pattern's first word, with
the same result shape; any other row goes to spaCy's Matcher, so every
Matcher pattern still works.  Every row is validated by spaCy's Matcher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from ..errors import ConfigError
from ..resources import load_jsonl
from .base import Hit

_FAST_ATTRS = {"LOWER", "ORTH", "IS_PUNCT", "IS_ALPHA", "IS_SENT_START", "_", "OP"}
_OPS = {None, "?", "*", "+", "!"}


class TokenView:
    """Per-token attributes of one Doc as plain lists, read once per Doc and shared by every marker
    (spaCy Token objects are costly to create; predicates index these lists)."""

    __slots__ = ("doc", "lowers", "orths", "puncts", "spaces", "alphas", "sent_starts", "idxs", "glued", "_ext")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        toks = list(doc)
        self.lowers: list[str] = [t.lower_ for t in toks]
        self.orths: list[str] = [t.text for t in toks]
        self.puncts: list[bool] = [t.is_punct for t in toks]
        self.spaces: list[bool] = [t.is_space for t in toks]
        self.alphas: list[bool] = [t.is_alpha for t in toks]
        self.sent_starts: list[bool] = [bool(t.is_sent_start) for t in toks]
        self.idxs: list[int] = [t.idx for t in toks]
        self.glued: list[bool] = [t.whitespace_ == "" for t in toks]  # no whitespace after the token
        self._ext: dict[str, list[Any]] = {}

    def ext(self, name: str) -> list[Any]:
        """Values of a custom token extension, computed once per doc."""
        if name not in self._ext:
            self._ext[name] = [getattr(t._, name) for t in self.doc]
        return self._ext[name]


def token_view(doc: Doc) -> TokenView:
    """The TokenView of ``doc``, kept on the Doc itself."""
    v = doc.user_data.get("sa_view")
    if v is None:
        v = doc.user_data["sa_view"] = TokenView(doc)
    return v


Predicate = Callable[[TokenView, int], bool]


def _attr_pred(attr: str, spec: Any) -> Predicate | None:
    """A predicate for one attribute of a token spec, or None when this matcher cannot do it."""
    if attr in ("LOWER", "ORTH"):
        field = "lowers" if attr == "LOWER" else "orths"
        if isinstance(spec, str):
            return lambda v, i, f=field, s=spec: getattr(v, f)[i] == s
        if isinstance(spec, dict) and spec:
            checks = []
            for op, arg in spec.items():  # several operators on one attribute must all hold
                if op == "IN" and isinstance(arg, list):
                    words = frozenset(arg)
                    checks.append(lambda v, i, f=field, w=words: getattr(v, f)[i] in w)
                elif op == "NOT_IN" and isinstance(arg, list):
                    words = frozenset(arg)
                    checks.append(lambda v, i, f=field, w=words: getattr(v, f)[i] not in w)
                elif op == "REGEX" and isinstance(arg, str):
                    rx = re.compile(arg)
                    checks.append(lambda v, i, f=field, r=rx: r.search(getattr(v, f)[i]) is not None)
                else:
                    return None
            if len(checks) == 1:
                return checks[0]
            return lambda v, i, cs=tuple(checks): all(c(v, i) for c in cs)
        return None
    if attr in ("IS_PUNCT", "IS_ALPHA", "IS_SENT_START") and isinstance(spec, bool):
        field = {"IS_PUNCT": "puncts", "IS_ALPHA": "alphas", "IS_SENT_START": "sent_starts"}[attr]
        return lambda v, i, f=field, s=spec: getattr(v, f)[i] == s
    if attr == "_" and isinstance(spec, dict) and all(isinstance(x, bool) for x in spec.values()):
        items = tuple(spec.items())
        return lambda v, i, it=items: all(bool(v.ext(n)[i]) == want for n, want in it)
    return None


def _compile_row(pattern: list[dict[str, Any]]) -> tuple[list[Predicate | None], list[str | None]] | None:
    """Steps (predicate, operator) for a token pattern, or None when it needs spaCy's Matcher."""
    preds: list[Predicate | None] = []
    ops: list[str | None] = []
    for tok in pattern:
        if set(tok) - _FAST_ATTRS or tok.get("OP") not in _OPS:
            return None
        parts = []
        for attr, spec in tok.items():
            if attr == "OP":
                continue
            p = _attr_pred(attr, spec)
            if p is None:
                return None
            parts.append(p)
        if not parts:
            preds.append(None)  # wildcard: any token
        elif len(parts) == 1:
            preds.append(parts[0])
        else:
            preds.append(lambda v, i, ps=tuple(parts): all(p(v, i) for p in ps))
        ops.append(tok.get("OP"))
    return preds, ops


def _first_words(pattern: list[dict[str, Any]], k: int = 0) -> frozenset[str] | None:
    """Lower-case words one of which must start a match, for the index (None: any token may).

    Leading optional steps ("?", "*") add their words to the next step's.
    """
    if k == len(pattern):
        return None
    tok = pattern[k]
    op = tok.get("OP")
    low = tok.get("LOWER")
    if op == "!":
        return None
    if isinstance(low, str):
        words = frozenset([low])
    elif isinstance(low, dict) and list(low) == ["IN"]:
        words = frozenset(low["IN"])
    else:
        return None
    if op in ("?", "*"):
        rest = _first_words(pattern, k + 1)
        return None if rest is None else words | rest
    return words


def _go(preds: list[Predicate | None], ops: list[str | None], v: TokenView, end: int, k: int, i: int,
        memo: dict[tuple[int, int], frozenset[int]] | None) -> frozenset[int]:
    """Ends of the matches of steps ``k:`` from token ``i``."""
    n = len(preds)
    # required steps first, without recursion: most candidate rules fail here
    while k < n and ops[k] is None:
        if i >= end:
            return _NONE
        p = preds[k]
        if p is not None and not p(v, i):
            return _NONE
        k += 1
        i += 1
    if k == n:
        return frozenset((i,))
    if memo is not None:
        key = (k, i)
        if key in memo:
            return memo[key]
    op, p = ops[k], preds[k]
    out: frozenset[int] = _NONE
    if op == "!":
        if i < end and not (p is None or p(v, i)):
            out = _go(preds, ops, v, end, k + 1, i + 1, memo)
    elif op == "?":
        out = _go(preds, ops, v, end, k + 1, i, memo)
        if i < end and (p is None or p(v, i)):
            out = out | _go(preds, ops, v, end, k + 1, i + 1, memo)
    else:  # "*" or "+": any number that match
        if op == "*":
            out = _go(preds, ops, v, end, k + 1, i, memo)
        j = i
        while j < end and (p is None or p(v, j)):
            j += 1
            out = out | _go(preds, ops, v, end, k + 1, j, memo)
    if memo is not None:
        memo[(k, i)] = out
    return out


_NONE: frozenset[int] = frozenset()


def _ends(preds: list[Predicate | None], ops: list[str | None], v: TokenView, start: int, end: int) -> frozenset[int]:
    """Every end of a match of the steps from token ``start`` (not past ``end``).

    Like spaCy's Matcher, optional and repeated steps give one match per possible length; overlaps
    are resolved later (longest first), exactly as for the Matcher's output.  Only patterns with
    repeated steps need the memo that keeps nested repeats linear.
    """
    memo = {} if ("*" in ops or "+" in ops) else None
    return _go(preds, ops, v, end, 0, start, memo)


class PatternSet:
    """Compiled patterns from one or more files, bound to one vocab."""

    def __init__(self, vocab: Vocab, rows: Iterable[dict[str, Any]], source: str = "patterns") -> None:
        self.vocab = vocab
        self.matcher = Matcher(vocab, validate=True)  # validates every row; matches the rows we cannot
        self.meta: dict[str, tuple[str, str]] = {}  # rule id -> (label, value)
        self.labels: set[str] = set()
        self._rules: list[tuple[str, list[Predicate | None], list[str | None], frozenset[str] | None]] = []
        self._by_word: dict[str, list[int]] = {}
        self._any_start: list[int] = []
        self._slow = Matcher(vocab)
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
            if isinstance(pattern, str):
                # a phrase: matched case-insensitively, token by token, as spaCy's PhraseMatcher on LOWER
                pattern = [{"LOWER": t.lower_} for t in tokenizer(pattern) if not t.is_space]
                if not pattern:
                    raise ConfigError(f"pattern {rule_id!r} is an empty phrase", path=source, line=line)
            elif not (isinstance(pattern, list) and pattern and all(isinstance(p, dict) for p in pattern)):
                raise ConfigError(
                    f"pattern {rule_id!r} must be a phrase string or a list of token objects", path=source, line=line
                )
            try:
                self.matcher.add(rule_id, [pattern])
            except (ValueError, KeyError) as exc:
                raise ConfigError(f"invalid token pattern {rule_id!r}: {exc}", path=source, line=line) from exc
            self.meta[rule_id] = (label, str(row.get("value", "1")))
            self.labels.add(label)
            compiled = _compile_row(pattern)
            if compiled is None:
                self._slow.add(rule_id, [pattern])
                continue
            n = len(self._rules)
            # The words that may follow a single required first token: a cheap pre-check before matching
            # ("you" starts dozens of patterns, few of which can continue with the next word).
            second = _first_words(pattern, 1) if len(pattern) > 1 and pattern[0].get("OP") is None else None
            self._rules.append((rule_id, *compiled, second))
            first = _first_words(pattern)
            if first is None:
                self._any_start.append(n)
            else:
                for w in first:
                    self._by_word.setdefault(w, []).append(n)

    @property
    def n_fallback_rows(self) -> int:
        """Rows that need spaCy's Matcher (attributes the fast path does not implement)."""
        return len(self._slow)

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

    def matches(self, doc: Doc | Span) -> list[tuple[str, int, int]]:
        """Every raw match as (rule id, start, end), token offsets of the underlying Doc, overlaps kept."""
        base = doc.doc if isinstance(doc, Span) else doc
        lo, hi = (doc.start, doc.end) if isinstance(doc, Span) else (0, len(doc))
        # A turn is matched again as the context of the next one: keep whole-Doc results on the Doc.
        memo_key = ("sa_matches", id(self)) if not isinstance(doc, Span) else None
        if memo_key is not None and memo_key in base.user_data:
            return base.user_data[memo_key]
        v = token_view(base)
        out: list[tuple[str, int, int]] = []
        rules, by_word, any_start = self._rules, self._by_word, self._any_start
        lowers = v.lowers
        for i in range(lo, hi):
            cands = by_word.get(lowers[i])
            nxt = lowers[i + 1] if i + 1 < hi else None
            for n in (cands + any_start if cands else any_start):
                rule_id, preds, ops, second = rules[n]
                if second is not None and nxt not in second:
                    continue
                for end in _ends(preds, ops, v, i, hi):
                    if end > i:
                        out.append((rule_id, i, end))
        if len(self._slow):
            target = doc.as_doc() if isinstance(doc, Span) else doc
            out.extend((self.vocab.strings[m], s + lo, e + lo) for m, s, e in self._slow(target))
        if memo_key is not None:
            base.user_data[memo_key] = out
        return out

    def spans(self, doc: Doc | Span) -> list[tuple[str, str, str, Span]]:
        """All matches as ``(label, value, rule_id, span)``; per label, overlapping matches keep the longest."""
        base = doc.doc if isinstance(doc, Span) else doc
        found: dict[str, list[Span]] = {}
        for rule_id, start, end in self.matches(doc):
            found.setdefault(self.meta[rule_id][0], []).append(Span(base, start, end, label=rule_id))
        out = []
        for label, spans in found.items():
            for span in filter_spans(spans):
                out.append((label, self.meta[span.label_][1], span.label_, span))
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
