"""Lexical markers: positive/negative tables (written by the project), evidence, permission, backchannels."""

from __future__ import annotations

import re

import pytest

from analyzer.markers.lexical import LEXICAL_CODES, code_lexical, filler_hits, is_backchannel
from analyzer.markers.settings import load_settings

SHIPPED_MAX_WORDS = load_settings().backchannel_max_words


def unpunct(text: str) -> str:
    """Lower-case without punctuation (in-word apostrophes kept), as speech-to-text gives."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text.lower())).strip()


def codes(nlp, text, prev_clinician=None, prev_client=None):
    pc = nlp(prev_clinician) if prev_clinician is not None else None
    pl = nlp(prev_client) if prev_client is not None else None
    return code_lexical(nlp(text), pc, pl)


def advice_any(c):
    return bool(c["advice"] or c["advice_with_permission"])


TABLE = {
    "affirmation": (
        ["You've worked really hard to get here.", "That took a lot of courage.", "You're clearly someone who cares about your kids.",
         "Good for you!", "Well done.", "I appreciate your honesty.", "You've come a long way."],
        ["You've been working nights.", "That took a long time.", "Good morning, come in.", "I appreciate the traffic was bad."],
    ),
    "validation": (
        ["That makes sense.", "No wonder you're exhausted.", "Anyone would feel that way.", "It's completely understandable.",
         "Of course you feel let down.", "That sounds really hard.", "Your feelings are valid.", "You're not alone in this."],
        ["Does that make sense?", "I wonder where you'd like to start.", "It was hard to find parking.", "Let's make sense of the form."],
    ),
    "emotion_label": (
        ["You feel really anxious about it.", "You're feeling overwhelmed.", "It sounds like you're lonely.",
         "That must be frustrating.", "Feeling guilty about the kids.", "There's a sense of relief."],
        ["I feel that we should look at the numbers.", "You're right about that.", "I feel anxious too.", "You went to the store."],
    ),
    "advice": (
        ["You should cut down on drinking.", "You need to take this every day.", "Why don't you call her tonight?",
         "I'd recommend the evening group.", "I suggest you start with one day a week.", "My advice is to wait.",
         "The best thing is to talk to your doctor.", "Make sure you take it with food.", "Stop drinking before bed.",
         "You might want to try a walk after dinner."],
        ["You feel you should stop.", "What do you think you could do?", "Your wife says you have to quit.",
         "If you need to talk, I'm here.", "You must be exhausted.", "Go ahead.", "Take your time.",
         "Why don't you tell me about your week?", "You don't have to decide today.", "It's important to you."],
    ),
    "dismissive": (
        ["Calm down.", "It's not that bad.", "At least you have a job.", "You're overreacting.", "Don't worry about it.",
         "Just get over it.", "Stop worrying.", "Look on the bright side.", "Others have it worse.", "It's all in your head."],
        ["At least once a week.", "Things got worse.", "You worried about it.", "The bright lights hurt."],
    ),
    "summary": (
        ["Let me make sure I've got this.", "So to sum up, work is the big thing.", "Let me summarise.",
         "So far you've told me about work.", "To recap, there are two options.", "Putting it all together, it's the mornings."],
        ["Let me get you a glass of water.", "So far away.", "We put the chairs together."],
    ),
    "check_understanding": (
        ["Does that make sense?", "Am I getting that right?", "Did I get that right?", "Is that right?",
         "Have I understood?", "What do you make of that?", "Is that fair?", "Tell me if I'm wrong."],
        ["That makes sense.", "That's right.", "You got it right.", "Tell me about your week."],
    ),
}


def test_codes_are_the_api():
    assert LEXICAL_CODES == (
        "affirmation", "validation", "emotion_label", "advice", "advice_with_permission", "dismissive", "summary",
        "check_understanding",
    )


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize("code", sorted(TABLE))
def test_marker_table(nlp, code, style):
    positives, negatives = TABLE[code]
    prep = (lambda t: t) if style == "punctuated" else unpunct
    check = advice_any if code == "advice" else (lambda c: bool(c[code]))
    missed = [t for t in positives if not check(codes(nlp, prep(t)))]
    wrong = [t for t in negatives if check(codes(nlp, prep(t)))]
    assert not missed, f"{code} missed: {missed}"
    assert not wrong, f"{code} wrongly found: {wrong}"


def test_every_code_key_present(nlp):
    out = codes(nlp, "Hello there.")
    assert set(out) == set(LEXICAL_CODES)
    assert all(v == [] for v in out.values())


def test_evidence_rule_id_and_span(nlp):
    text = "Okay. You've worked really hard, and you should be proud. You need to keep going to the gym."
    doc = nlp(text)
    out = code_lexical(doc)
    aff = out["affirmation"][0]
    assert aff.rule_id == "aff-worked-hard"
    assert text[aff.start_char : aff.end_char] == aff.text == "You've worked really hard"
    adv = out["advice"]
    assert [h.rule_id for h in adv] == ["adv-you-need-to"]  # "you should be proud" is not advice
    assert text[adv[0].start_char : adv[0].end_char] == "You need to"
    assert aff.quote().startswith('aff-worked-hard: "')


def test_advice_question_form_and_questions(nlp):
    # an advice cue inside a question asks the client; a suggestion phrased as a question stays advice
    assert not advice_any(codes(nlp, "Do you have to work tomorrow?"))
    assert advice_any(codes(nlp, "Why don't you try the morning class?"))


def test_permission_in_same_turn(nlp):
    c = codes(nlp, "Would it be okay if I shared an idea? You could try a short walk after dinner.")
    assert c["advice"] == [] and c["advice_with_permission"]
    assert {h.value for h in c["advice_with_permission"]} == {"this_turn", "permission"}
    c = codes(nlp, "You could try a short walk after dinner, but it's up to you.")
    assert c["advice_with_permission"] and not c["advice"]


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize(
    "reply, granted",
    [("Sure, go ahead.", True), ("Yeah okay.", True), ("No, go ahead.", True), ("I don't mind.", True),
     ("No.", False), ("Not really.", False), ("I'd rather not.", False), ("No thanks.", False)],
)
def test_permission_from_previous_turn(nlp, reply, granted, style):
    prep = (lambda t: t) if style == "punctuated" else unpunct
    c = codes(nlp, prep("You could try writing down each drink."), prep("Can I make a suggestion?"), prep(reply))
    assert bool(c["advice_with_permission"]) is granted
    assert bool(c["advice"]) is (not granted)
    if granted:
        assert all(h.value.startswith(("prev_turn:", "permission")) for h in c["advice_with_permission"])


def test_no_permission_without_asking(nlp):
    c = codes(nlp, "You should join a group.", "How was your week?", "Sure, it was fine.")
    assert c["advice"] and not c["advice_with_permission"]


def test_client_asking_for_advice_counts_as_permission(nlp):
    c = codes(nlp, "You could try the evening group.", "How are things?", "I don't know, what should I do?")
    assert c["advice_with_permission"] and c["advice_with_permission"][0].value.startswith("client_asked:")


def test_dismissive_imperative_is_not_advice(nlp):
    c = codes(nlp, "Stop worrying so much.")
    assert c["dismissive"] and not advice_any(c)


@pytest.mark.parametrize(
    "text",
    ["Mm-hmm.", "mm hmm", "Mhm", "Uh-huh.", "uh huh", "Yeah.", "Right, right.", "Okay.", "ok", "Sure.", "I see.",
     "i see", "Yes.", "Um, okay."],
)
def test_backchannels(nlp, text):
    ok, hit = is_backchannel(nlp(text), SHIPPED_MAX_WORDS)
    assert ok and hit.rule_id == "lexicon:backchannels" and hit.text == text


@pytest.mark.parametrize(
    "text",
    ["yeah I think so, it's been really hard lately", "Yeah I think so", "Okay so what brings you in today?",
     "Um.", "", "I see what you mean about him", "right right right right right right"],
)
def test_not_backchannels(nlp, text):
    assert is_backchannel(nlp(text), SHIPPED_MAX_WORDS) == (False, None)


def test_fillers(nlp):
    text = "Um, so I was like, you know, kind of tired. I mean, it was basically fine."
    hits = filler_hits(nlp(text))
    assert sorted(h.value for h in hits) == ["basically", "i mean", "kind of", "like", "um", "you know"]
    for h in hits:
        assert text[h.start_char : h.end_char] == h.text


@pytest.mark.parametrize(
    "text",
    ["I like my new job.", "Do you know where he lives?", "What kind of work do you do?", "I know what you mean.",
     "What I mean is that it helped.", "It looks like rain."],
)
def test_not_fillers(nlp, text):
    assert filler_hits(nlp(text)) == []


# --------------------------------------------------------------------------- advice categories (MITI 4.2.1 Persuade)
# Sentences written for these tests; each is checked punctuated and as unpunctuated lower-case speech-to-text.

ADVICE_POSITIVE = {
    "question_form_suggestion": [
        "Would you consider joining the Tuesday walking group?",
        "What would you think about trying the nicotine patch?",
        "Have you looked into a night class at the library?",
        "I wonder whether you'd be open to keeping a sleep diary this week.",
        "What about, um, maybe asking your sister to drive you?",
    ],
    "suggestion_phrasing": [
        "You'll want to take it with breakfast.",
        "You could always text your brother first.",
        "It's important to keep the inhaler with you.",
        "It's best for you to check your sugar before driving.",
        "One good option would be to cut out the lunchtime beer.",
        "It might be worth trying the earlier bus.",
        "I'd like to recommend the Thursday group.",
        "I wish you would see the nurse about that cough.",
        "I would just talk to your manager on Monday.",
        "Use the blue inhaler every morning.",
        "Try to get outside for ten minutes a day.",
        "Maybe try a shorter route to work.",
        "One thing that helped me was writing it all down.",
        "So just tell your friends you're driving tonight.",
        "You're going to take one tablet with your evening meal.",
    ],
    "consequence_persuasion": [
        "If you keep smoking like this, your lungs will pay for it.",
        "That's going to make things worse for you.",
        "You're putting yourself at risk every time you drive home after the pub.",
        "The more you walk, the easier the stairs will get.",
        "Honestly, it's something that needs to be done soon.",
    ],
    "generalised_tip_and_we_directive": [
        "Sometimes it helps to write the worries down before bed.",
        "What works for a lot of people is keeping the lighter in another room.",
        "Let's get you on the lower dose first.",
        "We're going to have to get that blood pressure down.",
        "Okay so just cut back a bit on the weekdays.",
    ],
    "own_voice_telling_and_conditional_directive": [
        "As your nurse, I need to tell you, you need to stop drinking before the surgery.",
        "I'm telling you, you have to get that mole looked at.",
        "If you really want the pain to ease, you have to do the stretches every day.",
        "If you want the weight to come off, you need to walk more.",
    ],
}

ADVICE_NEGATIVE = {
    "reflection_frame_or_reported_speech": [
        "It sounds like you're thinking you really need to cut back.",
        "You're being told this is something you have to do.",
        "Everyone keeps saying that you need to lose weight.",
        "You realize you've got to make a change.",
        "Kind of like now you have to fix everything at once.",
    ],
    "past_counterfactual_or_epistemic": [
        "You shouldn't have done that, you think.",
        "You must like the quiet out there.",
    ],
    "invitation_support_or_reassurance": [
        "How about you tell me about your weekend?",
        "What about maybe sharing a bit about your job?",
        "You can always call me if something comes up.",
        "It's not something you need to worry about.",
        "It doesn't mean that you have to change all of them.",
        "That sounds like something we can do.",
        "We'll get you an appointment card.",
    ],
    "information_or_options": [
        "It also helps to reduce the swelling in your knee.",
        "You could try the gum, or you could try the patch, whichever suits you.",
        "You can use either the spray or the lozenges, that's another option.",
        "I just want to make sure you know where the clinic is.",
        "We'll meet again next month and make sure the plan still fits.",
        "The more you think about it, the more tangled it feels.",
    ],
    "reflection_of_client_should_or_autonomy": [
        "A part of you knows you need to do something different.",
        "You're well aware of what you need to do.",
        "You really have to go with your own gut on this one.",
        "Rather than thinking I have to change everything at once, it's one step.",
    ],
    "client_idea_questions_unpunctuated_too": [
        "What's one thing you could do before Friday?",
        "Anything else you could think about doing?",
        "What are some reasons why it would be good for you to change?",
        "Where have you got to with the housing forms?",
        "Can you tell me how you are going to take the tablets?",
        "So what do you think you need to do next?",
        "Okay, and what do you think you're going to have to change first?",
    ],
    "reported_demand_decision_or_disfluent_relative": [
        "Your partner wants you to cut down on the wine.",
        "Your boss expects you to have the report done, and you feel you should.",
        "That's a decision you have to make for yourself.",
        "It's a call you've got to make, not me.",
        "You already know what you, you need to change.",
        "Those are the changes that you, you'd have to make.",
    ],
    "questions_asking_client_ideas_or_options": [
        "Would you be open to hearing what other people have tried?",
        "What do you think about that?",
        "Would you be willing to tell me more about it?",
        "It's important for you to be a good dad.",
        "It's worth it to you.",
    ],
}


def _cases(table):
    return [(cat, t, style) for cat, texts in table.items() for t in texts for style in ("punctuated", "unpunctuated")]


@pytest.mark.parametrize("category, text, style", _cases(ADVICE_POSITIVE))
def test_advice_categories_positive(nlp, category, text, style):
    prep = (lambda t: t) if style == "punctuated" else unpunct
    assert advice_any(codes(nlp, prep(text))), (category, text)


@pytest.mark.parametrize("category, text, style", _cases(ADVICE_NEGATIVE))
def test_advice_categories_negative(nlp, category, text, style):
    prep = (lambda t: t) if style == "punctuated" else unpunct
    assert not advice_any(codes(nlp, prep(text))), (category, text)


def test_reflection_frame_does_not_hide_own_voice(nlp):
    # a reflective frame covers the client's voice only; the clinician's own "I think you should" stays advice
    c = codes(nlp, "It sounds like work is hard and I think you should talk to your manager.")
    assert [h.rule_id for h in c["advice"]] == ["adv-i-think-you"]


def test_question_form_suggestion_with_permission(nlp):
    c = codes(nlp, "Would you consider a support group? It's entirely up to you.")
    assert c["advice_with_permission"] and not c["advice"]
    c = codes(nlp, unpunct("What would you think about trying the patch?"), unpunct("Can I share an idea?"), "sure")
    assert c["advice_with_permission"] and c["advice_with_permission"][0].value.startswith("prev_turn:")


def test_advice_patterns_documented():
    import json
    from pathlib import Path

    for name in ("advice.jsonl", "permission.jsonl"):
        lines = (Path(__file__).resolve().parent.parent / "models" / "patterns" / name).read_text().splitlines()
        assert lines[0].startswith("//")
        for line in lines:
            if line.strip() and not line.startswith("//"):
                row = json.loads(line)
                assert row.get("id") and row.get("note"), row


def test_options_menu_keeps_strong_cues(nlp):
    # a menu of options turns soft proposals into options (MITI Emphasize Autonomy) but not a directive cue
    assert not advice_any(codes(nlp, "You could try the gum, or you could try the patch."))
    c = codes(nlp, "You need to stop smoking. You could try the gum, or you could try the patch.")
    assert [h.rule_id for h in c["advice"]] == ["adv-you-need-to"]
    c = codes(nlp, "Let's get you on the patch.", "Can I share an idea?", "Sure.")
    assert c["advice_with_permission"] and not c["advice"]

