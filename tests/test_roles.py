"""Role mapping: labels, --clinician, elimination, inference, and the errors."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError, FormatError
from analyzer.io import read_text
from analyzer.model import Segment
from analyzer.roles import assign_roles, classify_label, load_role_labels, normalize_label


def segs(*pairs: tuple[str, str]) -> list[Segment]:
    return [Segment(index=i, speaker=s, text=t) for i, (s, t) in enumerate(pairs, 1)]


def test_default_labels_load_from_models():
    labels = load_role_labels()
    assert labels["source"] == "models/roles.toml"
    assert {"therapist", "counsellor", "social worker", "th"} <= labels["clinician"]
    assert {"client", "patient", "service user", "pt"} <= labels["client"]
    assert {"interpreter", "observer", "family member"} <= labels["other"]


@pytest.mark.parametrize(
    ("label", "normalised"),
    [("Therapist 1", "therapist"), ("CLIENT:", "client"), ("[SPEAKER_00]", "speaker"), ("Dr. Rivera", "dr. rivera"),
     ("Social_Worker", "social worker"), ("C2", "c")],
)
def test_normalize_label(label, normalised):
    assert normalize_label(label) == normalised


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Therapist 1", "clinician"), ("COUNSELLOR", "clinician"), ("Th", "clinician"), ("T", "clinician"),
        ("Dr. Rivera", "clinician"), ("Dr Amara Okafor", "clinician"), ("DR", "clinician"), ("Social Worker", "clinician"),
        ("Interviewer", "clinician"), ("Lead Therapist", "clinician"),
        ("CLIENT", "client"), ("Patient 2", "client"), ("Pt", "client"), ("P", "client"), ("Service User", "client"),
        ("Participant", "client"), ("client jordan", "client"),
        ("Interpreter", "other"), ("Family Member", "other"),
        ("SPEAKER_00", None), ("A", None), ("Drew", None), ("Jordan Lee", None), ("Speaker", None),
    ],
)
def test_classify_label(label, role):
    assert classify_label(label, load_role_labels()) == role


def test_labels_map_roles_without_inference():
    roles, inferred, notes = assign_roles(segs(("Therapist 1", "Hi."), ("CLIENT", "Hello."), ("Interpreter", "Hola.")))
    assert roles == {"Therapist 1": "clinician", "CLIENT": "client", "Interpreter": "other"}
    assert not inferred and notes == []


def test_clinician_override_is_case_insensitive():
    pairs = (("SPEAKER_00", "what do you mean by that?"), ("SPEAKER_01", "I think you should try it."))
    roles, inferred, notes = assign_roles(segs(*pairs), clinician=["speaker_01"])
    assert roles == {"SPEAKER_00": "client", "SPEAKER_01": "clinician"}
    assert not inferred
    assert notes == ["SPEAKER_00 = client: the main speaker besides SPEAKER_01 (clinician named by --clinician)"]


def test_clinician_override_that_matches_nobody_is_noted():
    _, _, notes = assign_roles(segs(("Therapist", "Hi."), ("Client", "Hello.")), clinician=["Dr Who"])
    assert notes == ["--clinician dr who matched no speaker (speakers: Therapist, Client)"]


def test_one_side_known_gives_the_other_main_speaker():
    pairs = (
        ("Dr. Amara Okafor", "Welcome."),
        ("Jordan Lee", "Thanks, it has been a long week at work for me."),
        ("Sam", "Hi."),
        ("Jordan Lee", "Really long."),
    )
    roles, inferred, notes = assign_roles(segs(*pairs))
    assert roles == {"Dr. Amara Okafor": "clinician", "Jordan Lee": "client", "Sam": "other"}
    assert not inferred
    assert notes[0] == "Jordan Lee = client: the main speaker besides Dr. Amara Okafor (clinician by label)"


def test_only_client_known_gives_the_clinician():
    roles, inferred, _ = assign_roles(segs(("Alex", "What brings you here?"), ("Client", "My sister.")))
    assert roles == {"Alex": "clinician", "Client": "client"} and not inferred


PUNCTUATED = (
    ("SPEAKER_00", "I have not been sleeping. It started after the move, I think."),
    ("SPEAKER_01", "When did you move? How has it been since?"),
    ("SPEAKER_00", "Three months ago. It has been hard, really hard, and lonely."),
    ("SPEAKER_01", "That sounds lonely. What helps, if anything?"),
    ("SPEAKER_00", "Walking helps a bit. Talking to my sister on the phone."),
)


def test_inference_from_questions_with_punctuation():
    roles, inferred, notes = assign_roles(segs(*PUNCTUATED))
    # SPEAKER_01 speaks second, so the result cannot come from the spoke-first tie-break
    assert roles == {"SPEAKER_00": "client", "SPEAKER_01": "clinician"}
    assert inferred
    assert notes == [
        "roles inferred from questions asked: SPEAKER_01 = clinician (2 of 2 questions; 12.5 vs 0.0 per 100 words), "
        "SPEAKER_00 = client; pass --clinician LABEL if this is wrong"
    ]


def test_inference_without_punctuation_uses_question_words():
    pairs = [(s, t.lower().replace("?", "").replace(".", "").replace(",", "")) for s, t in PUNCTUATED]
    roles, inferred, notes = assign_roles(segs(*pairs))
    assert roles == {"SPEAKER_00": "client", "SPEAKER_01": "clinician"}
    # no sentence ends are left, so only the segment starting "when" counts
    assert inferred and "SPEAKER_01 = clinician (1 of 1 questions" in notes[0]


def test_inference_minor_third_speaker_is_other():
    pairs = list(PUNCTUATED) + [("SPEAKER_02", "Sorry?")]
    roles, inferred, notes = assign_roles(segs(*pairs))
    assert roles["SPEAKER_02"] == "other" and roles["SPEAKER_01"] == "clinician" and roles["SPEAKER_00"] == "client"
    assert "SPEAKER_02 = other" in notes[0]


def test_inference_is_reported_on_the_transcript():
    text = "\n".join(f"{s}: {t}" for s, t in PUNCTUATED)
    t = read_text(text, "text")[0]
    assert t.role_inferred
    assert any(w.startswith("roles inferred from questions asked: SPEAKER_01 = clinician") for w in t.warnings)


def test_one_speaker_error():
    with pytest.raises(FormatError, match=r"only one speaker \(A\) found: need a clinician and a client"):
        assign_roles(segs(("A", "Hi."), ("A", "Anyone?")))


def test_two_clients_error_names_labels_and_suggests_clinician():
    with pytest.raises(FormatError) as info:
        assign_roles(segs(("Client 1", "Hi."), ("Client 2", "Hello.")))
    msg = info.value.message
    assert "no clinician found" in msg and "Client 1 (client), Client 2 (client)" in msg and "--clinician" in msg


def test_two_clients_error_from_a_file_names_the_file(tmp_path):
    p = tmp_path / "two.txt"
    p.write_text("Client 1: Hi.\nClient 2: Hello.\n", encoding="utf-8")
    from analyzer.io import read

    with pytest.raises(FormatError) as info:
        read(p)
    assert info.value.path == str(p) and "--clinician" in str(info.value)


def test_custom_roles_file(tmp_path):
    custom = tmp_path / "roles.toml"
    custom.write_text(
        '[clinician]\nlabels = ["mentor"]\n[client]\nlabels = ["mentee"]\n[other]\nlabels = []\n'
        '[inference]\nquestion_words = ["what"]\n[text]\nnot_speakers = []\n',
        encoding="utf-8",
    )
    roles, inferred, _ = assign_roles(segs(("Mentor", "Hi."), ("Mentee", "Hello.")), roles_file=custom)
    assert roles == {"Mentor": "clinician", "Mentee": "client"} and not inferred
    # the default file does not know these labels: inference kicks in
    _, inferred_default, _ = assign_roles(segs(("Mentor", "Hi."), ("Mentee", "Hello.")))
    assert inferred_default


def test_invalid_roles_file_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[clinician]\nlabels = "therapist"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a list of strings"):
        load_role_labels(bad)
    with pytest.raises(ConfigError):
        load_role_labels(tmp_path / "missing.toml")
