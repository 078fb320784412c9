"""Sync predictions: route to a version, batch across requests, score on a worker, record.

One `PredictionService` lives in each API process. Concurrent requests for the same model
version are gathered by a micro-batcher into one Celery task; the worker scores the whole
batch in one vectorized call; the answers are fanned back to each waiting request. The
event loop never blocks: publishing runs in a thread and results are awaited.
"""

import asyncio
import math
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import structlog
from celery import Celery
from pydantic import ValidationError

from server.config import Settings
from server.core.broadcast import Broadcast
from server.core.errors import GatewayTimeoutError, ServiceUnavailableError, UnprocessableError
from server.core.exemplars import observe
from server.core.ml_metrics import INFERENCE_STAGE, INFERENCE_WAIT
from server.database.serving_models import Prediction
from server.database.session import Database
from server.services.predictions import feedback
from server.services.predictions.batcher import BatcherOverloadedError, MicroBatcher
from server.services.predictions.record_buffer import RecordBuffer
from server.services.predictions.records import Scored, record, scored_items
from server.services.predictions.tracing import BatcherWait, batch_span, start_wait
from server.services.traffic import PlanCache, ServedVersion
from server.taskqueue.heartbeat import heartbeat_max_age
from server.taskqueue.names import INFERENCE, INFERENCE_GPU
from server.taskqueue.payloads import PredictPayload, RequestMeta, ScoredBatch, ShadowPayload
from server.taskqueue.presence import WorkerPresence
from server.taskqueue.publisher import publish
from server.taskqueue.results import ResultWaiter, TaskFailedError

log = structlog.get_logger(__name__)


STAGE_PUBLISH = INFERENCE_STAGE.labels("publish")
STAGE_ANSWER = INFERENCE_STAGE.labels("answer")
STAGE_GATHER = INFERENCE_STAGE.labels("gather")


def _observe_gather(_key: object, _size: int, waited_s: float, _seconds: float) -> None:
    STAGE_GATHER.observe(waited_s)


class Ticket(NamedTuple):
    """One text of a request on its way into a micro-batch, with who asked for it."""

    text: str
    request_id: str | None
    user: str
    wait: BatcherWait | None = None
    """The request's wait span (tracing on), shared by its texts."""


def batch_headers(tickets: Sequence[Ticket]) -> dict[str, list[str]]:
    """Task headers naming every request and user of a micro-batch, for the worker's logs."""
    return {
        "request_ids": sorted({t.request_id for t in tickets if t.request_id}),
        "user_ids": sorted({t.user for t in tickets}),
    }


@dataclass(frozen=True)
class Caller:
    """Who asked, for routing, the prediction log and the worker's logs."""

    user: str
    routing_key: str
    request_id: str | None


@dataclass(frozen=True)
class PredictResult:
    model: str
    version: int
    predictions: list[Scored]


class PredictionService:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        celery: Celery,
        waiter: ResultWaiter,
        plan_bus: Broadcast,
        *,
        workers: WorkerPresence | None = None,
    ) -> None:
        self.settings, self.database = settings, database
        self.celery, self.waiter, self.workers = celery, waiter, workers
        self.plans = PlanCache(database, settings.model_name, settings.serving_plan_ttl_s, plan_bus)
        self.records = RecordBuffer(
            database, settings.prediction_log_flush_ms / 1000, settings.prediction_log_max_buffer
        )
        self.batcher: MicroBatcher[ServedVersion, Ticket, Scored] = MicroBatcher(
            self._score,
            max_items=settings.batch_max_texts,
            window_s=settings.batch_window_ms / 1000,
            max_in_flight=settings.batch_max_in_flight,
            max_waiting=settings.batch_max_waiting_texts,
            on_batch=_observe_gather,
        )
        self._background: set[asyncio.Task[None]] = set()

    def check_limits(self, texts: Sequence[str]) -> None:
        """The deployment's limits, stricter than the contract's ceilings."""
        if len(texts) > self.settings.predict_max_texts:
            raise UnprocessableError(
                f"body.texts: at most {self.settings.predict_max_texts} texts per request, "
                f"got {len(texts)}."
            )
        too_long = [i for i, t in enumerate(texts) if len(t) > self.settings.max_text_chars]
        if too_long:
            raise UnprocessableError(
                f"body.texts.{too_long[0]}: longer than {self.settings.max_text_chars} characters."
            )

    async def predict(self, texts: Sequence[str], caller: Caller) -> PredictResult:
        self.check_limits(texts)
        plan = await self.plans.get()
        served = plan.route(caller.routing_key)
        if served is None:
            raise ServiceUnavailableError(
                f"No version of '{plan.model_name}' is promoted yet; train one first."
            )
        queue = INFERENCE_GPU if self.settings.scores_on_gpu(served.version) else INFERENCE
        await self._check_servable(served, queue)
        started = time.perf_counter()
        outcome = "error"
        wait = start_wait(len(texts))
        try:
            tickets = [Ticket(text, caller.request_id, caller.user, wait) for text in texts]
            scored = await self.batcher.submit(served, tickets)
            outcome = "ok"
        except BatcherOverloadedError as exc:
            outcome = "unavailable"
            raise ServiceUnavailableError(
                "Too many predictions are waiting for a worker; retry shortly.",
                headers={"Retry-After": "1"},
            ) from exc
        except GatewayTimeoutError:
            outcome = "timeout"
            raise
        except ServiceUnavailableError:
            outcome = "unavailable"
            raise
        finally:
            if wait is not None:
                wait.end()  # its batch never left (overloaded, failed, cancelled)
            seconds = time.perf_counter() - started
            observe(INFERENCE_WAIT, (queue, outcome), seconds)  # with the trace as exemplar
        latency_ms = seconds * 1000
        self.records.add(
            [
                record(
                    s,
                    text,
                    model_name=plan.model_name,
                    latency_ms=latency_ms,
                    requested_by=caller.user,
                    request_id=caller.request_id,
                    store_inputs=self.settings.store_inputs,
                )
                for s, text in zip(scored, texts, strict=True)
            ]
        )
        shadow = plan.shadow_for(served, draw=uuid.uuid4().int % 10_000 / 10_000)
        if shadow is not None:
            self._in_background(self._shadow(shadow, list(texts), caller))
        return PredictResult(plan.model_name, scored[0].version, scored)

    async def record_feedback(
        self, prediction_id: uuid.UUID, label: str, *, owner: str | None
    ) -> Prediction:
        """The true label of a prediction, even one answered moments ago (`feedback.py`)."""
        return await feedback.give_feedback(
            self.database,
            self.records,
            prediction_id,
            label,
            self.settings.model_labels,
            owner=owner,
            wait_s=self.settings.feedback_wait_ms / 1000,
        )

    def _unavailable(self, reason: str) -> ServiceUnavailableError:
        retry_s = math.ceil(heartbeat_max_age(self.settings))  # when presence can change
        return ServiceUnavailableError(
            f"{reason}; retry shortly.", headers={"Retry-After": str(max(retry_s, 1))}
        )

    async def _check_servable(self, served: ServedVersion, queue: str) -> None:
        """503 at once, with the reason, when no worker can answer for the version (none is
        running, or every one refused its artifact), instead of a 504 after the timeout.
        Asks the cached view of the workers; when it is unknown, the request goes ahead."""
        view = await self.workers.view() if self.workers is not None else None
        model = self.settings.model_name
        reason = view.unavailable(model, served.version, queue) if view else None
        if reason is not None:
            raise self._unavailable(reason)

    async def _score(self, served: ServedVersion, tickets: list[Ticket]) -> list[Scored]:
        waits = [ticket.wait for ticket in tickets]
        model = self.settings.model_name
        with batch_span(waits, model=model, version=served.version, texts=len(tickets)):
            return await self._score_batch(served, tickets)

    async def _score_batch(self, served: ServedVersion, tickets: list[Ticket]) -> list[Scored]:
        task_id = self.waiter.new_task_id()
        handle = self.waiter.expect(task_id)  # subscribed before the task can finish
        started = time.perf_counter()
        try:
            await publish(
                self.celery,
                PredictPayload(
                    model=self.settings.model_name,
                    version=served.version,
                    sha256=served.sha256,
                    texts=[ticket.text for ticket in tickets],
                ),
                headers=batch_headers(tickets),
                # GPU workers consume inference-gpu alone (APP_GPU_VERSIONS picks versions).
                queue=INFERENCE_GPU if self.settings.scores_on_gpu(served.version) else None,
                ignore_result=False,
                task_id=task_id,
                # Nobody awaits the answer past the timeout: a worker that gets the task
                # later (it was down, the queue was long) drops it instead of scoring it.
                expires_s=self.settings.predict_timeout_s,
            )
        except BaseException:
            handle.discard()
            raise
        published = time.perf_counter()
        answer = await handle.wait(self.settings.predict_timeout_s)
        STAGE_PUBLISH.observe(published - started)
        STAGE_ANSWER.observe(time.perf_counter() - published)
        try:
            batch = ScoredBatch.model_validate(answer)
        except ValidationError as exc:
            log.error("predictions.invalid_answer", task_id=task_id, errors=exc.error_count())
            raise TaskFailedError(task_id, "ValidationError") from exc
        if batch.refused is not None:  # the worker refuses the version's artifact
            model, version = self.settings.model_name, served.version
            raise self._unavailable(f"version {version} of '{model}' is refused: {batch.refused}")
        return scored_items(batch)

    async def _shadow(self, served: ServedVersion, texts: list[str], caller: Caller) -> None:
        meta = RequestMeta(requested_by=caller.user, request_id=caller.request_id)
        await publish(
            self.celery,
            ShadowPayload(
                model=self.settings.model_name,
                version=served.version,
                sha256=served.sha256,
                texts=texts,
                meta=[meta] * len(texts),
            ),
            headers={"request_id": caller.request_id or "", "user_id": caller.user},
            expires_s=self.settings.shadow_expires_s,
        )

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        async def guarded() -> None:
            try:
                await coroutine
            except Exception:  # shadow scoring must never hurt the answer
                log.warning("predictions.shadow_failed", exc_info=True)

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self) -> None:
        await self.batcher.aclose()
        await self.plans.aclose()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.records.aclose()
        await self.waiter.aclose()
