"""Input normalization: NFC, control characters, length cap."""

import unicodedata

from server.agents.text import normalize_text, normalize_texts


def test_decomposed_accents_are_composed() -> None:
    decomposed = "cafe\u0301"
    assert normalize_text(decomposed, 100) == "caf\u00e9"
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed, 100))


def test_separator_controls_become_spaces_so_words_stay_apart() -> None:
    assert normalize_text("refund\nplease\tnow\r\n", 100) == "refund please now  "


def test_other_control_and_format_characters_are_removed() -> None:
    text = "pass\u200bword\x00 reset\ufeff \x1b[31mred\u202e"
    assert normalize_text(text, 100) == "password reset [31mred"


def test_cut_happens_after_cleaning() -> None:
    assert normalize_text("\x00\x00abcdef", 3) == "abc"
    assert normalize_text("short", 100) == "short"


def test_printable_text_is_returned_unchanged() -> None:
    text = "Hello, my invoice #123 is wrong. Ünïcödé works."
    assert normalize_text(text, 1000) == text


def test_batch_helper_normalizes_every_text() -> None:
    assert normalize_texts(["a\nb", "c\x00d"], 10) == ["a b", "cd"]
