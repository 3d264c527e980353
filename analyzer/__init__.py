"""session-analyzer: evidence-based analysis of therapy and counselling transcripts."""

from ._version import __version__
from .api import Analysis, analyze_folder, analyze_transcripts, load  # noqa: E402

__all__ = ["Analysis", "analyze_folder", "analyze_transcripts", "load", "__version__"]


def __getattr__(name: str):
    """``analyzer.plot_*`` helpers, loaded on first use so ``import analyzer`` stays light."""
    if name.startswith("plot_"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
