"""Fuzzing the whole command-line path: whatever a batch holds, no traceback, the rest analysed.

Two parts: every crash reproducer named in issue 13 as a regression case,
and a hypothesis property over generated files of every suffix (bounded and
derandomized so it takes a few seconds and fails the same way every time).
Each case is a batch of a good transcript, the odd file(s) and another good
transcript; the promise is the same for all: no traceback, both good
sessions analysed, and every file either analysed or named in one line
(exit code 1 when a file could not be analysed).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.cli import cli
from analyzer.guard import display_path
from analyzer.io import SUFFIXES

pytestmark = pytest.mark.usefixtures("no_network")

GOOD_A = ("Therapist: What brings you here today?\nClient: My sleep has been terrible for months.\n"
          "Therapist: It sounds like the nights have been long.\nClient: Yes, really long.\n")
GOOD_B = ("Therapist: How was the week?\nClient: Busy, but I managed the walks we planned.\n"
          "Therapist: You kept to the plan even in a busy week.\nClient: I did, mostly.\n")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def check_batch(folder: Path, odd: list[Path], *extra: str, given: list[str] | None = None) -> None:
    """Analyse good_a.txt, the ``odd`` files (or the ``given`` paths holding them) and good_b.txt in
    ``folder``; assert the batch promise."""
    (folder / "good_a.txt").write_text(GOOD_A, encoding="utf-8")
    (folder / "good_b.txt").write_text(GOOD_B, encoding="utf-8")
    files = [folder / "good_a.txt", *(given if given is not None else odd), folder / "good_b.txt"]
    out = folder / "out"
    result = CliRunner().invoke(cli, ["analyze", *map(str, files), "--out", str(out), *extra])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 1), output
    errors = [ln for ln in output.splitlines() if ln.startswith("error:")]
    assert (result.exit_code == 1) == bool(errors), output
    sessions = _rows(out / "sessions.csv")
    ids = {r["session_id"] for r in sessions}
    assert {"good_a", "good_b"} <= ids, output
    analysed = {r["source"] for r in sessions}
    for f in odd:  # every odd file is analysed or named in an error line
        shown = display_path(f)
        # a non-UTF-8 byte of a file name may be shown as \xNN or as U+FFFD
        forms = {str(f), shown, os.fsencode(f).decode("utf-8", "replace")}
        assert forms & analysed or any(shown in e or f.name in e for e in errors), (f, output)
    for e in errors:
        assert any(display_path(f) in e for f in odd) or any(f.name in e for f in odd), e


# ------------------------------------------------------------------ the reproducers of issue 13


def _whisper(segments: list[dict]) -> str:
    return json.dumps({"segments": segments})


def _two(text_a: str = "What brings you here?", text_b: str = "Work.", speaker_a: str = "Therapist",
         start: object = 0.0) -> list[dict]:
    return [{"speaker": speaker_a, "start": start, "end": 2.0, "text": text_a},
            {"speaker": "Client", "start": 2.5, "end": 4.0, "text": text_b}]


REPRODUCERS: dict[str, tuple[str, bytes]] = {
    # a lone surrogate escape in JSON text and in a speaker label
    "json_lone_surrogate_text": (".json", _whisper(_two(text_a="I see \ud83d you")).encode()),
    "json_lone_surrogate_speaker": (".json", _whisper(_two(speaker_a="Ther\udc00apist")).encode()),
    # a 400-digit integer time
    "json_400_digit_time": (".json", _whisper(_two()).replace('"start": 0.0', '"start": 1' + "0" * 399).encode()),
    "json_infinite_time": (".json", _whisper(_two()).replace('"start": 0.0', '"start": 1e999').encode()),
    "json_nan_time": (".json", _whisper(_two()).replace('"start": 0.0', '"start": NaN').encode()),
    # control characters in the text
    "text_control_characters": (".txt", b"Therapist: How are \x07you\x1b[31m?\nClient: Fine\x08.\n"),
    # absurd numbers in subtitles and tables
    "vtt_absurd_time": (".vtt", b"WEBVTT\n\n99999999999999999999:00:00.000 --> 99999999999999999999:00:01.000\n"
                        b"Therapist: Hello?\n\n00:00:02.000 --> 00:00:03.000\nClient: Hi.\n"),
    "srt_absurd_index": (".srt", b"9" * 500 + b"\n00:00:01,000 --> 00:00:02,000\n[SPEAKER_00]: Hello?\n\n"
                         b"2\n00:00:02,500 --> 00:00:03,000\n[SPEAKER_01]: Hi.\n"),
    "csv_absurd_time": (".csv", ("speaker,start,end,text\nTherapist," + "9" * 400 + ",1,How are you?\n"
                                 "Client,2,3,Tired.\n").encode()),
}


@pytest.mark.parametrize("name", sorted(REPRODUCERS))
def test_reproducer(tmp_path, name):
    suffix, data = REPRODUCERS[name]
    f = tmp_path / f"{name}{suffix}"
    f.write_bytes(data)
    check_batch(tmp_path, [f])


def test_reproducer_turn_over_a_million_characters(tmp_path):
    f = tmp_path / "giant.txt"
    f.write_text("Therapist: How are you?\nClient: " + "word " * 220_000 + "\nTherapist: I see.\n", encoding="utf-8")
    check_batch(tmp_path, [f], "--no-reports")


def test_reproducer_file_name_with_a_non_utf8_byte(tmp_path):
    name = os.fsdecode(b"session_\xff\xfe.txt")
    given, searched = tmp_path / "given", tmp_path / "searched"
    try:
        for d in (given, searched):
            d.mkdir()
            (d / name).write_text(GOOD_A.replace("months", "years"), encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take non-UTF-8 file names")
    check_batch(given, [given / name])
    (searched / "sub").mkdir()
    check_batch(searched / "sub", [searched / name], given=[str(searched)])  # found by searching its folder, too


# ------------------------------------------------------------------ generated files of every suffix


_any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
_texts = st.one_of(st.text(max_size=40), st.text(alphabet=_any_char, max_size=20),
                   st.sampled_from(["", " ", "mm-hmm", "=1+1", "-", "…", "\u202e", "a\u0000b", "\ud83d"]))
_speakers = st.one_of(st.sampled_from(["Therapist", "Client", "SPEAKER_00", "SPEAKER_01", "A", ""]), _texts)
_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**450, max_value=10**450),
                     st.integers(min_value=0, max_value=7200))
_times = st.one_of(
    st.builds(lambda s: f"00:{int(s) // 60 % 60:02}:{int(s) % 60:02}.000", st.integers(0, 3600)),
    st.sampled_from(["99999999999:00:00.000", "00:00:-1.000", "aa:bb:cc.ddd", "00:00:01", ""]),
)


@st.composite
def _turns(draw, max_turns: int = 6) -> list[tuple[str, str]]:
    return draw(st.lists(st.tuples(_speakers, _texts), min_size=0, max_size=max_turns))


def _surrogate_safe(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become bytes that are not UTF-8


@st.composite
def file_content(draw, fmt: str) -> bytes:
    """Bytes for a file of format ``fmt``: a near-valid file with fuzzed fields, or raw bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    turns = draw(_turns())
    if fmt == "text":
        stamp = draw(st.booleans())
        lines = [f"[{draw(_times)}] {s}: {t}" if stamp else f"{s}: {t}" for s, t in turns]
        return _surrogate_safe("\n".join(lines))
    if fmt in ("vtt", "srt"):
        cues = []
        for i, (s, t) in enumerate(turns, 1):
            a, b = draw(_times), draw(_times)
            if fmt == "srt":
                a, b = a.replace(".", ","), b.replace(".", ",")
            cues.append((f"{i}\n" if fmt == "srt" else "") + f"{a} --> {b}\n{s}: {t}\n")
        return _surrogate_safe(("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(cues))
    if fmt == "json":
        key = draw(st.sampled_from(["segments", "utterances"]))
        items = [{"speaker": s, "start": draw(_numbers), "end": draw(_numbers), "text": t} for s, t in turns]
        return json.dumps({key: items}, ensure_ascii=True, allow_nan=True).encode()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["session_id", "speaker", "start", "end", "text"])
    for s, t in turns:
        w.writerow([draw(st.sampled_from(["S1", "S2", "", "=x"])), s, draw(_numbers), draw(_numbers), t])
    return _surrogate_safe(buf.getvalue())


_FORMAT_OF = {**SUFFIXES, ".dat": "text"}


@st.composite
def batches(draw) -> list[tuple[str, bytes]]:
    """One generated file for every supported suffix (and one unknown suffix, content sniffed)."""
    out = []
    for suffix, fmt in _FORMAT_OF.items():
        if suffix == ".dat":
            fmt = draw(st.sampled_from(["text", "vtt", "srt", "json", "csv"]))
        out.append((suffix, draw(file_content(fmt))))
    return out


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(batches())
def test_generated_files_of_every_suffix_never_stop_a_batch(batch):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        odd = []
        for i, (suffix, data) in enumerate(batch):
            f = folder / f"fuzz{i}{suffix}"
            f.write_bytes(data)
            odd.append(f)
        check_batch(folder, odd, "--no-history")  # the history's path is covered by the reproducers
