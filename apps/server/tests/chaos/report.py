"""The chaos suite's verdicts: one `ScenarioResult` per scenario, the common pass criteria,
and the table printed at the end of the run and written to `reports/chaos.md`."""

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from server.config import SERVER_DIR
from server.tests.chaos.load import Outcome, by_status

REPORT_PATH = SERVER_DIR.parent.parent / "reports" / "chaos.md"
"""`reports/chaos.md` at the top of the repository (git-ignored)."""

RECOVERY_BUDGET_S = 60.0
"""Fault injected -> first success (or a job running again): at most this, every scenario."""
HANG_S = 20.0
"""An answer slower than this is a hang: the API's own deadlines (`APP_PREDICT_TIMEOUT_S`,
5 s) are far shorter."""


@dataclass
class ScenarioResult:
    """What one scenario measured, and each pass criterion it missed."""

    name: str
    statuses: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicated: int = 0
    recovery_s: float | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def require(self, holds: bool, failure: str) -> None:
        """Record `failure` unless the criterion `holds`."""
        if not holds:
            self.failures.append(failure)

    def count(self, outcomes: Iterable[Outcome]) -> list[Outcome]:
        """Add requests to the counts; apply the criteria every request meets: no 500 (nor
        any 5xx but 503 and 504), no hang."""
        seen = list(outcomes)
        self.statuses.update(by_status(seen))
        errors = [o for o in seen if isinstance(o.status, int) and o.status >= 500]
        unexpected = [o for o in errors if o.status not in (503, 504)]
        self.require(not unexpected, f"{len(unexpected)} answers 5xx other than 503/504")
        hangs = [o for o in seen if o.seconds > HANG_S or o.status == "ReadTimeout"]
        self.require(not hangs, f"{len(hangs)} requests hung over {HANG_S:.0f} s")
        return seen

    def recovered(self, seconds: float, what: str = "recovery") -> None:
        """Record a recovery time (the slowest one counts) and check it against the budget."""
        self.recovery_s = max(self.recovery_s or 0.0, seconds)
        self.require(
            seconds <= RECOVERY_BUDGET_S,
            f"{what}: {'none' if seconds == float('inf') else f'{seconds:.1f} s'} "
            f"(budget {RECOVERY_BUDGET_S:.0f} s)",
        )

    def finish(self) -> None:
        """The criteria on items: none lost, none scored twice."""
        self.require(self.lost == 0, f"{self.lost} items lost")
        self.require(self.duplicated == 0, f"{self.duplicated} items duplicated")

    def row(self) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())) or "-"
        recovery = "-" if self.recovery_s is None else _seconds(self.recovery_s)
        verdict = "pass" if self.passed else "**FAIL**"
        why = "; ".join(self.failures + self.notes) or "-"
        cells = [self.name, statuses, str(self.lost), str(self.duplicated), recovery, verdict, why]
        return "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"


def _seconds(value: float) -> str:
    return "never" if value == float("inf") else f"{value:.1f}"


HEADER = (
    "| scenario | requests by status | lost | duplicated | recovery s | pass | notes |\n"
    "|---|---|---|---|---|---|---|"
)


class ChaosReport:
    """Every scenario of this run, in the order they ran."""

    def __init__(self) -> None:
        self.results: list[ScenarioResult] = []

    def add(self, result: ScenarioResult) -> None:
        self.results.append(result)
        self.write(REPORT_PATH)  # after each scenario: an interrupted run keeps what it saw

    def table(self) -> str:
        return "\n".join([HEADER, *(result.row() for result in self.results)])

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        failed = sum(not result.passed for result in self.results)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        path.write_text(
            f"# Chaos suite ({stamp})\n\n"
            f"{len(self.results)} scenarios, {failed} failed. Pass: no HTTP 500, no hang, no "
            f"item lost or scored twice, recovery within {RECOVERY_BUDGET_S:.0f} s, and each "
            "scenario's own criteria (its notes). Statuses that are not numbers are transport "
            "errors (no answer).\n\n"
            f"{self.table()}\n",
            encoding="utf-8",
        )


class ScenarioFactory:
    """`with scenario("name") as result:` records the result in the report, also when the
    scenario itself broke (the error becomes one of its failures)."""

    def __init__(self, report: ChaosReport) -> None:
        self.report = report

    @contextmanager
    def __call__(self, name: str) -> Iterator[ScenarioResult]:
        result = ScenarioResult(name)
        try:
            yield result
        except Exception as error:
            result.failures.append(f"aborted: {type(error).__name__}: {error}"[:400])
            raise
        finally:
            result.finish()
            self.report.add(result)
