"""One reply draft's run, storage aside: the prompt and the fenced, redacted ticket go to
the agent loop with the draft's tools; its answer is validated as a `DraftReply` (one
repair) and cleaned, and its citations kept only where a search of this draft found them.

`DraftComposer.compose` streams the run's events for the drafts service; `drafter` makes
the same run a `Drafter` for the evaluations.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from server.agents.llm.agent import AgentLimits, AgentRun, ToolFinished, ToolStarted
from server.agents.llm.delimiting import DATA_RULE, fence
from server.agents.llm.drafting import Drafter, DraftOutcome, DraftReply, PromptSpec
from server.agents.llm.errors import LLMError
from server.agents.llm.pii import redact
from server.agents.llm.structured import (
    InvalidOutputError,
    parse_answer,
    parse_repaired,
    repair_messages,
)
from server.agents.llm.types import ChatRequest, TextDelta, ToolCall
from server.config.llm import LLMConfig
from server.core.errors import AppError, GatewayTimeoutError, ServiceUnavailableError
from server.database.session import Database
from server.services.assistant.cleaning import clean_text, repeats_instructions
from server.services.assistant.gateway import ModelGateway
from server.services.assistant.telemetry import DraftMeter, TracedTool
from server.services.assistant.tools import (
    ClassifyTicket,
    DraftContext,
    EarlierTickets,
    SearchArticles,
)
from server.services.predictions.service import PredictionService

EVALUATION = "evaluation"


@dataclass(frozen=True)
class ComposedDraft:
    """The validated, cleaned answer and the articles it cites (slug and title)."""

    reply: DraftReply
    cited: list[dict[str, str]]


@dataclass(frozen=True)
class StepStarted:
    """A tool call begins; `step` is its index in the draft's trace."""

    step: int
    call: ToolCall


@dataclass(frozen=True)
class StepFinished:
    step: int
    outcome: ToolFinished


ComposeEvent = TextDelta | StepStarted | StepFinished | ComposedDraft


def draft_messages(spec: PromptSpec, ticket: str) -> list[dict[str, Any]]:
    """The system prompt with the data rule, and the ticket fenced as data."""
    return [
        {"role": "system", "content": f"{spec.system_prompt}\n\n{DATA_RULE}"},
        {"role": "user", "content": fence(ticket)},
    ]


def tool_step(index: int, step: ToolFinished) -> dict[str, Any]:
    """A tool call as the draft's trace stores it."""
    try:
        arguments: dict[str, Any] | None = step.call.parsed_arguments()
    except ValueError:
        arguments = {"unparsed": step.call.arguments[:1000]}
    return {
        "index": index,
        "kind": "tool",
        "name": step.call.name,
        "arguments": arguments,
        "result": step.result,
        "error": step.error,
        "duration_ms": round(step.duration_s * 1000, 3),
    }


def cleaned(reply: DraftReply, found: dict[str, str], instructions: str) -> ComposedDraft:
    """`reply` cleaned for storage and display, citing only articles the searches found;
    an answer that quotes its `instructions` (the system prompt) is refused."""
    if any(
        repeats_instructions(text, instructions) for text in (reply.reply, reply.confidence_note)
    ):
        raise InvalidOutputError("the model's answer repeats its instructions")
    slugs = list(dict.fromkeys(slug for slug in reply.cited_articles if slug in found))
    try:
        clean = DraftReply(
            reply=clean_text(reply.reply),
            category=clean_text(reply.category),
            cited_articles=slugs,
            confidence_note=clean_text(reply.confidence_note),
        )
    except ValidationError as exc:
        raise InvalidOutputError("the model's answer was empty once cleaned") from exc
    return ComposedDraft(clean, [{"slug": slug, "title": found[slug]} for slug in slugs])


class DraftComposer:
    """Runs drafts; one per API process."""

    def __init__(
        self,
        config: LLMConfig,
        gateway: ModelGateway,
        database: Database,
        predictions: PredictionService,
    ) -> None:
        self.config = config
        self._gateway = gateway
        self._database = database
        self._predictions = predictions

    def tools(self, spec: PromptSpec, context: DraftContext) -> list[TracedTool]:
        """The tools the prompt version describes, bound to this draft."""
        available = (
            ClassifyTicket(self._predictions, context),
            SearchArticles(self._database, context),
            EarlierTickets(self._database, context),
        )
        return [
            TracedTool(tool, spec.tool_descriptions[tool.name])
            for tool in available
            if tool.name in spec.tool_descriptions
        ]

    async def compose(
        self,
        spec: PromptSpec,
        label: str,
        context: DraftContext,
        meter: DraftMeter,
        max_tokens: int,
    ) -> AsyncIterator[ComposeEvent]:
        """The run's text pieces and tool events, then the `ComposedDraft`."""
        limits = AgentLimits(
            max_steps=spec.max_steps,
            max_tokens=max_tokens,
            max_output_tokens=spec.max_output_tokens,
            temperature=spec.temperature,
        )
        messages = draft_messages(spec, context.ticket)
        run: AgentRun | None = None
        async for event in self._gateway.run_agent(
            messages, self.tools(spec, context), limits, meter
        ):
            if isinstance(event, AgentRun):
                run = event
                continue
            # Between a tool's start and its end no other step is recorded: the index
            # announced at the start is the one the trace stores.
            if isinstance(event, ToolStarted):
                yield StepStarted(len(meter.steps), event.call)
            elif isinstance(event, ToolFinished):
                step = len(meter.steps)
                meter.steps.append(tool_step(step, event))
                yield StepFinished(step, event)
            else:
                yield event
        assert run is not None  # noqa: S101 - the loop always ends with its run
        reply = await self._validated(run, spec, label, meter)
        yield cleaned(reply, context.found, messages[0]["content"])

    async def _validated(
        self, run: AgentRun, spec: PromptSpec, label: str, meter: DraftMeter
    ) -> DraftReply:
        """The answer as a `DraftReply`, asking the model once to repair a misfit."""
        try:
            return parse_answer(run.answer.content, DraftReply)
        except ValidationError as error:
            repair = repair_messages(run.answer.content, error, DraftReply)
        request = ChatRequest(
            messages=[*run.history, *repair],
            temperature=spec.temperature,
            max_tokens=spec.max_output_tokens,
        )
        second = await self._gateway.complete(request, label, meter)
        return parse_repaired(second.content, DraftReply)


def drafter(composer: DraftComposer, owner: str = EVALUATION) -> Drafter:
    """The composer as a `Drafter`: runs a draft (redacted, fenced, validated, cleaned)
    without storing it, for the evaluations."""

    async def draft(ticket: str, prompt: PromptSpec) -> DraftOutcome:
        redacted, _ = redact(ticket)
        context = DraftContext(owner=owner, ticket=redacted)
        meter = DraftMeter(EVALUATION, [])
        called: list[str] = []
        try:
            async for event in composer.compose(
                prompt, EVALUATION, context, meter, composer.config.draft_max_tokens
            ):
                if isinstance(event, StepStarted):
                    called.append(event.call.name)
                elif isinstance(event, ComposedDraft):
                    return DraftOutcome(reply=event.reply, tools_called=called)
        except (ServiceUnavailableError, GatewayTimeoutError):
            # No provider answered: that says nothing of the prompt, and scoring it as a
            # bad draft could pass a worse prompt or refuse a good one. The run fails.
            raise
        except AppError as exc:
            return DraftOutcome(reply=None, tools_called=called, error=exc.detail)
        except LLMError as exc:
            return DraftOutcome(reply=None, tools_called=called, error=str(exc))
        raise AssertionError("unreachable: a composed run ends with its draft")  # pragma: no cover

    return draft
