"""spaCy's rule-based sentence splitter, without a Token object per token.

spaCy's own ``Sentencizer.predict`` makes a Token for every token it looks at (about a tenth of a
whole run's time); :class:`ArraySentencizer` applies exactly the same rule to one ``Doc.to_array``
per Doc, so its sentence starts are the Sentencizer's.  :func:`analyzer.nlp.build_nlp` adds it under
the name ``sentencizer``.
"""

from __future__ import annotations

from typing import Any

from spacy.attrs import IS_PUNCT, ORTH  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.strings import hash_string  # type: ignore[attr-defined]


class ArraySentencizer(Sentencizer):
    """spaCy's rule-based Sentencizer with the same rule, read from one ``Doc.to_array`` per Doc.

    spaCy's own ``predict`` makes a Token object for every token (a tenth of a run's time); this one
    compares hashes, so its sentence starts are exactly the Sentencizer's.
    """

    def predict(self, docs: Any) -> list[list[bool]]:
        punct = getattr(self, "_punct_hashes", None)
        if punct is None or len(punct) != len(self.punct_chars):
            punct = self._punct_hashes = {hash_string(c) for c in self.punct_chars}
        guesses = []
        for doc in docs:
            n = len(doc)
            doc_guesses = [False] * n
            if n:
                start, seen_period = 0, False
                doc_guesses[0] = True
                for i, (orth, is_punct) in enumerate(doc.to_array([ORTH, IS_PUNCT]).tolist()):
                    in_chars = orth in punct
                    if seen_period and not is_punct and not in_chars:
                        doc_guesses[start] = True
                        start, seen_period = i, False
                    elif in_chars:
                        seen_period = True
                doc_guesses[start] = True
            guesses.append(doc_guesses)
        return guesses


@Language.factory("sa_sentencizer", default_config={"punct_chars": None, "overwrite": False})
def _make_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None, overwrite: bool) -> ArraySentencizer:
    return ArraySentencizer(name, punct_chars=punct_chars, overwrite=overwrite)
