"""Readers for the export shapes of issue 10: one session in eight shapes, then each reader's own cases.

The fixtures in tests/fixtures/formats/ are one fictional session (canonical.json) written in
each exporter's real shape by make_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.errors import FormatError
from analyzer.io import find_inputs, read, read_text
from analyzer.io.chat import clean_chat_text
from analyzer.model import ROLES, Transcript

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
CANONICAL = json.loads((FIXTURES / "canonical.json").read_text(encoding="utf-8"))["turns"]

# file -> (format, clinician label, client label, has start times, has end times)
SHAPES = {
    "session04_otter.txt": ("text", "Dana Whitfield", "Sam Ortiz", True, False),
    "session04_chat.cha": ("chat", "THE", "PAT", True, True),
    "session04_youtube.sbv": ("sbv", "Therapist", "Client", True, True),
    "session04_deepgram.json": ("json", "Speaker 0", "Speaker 1", True, True),
    "session04_aws.json": ("json", "spk_0", "spk_1", True, True),
    "session04_rev.json": ("json", "Counsellor", "Client", True, True),
    "session04_convokit": ("convokit", "T07", "C12", True, False),
    "session04_teams.docx": ("docx", "Dana Whitfield", "Sam Ortiz", True, False),
}


def only(ts: list[Transcript]) -> Transcript:
    assert len(ts) == 1
    return ts[0]


def assert_well_formed(ts: list[Transcript]) -> None:
    for t in ts:
        assert t.turns
        for i, turn in enumerate(t.turns, 1):
            assert turn.index == i and turn.speaker.strip() and turn.role in ROLES and turn.text.strip()
            if i > 1:
                assert turn.speaker != t.turns[i - 2].speaker
        assert {"clinician", "client"} <= {turn.role for turn in t.turns}


# --- one session, eight shapes -------------------------------------------------


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_shape_reads_as_the_same_18_turns(name):
    fmt, clinician, client, has_start, has_end = SHAPES[name]
    t = only(read(FIXTURES / name))
    assert t.format == fmt
    assert len(t.turns) == 18
    assert [turn.text for turn in t.turns] == [c["text"] for c in CANONICAL]
    assert [turn.role for turn in t.turns] == [c["role"] for c in CANONICAL]
    expected_speaker = {"clinician": clinician, "client": client}
    assert [turn.speaker for turn in t.turns] == [expected_speaker[c["role"]] for c in CANONICAL]
    for turn, c in zip(t.turns, CANONICAL):
        if has_start:
            assert turn.start_s == pytest.approx(c["start"], abs=0.01)
        if has_end:
            assert turn.end_s == pytest.approx(c["end"], abs=0.01)
        else:
            assert turn.end_s is None
    assert not any("out of order" in w or "overlap" in w for w in t.warnings)


@pytest.mark.parametrize("name", [n for n in SHAPES if not n.endswith((".docx", "_convokit"))])
def test_line_endings_and_byte_order_mark_do_not_change_a_shape(tmp_path, name):
    raw = (FIXTURES / name).read_bytes().removeprefix(b"\xef\xbb\xbf")
    flipped = raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")
    copy = tmp_path / name
    copy.write_bytes(b"\xef\xbb\xbf" + flipped)
    before, after = only(read(FIXTURES / name)), only(read(copy))
    assert [(x.speaker, x.role, x.text, x.start_s, x.end_s) for x in after.turns] == [
        (x.speaker, x.role, x.text, x.start_s, x.end_s) for x in before.turns]


def test_chat_annotation_tiers_and_notation_never_reach_the_text():
    t = only(read(FIXTURES / "session04_chat.cha"))
    text = " ".join(turn.text for turn in t.turns)
    for leftover in ("%mor", "%gra", "%com", "|", "ROOT", "[", "]", "&", "\x15", "xxx", "(.)", "+", "<", ">"):
        assert leftover not in text, leftover
    assert "skipped 1 utterance(s) with no transcribed words" in t.warnings[0]


def test_roles_come_from_the_file_where_the_format_states_them():
    # CHAT @ID roles and ConvoKit speaker meta decide roles; no guessing from questions
    assert not only(read(FIXTURES / "session04_chat.cha")).role_inferred
    assert not only(read(FIXTURES / "session04_convokit")).role_inferred
    # Otter, Deepgram, AWS and Teams carry names or numbers only: roles are inferred and said so
    assert only(read(FIXTURES / "session04_deepgram.json")).role_inferred


# --- Otter.ai -------------------------------------------------------------------


def test_otter_hours_unknown_speaker_footer_and_wrapped_speech():
    text = (
        "Priya Nair  59:58\nSo where would you like to begin today?\n\n"
        "Sam Reid  1:00:04\nI think with the\nargument on Sunday.\n\n"
        "Unknown Speaker  1:00:09\nSorry, wrong room.\n\n"
        "Priya Nair  1:00:11\nWhat happened?\n\nTranscribed by https://otter.ai\n"
    )
    t = only(read_text(text, "text"))
    assert [(x.speaker, x.role, x.start_s) for x in t.turns] == [
        ("Priya Nair", "clinician", 3598.0), ("Sam Reid", "client", 3604.0), ("Unknown Speaker", "other", 3609.0),
        ("Priya Nair", "clinician", 3611.0)]
    assert t.turns[1].text == "I think with the argument on Sunday."
    assert all("otter" not in x.text for x in t.turns)


def test_otter_without_timestamps_and_a_title_above_prose_is_still_refused():
    text = "Speaker 1\nHow have you been?\n\nSpeaker 2\nNot great.\n\nSpeaker 1\nTell me more?\n\n" \
           "Speaker 2\nWork mostly.\n\nTranscribed by https://otter.ai\n"
    t = only(read_text(text, "text"))
    assert [(x.speaker, x.text, x.start_s) for x in t.turns][:2] == [
        ("Speaker 1", "How have you been?", None), ("Speaker 2", "Not great.", None)]
    assert len(t.turns) == 4
    with pytest.raises(FormatError, match="no `Name: text` lines"):
        read_text("My Week\nIt was long and I slept badly.\n\nSunday\nBetter.\n", "text")


def test_typed_text_with_a_time_in_speech_is_not_otter():
    text = "Therapist: When did you get up?\nClient: Around 10:30\nTherapist: And then?\n"
    t = only(read_text(text, "text"))
    assert [x.speaker for x in t.turns] == ["Therapist", "Client", "Therapist"]
    assert t.turns[1].text == "Around 10:30"


# --- CHAT -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "clean"),
    [
        ("I [/] I went home .", "I I went home."),
        ("<I went> [//] I drove home .", "I went I drove home."),
        ("&-um I was &+th thinking .", "um I was thinking."),
        ("she said xxx and left .", "she said and left."),
        ("it was (.) hard (..) really (1.5) hard .", "it was hard really hard."),
        ("no way [+ exc] .", "no way."),
        ("he gonna [: going to] stay [% laughing] .", "he gonna stay."),
        ("and then +...", "and then..."),
        ("but I +/.", "but I --"),
        ("what did you mean ?", "what did you mean?"),
        ("yeah [>] .", "yeah."),
        ("(be)cause the ice+cream melted@s .", "because the ice cream melted."),
        ("&=laughs .", "."),
    ],
)
def test_chat_notation_is_removed(tier, clean):
    assert clean_chat_text(tier) == clean


def test_chat_participants_roles_continuations_and_bullets():
    text = (
        "@UTF8\n@Begin\n@Participants:\tINV Investigator, PAR Participant\n"
        "*INV:\tcan you tell me\n\tabout your week ? \x150_2500\x15\n%mor:\tv|can pro|you\n"
        "*PAR:\tit was long . \x152600_4000\x15\n@End\n"
    )
    t = only(read_text(text, "chat"))
    assert [(x.speaker, x.role, x.text, x.start_s, x.end_s) for x in t.turns] == [
        ("INV", "clinician", "can you tell me about your week?", 0.0, 2.5),
        ("PAR", "client", "it was long.", 2.6, 4.0),
    ]
    assert t.turns[0].line == 4


def test_chat_without_main_tiers_is_refused():
    with pytest.raises(FormatError, match="no `\\*SPEAKER:` main tiers"):
        read_text("@UTF8\n@Begin\n@End\n", "chat")


# --- SBV --------------------------------------------------------------------------


def test_sbv_malformed_timing_names_the_line():
    text = "0:00:01.000,0:00:03.000\nTherapist: Hi?\n\n0:00:03.5;0:00:05.000\nClient: Hello.\n"
    with pytest.raises(FormatError) as info:
        read_text(text, "sbv")
    assert info.value.line == 4 and "h:mm:ss.mmm,h:mm:ss.mmm" in info.value.message


def test_sbv_out_of_order_cues_warn_with_the_line():
    text = ("0:00:05.000,0:00:07.000\nTherapist: How are you?\n\n"
            "0:00:01.000,0:00:03.000\nClient: Fine.\n\n0:00:08.000,0:00:09.000\nTherapist: Good?\n")
    t = only(read_text(text, "sbv"))
    assert any("start before the one above them (first at line 4)" in w for w in t.warnings)


# --- speech-to-text JSON ----------------------------------------------------------


def test_deepgram_words_without_utterances_group_by_speaker():
    words = [{"word": w, "punctuated_word": p, "start": i, "end": i + 0.5, "speaker": s}
             for i, (w, p, s) in enumerate([("how", "How", 0), ("are", "are", 0), ("you", "you?", 0),
                                            ("okay", "Okay.", 1)])]
    data = {"results": {"channels": [{"alternatives": [{"transcript": "", "words": words}]}]}}
    t = only(read_text(json.dumps(data), "json"))
    assert [(x.speaker, x.text, x.start_s, x.end_s) for x in t.turns] == [
        ("Speaker 0", "How are you?", 0, 2.5), ("Speaker 1", "Okay.", 3, 3.5)]


def test_deepgram_without_diarization_is_explained():
    data = {"results": {"utterances": [{"start": 0, "end": 1, "transcript": "hello"}]}}
    with pytest.raises(FormatError, match="diarize=true"):
        read_text(json.dumps(data), "json")


def test_aws_speaker_label_on_items_and_punctuation():
    items = [
        {"start_time": "0.1", "end_time": "0.4", "type": "pronunciation", "speaker_label": "spk_0",
         "alternatives": [{"content": "Ready"}]},
        {"type": "punctuation", "alternatives": [{"content": "?"}]},
        {"start_time": "1.0", "end_time": "1.3", "type": "pronunciation", "speaker_label": "spk_1",
         "alternatives": [{"content": "Yes"}]},
    ]
    t = only(read_text(json.dumps({"results": {"transcripts": [], "items": items}}), "json"))
    assert [(x.speaker, x.text, x.start_s, x.end_s) for x in t.turns] == [
        ("spk_0", "Ready?", 0.1, 0.4), ("spk_1", "Yes", 1.0, 1.3)]


def test_aws_channel_identification_gives_one_speaker_per_channel():
    def word(t: float, w: str) -> dict:
        return {"start_time": f"{t}", "end_time": f"{t + 0.3}", "type": "pronunciation",
                "alternatives": [{"content": w}]}

    items = [word(0.1, "Hello"), word(0.5, "there"), word(1.2, "Hi")]
    channels = {"channels": [{"channel_label": "ch_0", "items": items[:2]},
                             {"channel_label": "ch_1", "items": items[2:]}]}
    data = {"results": {"transcripts": [], "channel_labels": channels, "items": items}}
    t = only(read_text(json.dumps(data), "json"))
    assert [(x.speaker, x.text) for x in t.turns] == [("ch_0", "Hello there"), ("ch_1", "Hi")]


def test_aws_without_speaker_labels_is_explained():
    items = [{"start_time": "0.1", "end_time": "0.4", "type": "pronunciation", "alternatives": [{"content": "Hi"}]}]
    with pytest.raises(FormatError, match="ShowSpeakerLabels"):
        read_text(json.dumps({"results": {"transcripts": [], "items": items}}), "json")


def test_rev_numbered_speakers_without_names():
    mono = [{"speaker": n, "elements": [{"type": "text", "value": w, "ts": n, "end_ts": n + 0.5},
                                        {"type": "punct", "value": "."}]} for n, w in enumerate(["Hello", "Hi"])]
    t = only(read_text(json.dumps({"monologues": mono}), "json"))
    assert [(x.speaker, x.text) for x in t.turns] == [("Speaker 0", "Hello."), ("Speaker 1", "Hi.")]


# --- ConvoKit ---------------------------------------------------------------------


def _utt(i: int, conv: str, speaker: str, text: str, **extra) -> str:
    return json.dumps({"id": f"u{i}", "conversation_id": conv, "speaker": speaker, "text": text,
                       "timestamp": i, "meta": {}, "reply-to": None, **extra})


def test_convokit_one_session_per_conversation(tmp_path):
    lines = [_utt(1, "a", "therapist", "How are you?"), _utt(2, "b", "counsellor", "Welcome back?"),
             _utt(3, "a", "client", "Tired."), _utt(4, "b", "client", "Thanks."), _utt(5, "a", "client", "")]
    p = tmp_path / "utterances.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ts = read(p)
    assert [t.session_id for t in ts] == [f"{tmp_path.name}/a", f"{tmp_path.name}/b"]
    assert [(x.speaker, x.text, x.start_s) for x in ts[0].turns] == [
        ("therapist", "How are you?", 1.0), ("client", "Tired.", 3.0)]
    assert any("skipped 1 utterance(s) with empty text" in w for w in ts[0].warnings)


def test_convokit_older_user_and_root_keys():
    lines = [json.dumps({"id": "1", "root": "c", "user": "T", "text": "Hi?"}),
             json.dumps({"id": "2", "root": "c", "user": "C", "text": "Hello."})]
    t = only(read_text("\n".join(lines), "convokit", source="utterances.jsonl"))
    assert [x.speaker for x in t.turns] == ["T", "C"]


def test_convokit_bad_line_is_named():
    with pytest.raises(FormatError) as info:
        read_text(_utt(1, "a", "T", "Hi?") + "\n{not json\n", "convokit")
    assert info.value.line == 2


def test_convokit_folder_parts_are_not_read_as_transcripts():
    found = find_inputs([FIXTURES / "session04_convokit"])
    assert [f.name for f in found.files] == ["utterances.jsonl"]
    assert {Path(p).name for p, why in found.skipped if "ConvoKit corpus" in why} == {
        "corpus.json", "conversations.json", "index.json", "speakers.json"}


# --- Teams .docx --------------------------------------------------------------------


def test_teams_docx_older_timing_lines():
    text = "Check-in\n0:0:1.250 --> 0:0:4.5\nDana Whitfield\nHow are you?\n0:0:5.0 --> 0:0:6.0\nSam Ortiz\nFine.\n"
    t = only(read_text(text, "docx"))
    assert [(x.speaker, x.text, x.start_s, x.end_s) for x in t.turns] == [
        ("Dana Whitfield", "How are you?", 1.25, 4.5), ("Sam Ortiz", "Fine.", 5.0, 6.0)]


def test_a_docx_that_is_not_a_word_document(tmp_path):
    p = tmp_path / "notes.docx"
    p.write_text("Therapist: hi\nClient: hello\n", encoding="utf-8")
    with pytest.raises(FormatError, match="not a Word .docx document"):
        read(p)
    q = tmp_path / "broken.docx"
    q.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(FormatError, match="cannot read the Word document"):
        read(q)


# --- every new reader fed arbitrary text -------------------------------------------

FRAGMENTS = st.sampled_from(
    ["\n", "\n\n", "\t", "\r\n", "@UTF8\n", "@Begin\n", "@Participants:\tTHE Therapist, PAT Patient\n",
     "@ID:\teng|c|THE|||||Therapist|||\n", "*THE:\t", "*PAT:\t", "%mor:\t", " .", " ?", "[/] ", "[+ exc] ",
     "&-um ", "&=laughs ", "xxx ", "(.) ", "+...", "+/.", "\x15", "100_200", "<", ">", "[", "]",
     "0:00:01.000,0:00:02.000\n", ">> ", "Therapist: ", "Client: ", "Dana Lee  0:03\n", "Sam  1:02:03\n",
     "0:0:1.0 --> 0:0:2.0\n", '{"conversation_id": "c", "speaker": "T", "text": "hi?"}\n',
     '{"conversation_id": "c", "speaker": "C", "text": "ok", "timestamp": 1e999}\n',
     '{"results": {"utterances": [', '{"speaker": 0, "transcript": "how?", "start": 1, "end": 2}',
     '{"monologues": [', '{"speaker": 1, "elements": [{"type": "text", "value": "hi", "ts": 9' + "9" * 400 + "}]}",
     '{"results": {"transcripts": [], "items": [',
     ('{"type": "pronunciation", "speaker_label": "spk_0", "start_time": "1", "alternatives": [{"content": "yes"}]}'),
     "]}}", "]}", ",", "\ud83d", "\x07", "é"]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join))


@pytest.mark.parametrize("fmt", ["text", "chat", "sbv", "json", "convokit", "docx"])
@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_any_text_reads_well_formed_or_raises_format_error(fmt, text):
    try:
        ts = read_text(text, fmt)
    except FormatError:
        return
    assert_well_formed(ts)
    for t in ts:
        for turn in t.turns:
            turn.text.encode("utf-8")  # never a lone surrogate
            turn.speaker.encode("utf-8")


BYTES = st.one_of(
    st.binary(max_size=400),
    TEXTS.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"PK\x03\x04", b"%PDF-1.7", b"\xef\xbb\xbf", b"\xff\xfe", b""]).flatmap(
        lambda head: st.binary(max_size=200).map(lambda tail: head + tail)),
)


@pytest.mark.parametrize("suffix", [".txt", ".cha", ".sbv", ".json", ".jsonl", ".docx", ".rttm"])
@settings(max_examples=80, deadline=None)
@given(data=BYTES)
def test_any_file_bytes_read_well_formed_or_raise_format_error(tmp_path_factory, suffix, data):
    path = tmp_path_factory.mktemp("bytes") / f"any{suffix}"
    path.write_bytes(data)
    try:
        ts = read(path)
    except FormatError:
        return
    assert_well_formed(ts)


def test_every_suffix_is_in_the_readme_format_table():
    from analyzer.io import SUFFIXES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Input formats", 1)[1].split("\n## ", 1)[0]
    assert [s for s in SUFFIXES if f"`{s}`" not in table] == []
