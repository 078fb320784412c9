"""`python -m server prompts ...` and `python -m server eval`, as an operator runs them."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.agents.llm.evaluation import build_eval_set
from server.cli.main import main
from server.config import PromptEvalConfig
from server.tests.support.databases import provision_database
from server.tests.support.fake_llm import FakeOpenAI


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with provision_database("sqlite", tmp_path, with_admin=False) as database:
        monkeypatch.setenv("APP_DATABASE_URL", database.settings.database_url)
        monkeypatch.delenv("APP_LLM__PROVIDERS", raising=False)
        yield database.settings.database_url


@pytest.mark.usefixtures("database_url")
def test_register_list_canary_and_rollback_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = BUILTIN_PROMPT.model_dump(mode="json")
    as_yaml, as_json = tmp_path / "prompt.yaml", tmp_path / "prompt.json"
    as_yaml.write_text(yaml.safe_dump({**spec, "system_prompt": "Multi-line\nprompt."}))
    as_json.write_text(json.dumps(spec))

    assert main(["prompts", "register", str(as_yaml), "--description", "from YAML"]) == 0
    assert "registered version 1" in capsys.readouterr().out
    assert main(["prompts", "register", str(as_json)]) == 0
    assert "registered version 2" in capsys.readouterr().out
    assert main(["prompts", "register", str(as_json)]) == 0
    assert "already registered as version 2" in capsys.readouterr().out

    assert main(["prompts", "promote", "2", "--alias", "challenger", "--reason", "try"]) == 0
    assert main(["prompts", "canary", "20"]) == 0
    assert "challenger share: 20 %" in capsys.readouterr().out
    assert main(["prompts", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("v1 ")
    assert listed[1].startswith("v2 ")
    assert " challenger " in listed[1]

    assert main(["prompts", "rollback", "--alias", "challenger", "--reason", "no"]) == 1
    assert "no previous version" in capsys.readouterr().err


@pytest.mark.usefixtures("database_url")
def test_a_bad_spec_file_is_refused_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("system_prompt: hi\n")
    assert main(["prompts", "register", str(bad)]) == 1
    assert "tool_descriptions" in capsys.readouterr().err
    assert main(["prompts", "register", str(tmp_path / "missing.yaml")]) == 1
    assert "missing.yaml" in capsys.readouterr().err


@pytest.mark.usefixtures("database_url")
def test_without_a_provider_eval_and_promotion_say_how_to_configure_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--out-dir", str(tmp_path / "reports")]) == 2
    assert "APP_LLM__PROVIDERS" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()
    spec = tmp_path / "prompt.json"
    spec.write_text(json.dumps(BUILTIN_PROMPT.model_dump(mode="json")))
    assert main(["prompts", "register", str(spec)]) == 0
    assert main(["prompts", "promote", "1", "--reason", "go"]) == 2
    assert "APP_LLM__PROVIDERS" in capsys.readouterr().err


@pytest.mark.usefixtures("database_url")
def test_promote_runs_the_evaluations_the_gate_misses_then_promotes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_openai: FakeOpenAI,
) -> None:
    provider = fake_openai.provider("cli")
    monkeypatch.setenv("APP_LLM__PROVIDERS", json.dumps([provider.model_dump(mode="json")]))
    monkeypatch.setenv("APP_LLM__MAX_ATTEMPTS", "1")
    monkeypatch.setenv("APP_PROMPT_EVAL__EXAMPLES_PER_CATEGORY", "1")
    monkeypatch.setenv("APP_PROMPT_EVAL__CONCURRENCY", "1")
    eval_set = build_eval_set(PromptEvalConfig(examples_per_category=1))
    answers = [
        {
            "content": json.dumps(
                {
                    "reply": "Thanks for writing; here is what to do.",
                    "category": example.expected_category,
                    "cited_articles": [],
                    "confidence_note": "No article was searched.",
                }
            )
        }
        for example in eval_set.examples
    ]
    # The candidate's drafts, then the builtin prompt's: the same answers, an equal prompt.
    fake_openai.script("cli", *answers, *answers)
    spec = tmp_path / "prompt.json"
    spec.write_text(json.dumps({**BUILTIN_PROMPT.model_dump(mode="json"), "temperature": 0.1}))
    assert main(["prompts", "register", str(spec)]) == 0
    capsys.readouterr()

    assert main(["prompts", "promote", "1", "--reason", "go"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("evaluated v1: ")
    assert out[1].startswith("evaluated builtin: ")
    assert out[2] == "champion: v1"
    assert len(fake_openai.received("cli")) == 2 * len(eval_set.examples)
    # The reports are stored: promoting again needs no provider call.
    assert main(["prompts", "promote", "1", "--reason", "again"]) == 0
    assert len(fake_openai.received("cli")) == 2 * len(eval_set.examples)
