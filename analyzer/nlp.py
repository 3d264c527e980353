"""The one place a spaCy pipeline is built.

spaCy's trained pipelines download from a host these machines cannot reach,
so the default is a blank English pipeline with rule-based sentence
splitting: tokenisation, sentences and the attributes the markers use
(``lower_``, ``is_punct``, ``like_num``) all work without a trained model.
Any installed pipeline can be named instead (``--spacy-model``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import ModelError

if TYPE_CHECKING:  # spaCy is imported when a pipeline is first built: commands that need none start fast
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_PIPELINE = "blank:en"
BATCH_SIZE = 256


@lru_cache(maxsize=4)
def build_nlp(name: str | None = None) -> Language:
    """Return the pipeline ``name`` (default ``blank:en``), with a sentence splitter.

    Components the markers never read (NER, a trained text classifier) are
    excluded to keep throughput high.
    """
    import spacy

    from . import sentencizer  # noqa: F401  (registers the sa_sentencizer factory)

    name = name or DEFAULT_PIPELINE
    if name.startswith("blank:"):
        try:
            nlp = spacy.blank(name.split(":", 1)[1] or "en")
        except Exception as exc:  # spaCy raises ImportError/ValueError variants
            raise ModelError(f"cannot create blank pipeline {name!r}: {exc}") from exc
    else:
        try:
            nlp = spacy.load(name, exclude=["ner", "textcat", "textcat_multilabel", "entity_linker"])
        except OSError as exc:
            raise ModelError(
                f"spaCy pipeline {name!r} is not installed; install it as a Python package "
                f"or run without --spacy-model to use {DEFAULT_PIPELINE}"
            ) from exc
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sa_sentencizer", name="sentencizer")
    return nlp


def pipeline_label(nlp: Language) -> str:
    """A short description of the pipeline that ran, for output tables."""
    import spacy

    meta = nlp.meta
    name = meta.get("name") or "blank"
    lang = meta.get("lang") or nlp.lang
    version = meta.get("version") or ""
    if name in ("pipeline", "blank", ""):
        return f"blank:{lang} ({'+'.join(nlp.pipe_names)}; spaCy {spacy.__version__})"
    return f"{lang}_{name} {version} ({'+'.join(nlp.pipe_names)})"


def pipe_texts(nlp: Language, texts: Iterable[str], batch_size: int = BATCH_SIZE) -> Iterator[Doc]:
    """Run texts through the pipeline in batches (never one call per turn)."""
    return nlp.pipe(texts, batch_size=batch_size)
