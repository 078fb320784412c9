"""APP_GPU_VERSIONS: which versions' predictions go to the GPU workers' queue."""

import pytest
from pydantic import ValidationError

from server.config import Settings


def settings(value: str) -> Settings:
    return Settings(_env_file=None, env="test", gpu_versions=value)


def test_by_default_every_version_stays_on_the_cpu() -> None:
    default = Settings(_env_file=None, env="test")
    assert not default.scores_on_gpu(1)


def test_listed_versions_score_on_the_gpu_and_the_others_do_not() -> None:
    chosen = settings("3, 5")
    assert chosen.gpu_versions == ["3", "5"]
    assert chosen.scores_on_gpu(3)
    assert chosen.scores_on_gpu(5)
    assert not chosen.scores_on_gpu(4)


def test_a_star_sends_every_version() -> None:
    assert settings("*").scores_on_gpu(12)


@pytest.mark.parametrize("value", ["latest", "0", "-1", "2.5"])
def test_anything_else_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ValidationError, match="neither a version number nor"):
        settings(value)
