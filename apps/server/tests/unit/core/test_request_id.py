import pytest

from server.core.request_id import resolve_request_id


@pytest.mark.parametrize("incoming", ["abc", "A-b_9", "x" * 64])
def test_a_valid_request_id_is_kept(incoming: str) -> None:
    assert resolve_request_id(incoming) == incoming


@pytest.mark.parametrize(
    "incoming", [None, "", "x" * 65, "has space", "new\nline", "semi;colon", "ünï"]
)
def test_an_invalid_request_id_is_replaced(incoming: str | None) -> None:
    generated = resolve_request_id(incoming)
    assert generated != incoming
    assert len(generated) == 32
    assert generated.isalnum()
