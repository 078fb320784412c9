"""The reply assistant's tools: the triage classifier, the knowledge base, and the
caller's own earlier tickets.

Each tool is bound to one draft (`DraftContext`): who asks, which ticket, and what the
searches returned, so that a draft may cite only articles a search of its own produced
and may read only its owner's history. A tool's failure is a `ToolError`: its message
goes back to the model, which may try otherwise.
"""

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from server.agents.llm.agent import ToolError
from server.agents.llm.delimiting import fence
from server.agents.llm.drafting import CLASSIFY_TOOL, HISTORY_TOOL, SEARCH_TOOL
from server.core.errors import AppError
from server.database import draft_repository
from server.database.session import Database
from server.services.assistant.articles import search_articles
from server.services.predictions.service import Caller, PredictionService

EXCERPT_CHARS = 400
MAX_HITS = 10
# Earlier tickets carry placeholders of their own redaction: made generic, the model cannot
# copy one into this draft's reply and have it restored to one of this ticket's values.
_NUMBERED_PLACEHOLDER = re.compile(r"\[(EMAIL|CARD|PHONE)_\d+\]")


@dataclass
class DraftContext:
    """What the tools of one draft share."""

    owner: str
    ticket: str
    """The ticket as the model sees it (redacted)."""
    draft_id: uuid.UUID | None = None
    request_id: str | None = None
    found: dict[str, str] = field(default_factory=dict)
    """Slug to title of every article the searches returned: the citable ones."""


def _limit(arguments: dict[str, Any], default: int) -> int:
    value = arguments.get("limit", default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_HITS:
        raise ToolError(f"limit must be a whole number from 1 to {MAX_HITS}")
    return value


def _text(arguments: dict[str, Any], name: str, default: str | None = None) -> str:
    value = arguments.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise ToolError(f"{name} must be a non-empty string")
    return value


CLASSIFY_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "Text to classify; the ticket if omitted."}
    },
    "additionalProperties": False,
}


class ClassifyTicket:
    """The triage category through the same serving path as `/predictions` (micro-batcher,
    queue, worker): no model runs in the API."""

    name = CLASSIFY_TOOL
    description = "Triage category of a ticket and the classifier's confidence."

    def __init__(self, predictions: PredictionService, context: DraftContext) -> None:
        self.parameters = CLASSIFY_PARAMETERS
        self._predictions = predictions
        self._context = context

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        text = _text(arguments, "text", self._context.ticket)
        owner = self._context.owner
        caller = Caller(user=owner, routing_key=owner, request_id=self._context.request_id)
        try:
            result = await self._predictions.predict([text], caller)
        except AppError as exc:  # no champion, no worker, too long: the model is told
            raise ToolError(f"the classifier is unavailable: {exc.detail}") from exc
        scored = result.predictions[0]
        return {
            "category": scored.label,
            "confidence": round(scored.confidence, 4),
            "model_version": result.version,
        }


SEARCH_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "A few words of the problem."},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_HITS},
    },
    "required": ["query"],
    "additionalProperties": False,
}


class SearchArticles:
    """Knowledge-base articles for a query, best first (PostgreSQL FTS / SQLite FTS5)."""

    name = SEARCH_TOOL
    description = "Knowledge-base articles matching a query: slug, title and excerpt."

    def __init__(self, database: Database, context: DraftContext) -> None:
        self.parameters = SEARCH_PARAMETERS
        self._database = database
        self._context = context

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        query = _text(arguments, "query")[:2000]
        limit = _limit(arguments, 5)
        async with self._database.session() as session:
            found = await search_articles(session, query, limit=limit, category=None)
        hits = []
        for hit in found.hits:
            article = hit.article
            self._context.found[article.slug] = article.title
            hits.append(
                {
                    "slug": article.slug,
                    "title": article.title,
                    "category": article.category,
                    "excerpt": article.body[:EXCERPT_CHARS],
                }
            )
        return hits


HISTORY_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": MAX_HITS}},
    "additionalProperties": False,
}


class EarlierTickets:
    """The caller's own earlier tickets (redacted, as stored, each fenced as data: an
    injection in an old ticket is no more an instruction than one in this ticket), newest
    first."""

    name = HISTORY_TOOL
    description = "The customer's earlier tickets, newest first."

    def __init__(self, database: Database, context: DraftContext) -> None:
        self.parameters = HISTORY_PARAMETERS
        self._database = database
        self._context = context

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        limit = _limit(arguments, 5)
        async with self._database.session() as session:
            drafts = await draft_repository.earlier_tickets(
                session, self._context.owner, before=self._context.draft_id, limit=limit
            )
        return [
            {
                # Customer's words again: fenced as data like the ticket itself.
                "ticket": fence(_NUMBERED_PLACEHOLDER.sub(r"[\1]", draft.ticket)),
                "category": draft.category,
                "created_at": draft.created_at.isoformat(),
            }
            for draft in drafts
        ]
