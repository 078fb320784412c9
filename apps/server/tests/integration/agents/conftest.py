"""One fake OpenAI-compatible server process for the module's tests."""

from collections.abc import Iterator

import pytest

from server.tests.support.fake_llm import FakeOpenAI, fake_openai_server


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with fake_openai_server() as server:
        yield server
