"""Start-up and shutdown: the engine is disposed of and the events are logged."""

import json

import pytest

from server.main import create_app
from server.tests.support.settings import SettingsFactory


async def test_lifespan_logs_start_and_stop_and_disposes_the_engine(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings())
    disposed: list[bool] = []
    original = app.state.services.database.dispose

    async def dispose() -> None:
        disposed.append(True)
        await original()

    app.state.services.database.dispose = dispose
    async with app.router.lifespan_context(app):
        pass
    events = [
        json.loads(line)["event"]
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("{")
    ]
    assert events == ["app.started", "app.stopped"]
    assert disposed == [True]
