"""The text layer under the markers: one view of a Doc's tokens, its words, and the one cache.

Every marker module reads a turn through this layer, never through spaCy Token objects one by one:

* :class:`TokenView`: per-token attributes of one Doc as plain lists, read once per Doc;
* words (THE word count of the whole product): :func:`word_bounds`, :func:`iter_words`,
  :func:`count_words`, :func:`words_between`.  A word is a run of spaCy tokens that are not
  punctuation or space, where a token glued to the previous one without whitespace continues the
  same word: contractions count once ("don't" = "do"+"n't"), a hyphenated compound counts once
  ("mm-hmm", "self-esteem"), while "well—I" (a dash) counts two;
* the caches: :func:`doc_cached` keeps per-Doc results in ``Doc.user_data`` (cleared by the
  pipeline when a session is done), :func:`vocab_cached` keeps per-vocab compiled objects
  (pattern sets, tokenizers) in one table.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, IS_SPACE, LOWER, ORTH, SENT_START, SPACY  # type: ignore[import-not-found]
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

T = TypeVar("T")

# --------------------------------------------------------------------------- the caches

# (id(vocab), key) -> (vocab, value): the vocab is kept so a recycled id never returns another vocab's value
_PER_VOCAB: dict[tuple[int, Hashable], tuple[Vocab, Any]] = {}


def vocab_cached(vocab: Vocab, key: Hashable, build: Callable[[], T]) -> T:
    """The object ``build()`` made for ``vocab`` under ``key`` (compiled pattern sets, tokenizers), made once."""
    entry = _PER_VOCAB.get((id(vocab), key))
    if entry is None or entry[0] is not vocab:
        entry = _PER_VOCAB[(id(vocab), key)] = (vocab, build())
    value: T = entry[1]
    return value


def doc_cached(doc: Doc, key: Hashable, build: Callable[[Doc], T]) -> T:
    """``build(doc)``, computed once per Doc and kept in ``doc.user_data`` (several markers need it)."""
    data: dict[Any, Any] = doc.user_data  # spaCy types user_data by str keys; any hashable key works
    if key in data:
        value: T = data[key]
        return value
    value = data[key] = build(doc)
    return value


def clear_caches() -> None:
    """Forget every per-vocab object (after a pattern file was edited in a running notebook)."""
    _PER_VOCAB.clear()


# --------------------------------------------------------------------------- the token view


_VIEW_ATTRS = [LOWER, ORTH, IS_PUNCT, IS_SPACE, IS_ALPHA, SENT_START, IDX, SPACY]
_STRING_CACHE_SIZE = 500_000  # distinct strings remembered per vocab (bounded: a run's vocabulary grows)
_STRINGS: dict[int, dict[int, str]] = {}


def _strings_of(vocab: Vocab) -> dict[int, str]:
    """The hash → text cache of ``vocab``'s string store (one per vocab, see TokenView)."""
    cache = _STRINGS.get(id(vocab))
    if cache is None or len(cache) > _STRING_CACHE_SIZE:
        cache = _STRINGS[id(vocab)] = {}
    return cache


def _string(vocab: Vocab, cache: dict[int, str], key: int) -> str:
    text = cache[key] = vocab.strings[key]
    return text


class TokenView:
    """Per-token attributes of one Doc as plain lists, read once per Doc and shared by every marker
    (spaCy Token objects are costly to create; predicates index these lists)."""

    __slots__ = ("doc", "text", "lowers", "orths", "puncts", "spaces", "alphas", "sent_starts", "idxs", "glued", "_ext", "_sents")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        # One C-level copy of the token attributes instead of a Token object per token (Doc.__iter__ makes
        # one for every token and each attribute read goes through it); strings come from the string store
        # through a per-vocab cache, so each distinct word is decoded once per process, not once per token.
        cols = doc.to_array(_VIEW_ATTRS).T.tolist() if len(doc) else [[] for _ in _VIEW_ATTRS]
        lower_ids, orth_ids, puncts, spaces, alphas, sent_starts, idxs, trailing = cols
        strings = _strings_of(doc.vocab)
        self.lowers: list[str] = [strings[h] if h in strings else _string(doc.vocab, strings, h) for h in lower_ids]
        self.orths: list[str] = [strings[h] if h in strings else _string(doc.vocab, strings, h) for h in orth_ids]
        # Doc.text, which spaCy rebuilds from new Token objects on every read: each token's text_with_ws
        self.text: str = "".join([o + " " if w else o for o, w in zip(self.orths, trailing)])
        self.puncts: list[bool] = [x == 1 for x in puncts]
        self.spaces: list[bool] = [x == 1 for x in spaces]
        self.alphas: list[bool] = [x == 1 for x in alphas]
        self.sent_starts: list[bool] = [x == 1 for x in sent_starts]  # Token.is_sent_start is True only for 1
        self.idxs: list[int] = idxs
        self.glued: list[bool] = [w == 0 for w in trailing]  # no whitespace after the token
        self._ext: dict[str, list[Any]] = {}
        self._sents: list[tuple[int, int]] | None = None

    def sents(self) -> list[tuple[int, int]]:
        """Token ranges ``(start, end)`` of the sentences, as ``doc.sents`` yields them (without Spans)."""
        if self._sents is None:
            if "sents" in self.doc.user_hooks or not len(self.lowers):
                self._sents = [(s.start, s.end) for s in self.doc.sents]
            else:
                # as Doc.sents: a sentence starts at token 0 and at every later token whose is_sent_start is True
                starts = [0] + [i for i in range(1, len(self.sent_starts)) if self.sent_starts[i]]
                self._sents = list(zip(starts, starts[1:] + [len(self.lowers)]))
        return self._sents

    def span_text(self, start: int, end: int) -> str:
        """``doc[start:end].text`` without making the Span (``end > start``)."""
        return self.text[self.idxs[start] : self.idxs[end - 1] + len(self.orths[end - 1])]

    def ext(self, name: str) -> list[Any]:
        """Values of a custom token extension, computed once per doc.

        An extension registered with :func:`register_view_getter` is computed from the view's lists
        (same values as its Token getter, without creating a Token per token).
        """
        values = self._ext.get(name)
        if values is None:
            fast = _VIEW_GETTERS.get(name)
            if fast is not None:
                values = fast(self)
            else:
                values = [getattr(t._, name) for t in self.doc]
            self._ext[name] = values
        return values


# extension name -> function computing every token's value from a TokenView (see TokenView.ext)
_VIEW_GETTERS: dict[str, Callable[[TokenView], list[Any]]] = {}


def register_view_getter(name: str, getter: Callable[[TokenView], list[Any]]) -> None:
    """Compute the token extension ``name`` for a whole Doc at once from its TokenView.

    ``getter(view)`` must return, for every token, exactly what the extension's Token getter returns.
    """
    _VIEW_GETTERS[name] = getter


def token_view(doc: Doc) -> TokenView:
    """The TokenView of ``doc``, kept on the Doc itself."""
    return doc_cached(doc, "sa_view", TokenView)


# --------------------------------------------------------------------------- words

_JOINERS = {"-", "‐", "'", "’"}


def word_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges ``(start, end)`` of the words of a Doc, computed once and kept in ``user_data``."""
    return doc_cached(doc, "sa_word_bounds", _compute_word_bounds)


def _compute_word_bounds(doc: Doc) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
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
    return bounds


def iter_words(doc: Doc | Span) -> Iterator[Span]:
    """The words of ``doc`` as spans (see the module docstring for what one word is)."""
    base = doc.doc if isinstance(doc, Span) else doc
    lo, hi = (doc.start, doc.end) if isinstance(doc, Span) else (0, len(doc))
    for s, e in word_bounds(base):
        if lo <= s and e <= hi:
            yield base[s:e]


def count_words(doc: Doc | Span) -> int:
    """Number of words (contractions and hyphenated compounds count once; punctuation never counts).

    Word boundaries are computed once per Doc (several markers need them).
    """
    if not isinstance(doc, Span):
        return len(word_bounds(doc))
    return words_between(doc.doc, doc.start, doc.end)


def words_between(doc: Doc, start: int, end: int) -> int:
    """Number of words lying wholly within tokens ``start:end`` of ``doc`` (``count_words(doc[start:end])``)."""
    bounds = word_bounds(doc)
    # word starts and ends both increase, so the words with start >= ``start`` and end <= ``end`` are a run
    first = bisect_left(bounds, start, key=lambda b: b[0])
    stop = bisect_right(bounds, end, key=lambda b: b[1])
    return max(0, stop - first)


