"""HTML reports: one self-contained page per session and the run's index (inline SVG charts); matplotlib helpers for notebooks."""

from __future__ import annotations

from .html import (
    add_previous_session,
    index_html,
    report_filename,
    session_report_html,
    write_index,
    write_session_report,
)
from .plots import figure_png_base64, plot_pauses, plot_sentiment, plot_skills, plot_talk_share

__all__ = [
    "session_report_html",
    "index_html",
    "report_filename",
    "write_session_report",
    "write_index",
    "add_previous_session",
    "plot_sentiment",
    "plot_talk_share",
    "plot_skills",
    "plot_pauses",
    "figure_png_base64",
]
