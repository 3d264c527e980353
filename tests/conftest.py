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
    """Fail the test on any socket connect, send or name lookup: the tool promises no network use.

    Forked workers (``--jobs``) inherit the patch.  Tests that run analyze,
    scan, export and evaluate use this fixture (tests/test_reliability.py,
    tests/test_privacy.py and the command-line tests).  Attempts are recorded
    and fail the test at teardown even when the code under test catches the error.
    """
    import socket

    attempts: list[str] = []

    def refuse(what):
        def blocked(*args, **kwargs):
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"network use blocked in tests: {what}")
        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("socket.sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    yield attempts
    assert not attempts, f"the tool tried to use the network: {attempts}"
