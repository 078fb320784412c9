"""Personal data is replaced before a text leaves for a provider, and restored after."""

import pytest

from server.agents.llm.pii import Redaction, luhn_valid, redact

TICKET = (
    "Hi, I am jane.doe+shop@example.co.uk, call me on +44 20 7946 0958. "
    "My card 4111 1111 1111 1111 was charged twice for order 1234567."
)


def test_emails_phones_and_cards_become_placeholders() -> None:
    redacted, redaction = redact(TICKET)
    assert "jane.doe" not in redacted
    assert "7946" not in redacted
    assert "4111" not in redacted
    assert "[EMAIL_1]" in redacted
    assert "[PHONE_1]" in redacted
    assert "[CARD_1]" in redacted
    assert redaction.restore(redacted) == TICKET


@pytest.mark.parametrize(
    "kept",
    [
        "order 1234567 of 2026-12-02",  # an order number and a date are not personal data
        "paid on 12.03.2025 at 10:30",
        "card 4111 1111 1111 1112",  # fails the Luhn check: not a card number
        "version 1.2.3 on port 8000",
    ],
)
def test_numbers_that_are_no_personal_data_stay(kept: str) -> None:
    assert redact(kept)[0] == kept


@pytest.mark.parametrize("number", ["0151 234 5678", "+1 (415) 555-0100", "+49-30-1234567"])
def test_phone_numbers_in_their_usual_shapes_are_redacted(number: str) -> None:
    redacted, redaction = redact(f"call me on {number} please")
    assert redacted == "call me on [PHONE_1] please"
    assert redaction.values == {"[PHONE_1]": number}


def test_the_same_value_keeps_its_placeholder_across_messages() -> None:
    redaction = Redaction()
    first = redaction.redact("write to a@example.com or b@example.com")
    second = redaction.redact("a@example.com again")
    assert first == "write to [EMAIL_1] or [EMAIL_2]"
    assert second == "[EMAIL_1] again"


def test_only_placeholders_it_made_are_restored() -> None:
    _, redaction = redact("mail me at a@example.com")
    answer = "We wrote to [EMAIL_1]; [EMAIL_7] and [CARD_1] are unknown to us."
    assert redaction.restore(answer) == (
        "We wrote to a@example.com; [EMAIL_7] and [CARD_1] are unknown to us."
    )


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("5500005555555559")
    assert not luhn_valid("4111111111111112")
