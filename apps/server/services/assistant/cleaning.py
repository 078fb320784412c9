"""The model's words cleaned before they are stored or shown.

A reply is plain text for a support agent to send: markup is removed (a model talked into
writing `<script>` or an image beacon gets its tags dropped, their text kept), control
and invisible formatting characters go (bidirectional overrides can make a text read
otherwise than it is), line ends are normalized and runs of blank lines shortened.
"""

import re

_DANGEROUS_BLOCKS = re.compile(
    r"<\s*(script|style|iframe|object)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.DOTALL)
# C0/C1 controls but tab and newline; zero-width and bidirectional formatting characters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """`text` without markup, control or invisible characters, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DANGEROUS_BLOCKS.sub("", text)
    text = _TAG.sub("", text)
    text = _INVISIBLE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SPACES = re.compile(r"\s+")
MIN_LEAK_CHARS = 30
"""A shared sentence this long is no coincidence."""


def _normalized(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def repeats_instructions(text: str, instructions: str) -> bool:
    """Does `text` quote a sentence of `instructions` (a leaked system prompt)?"""
    said = _normalized(text)
    return any(
        len(sentence) >= MIN_LEAK_CHARS and sentence in said
        for sentence in (
            _normalized(part).rstrip(".!?") for part in _SENTENCE_END.split(instructions)
        )
    )
