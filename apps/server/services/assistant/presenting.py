"""A stored draft as the API shows it: personal data restored for its owner only."""

from typing import Any

from server.agents.llm.pii import Redaction
from server.database.draft_models import Draft
from server.schemas.drafts import DraftFeedbackOut, DraftOut


def draft_out(draft: Draft, viewer: str) -> DraftOut:
    """`draft` for `viewer`: its owner sees the ticket and the model's words with the
    personal data the ticket held; anyone else (an administrator) sees the placeholders."""
    redaction = Redaction(values=dict(draft.pii_values)) if viewer == draft.owner else None

    def shown(text: str | None) -> str | None:
        return redaction.restore(text) if redaction is not None and text is not None else text

    feedback: Any = None
    if draft.feedback_verdict is not None and draft.feedback_at is not None:
        feedback = DraftFeedbackOut.model_validate(
            {
                "verdict": draft.feedback_verdict,
                "edited_reply": draft.feedback_reply,
                "at": draft.feedback_at,
            }
        )
    return DraftOut.model_validate(
        {
            "id": draft.id,
            "status": draft.status.value,
            "ticket": shown(draft.ticket),
            "reply": shown(draft.reply),
            "category": draft.category,
            "confidence_note": shown(draft.confidence_note),
            "cited_articles": draft.cited_articles,
            "prompt_version": draft.prompt_version,
            "provider": draft.provider,
            "model": draft.model,
            "input_tokens": draft.input_tokens,
            "output_tokens": draft.output_tokens,
            "cost": draft.cost,
            "steps": draft.steps,
            "error": draft.error,
            "feedback": feedback,
            "created_at": draft.created_at,
            "completed_at": draft.completed_at,
        }
    )
