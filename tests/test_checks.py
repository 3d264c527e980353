"""The declarative checker of the TOML data files: one message shape for every file and key."""

from __future__ import annotations

import pytest

from analyzer.checks import Key, read_keys
from analyzer.errors import ConfigError
from analyzer.markers.settings import load_settings
from analyzer.resources import model_file

KEYS = (Key("timing.fast_response_s", "number"), Key("backchannel.max_words", "whole", "limit"),
        Key("words.openers", "words"), Key("fragments", "bool"), Key("irregular", "word_map"))


def test_values_are_converted_and_named():
    data = {"timing": {"fast_response_s": 1}, "backchannel": {"max_words": 3}, "words": {"openers": ["So", "okay"]},
            "fragments": True, "irregular": {"Drank": "drink"}}
    assert read_keys(data, "x.toml", KEYS) == {"fast_response_s": 1.0, "limit": 3, "openers": frozenset({"so", "okay"}),
                                             "fragments": True, "irregular": {"drank": "drink"}}


@pytest.mark.parametrize(("data", "message"), [
    ({"timing": {}}, "x.toml: missing key [timing] fast_response_s"),
    ({"timing": {"fast_response_s": "fast"}}, "x.toml: [timing] fast_response_s must be a number, got 'fast'"),
    ({"timing": {"fast_response_s": 1}, "backchannel": {"max_words": -1}},
     "[backchannel] max_words must be a whole number ≥ 0, got -1"),
    ({"timing": {"fast_response_s": 1}, "backchannel": {"max_words": True}},
     "[backchannel] max_words must be a whole number ≥ 0, got True"),
    ({"timing": {"fast_response_s": 1}, "backchannel": {"max_words": 3}, "words": {"openers": "so"}},
     "[words] openers must be a list of strings"),
])
def test_a_wrong_value_names_file_key_and_what_is_allowed(data, message):
    with pytest.raises(ConfigError) as err:
        read_keys(data, "x.toml", KEYS)
    assert message in str(err.value)


def test_settings_files_go_through_the_checker(tmp_path):
    text = model_file("markers.toml").read_text(encoding="utf-8").replace("silence_s = ", "silence_s = \"3\" # ", 1)
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(str(path))
    assert "mine.toml" in str(err.value) and "[timing] silence_s must be a number" in str(err.value)
