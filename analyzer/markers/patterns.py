"""Generic application of pattern files from models/patterns/.

A pattern file is JSON lines in spaCy's ``{"label", "pattern", "id"}`` shape
(as used by ``SpanRuler``/``Matcher``/``PhraseMatcher``), plus an optional
``value`` (sub-type, default ``"1"``) and ``note`` (why the pattern is there).
``pattern`` is either a string, matched case-insensitively as a phrase on
token ``LOWER``, or a list of token dicts in the ``Matcher`` syntax.  Lines
starting with ``//`` are comments: each file opens with its source or
rationale.

A rule's behaviour lives on its row, checked when the file is loaded
(:class:`RuleBehaviour`): ``"position": "clause_initial"`` (the rule counts
only at the start of its clause), ``"needs_qmark": true`` (in punctuated
text, only in a sentence the transcriber closed with "?"),
``"soft_proposal": true`` (an offer such as "you could try", which a turn
laying out options turns into choices left to the client) and
``"yes_no_inversion": true`` (auxiliary + subject, which may open a
question anywhere in run-on speech).  Any other key is an error naming the
file, the line and the keys allowed.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..errors import ConfigError
from ..resources import load_jsonl
from .base import Hit
from .text import TokenView, register_view_getter, token_view, vocab_cached

__all__ = ["PatternSet", "RuleBehaviour", "DEFAULT_BEHAVIOUR", "read_behaviours", "load_pattern_set", "TokenView",
           "token_view", "register_view_getter"]

@dataclass(frozen=True)
class RuleBehaviour:
    """How a rule's matches are used, read from its row (defaults: anywhere, no conditions).

    Each family reads the fields that concern it: reflections and the lexical markers ``position``,
    the lexical markers ``not_in_question``, ``unless_next``, ``covers_own_voice`` and
    ``soft_proposal`` (see :mod:`analyzer.markers.rule_context`), questions ``needs_qmark``,
    ``yes_no_inversion`` and ``run_on``.
    """

    position: str = "anywhere"  # or "clause_initial"
    needs_qmark: bool = False
    soft_proposal: bool = False
    yes_no_inversion: bool = False
    run_on: str = "anywhere"  # questions in run-on speech: or "clause_start", "after_non_subject"
    not_in_question: bool = False
    unless_next: frozenset[str] = frozenset()
    covers_own_voice: bool = False

    @property
    def depends_on_context(self) -> bool:
        """Whether the match counts only in some contexts of the turn (position, questions, next word)."""
        return self.position != "anywhere" or self.not_in_question or bool(self.unless_next)


DEFAULT_BEHAVIOUR = RuleBehaviour()
POSITIONS = ("anywhere", "clause_initial")
RUN_ON = ("anywhere", "clause_start", "after_non_subject")
_FLAGS = ("needs_qmark", "soft_proposal", "yes_no_inversion", "not_in_question", "covers_own_voice")
ROW_KEYS = frozenset({"label", "pattern", "id", "value", "note", "_line", *RuleBehaviour.__dataclass_fields__})


def _behaviour(row: dict[str, Any], rule_id: str, source: str, line: int | None) -> RuleBehaviour:
    """The row's behaviour fields, checked: unknown keys and wrong types fail with file, line and what is allowed."""
    unknown = sorted(set(row) - ROW_KEYS)
    if unknown:
        raise ConfigError(f"pattern {rule_id!r}: unknown field(s) {unknown}; allowed: {sorted(ROW_KEYS - {'_line'})}",
                          path=source, line=line)
    for key, allowed in (("position", POSITIONS), ("run_on", RUN_ON)):
        if row.get(key, "anywhere") not in allowed:
            raise ConfigError(f"pattern {rule_id!r}: {key} must be one of {list(allowed)}, got {row.get(key)!r}",
                              path=source, line=line)
    for key in _FLAGS:
        if not isinstance(row.get(key, False), bool):
            raise ConfigError(f"pattern {rule_id!r}: {key} must be true or false, got {row.get(key)!r}",
                              path=source, line=line)
    nxt = row.get("unless_next", [])
    if not (isinstance(nxt, list) and all(isinstance(w, str) for w in nxt)):
        raise ConfigError(f"pattern {rule_id!r}: unless_next must be a list of words", path=source, line=line)
    if not any(key in row for key in RuleBehaviour.__dataclass_fields__):
        return DEFAULT_BEHAVIOUR
    behaviour = RuleBehaviour(row.get("position", "anywhere"), **{k: row.get(k, False) for k in _FLAGS},
                              run_on=row.get("run_on", "anywhere"), unless_next=frozenset(w.lower() for w in nxt))
    return DEFAULT_BEHAVIOUR if behaviour == DEFAULT_BEHAVIOUR else behaviour


def read_behaviours(*names: str | Path) -> dict[str, RuleBehaviour]:
    """Rule id -> behaviour of every row of the pattern files ``names`` that sets one, checked (no vocab needed)."""
    out: dict[str, RuleBehaviour] = {}
    for name in names:
        rows, label = load_jsonl(name)
        for row in rows:
            rule_id = row.get("id")
            behaviour = _behaviour(row, str(rule_id), label, row.get("_line"))
            if behaviour is not DEFAULT_BEHAVIOUR and isinstance(rule_id, str):
                out[rule_id] = behaviour
    return out


_FAST_ATTRS = {"LOWER", "ORTH", "IS_PUNCT", "IS_ALPHA", "IS_SENT_START", "_", "OP"}
_OPS = {None, "?", "*", "+", "!"}


Predicate = Callable[[TokenView, int], bool]


def _equals(field: str, want: object) -> Predicate:
    def pred(v: TokenView, i: int) -> bool:
        return bool(getattr(v, field)[i] == want)

    return pred


def _in_words(field: str, words: frozenset[str], inside: bool) -> Predicate:
    def pred(v: TokenView, i: int) -> bool:
        return (getattr(v, field)[i] in words) is inside

    return pred


def _matches(field: str, rx: re.Pattern[str]) -> Predicate:
    def pred(v: TokenView, i: int) -> bool:
        return rx.search(getattr(v, field)[i]) is not None

    return pred


def _all_of(checks: tuple[Predicate, ...]) -> Predicate:
    def pred(v: TokenView, i: int) -> bool:
        return all(c(v, i) for c in checks)

    return pred


def _extensions(items: tuple[tuple[str, bool], ...]) -> Predicate:
    def pred(v: TokenView, i: int) -> bool:
        return all(bool(v.ext(n)[i]) == want for n, want in items)

    return pred


def _text_pred(field: str, spec: Any) -> Predicate | None:
    """A predicate on ``LOWER``/``ORTH``: a string, or ``IN``/``NOT_IN``/``REGEX`` (all must hold)."""
    if isinstance(spec, str):
        return _equals(field, spec)
    if not (isinstance(spec, dict) and spec):
        return None
    checks: list[Predicate] = []
    for op, arg in spec.items():  # several operators on one attribute must all hold
        if op in ("IN", "NOT_IN") and isinstance(arg, list):
            checks.append(_in_words(field, frozenset(arg), op == "IN"))
        elif op == "REGEX" and isinstance(arg, str):
            checks.append(_matches(field, re.compile(arg)))
        else:
            return None
    return checks[0] if len(checks) == 1 else _all_of(tuple(checks))


def _attr_pred(attr: str, spec: Any) -> Predicate | None:
    """A predicate for one attribute of a token spec, or None when this matcher cannot do it."""
    if attr in ("LOWER", "ORTH"):
        return _text_pred("lowers" if attr == "LOWER" else "orths", spec)
    if attr in ("IS_PUNCT", "IS_ALPHA", "IS_SENT_START") and isinstance(spec, bool):
        return _equals({"IS_PUNCT": "puncts", "IS_ALPHA": "alphas", "IS_SENT_START": "sent_starts"}[attr], spec)
    if attr == "_" and isinstance(spec, dict) and all(isinstance(x, bool) for x in spec.values()):
        return _extensions(tuple(spec.items()))
    return None


# A compiled token spec: ``(words, pred)``.  ``words`` is the set of lower-case forms the token must have
# (from ``LOWER`` as a string or ``{"IN": [...]}``, checked inline as a set lookup) or None; ``pred`` is a
# predicate for the token's other attributes or None.  Both None: a wildcard.
Step = tuple[frozenset[str] | None, Predicate | None]


def _compile_step(tok: dict[str, Any]) -> Step | None:
    """One token spec as a Step, or None when this matcher cannot do it."""
    words: frozenset[str] | None = None
    parts: list[Predicate] = []
    for attr, spec in tok.items():
        if attr == "OP":
            continue
        if attr == "LOWER" and isinstance(spec, str):
            words = frozenset((spec,))
            continue
        if attr == "LOWER" and isinstance(spec, dict) and list(spec) == ["IN"] and isinstance(spec["IN"], list):
            words = frozenset(spec["IN"])
            continue
        p = _attr_pred(attr, spec)
        if p is None:
            return None
        parts.append(p)
    if not parts:
        return words, None
    if len(parts) == 1:
        return words, parts[0]
    return words, _all_of(tuple(parts))


def _compile_row(pattern: list[dict[str, Any]]) -> tuple[list[Step], list[str | None]] | None:
    """Steps and their operators for a token pattern, or None when it needs spaCy's Matcher."""
    steps: list[Step] = []
    ops: list[str | None] = []
    for tok in pattern:
        if set(tok) - _FAST_ATTRS or tok.get("OP") not in _OPS:
            return None
        step = _compile_step(tok)
        if step is None:
            return None
        steps.append(step)
        ops.append(tok.get("OP"))
    return steps, ops


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


def _lead_anchor(steps: list[Step], ops: list[str | None] | None) -> tuple[frozenset[str], int] | None:
    """For a rule opening with optional steps: the words of its first required step and how many steps
    precede it (a match starts at most that many tokens before one of them); None when unbounded."""
    for k, (words, _) in enumerate(steps):
        op = ops[k] if ops else None
        if op is None:
            return (words, k) if words is not None else None
        if op != "?":
            return None
    return None


def _ok(step: Step, v: TokenView, i: int) -> bool:
    """Whether token ``i`` satisfies ``step``."""
    words, pred = step
    return (words is None or v.lowers[i] in words) and (pred is None or pred(v, i))


def _go(steps: list[Step], ops: list[str | None], v: TokenView, end: int, k: int, i: int,
        memo: dict[tuple[int, int], frozenset[int]] | None) -> frozenset[int]:
    """Ends of the matches of steps ``k:`` from token ``i``."""
    n = len(steps)
    lowers = v.lowers
    # required steps first, without recursion: most candidate rules fail here
    while k < n and ops[k] is None:
        if i >= end:
            return _NONE
        words, pred = steps[k]
        if (words is not None and lowers[i] not in words) or (pred is not None and not pred(v, i)):
            return _NONE
        k += 1
        i += 1
    if k == n:
        return frozenset((i,))
    if memo is not None:
        key = (k, i)
        if key in memo:
            return memo[key]
    op, step = ops[k], steps[k]
    out: frozenset[int] = _NONE
    if op == "!":
        if i < end and not _ok(step, v, i):
            out = _go(steps, ops, v, end, k + 1, i + 1, memo)
    elif op == "?":
        out = _go(steps, ops, v, end, k + 1, i, memo)
        if i < end and _ok(step, v, i):
            out = out | _go(steps, ops, v, end, k + 1, i + 1, memo)
    else:  # "*" or "+": any number that match
        if op == "*":
            out = _go(steps, ops, v, end, k + 1, i, memo)
        j = i
        while j < end and _ok(step, v, j):
            j += 1
            out = out | _go(steps, ops, v, end, k + 1, j, memo)
    if memo is not None:
        memo[(k, i)] = out
    return out


_NONE: frozenset[int] = frozenset()


def _ends(steps: list[Step], ops: list[str | None], v: TokenView, start: int, end: int) -> frozenset[int]:
    """Every end of a match of the steps from token ``start`` (not past ``end``).

    Like spaCy's Matcher, optional and repeated steps give one match per possible length; overlaps
    are resolved later (longest first), exactly as for the Matcher's output.  Only patterns with
    repeated steps need the memo that keeps nested repeats linear.
    """
    memo: dict[tuple[int, int], frozenset[int]] | None = {} if ("*" in ops or "+" in ops) else None
    return _go(steps, ops, v, end, 0, start, memo)


def _fixed_end(steps: list[Step], v: TokenView, start: int, end: int) -> int:
    """End of the match of a pattern of required steps only from token ``start``, or -1."""
    stop = start + len(steps)
    if stop > end:
        return -1
    lowers = v.lowers
    i = start
    for words, pred in steps:
        if (words is not None and lowers[i] not in words) or (pred is not None and not pred(v, i)):
            return -1
        i += 1
    return stop


def _filter_longest(matches: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """spaCy's ``filter_spans`` on (rule id, start, end) triples: the (first) longest of overlapping
    matches wins; the result is in start order.  Works on tuples so no Span is made for a dropped match."""
    ordered = sorted(matches, key=lambda m: (m[2] - m[1], -m[1]), reverse=True)
    kept = []
    seen: set[int] = set()
    for m in ordered:
        if m[1] not in seen and m[2] - 1 not in seen:
            kept.append(m)
            seen.update(range(m[1], m[2]))
    kept.sort(key=lambda m: m[1])
    return kept



_PAIR_CACHE_SIZE = 100_000  # word pairs whose candidate rules a PatternSet remembers


class PatternSet:
    """Compiled patterns from one or more files, bound to one vocab."""

    def __init__(self, vocab: Vocab, rows: Iterable[dict[str, Any]], source: str = "patterns") -> None:
        self.vocab = vocab
        self.matcher = Matcher(vocab, validate=True)  # validates every row; matches the rows we cannot
        self.meta: dict[str, tuple[str, str]] = {}  # rule id -> (label, value)
        self.behaviours: dict[str, RuleBehaviour] = {}  # rule id -> its row's behaviour (non-default only)
        self.source = source
        self.labels: set[str] = set()
        # (rule id, steps, operators or None when every step is required, words allowed second or None)
        self._rules: list[tuple[str, list[Step], list[str | None] | None, frozenset[str] | None]] = []
        self._by_word: dict[str, list[int]] = {}
        self._any_start: list[int] = []
        self._by_anchor: dict[str, list[int]] = {}
        self._pair_candidates: dict[tuple[str, str | None], tuple[int, ...]] = {}  # see _candidates_at
        self._unanchored: set[int] = set()
        self._slow = Matcher(vocab)
        tokenizer = _tokenizer_for(vocab)
        for row in rows:
            self._add_row(row, tokenizer)
        self._index_candidates()

    def _add_row(self, row: dict[str, Any], tokenizer: Any) -> None:
        """Check one pattern row, add it to the matcher and index it by the words it needs."""
        source = self.source
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
        behaviour = _behaviour(row, rule_id, source, line)
        if behaviour is not DEFAULT_BEHAVIOUR:
            self.behaviours[rule_id] = behaviour
        self.labels.add(label)
        compiled = _compile_row(pattern)
        if compiled is None:
            self._slow.add(rule_id, [pattern])
            return
        n = len(self._rules)
        # The words that may follow a single required first token: a cheap pre-check before matching
        # ("you" starts dozens of patterns, few of which can continue with the next word).
        second = _first_words(pattern, 1) if len(pattern) > 1 and pattern[0].get("OP") is None else None
        steps, ops = compiled
        self._rules.append((rule_id, steps, ops if any(ops) else None, second))
        # A word set one of which must occur in any text the rule matches: the smallest of its steps that
        # must match a token.  A text with none of those words cannot match, wherever the rule starts.
        must = [words for (words, _), op in zip(steps, ops) if words is not None and op in (None, "+")]
        if must:
            for w in min(must, key=len):
                self._by_anchor.setdefault(w, []).append(n)
        else:
            self._unanchored.add(n)
        first = _first_words(pattern)
        if first is None:
            self._any_start.append(n)
        else:
            for w in first:
                self._by_word.setdefault(w, []).append(n)

    def _index_candidates(self) -> None:
        """The lookup tables :meth:`_candidates_at` reads, built once all rows are in."""
        # Candidate rules at a token: those indexed by its word, then (in file order) the rules any token may
        # start whose second word, if known, is the next word.
        self._candidates: dict[str, tuple[int, ...]] = {w: tuple(ns) for w, ns in self._by_word.items()}
        self._anywhere = tuple(n for n in self._any_start if self._rules[n][3] is None)
        # Rules that may start anywhere only because they open with optional steps ("a word, then maybe a
        # comma, then 'make sure' ...") start at most a few tokens before a required word: word -> how far.
        self._lead_words: dict[str, int] = {}
        self._start_everywhere = False
        for n in self._anywhere:
            lead = _lead_anchor(*self._rules[n][1:3])
            if lead is None:
                self._start_everywhere = True
                continue
            words, back = lead
            for w in words:
                self._lead_words[w] = max(back, self._lead_words.get(w, 0))
        seconds = {n: self._rules[n][3] for n in self._any_start}
        next_words = {w for words in seconds.values() if words is not None for w in words}
        self._by_next_word: dict[str | None, tuple[int, ...]] = {
            w: tuple(n for n in self._any_start if (second := seconds[n]) is None or w in second) for w in next_words
        }

    def _candidates_at(self, word: str, nxt: str | None) -> tuple[int, ...]:
        """The rules that may match at a token ``word`` followed by ``nxt`` (None at the end), in file order:
        those indexed by ``word``, then those any token may start, less those whose known second word is not
        ``nxt``.  Remembered per word pair (a bounded cache)."""
        rules = self._rules
        found = tuple(
            n
            for group in (self._candidates.get(word, ()), self._by_next_word.get(nxt, self._anywhere))
            for n in group
            if (second := rules[n][3]) is None or nxt in second
        )
        if len(self._pair_candidates) >= _PAIR_CACHE_SIZE:
            self._pair_candidates.clear()
        self._pair_candidates[(word, nxt)] = found
        return found

    def behaviour(self, rule_id: str) -> RuleBehaviour:
        """The behaviour declared on ``rule_id``'s row (the default for a rule made in code)."""
        return self.behaviours.get(rule_id, DEFAULT_BEHAVIOUR)

    def require(self, rule_ids: Iterable[str], module: str) -> PatternSet:
        """Check that the rule ids ``module`` names in code are rows of these files (else ConfigError)."""
        missing = sorted(set(rule_ids) - set(self.meta))
        if missing:
            raise ConfigError(f"rule id(s) {missing}, named by {module}, are missing", path=self.source)
        return self

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
        memos: dict[Any, Any] = base.user_data  # spaCy types user_data by str keys; any hashable key works
        if memo_key is not None and memo_key in memos:
            cached: list[tuple[str, int, int]] = memos[memo_key]
            return cached
        v = token_view(base)
        out: list[tuple[str, int, int]] = []
        rules, candidates, by_next_word = self._rules, self._candidates, self._by_next_word
        lowers = v.lowers
        # where a rule may start: any token when some rule may start anywhere, else at an indexed word or before one
        if self._start_everywhere:
            starts: Iterable[int] = range(lo, hi)
        else:
            starts = [
                i for i in range(lo, hi) if lowers[i] in candidates or (i + 1 < hi and lowers[i + 1] in by_next_word)
            ]
            lead = self._lead_words
            if lead:
                extra = {i - d for i in range(lo, hi) if lowers[i] in lead for d in range(lead[lowers[i]] + 1)}
                if extra:
                    starts = sorted(extra.union(starts).intersection(range(lo, hi)))
        # the rules whose required words occur in the text: the others are skipped wherever they could start
        active = set(self._unanchored)
        if starts:
            for w in self._by_anchor.keys() & set(lowers[lo:hi]):
                active.update(self._by_anchor[w])
        pair_candidates = self._pair_candidates
        for i in starts:
            nxt = lowers[i + 1] if i + 1 < hi else None
            cands = pair_candidates.get((lowers[i], nxt))
            if cands is None:
                cands = self._candidates_at(lowers[i], nxt)
            for n in cands:
                if n not in active:
                    continue
                rule_id, steps, ops, _ = rules[n]
                if ops is None:  # required steps only: at most one match, no search
                    end = _fixed_end(steps, v, i, hi)
                    if end > i:
                        out.append((rule_id, i, end))
                    continue
                for end in _ends(steps, ops, v, i, hi):
                    if end > i:
                        out.append((rule_id, i, end))
        if len(self._slow):
            target = doc.as_doc() if isinstance(doc, Span) else doc
            out.extend((self.vocab.strings[m], s + lo, e + lo) for m, s, e in self._slow(target))
        if memo_key is not None:
            memos[memo_key] = out
        return out

    def spans(self, doc: Doc | Span) -> list[tuple[str, str, str, Span]]:
        """All matches as ``(label, value, rule_id, span)``; per label, overlapping matches keep the longest."""
        base = doc.doc if isinstance(doc, Span) else doc
        # a Doc's spans are asked for again (a turn is the context of the next): keep them on the Doc
        memo_key = ("sa_spans", id(self)) if not isinstance(doc, Span) else None
        memos: dict[Any, Any] = base.user_data
        if memo_key is not None and memo_key in memos:
            return list(memos[memo_key])
        meta = self.meta
        found: dict[str, list[tuple[str, int, int]]] = {}
        for m in self.matches(doc):
            found.setdefault(meta[m[0]][0], []).append(m)
        kept = []
        for label, matches in found.items():
            for rule_id, start, end in _filter_longest(matches):
                kept.append((start, label, rule_id, end))
        kept.sort(key=lambda t: t[0])
        # Spans only for the matches kept (label = rule id, as spaCy's Matcher spans carry)
        out = [(label, meta[rule_id][1], rule_id, Span(base, start, end, label=rule_id)) for start, label, rule_id, end in kept]
        if memo_key is not None:
            memos[memo_key] = out
        return list(out)

    def hits(self, doc: Doc | Span, labels: Iterable[str] | None = None) -> list[Hit]:
        """Matches as :class:`Hit` evidence, optionally only for some labels."""
        wanted = set(labels) if labels is not None else None
        return [
            Hit.from_span(label, value, rule_id, span)
            for label, value, rule_id, span in self.spans(doc)
            if wanted is None or label in wanted
        ]


def _tokenizer_for(vocab: Vocab) -> Callable[[str], Doc]:
    """Phrase patterns must be tokenised like the texts they match: English rules, same vocab."""

    def build() -> Callable[[str], Doc]:
        from spacy.lang.en import English

        return English(vocab=vocab).make_doc

    return vocab_cached(vocab, "tokenizer", build)


def load_pattern_set(vocab: Vocab, *names: str | Path) -> PatternSet:
    """The pattern files ``names`` compiled for ``vocab``, once (the text layer's cache)."""
    return vocab_cached(vocab, ("patterns", names), lambda: PatternSet.load(vocab, *names))
