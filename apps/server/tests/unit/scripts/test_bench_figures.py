"""The serving benchmark's arithmetic: ratios paired within a round, stages by the deepest
frame, goals judged on medians. Figures are made up; what is checked is what the report
says about them."""

from pathlib import Path
from typing import Any

from server.scripts.bench import report, rounds, stages


def figures(rps: float, p99: float, failures: int = 0, cpu_us: float = 100) -> dict[str, Any]:
    return {
        "requests_per_s": rps,
        "requests": int(rps * 10),
        "latency_ms": {"p50": p99 / 3, "p99": p99, "mean": p99 / 2},
        "non_2xx": failures,
        "errors": 0,
        "server_cpu_us": cpu_us,
    }


def two_rounds() -> list[dict[str, dict[str, Any]]]:
    # The machine got busier in round 2: everything halved, the paired ratios did not move.
    return [
        {
            "floor": figures(6000, 15),
            "health": figures(3000, 20),
            "predictions_token": figures(1800, 40),
            "predictions_api_key": figures(1200, 80, failures=2),
        },
        {
            "floor": figures(3000, 30),
            "health": figures(1500, 40),
            "predictions_token": figures(900, 45),
            "predictions_api_key": figures(600, 90),
        },
    ]


def test_ratios_are_paired_within_each_round() -> None:
    summary = rounds.summarize(two_rounds())
    token = summary["predictions_token"]
    assert token["ratio_floor"] == {"median": 0.3, "min": 0.3, "max": 0.3}
    assert token["ratio_health"]["median"] == 0.6
    assert token["requests_per_s"] == {"median": 1350.0, "min": 900.0, "max": 1800.0}
    assert summary["predictions_api_key"]["failures"] == 2
    assert summary["floor"]["ratio_floor"]["median"] == 1.0


def test_goals_are_judged_per_credential_on_the_medians() -> None:
    summary = rounds.summarize(two_rounds())
    batch = {"available": True, "texts": report.BATCH_JOB_TEXTS, "texts_per_s": 25_000.0}
    verdicts = {goal["name"]: goal["met"] for goal in report.judge(summary, batch)}
    assert verdicts["predictions (token) throughput vs the floor"] is True
    assert verdicts["predictions (token) p99 latency"] is True  # median of 40 and 45
    assert verdicts["predictions (api key) throughput vs the floor"] is False
    assert verdicts["predictions (api key) p99 latency"] is False
    assert verdicts["predictions (api key) without errors or non-2xx"] is False
    assert verdicts["100k-text batch job, end to end"] is True


def test_a_smaller_batch_job_is_not_judged() -> None:
    batch = {"available": True, "texts": 1000, "texts_per_s": 50_000.0}
    goals = report.judge(rounds.summarize(two_rounds()), batch)
    assert goals[-1]["met"] is None


def test_a_sample_belongs_to_the_deepest_stage_it_passes_through() -> None:
    frame = "{} ({}:1)".format
    quota_inside_auth = ";".join(
        [
            "process 1",
            frame("RequestContextMiddleware.__call__", "server/core/middleware.py"),
            frame("solve_dependencies", "fastapi/dependencies/utils.py"),
            frame("get_principal", "server/routes/deps.py"),
            frame("Authenticator.enforce_rate_limit", "server/services/authentication.py"),
            frame("Redis.execute_command", "redis/client.py"),
        ]
    )
    assert stages.stage_of(quota_inside_auth) == "quota"
    framework_only = ";".join(quota_inside_auth.split(";")[:3])
    assert stages.stage_of(framework_only) == "framework"
    assert stages.stage_of("process 1;" + frame("Runner.run", "asyncio/runners.py")) == (
        stages.OTHER
    )


def test_cpu_per_request_is_shared_by_stage_skipping_idle_threads(tmp_path: Path) -> None:
    folded = tmp_path / "api.folded"
    auth = "process 1;" + "Authenticator.authenticate (server/services/authentication.py:9)"
    loop = "process 1;" + "Runner.run (asyncio/runners.py:118)"
    idle = "process 1;_worker (concurrent/futures/thread.py:81)"
    folded.write_text(f"{auth} 30\n{loop} 10\n{idle} 500\n", "utf-8")
    costs = stages.per_request(folded, cpu_us=800)
    assert costs == {"auth": 600.0, stages.OTHER: 200.0, "total": 800.0}


def test_the_page_shows_every_endpoint_with_its_ratios() -> None:
    measured = two_rounds()
    summary = rounds.summarize(measured)
    page = report.render_markdown(
        {
            "created_at": "2026-12-02T00:00:00+00:00",
            "machine": {"cpus": 2, "cpu_model": "test", "python": "3.11", "platform": "linux"},
            "config": {
                "api_workers": 1,
                "worker_concurrency": 1,
                "worker_queues": "inference",
                "train_rows": 1000,
                "batch_window_ms": 5,
                "batch_max_texts": 64,
                "batch_max_in_flight": 32,
                "rate_limit_enabled": True,
            },
            "load": {
                "client": "wrk",
                "client_threads": 1,
                "connections": 64,
                "warmup_s": 1,
                "duration_s": 10,
                "rounds": 2,
                "note": "",
            },
            "endpoints": {name: name for name in summary},
            "rounds": measured,
            "summary": summary,
            "profiles": {},
            "batch_job": {"available": False, "status": "skipped"},
            "targets": report.judge(summary, {"available": False}),
        }
    )
    assert "| predictions_token | 1,350 (900-1,800) | 0.3 | 0.6 |" in page
    assert "| predictions (api key) p99 latency | <= 50 ms | 85.0 | **not met** |" in page
