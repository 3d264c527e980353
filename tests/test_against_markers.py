"""Markers that lower a clinician's score (dismissive, advice without permission) held to a higher bar.

The tables below are counselling sentences written for these tests, by category.  Each category is a
parametrized case (every sentence, punctuated and as speech-to-text gives it), and the whole table is
scored as a behaviour test of the rule set: precision >= 0.85 at recall >= 0.70 on it (issue 9).
"""

from __future__ import annotations

import re

import pytest

from analyzer.markers.lexical import code_lexical

PRECISION_TARGET = 0.85
RECALL_TARGET = 0.70


def unpunct(text: str) -> str:
    """Lower-case without punctuation (in-word apostrophes kept), as speech-to-text gives."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text.lower())).strip()


DISMISSIVE = {
    "telling the client to stop feeling": [
        "Calm down.", "Okay, calm down, it's fine.", "Just calm down and listen.", "Settle down, please.",
        "You need to calm down.", "You just have to relax.", "Just relax.", "Chill out, seriously.",
        "Stop worrying so much.", "Stop crying, it won't help.", "You need to stop overthinking.",
        "Don't worry about it.", "Oh, don't stress about it.", "Don't dwell on it.", "Don't be sad.",
        "Don't be so upset, it happens.",
    ],
    "minimising": [
        "It's not that bad.", "Honestly, it isn't that serious.", "It can't be that bad.", "Things aren't so bad.",
        "It's no big deal.", "It's not a big deal, really.", "It's nothing.", "That's really nothing.",
        "It could be worse.", "It could have been a lot worse.", "It's all in your head.", "That's just in your mind.",
        "There's nothing to be upset about.",
    ],
    "silver lining and comparison": [
        "At least you have a job.", "At least it wasn't your fault.", "At least there's still time.",
        "Look on the bright side.", "On the bright side, you get the house.", "Other people have it much worse.",
        "Lots of people have it worse than you.", "Lots of people go through worse, you know.",
    ],
    "judging the reaction": [
        "You're overreacting.", "You're being dramatic.", "You're way too sensitive.", "You're just being paranoid.",
        "I think you're overthinking this.", "You're imagining things.",
    ],
    "brushing off with a platitude or a push": [
        "Everything happens for a reason.", "It is what it is.", "Just get over it.", "You'll get over it.",
        "You just need to move on.", "Snap out of it.", "Pull yourself together.", "Cheer up!", "Toughen up.",
        "Suck it up.", "You shouldn't feel that way.",
        "There's no reason to be upset.",
    ],
}

NOT_DISMISSIVE = {
    "praise that uses the same words": [
        "That's a big step.", "It's a big deal that you told her.", "That's huge.", "That's really big.",
        "That's not bad at all, two weeks without a drink.", "That's not nothing.", "It's no small thing to ask for help.",
        "You got through it, and that's a big deal.", "That's a really big change for you.",
        "You'll do fine with the interview, you've prepared.",
    ],
    "questions about coping": [
        "What helps you relax?", "What else helps you calm down in the evenings?", "How do you settle down after a fight?",
        "When you're able to relax, what's different?", "How did you get over it last time?",
        "What would help you stop worrying so much?", "Is there anything that helps you move on from it?",
        "What's the worst that could happen?", "How bad is it, on a scale of one to ten?",
        "Do you think it could get worse?", "What does it look like when you calm down?",
        "Is it a big deal for you?", "How would you know you'd gotten over it?",
    ],
    "the client's own coping, reflected": [
        "Walking the dog helps you calm down.", "So you were able to settle down after a while.",
        "Music is one way you relax.", "You calm down faster when you're outside.",
        "Breathing slowly helped you relax before the exam.", "You want to get over him.",
        "You're ready to move on from that job.", "You don't worry about it much anymore.",
    ],
    "reported speech and others' words": [
        "Your mom told you to calm down.", "You were told it's no big deal.", "People keep saying it's all in your head.",
        "Your boss says you're overreacting.", "He told you to just get over it.", "Your friends said it could be worse.",
        "When people tell you to cheer up, it makes it worse.", "Your dad always said it is what it is.",
    ],
    "reflections of the client's view": [
        "It sounds like you feel it's not that bad.", "You feel like you're overreacting.",
        "Part of you thinks it's no big deal.", "You're worried you're being dramatic.",
        "For you, it's not that serious right now.", "You're wondering whether it's all in your head.",
        "You're telling yourself it's nothing.",
    ],
    "denials in the clinician's own voice": [
        "I'm not saying it's all in your head.", "I'm not saying that the pain is in your mind.",
        "That doesn't mean it's no big deal.", "I'm not telling you to calm down.", "Nobody is saying you're overreacting.",
    ],
    "validation and normalising": [
        "That's nothing to be ashamed of.", "It makes sense that you can't just move on.",
        "Anyone would find it hard to calm down after that.", "It's a lot, and it's not in your head.",
        "Your worry makes sense.", "Of course you're upset, it was a big loss.",
    ],
    "instructions and agenda": [
        "Relax your shoulders and notice your breath.", "Just relax into the chair for a moment.",
        "Let's move on to the next part of the form.", "Please pull up a chair.", "Picture it in your mind.",
        "Settle into a comfortable position.", "I don't think so.", "At least once a week.",
        "Let's look at the positive side of the ledger as well as the costs.", "Don't be afraid to ask for help.",
    ],
}


# Known limits, kept in the whole-table figures so they count against the target: minimising in words no
# rule lists, and reported speech marked only after the words ("..., according to your sister").
HARD_DISMISSIVE = [
    "Honestly, you're making a mountain out of a molehill.", "Let's not make this bigger than it is.",
    "Try not to think about it.",
]
HARD_NOT_DISMISSIVE = [
    "Calm down is what everyone says to you.", "Just relax, that's all your husband ever says.",
    "It's no big deal, according to your sister.",
]


def _flat(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(cat, s) for cat, sents in table.items() for s in sents]


def _dismissive(nlp, text: str) -> bool:
    return bool(code_lexical(nlp(text))["dismissive"])


def test_tables_are_large_enough():
    assert len(_flat(DISMISSIVE)) >= 40 and len(_flat(NOT_DISMISSIVE)) >= 60


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize("category", sorted(DISMISSIVE))
def test_dismissive_category(nlp, category, style):
    sents = [s if style == "punctuated" else unpunct(s) for s in DISMISSIVE[category]]
    missed = [s for s in sents if not _dismissive(nlp, s)]
    # a category may lose a sentence or two to context the rules cannot see; most must be found
    assert len(missed) <= len(sents) * (1 - RECALL_TARGET), missed


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize("category", sorted(NOT_DISMISSIVE))
def test_not_dismissive_category(nlp, category, style):
    sents = [s if style == "punctuated" else unpunct(s) for s in NOT_DISMISSIVE[category]]
    wrong = [s for s in sents if _dismissive(nlp, s)]
    assert len(wrong) <= 1, wrong


def precision_recall(nlp, positives: list[str], negatives: list[str], detect) -> tuple[float, float]:
    tp = sum(bool(detect(nlp, s)) for s in positives)
    fp = sum(bool(detect(nlp, s)) for s in negatives)
    return (tp / (tp + fp) if tp + fp else 0.0), tp / len(positives)


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
def test_dismissive_table_meets_the_target(nlp, style):
    f = (lambda s: s) if style == "punctuated" else unpunct
    pos = [f(s) for _, s in _flat(DISMISSIVE)] + [f(s) for s in HARD_DISMISSIVE]
    neg = [f(s) for _, s in _flat(NOT_DISMISSIVE)] + [f(s) for s in HARD_NOT_DISMISSIVE]
    p, r = precision_recall(nlp, pos, neg, _dismissive)
    assert p >= PRECISION_TARGET and r >= RECALL_TARGET, (p, r)


# Advice without permission: the clinician tells or urges (MITI 4.2.1 Persuade), asked for by nobody.
ADVICE = {
    "direct advice": [
        "You should cut back to two drinks a night.", "You need to tell your doctor about the pills.",
        "You have to stop driving after you drink.", "I'd recommend the morning group.", "I suggest you call her tonight.",
        "My advice is to wait a week.", "The best thing is to get some sleep first.", "Make sure you eat before the run.",
        "Stop buying cigarettes by the carton.", "You've got to get out of the house more.",
        "I think you should talk to your boss.", "Why don't you try the patch?",
    ],
    "soft proposals": [
        "You might want to try a walk after dinner.", "You could try writing it down.", "Maybe you could join a group.",
        "It would be good to cut down before the holidays.", "Have you considered going back to the gym?",
        "What if you tried leaving your wallet at home?",
    ],
}
NOT_ADVICE = {
    "praise that uses the same words": [
        "You should be proud of yourself.", "You should be really pleased with that.", "You must be proud.",
        "You need to know that's a big step.",
    ],
    "questions about the client's own ideas and coping": [
        "What do you think you need to do?", "What helps you relax?", "What would you like to try first?",
        "How could you make that happen?", "What do you need to feel ready?",
    ],
    "reported and reflected speech": [
        "Your wife says you have to quit.", "You said you need to cut down.", "You feel you should call him.",
        "It sounds like you need to get some rest.", "Your doctor told you to stop.", "Part of you knows you need to change.",
        "I understand you need to be with her right now.",
    ],
    "denials in the clinician's own voice": [
        "I'm not saying you should quit.", "I'm not telling you to stop drinking.",
        "That doesn't mean you have to change anything.", "You don't have to decide today.",
    ],
    "information and the client's autonomy": [
        "It's up to you what you do with this.", "Some people find the patch helps.", "You must be exhausted.",
        "If you need to talk, I'm here.", "Take your time.", "Go ahead.", "You have to do what's right for you.",
    ],
}


# Known limits, counted in the whole-table figures: advice dressed as a report of what others do, and a
# "you should" that states an expectation, not a course of action.
HARD_ADVICE = ["A lot of people in your spot would call a lawyer.", "Most people find it's worth calling her."]
HARD_NOT_ADVICE = ["You should be hearing from the clinic this week.", "You should have the results by Friday."]


def _advice(nlp, text: str) -> bool:
    return bool(code_lexical(nlp(text))["advice"])


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize("category", sorted(ADVICE))
def test_advice_category(nlp, category, style):
    sents = [s if style == "punctuated" else unpunct(s) for s in ADVICE[category]]
    missed = [s for s in sents if not _advice(nlp, s)]
    assert len(missed) <= len(sents) * (1 - RECALL_TARGET), missed


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
@pytest.mark.parametrize("category", sorted(NOT_ADVICE))
def test_not_advice_category(nlp, category, style):
    sents = [s if style == "punctuated" else unpunct(s) for s in NOT_ADVICE[category]]
    wrong = [s for s in sents if _advice(nlp, s)]
    assert len(wrong) <= 1, wrong


@pytest.mark.parametrize("style", ["punctuated", "unpunctuated"])
def test_advice_table_meets_the_target(nlp, style):
    f = (lambda s: s) if style == "punctuated" else unpunct
    pos = [f(s) for _, s in _flat(ADVICE)] + [f(s) for s in HARD_ADVICE]
    neg = [f(s) for _, s in _flat(NOT_ADVICE)] + [f(s) for s in HARD_NOT_ADVICE]
    p, r = precision_recall(nlp, pos, neg, _advice)
    assert p >= PRECISION_TARGET and r >= RECALL_TARGET, (p, r)


def test_rule_behaviour_fields_are_checked_when_loaded(tmp_path):
    from analyzer.errors import ConfigError
    from analyzer.markers.rule_context import behaviours

    bad = tmp_path / "d.jsonl"
    bad.write_text('// comment\n{"label": "dismissive", "id": "d.x", "pattern": "calm down", "position": "sometimes"}\n')
    with pytest.raises(ConfigError, match="position") as e:
        behaviours((str(bad),))
    assert "line 2" in str(e.value) or ":2" in str(e.value)
    bad.write_text('{"label": "dismissive", "id": "d.y", "pattern": "calm down", "unless_nxt": ["to"]}\n')
    with pytest.raises(ConfigError, match="unless_nxt"):
        behaviours((str(bad),))


def test_each_behaviour_field_changes_the_outcome(nlp):
    # position: an imperative counts, the same words inside a clause do not
    assert _dismissive(nlp, "Calm down.") and not _dismissive(nlp, "It helps you calm down.")
    # not_in_question: asking about it explores
    assert _dismissive(nlp, "Stop worrying.") and not _dismissive(nlp, "What would help you stop worrying?")
    # unless_next: the next word changes the sense
    assert _dismissive(nlp, "It's nothing.") and not _dismissive(nlp, "It's nothing to be ashamed of.")
    # covers_own_voice: a denial in the clinician's voice cancels, a plain 'I think' does not
    assert not _dismissive(nlp, "I'm not saying it's all in your head.")
    assert _dismissive(nlp, "I think it's all in your head.")
