"""The reader boundary (issue 13): each input that used to crash a batch, through the reader and the CLI,
and folder hygiene (issue 10): skipped files named, the tool's own outputs never read, links followed."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.errors import FormatError
from analyzer.io import find_inputs, read, read_text
from analyzer.io._clean import MAX_TURN_CHARS

GOOD = "Therapist: What brings you here today?\nClient: My sleep has been terrible.\n" \
       "Therapist: It sounds like the nights are long.\nClient: Yes, really long.\n"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"


def whisper(segments: list[dict]) -> str:
    return json.dumps({"segments": segments})


def seg(speaker: str, text: str, start: object = 0.0, end: object = 1.0) -> dict:
    return {"speaker": speaker, "text": text, "start": start, "end": end}


def lone_surrogate_json() -> str:
    # JSON's own escape for half an emoji: json.loads turns it into a lone surrogate
    return whisper([seg("SPEAKER_00", "How are you? PLACEHOLDER"), seg("SPEAKER_01", "Fine", 1.5, 2.0)]) \
        .replace("PLACEHOLDER", "\\ud83d").replace('"SPEAKER_01"', '"SPEAKER_01\\udc00"')


def huge_time_json() -> str:
    return whisper([seg("A", "How are you?", 0.0, 1.0), seg("B", "Fine.", 1.5, 2.0)]).replace("1.5", "9" * 400)


# --- through the reader -------------------------------------------------------


def test_lone_surrogates_in_json_text_and_speaker_become_replacement_characters():
    t = read_text(lone_surrogate_json(), "json")[0]
    assert t.turns[0].text == "How are you? \ufffd"
    assert t.turns[1].speaker == "SPEAKER_01\ufffd"
    for turn in t.turns:
        (turn.text + turn.speaker).encode("utf-8")  # what the CSV writer and spaCy need


def test_control_characters_become_spaces():
    text = "Therapist: How\x07 are\x1b you feeling this week?\x0b\nClient: Fine\x85 thanks, a bit better.\n"
    t = read_text(text, "text")[0]
    assert [x.text for x in t.turns] == ["How are you feeling this week?", "Fine thanks, a bit better."]


def test_a_400_digit_time_is_refused_naming_the_segment_line():
    with pytest.raises(FormatError) as info:
        read_text(huge_time_json(), "json")
    assert "400-digit number" in info.value.message and info.value.line is not None


def test_infinite_convokit_timestamp_is_refused_not_raised():
    lines = [json.dumps({"id": "1", "conversation_id": "c", "speaker": "T", "text": "Hi?", "timestamp": 0}),
             '{"id": "2", "conversation_id": "c", "speaker": "C", "text": "Hello.", "timestamp": 1e999}']
    with pytest.raises(FormatError) as info:
        read_text("\n".join(lines), "convokit", source="utterances.jsonl")
    assert "not a usable time" in info.value.message and info.value.line == 2


def test_a_giant_turn_is_refused_with_its_line():
    text = "Therapist: Hello?\nClient: " + "word " * (MAX_TURN_CHARS // 5 + 10) + "\n"
    with pytest.raises(FormatError) as info:
        read_text(text, "text")
    assert info.value.line == 2 and "split the turn" in info.value.message


def test_a_file_name_with_a_non_utf8_byte_reads_with_a_printable_name(tmp_path):
    raw = os.fsencode(tmp_path) + b"/sess\xff.txt"
    with open(raw, "wb") as fh:
        fh.write(GOOD.encode("utf-8"))
    path = Path(os.fsdecode(raw))
    t = read(path)[0]
    assert t.session_id == "sess\ufffd" and t.source.endswith("sess\ufffd.txt")
    t.source.encode("utf-8")


def test_out_of_order_vtt_cues_warn_naming_the_line():
    vtt = ("WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nTherapist: How was it?\n\n"
           "00:00:01.000 --> 00:00:03.000\nClient: Hard.\n\n00:00:13.000 --> 00:00:14.000\nTherapist: Hard?\n")
    t = read_text(vtt, "vtt")[0]
    assert any("start before the one above them (first at line 6)" in w for w in t.warnings)


def test_a_speaker_overlapping_themselves_warns_naming_the_line_but_an_interruption_does_not():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nTherapist: How was it?\n\n"
           "00:00:04.000 --> 00:00:06.000\nTherapist: The week, I mean.\n\n"
           "00:00:05.500 --> 00:00:07.000\nClient: Hard.\n")
    t = read_text(vtt, "vtt")[0]
    overlaps = [w for w in t.warnings if "previous one ended" in w]
    assert len(overlaps) == 1 and overlaps[0].startswith("1 segment(s)") and "first at line 6" in overlaps[0]


def test_ordered_cues_give_no_order_warning():
    t = read(FIXTURES / "session04_youtube.sbv")[0]
    assert not any("out of order" in w or "overlap" in w for w in t.warnings)


# --- discovery ------------------------------------------------------------------


def test_a_folder_run_names_every_skipped_file(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "talk.rttm").write_text("SPEAKER x 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n")
    (tmp_path / "noext").write_text(GOOD)
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / ".git").mkdir()
    (tmp_path / "manifest.csv").write_text("file,clinician\na.txt,CL-A\n")
    (tmp_path / "README.md").write_text("about these sessions")
    found = find_inputs([tmp_path])
    assert [f.name for f in found.files] == ["a.txt"]
    why = {Path(p).name: w for p, w in found.skipped}
    assert set(why) == {"scan.pdf", "talk.rttm", "noext", ".DS_Store", ".git", "manifest.csv", "README.md"}
    assert (why[".DS_Store"], why[".git"], why["README.md"]) == ("hidden file", "hidden folder", "README")
    assert why["scan.pdf"].startswith("unsupported kind .pdf")
    assert "diarization times without words" in why["talk.rttm"]
    assert "no file suffix" in why["noext"]


def test_the_tools_own_output_folder_is_never_read(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "session-analysis"
    out.mkdir()
    for name in ("turns.csv", "sessions.csv", "evidence.csv"):
        (out / name).write_text("session_id,speaker,text\ns,T,hi\n")
    elsewhere = tmp_path / "results"
    elsewhere.mkdir()
    (elsewhere / "x.csv").write_text("speaker,text\nT,hi?\nC,ho\n")
    found = find_inputs([tmp_path], exclude=[elsewhere])
    assert [f.name for f in found.files] == ["a.txt"]
    assert {Path(p).name for p, w in found.skipped if "own output folder" in w} == {"session-analysis", "results"}


def test_symlinked_folders_are_followed_and_loops_named(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "b.txt").write_text(GOOD)
    top = tmp_path / "top"
    top.mkdir()
    (top / "a.txt").write_text(GOOD)
    (top / "linked").symlink_to(real, target_is_directory=True)
    (real / "back").symlink_to(top, target_is_directory=True)
    found = find_inputs([top])
    assert sorted(f.name for f in found.files) == ["a.txt", "b.txt"]
    assert any("already read" in w for _, w in found.skipped)
    (top / "dangling").symlink_to(tmp_path / "gone")
    assert "broken link" in find_inputs([top / "dangling"]).missing[0]


def test_a_named_file_of_unknown_kind_gets_a_clear_message(tmp_path):
    p = tmp_path / "talk.rttm"
    p.write_text("SPEAKER x 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n")
    with pytest.raises(FormatError, match=r"files ending \.rttm are not a supported transcript kind.*--format"):
        read(p)
    q = tmp_path / "notes.log"
    q.write_text(GOOD)
    with pytest.raises(FormatError, match="not a supported transcript kind"):
        read(q)
    assert read(q, format="text")[0].turns[0].speaker == "Therapist"


# --- through the CLI --------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_batch_with_every_crash_class_goes_on(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "good.txt").write_text(GOOD)
    (batch / "surrogate.json").write_text(lone_surrogate_json())
    (batch / "controls.txt").write_text(GOOD.replace("today", "to\x07day\x1b"))
    (batch / "huge_time.json").write_text(huge_time_json())
    (batch / "giant.txt").write_text("Therapist: Hello?\nClient: " + "word " * (MAX_TURN_CHARS // 5 + 10) + "\n")
    with open(os.fsencode(batch) + b"/odd\xfe.txt", "wb") as fh:
        fh.write(GOOD.encode())
    (batch / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(batch), "--out", str(out), "--no-reports", "--no-history"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert "huge_time.json" in result.output and "giant.txt" in result.output
    assert "scan.pdf: skipped (unsupported kind .pdf" in result.output
    ids = {r["session_id"] for r in _rows(out / "sessions.csv")}
    assert ids == {"good", "surrogate", "controls", "odd\ufffd"}
    texts = " ".join(r["text"] for r in _rows(out / "turns.csv"))
    assert "\ufffd" in texts and "\x07" not in texts


def test_analyze_dot_twice_reads_the_same_sessions(tmp_path, monkeypatch):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    (folder / "b.txt").write_text(GOOD.replace("sleep", "work"))
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    monkeypatch.chdir(folder)
    runs = []
    for _ in range(2):
        result = CliRunner().invoke(cli, ["analyze", ".", "--no-reports"])
        assert result.exit_code == 0, result.output
        assert "scan.pdf: skipped (unsupported kind .pdf" in result.output
        runs.append(sorted(r["session_id"] for r in _rows(folder / "session-analysis" / "sessions.csv")))
    assert runs[0] == runs[1] == ["a", "b"]


def test_export_convokit_loads_in_convokit_and_reads_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    sources = [FIXTURES / "session04_chat.cha", FIXTURES / "session04_rev.json"]
    result = CliRunner().invoke(cli, ["analyze", *map(str, sources), "--out", str(out), "--no-reports",
                                      "--no-history", "--quiet"])
    assert result.exit_code == 0, result.output
    corpus_dir = tmp_path / "corpus"
    result = CliRunner().invoke(cli, ["export", "--convokit", str(corpus_dir), "--tables", str(out)])
    assert result.exit_code == 0, result.output
    turns = _rows(out / "turns.csv")

    back = read(corpus_dir)
    assert [t.session_id for t in back] == ["corpus/session04_chat", "corpus/session04_rev"]
    assert [x.text for x in back[0].turns] == [r["text"] for r in turns if r["session_id"] == "session04_chat"]
    assert [x.role for x in back[0].turns] == [r["role"] for r in turns if r["session_id"] == "session04_chat"]

    monkeypatch.setenv("HOME", str(tmp_path))  # ConvoKit writes its config file under ~/.convokit
    convokit = pytest.importorskip("convokit", reason="ConvoKit (dev extra) is not installed")
    corpus = convokit.Corpus(filename=str(corpus_dir))
    assert len(list(corpus.iter_conversations())) == 2
    assert len(list(corpus.iter_utterances())) == len(turns)
    first = corpus.get_utterance("session04_chat/1")
    assert first.meta["role"] == "clinician" and first.speaker.meta["role"] == "clinician"
    coded = [u for u in corpus.iter_utterances() if u.meta.get("question")]
    assert coded and all(u.meta["question"] in ("open", "closed") for u in coded)


def test_export_without_history_or_convokit_is_a_usage_error():
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 2 and "--history" in result.output
