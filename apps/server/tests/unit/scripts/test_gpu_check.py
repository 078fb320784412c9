"""The prepared GPU check, on a machine without a GPU: it refuses to pass on the CPU."""

import importlib.util
from types import ModuleType

import pytest

from server.config import SERVER_DIR


def gpu_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_check", SERVER_DIR / "scripts/gpu_check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_gpu_the_check_fails_on_the_device_and_reports_cpu_parity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        import cupy  # type: ignore[import-not-found]  # noqa: F401, PLC0415
    except ImportError:
        pass
    else:  # pragma: no cover - a GPU machine runs the check itself
        pytest.skip("CuPy is installed: this test is for the CPU path")
    assert gpu_check().main(["--rows", "1500", "--texts", "256"]) == 1
    output = capsys.readouterr().out
    assert '"device": "cpu"' in output
    assert '"max_abs_probability_difference": 0.0' in output
    assert "the GPU classifier scores on cpu, not cuda" in output
