"""The command line writes the artefacts the Makefile commits."""

import json
from pathlib import Path

import pytest

from server.cli.dev import HEALTHY_AFTER_S, RESTART_DELAYS_S, Restarts
from server.cli.main import main
from server.cli.settings_table import END_MARKER, START_MARKER, render_settings_table


def test_openapi_command_writes_the_schema(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(output)]) == 0
    schema = json.loads(output.read_text())
    assert schema["info"]["title"] == "ticket-triage"
    assert "/readiness" in schema["paths"]


def test_settings_table_command_replaces_only_the_marked_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n{START_MARKER}\nstale\n{END_MARKER}\nafter\n")
    assert main(["settings-table", "--update", str(readme)]) == 0
    text = readme.read_text()
    assert "stale" not in text
    assert render_settings_table() in text
    assert text.startswith("# Title\n")
    assert text.endswith(f"{END_MARKER}\nafter\n")


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_dev_restarts_back_off_while_a_process_keeps_failing_and_reset_once_it_ran() -> None:
    restarts = Restarts()
    now = restarts.started_at
    delays = []
    for _ in range(len(RESTART_DELAYS_S) + 1):
        delays.append(restarts.exited(now))
        restarts.started(now)
    assert delays == [*RESTART_DELAYS_S, RESTART_DELAYS_S[-1]]
    assert restarts.exited(now + HEALTHY_AFTER_S) == RESTART_DELAYS_S[0]
