"""session-analyzer: evidence-based analysis of therapy and counselling transcripts."""

__version__ = "0.1.0"
