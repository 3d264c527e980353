"""Readers: every format on small inline files, bad input, discovery, samples, AnnoMI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.errors import FormatError
from analyzer.io import FORMATS, SUFFIXES, discover, read, read_text
from analyzer.model import ROLES, Transcript

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_transcripts"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def one(path: Path, **kw) -> Transcript:
    ts = read(path, **kw)
    assert len(ts) == 1
    return ts[0]


def roles_of(t: Transcript) -> dict[str, str]:
    out: dict[str, str] = {}
    for turn in t.turns:
        out.setdefault(turn.speaker, turn.role)
    return out


def segments_of(t: Transcript) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.text) for turn in t.turns]


def assert_well_formed(ts: list[Transcript]) -> None:
    assert ts
    for t in ts:
        assert t.turns
        expected_first = 1
        for i, turn in enumerate(t.turns, 1):
            assert turn.index == i
            assert turn.speaker.strip()
            assert turn.role in ROLES
            assert turn.n_segments >= 1
            assert turn.first_segment == expected_first  # segments numbered 1..N, no gaps
            expected_first += turn.n_segments
            if i > 1:
                assert turn.speaker != t.turns[i - 2].speaker
        roles = {turn.role for turn in t.turns}
        assert {"clinician", "client"} <= roles


# --- API constants -----------------------------------------------------------


def test_suffixes_and_formats():
    assert SUFFIXES == {
        ".txt": "text", ".md": "text", ".vtt": "vtt", ".srt": "srt", ".sbv": "sbv", ".json": "json", ".csv": "csv",
        ".tsv": "csv", ".cha": "chat", ".jsonl": "convokit", ".docx": "docx",
    }
    assert FORMATS == ("text", "vtt", "srt", "sbv", "json", "csv", "chat", "convokit", "docx")


# --- WebVTT ------------------------------------------------------------------

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.500 align:start position:10%
Therapist: How have you been sleeping?

NOTE the recording was paused here

2
00:00:05.000 --> 00:00:09.000
Client: Not well, honestly.
I wake at four most nights.

3
01:02.500 --> 01:04.000
Client: It's exhausting.
"""


def test_zoom_vtt(tmp_path):
    t = one(write(tmp_path, "zoom.vtt", ZOOM_VTT))
    assert t.format == "vtt" and t.session_id == "zoom" and t.source == str(tmp_path / "zoom.vtt")
    assert segments_of(t) == [
        ("Therapist", "How have you been sleeping?"),
        ("Client", "Not well, honestly. I wake at four most nights. It's exhausting."),
    ]
    first, second = t.turns
    assert (first.start_s, first.end_s, first.line) == (1.0, 4.5, 4)  # the cue's timing line
    assert (second.start_s, second.end_s, second.line) == (5.0, 64.0, 10)  # mm:ss.mmm accepted
    assert second.n_segments == 2 and second.first_segment == 2
    assert roles_of(t) == {"Therapist": "clinician", "Client": "client"}
    assert t.warnings == ()


TEAMS_VTT = """WEBVTT

a1b2c3-0
00:00:00.000 --> 00:00:03.000
<v Dr. Amara Okafor>How did the <i>sleep diary</i> go?</v>

a1b2c3-1
00:00:03.000 --> 00:00:06.000
<v.loud Jordan Lee><c.yellow>I kept</c> it <00:00:04.000>most days
but not the weekend

00:00:06.000 --> 00:00:08.000
<v Dr. Amara Okafor>Most days.</v> <v Jordan Lee>Yes &amp; no.</v>
"""


def test_teams_vtt_voices_tags_and_two_voices_in_one_cue(tmp_path):
    t = one(write(tmp_path, "teams.vtt", TEAMS_VTT))
    assert segments_of(t) == [
        ("Dr. Amara Okafor", "How did the sleep diary go?"),
        ("Jordan Lee", "I kept it most days but not the weekend"),
        ("Dr. Amara Okafor", "Most days."),
        ("Jordan Lee", "Yes & no."),
    ]
    # both voices of the last cue come from its timing line, line 12
    assert [turn.line for turn in t.turns] == [4, 8, 12, 12]
    assert [turn.first_segment for turn in t.turns] == [1, 2, 3, 4]
    assert roles_of(t) == {"Dr. Amara Okafor": "clinician", "Jordan Lee": "client"}


def test_vtt_cue_without_speaker_continues_previous_and_warns_once(tmp_path):
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nT: What happened next?\n\n"
        "00:02.000 --> 00:05.000\nC: I left.\n\n00:05.000 --> 00:06.000\nAnd never went back.\n\n"
        "00:06.000 --> 00:07.000\nNot once.\n"
    )
    t = one(write(tmp_path, "cont.vtt", text))
    assert segments_of(t) == [("T", "What happened next?"), ("C", "I left. And never went back. Not once.")]
    assert t.turns[1].n_segments == 3 and t.turns[1].end_s == 7.0
    notes = [w for w in t.warnings if "without a speaker" in w]
    assert notes == ["2 cue(s) without a speaker label were given to the previous speaker (first at line 9)"]


def test_vtt_without_header_is_read_with_a_warning(tmp_path):
    t = one(write(tmp_path, "nohead.vtt", "00:00:01.000 --> 00:00:02.000\nT: Hi?\n\n00:00:02.000 --> 00:00:03.000\nC: Hello.\n"))
    assert len(t.turns) == 2
    assert any("WEBVTT header" in w for w in t.warnings)


def test_vtt_malformed_time_names_the_line(tmp_path):
    p = write(tmp_path, "bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nT: Hi?\n\n00:00:0x.000 --> 00:00:04.000\nC: Hello.\n")
    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.path == str(p) and info.value.line == 6
    assert "00:00:0x.000" in str(info.value) and f"{p}:6:" in str(info.value)


def test_vtt_broken_arrow_names_the_line(tmp_path):
    p = write(tmp_path, "arrow.vtt", "WEBVTT\n\n1\n00:00:01.000 -> 00:00:02.000\nT: Hi?\n")
    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.line == 4 and "malformed cue timing" in info.value.message


# --- SRT ---------------------------------------------------------------------

SRT = """1
00:00:01,000 --> 00:00:03,200
[SPEAKER_00]: so what brings you
in today

2
00:00:03,500 --> 00:00:09,000
[SPEAKER_01]: i have been having these panic attacks at work and i dont know what to do about them

3
00:00:09,100 --> 00:00:10,000
SPEAKER_00: how often do they happen
"""


def test_srt_speaker_prefixes_and_multiline_cues(tmp_path):
    t = one(write(tmp_path, "rushed.srt", SRT))
    assert t.format == "srt"
    assert segments_of(t)[0] == ("SPEAKER_00", "so what brings you in today")
    assert [turn.speaker for turn in t.turns] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
    assert [turn.line for turn in t.turns] == [2, 7, 11]
    assert (t.turns[0].start_s, t.turns[0].end_s) == (1.0, 3.2)
    assert roles_of(t) == {"SPEAKER_00": "clinician", "SPEAKER_01": "client"}
    assert t.role_inferred


def test_srt_number_without_timing_names_the_line(tmp_path):
    p = write(tmp_path, "bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n2\nB: hello\n")
    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.line == 6 and "timing line" in info.value.message


# --- JSON --------------------------------------------------------------------


def test_whisperx_json_seconds_lines_and_word_speakers(tmp_path):
    data = {
        "language": "en",
        "segments": [
            {"start": 0.5, "end": 2.0, "speaker": "Counselor", "text": " What brings you here?"},
            {
                "start": 2.5,
                "end": 6.0,
                "text": " My doctor sent me.",
                "words": [
                    {"word": "My", "speaker": "Client"},
                    {"word": "doctor", "speaker": "Client"},
                    {"word": "sent", "speaker": "Counselor"},
                ],
            },
        ],
    }
    t = one(write(tmp_path, "wx.json", json.dumps(data, indent=2)))
    assert segments_of(t) == [("Counselor", "What brings you here?"), ("Client", "My doctor sent me.")]
    assert (t.turns[1].start_s, t.turns[1].end_s) == (2.5, 6.0)
    text = (tmp_path / "wx.json").read_text().split("\n")
    for turn in t.turns:
        assert text[turn.line - 1].strip() == "{"  # the line where the segment object starts
    assert text[t.turns[0].line].strip().startswith('"start": 0.5')


def test_whisper_json_without_diarization_is_explained(tmp_path):
    p = write(tmp_path, "plain.json", json.dumps({"segments": [{"start": 0, "end": 1, "text": "hello"}]}))
    with pytest.raises(FormatError) as info:
        read(p)
    assert "diarization" in info.value.message and info.value.path == str(p)


def test_assemblyai_json_milliseconds(tmp_path):
    data = {
        "utterances": [
            {"start": 1200, "end": 3400, "speaker": "A", "text": "How are you feeling this week?"},
            {"start": 3600, "end": 9000, "speaker": "B", "text": "Low. I have not been out much at all."},
        ]
    }
    t = one(write(tmp_path, "aai.json", json.dumps(data)))
    assert [(turn.start_s, turn.end_s) for turn in t.turns] == [(1.2, 3.4), (3.6, 9.0)]
    assert roles_of(t) == {"A": "clinician", "B": "client"}


def test_plain_list_json(tmp_path):
    data = [
        {"speaker": "Therapist", "text": "Welcome back."},
        {"speaker": "Client", "text": "Thanks.", "start": 4, "end": 5.5},
        {"speaker": "Client", "text": "It has been a week."},
    ]
    t = one(write(tmp_path, "list.json", json.dumps(data, indent=1)))
    assert segments_of(t) == [("Therapist", "Welcome back."), ("Client", "Thanks. It has been a week.")]
    assert t.turns[0].start_s is None and t.turns[1].start_s == 4.0 and t.turns[1].end_s == 5.5
    assert t.turns[1].first_segment == 2 and t.turns[1].n_segments == 2


def test_truncated_json_gives_the_line(tmp_path):
    p = write(tmp_path, "cut.json", '{"segments": [\n  {"start": 0, "speaker": "A", "text": "hi"},\n  {"start": 1, "spea')
    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.line == 3 and info.value.path == str(p)
    assert str(info.value).startswith(f"{p}:3: invalid JSON")


def test_unrecognised_json_layout_lists_keys(tmp_path):
    with pytest.raises(FormatError, match="found: results"):
        read(write(tmp_path, "aws.json", '{"results": []}'))


# --- CSV / TSV ---------------------------------------------------------------


def test_csv_without_session_column(tmp_path):
    text = (
        "Speaker,Utterance,Start_Time,End\n"
        "therapist,How are you?,00:00:05,6.5\n"
        'client,"Fine, thanks.",00:07.250,\n'
        "client,,8,\n"
        "client,Mostly.,00:00:09.500,10\n"
    )
    t = one(write(tmp_path, "table.csv", text))
    assert t.format == "csv" and t.session_id == "table"
    assert segments_of(t) == [("therapist", "How are you?"), ("client", "Fine, thanks. Mostly.")]
    assert (t.turns[0].start_s, t.turns[0].end_s) == (5.0, 6.5)
    assert (t.turns[1].start_s, t.turns[1].end_s) == (7.25, 10.0)
    assert [turn.line for turn in t.turns] == [2, 3]
    assert "skipped 1 row(s) with empty text (first at line 4)" in t.warnings


MANY = (
    "conv_id,utt_id,role,text,timestamp\n"
    "S2,1,Therapist,What would help?,00:00:01\n"
    "S1,1,Counsellor,Hello again.,00:00:02\n"
    "S2,2,Client,Sleep.,00:00:03\n"
    "S2,2,Client,Sleep.,00:00:03\n"
    "S1,2,Client,Hi.,00:00:04\n"
    "S3,1,Therapist,Shall we start?,00:00:05\n"
    "S2,1,Therapist,What would help?,00:00:01\n"
    "S3,2,Client,Yes.,00:00:06\n"
    "S1,3,Counsellor,How was the week?,00:00:07\n"
)


def test_csv_many_sessions_order_ids_and_duplicates(tmp_path):
    ts = read(write(tmp_path, "clinic.csv", MANY))
    assert [t.session_id for t in ts] == ["clinic/S2", "clinic/S1", "clinic/S3"]  # order of first appearance
    s2, s1, s3 = ts
    assert segments_of(s2) == [("Therapist", "What would help?"), ("Client", "Sleep.")]
    assert "skipped 2 duplicate rows (same session and utterance id; first at line 5)" in s2.warnings
    assert segments_of(s1) == [("Counsellor", "Hello again."), ("Client", "Hi."), ("Counsellor", "How was the week?")]
    assert [turn.line for turn in s1.turns] == [3, 6, 10]  # physical lines, rows need not be contiguous
    assert not any("duplicate" in w for w in s1.warnings + s3.warnings)
    assert all(t.source == str(tmp_path / "clinic.csv") for t in ts)


def test_tsv(tmp_path):
    text = "speaker\ttext\tstart\nT\tWhat, if anything, changed?\t1.5\nC\tA lot; really.\t3\n"
    t = one(write(tmp_path, "t.tsv", text))
    assert segments_of(t) == [("T", "What, if anything, changed?"), ("C", "A lot; really.")]
    assert [turn.start_s for turn in t.turns] == [1.5, 3.0]


def test_semicolon_csv(tmp_path):
    text = "Session_ID;Participant;Message\nA;Therapist;Hello, how are you?\nA;Patient;Fine, thanks\n"
    ts = read(write(tmp_path, "semi.csv", text))
    assert [t.session_id for t in ts] == ["semi/A"]
    assert segments_of(ts[0]) == [("Therapist", "Hello, how are you?"), ("Patient", "Fine, thanks")]


def test_csv_missing_text_column_lists_columns(tmp_path):
    p = write(tmp_path, "cols.csv", "speaker,words,start\nT,hi,1\nC,hello,2\n")
    with pytest.raises(FormatError) as info:
        read(p)
    msg = str(info.value)
    assert info.value.path == str(p) and info.value.line == 1
    assert "'speaker', 'words', 'start'" in msg and "utterance_text" in msg and "no text column" in msg


# --- typed text ----------------------------------------------------------------

TYPED = """# Session 2 -- typed by the clinician
Date: 3 May

[00:00:05] Therapist: How has the week been?
Client: Mixed. I tried the breathing
exercise twice.
Note: this is hard to talk about.

(00:01:10) Therapist: What made it hard?
00:01:30 Client: Work.
[01:45] Therapist: Work.
  # an aside
Client: Yes.
"""


def test_text_timestamps_continuations_comments(tmp_path):
    t = one(write(tmp_path, "notes.txt", TYPED))
    assert t.format == "text"
    assert segments_of(t) == [
        ("Therapist", "How has the week been?"),
        ("Client", "Mixed. I tried the breathing exercise twice. Note: this is hard to talk about."),
        ("Therapist", "What made it hard?"),
        ("Client", "Work."),
        ("Therapist", "Work."),
        ("Client", "Yes."),
    ]
    assert [turn.start_s for turn in t.turns] == [5.0, None, 70.0, 90.0, 105.0, None]
    assert all(turn.end_s is None for turn in t.turns)  # typed text has no ends
    assert [turn.line for turn in t.turns] == [4, 5, 9, 10, 11, 13]
    assert t.metadata.get("date") == "3 May"


def test_text_new_one_off_word_after_two_speakers_is_speech(tmp_path):
    text = "Sam: How are you?\nAlex: Fine.\nHonestly: I am not sure.\nSam: Say more?\n"
    t = one(write(tmp_path, "names.md", text))
    assert segments_of(t)[1] == ("Alex", "Fine. Honestly: I am not sure.")
    assert any("'Honestly:' read as part of the speech" in w for w in t.warnings)


def test_text_third_repeated_name_is_a_speaker(tmp_path):
    text = "Therapist: Hello both?\nClient: Hi.\nMaria: Hello.\nClient: Yes.\nMaria: Right.\n"
    t = one(write(tmp_path, "three.txt", text))
    assert roles_of(t) == {"Therapist": "clinician", "Client": "client", "Maria": "other"}


def test_text_without_speakers_is_an_error(tmp_path):
    p = write(tmp_path, "prose.txt", "Just some notes about the day.\nNothing else here.\n")
    with pytest.raises(FormatError, match="no `Name: text` lines found") as info:
        read(p)
    assert info.value.path == str(p)


# --- turns -------------------------------------------------------------------


def test_turn_merging_keeps_first_segment_and_times(tmp_path):
    data = [
        {"speaker": "T", "text": "One?", "start": 0, "end": 1},
        {"speaker": "T", "text": "Two.", "start": 1, "end": 2},
        {"speaker": "C", "text": "Three.", "start": 2, "end": 3},
        {"speaker": "C", "text": "Four.", "start": 3, "end": 4},
        {"speaker": "C", "text": "Five.", "start": 4, "end": 5},
        {"speaker": "T", "text": "Six?", "start": 5, "end": 6},
    ]
    t = one(write(tmp_path, "m.json", json.dumps(data)))
    assert [(x.index, x.speaker, x.first_segment, x.n_segments) for x in t.turns] == [
        (1, "T", 1, 2),
        (2, "C", 3, 3),
        (3, "T", 6, 1),
    ]
    assert [(x.start_s, x.end_s) for x in t.turns] == [(0, 2), (2, 5), (5, 6)]
    assert t.turns[1].text == "Three. Four. Five."


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\t\r\n  ", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "looks like a binary file (PNG image), not a transcript"),
        (b"T: hi\x00\x13\x00\xff\x00\x01garbage\x00\x00\x02", "looks like a binary file (NUL byte at offset 5)"),
        (b"%PDF-1.7\n", "looks like a binary file (PDF document)"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    p = write(tmp_path, "bad.txt", content)
    with pytest.raises(FormatError) as info:
        read(p)
    assert message in info.value.message and info.value.path == str(p)
    assert str(info.value).startswith(f"{p}: ")


def test_undecodable_bytes_name_offset_and_line(tmp_path):
    p = write(tmp_path, "undecodable.txt", b"Therapist: hi\nClient: caf\xe9 \x81 oops\n")
    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.line == 2 and "0x81 at offset 27" in info.value.message


def test_utf16_with_bom_decodes_and_says_so(tmp_path):
    p = write(tmp_path, "u16.txt", "Therapist: Comment ça va?\nClient: Bien.\n".encode("utf-16"))
    t = one(p)
    assert t.encoding == "utf-16" and t.turns[0].text == "Comment ça va?"
    assert "decoded as UTF-16 (byte-order mark), not UTF-8" in t.warnings


def test_cp1252_decodes_and_says_so(tmp_path):
    p = write(tmp_path, "cp.txt", "Therapist: How’s the café job?\nClient: Fine.\n".encode("cp1252"))
    t = one(p)
    assert t.encoding == "cp1252" and t.turns[0].text == "How’s the café job?"
    assert any(w.startswith("decoded as cp1252, not UTF-8") and "line 1" in w for w in t.warnings)


def test_utf8_bom_is_stripped(tmp_path):
    t = one(write(tmp_path, "bom.csv", b"\xef\xbb\xbfspeaker,text\nT,Hi?\nC,Hello\n"))
    assert t.encoding == "utf-8-sig" and [x.speaker for x in t.turns] == ["T", "C"] and t.warnings == ()


def test_one_speaker_is_an_error(tmp_path):
    p = write(tmp_path, "solo.txt", "Therapist: Hello.\nTherapist: Anyone there?\n")
    with pytest.raises(FormatError) as info:
        read(p)
    assert "only one speaker (Therapist) found: need a clinician and a client" in info.value.message
    assert info.value.path == str(p)


def test_bad_session_in_many_is_skipped_not_fatal(tmp_path):
    text = "session,speaker,text\nA,T,Hi?\nA,C,Hello\nB,T,Only me\n"
    ts = read(write(tmp_path, "mixed.csv", text))
    assert [t.session_id for t in ts] == ["mixed/A"]
    assert any("skipped session mixed/B: only one speaker (T)" in w for w in ts[0].warnings)


def test_unknown_format_name(tmp_path):
    with pytest.raises(FormatError, match="unknown format 'pdf'"):
        read(write(tmp_path, "x.txt", "T: hi\nC: ho\n"), format="pdf")


def test_format_override_and_sniffing_for_odd_suffix(tmp_path):
    p = write(tmp_path, "export.log", "WEBVTT\n\n00:01.000 --> 00:02.000\nT: Hi?\n\n00:02.000 --> 00:03.000\nC: Yo.\n")
    assert one(p).format == "vtt"  # sniffed
    q = write(tmp_path, "export.dat", "speaker,text\nT,Hi?\nC,Yo\n")
    assert one(q, format="csv").format == "csv"


def test_read_text_same_readers(tmp_path):
    ts = read_text("T: Hi?\nC: Hello.\n", "text", source="x/y.txt")
    assert ts[0].session_id == "y" and ts[0].source == "x/y.txt"
    assert read_text("T: Hi?\nC: Hello.\n", "text", session_id="s1")[0].session_id == "s1"
    with pytest.raises(FormatError, match="file is empty"):
        read_text("  \n", "vtt")


# --- discovery ---------------------------------------------------------------


def test_discover(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for name in ["b.vtt", "a.txt", "sub/c.json", "sub/deeper/d.tsv", "sub/manifest.csv", ".secret.txt",
                 ".hidden/e.txt", "notes.pdf", "README.md", "sub/f.srt"]:
        (tmp_path / name).write_text("x")
    odd = tmp_path / "notes.pdf"
    files, messages = discover([tmp_path, odd, tmp_path / "missing.vtt", tmp_path / "a.txt"])
    rel = [str(f.relative_to(tmp_path)) for f in files]
    assert rel == ["a.txt", "b.vtt", "sub/c.json", "sub/deeper/d.tsv", "sub/f.srt", "notes.pdf"]
    assert messages == [f"{tmp_path / 'missing.vtt'}: no such file or folder"]


# --- property: any text is read well-formed or refused with FormatError -------

FRAGMENTS = st.sampled_from(
    ["\n", "\n\n", "T: ", "C: ", "SPEAKER_00: ", "[SPEAKER_01]: ", "Note: ", "WEBVTT\n", "1\n",
     "00:00:01.000 --> 00:00:02.000\n", "00:00:01,000 --> 00:00:0x,000\n", "<v A>", "</v>", "<v.loud B>", "[00:01] ",
     "what? ", "why ", "yes. ", "{", "}", "[", "]", '"segments": ', '"speaker": "A", ', '"text": "hi"', ",", ";", "\t",
     "speaker,text\n", "session,speaker,text\n", "s1,", "A,hello\n", "B,what?\n", "\x00", "#", "é", "\ufeff"]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=120, deadline=None)
@given(text=TEXTS)
def test_any_text_reads_well_formed_or_raises_format_error(fmt, text):
    try:
        ts = read_text(text, fmt)
    except FormatError:
        return
    assert_well_formed(ts)


# --- AnnoMI (shared, not redistributable) -------------------------------------


@pytest.mark.shared
def test_annomi_simple_reads_as_133_sessions(shared_data):
    path = shared_data / "annomi" / "AnnoMI-simple.csv"
    ts = read(path)
    assert len(ts) == 133
    # An independent count from the csv module: rows per transcript, in order of first appearance.
    rows: dict[str, int] = {}
    first_start: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows[row["transcript_id"]] = rows.get(row["transcript_id"], 0) + 1
            first_start.setdefault(row["transcript_id"], row["timestamp"])
    assert [t.session_id for t in ts] == [f"AnnoMI-simple/{k}" for k in rows]
    for t in ts:
        key = t.session_id.split("/", 1)[1]
        assert sum(turn.n_segments for turn in t.turns) == rows[key]
        assert roles_of(t) == {"therapist": "clinician", "client": "client"}
        assert not t.role_inferred
        h, m, s = (int(x) for x in first_start[key].split(":"))
        assert t.turns[0].start_s == h * 3600 + m * 60 + s
        assert sum(turn.start_s is not None for turn in t.turns) >= len(t.turns) - 1


# --- sample transcripts --------------------------------------------------------

SAMPLE_FILES, _ = discover([SAMPLES_DIR]) if SAMPLES_DIR.is_dir() else ([], [])


def test_samples_folder_is_not_empty(samples):
    assert samples.is_dir() and SAMPLE_FILES, f"no transcripts found in {samples}"


def test_discover_skips_manifest_in_samples(samples):
    if not (samples / "manifest.csv").exists():
        pytest.skip("sample_transcripts/manifest.csv not written yet")
    assert "manifest.csv" not in {p.name for p in SAMPLE_FILES}


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_reads_with_one_clinician_and_one_client(path):
    ts = read(path)
    assert ts
    for t in ts:
        assert len(t.turns) >= 2
        roles = roles_of(t)
        assert list(roles.values()).count("clinician") == 1, roles
        assert list(roles.values()).count("client") == 1, roles
        assert_well_formed([t])


def test_sample_manifest_entries_are_readable_sessions(samples):
    manifest = samples / "manifest.csv"
    if not manifest.exists():
        pytest.skip("sample_transcripts/manifest.csv not written yet")
    ids = {t.session_id for p in SAMPLE_FILES for t in read(p)}
    with open(manifest, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            file, _, session = row["file"].partition("/")
            expected = Path(file).stem + (f"/{session}" if session else "")
            assert expected in ids, row["file"]
