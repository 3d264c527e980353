"""Shared fixtures: a blank English pipeline (no model download) and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.nlp import build_nlp

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_transcripts"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def nlp():
    """The default pipeline: blank English with a rule-based sentencizer."""
    return build_nlp()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: the expert-coded sets are not redistributable."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"expert-coded data not present at {SHARED_DATA} (it is not redistributable)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test (the tool promises none)."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if args else kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
