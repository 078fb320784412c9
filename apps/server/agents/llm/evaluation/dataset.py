"""The evaluation set: generated tickets, each about exactly one knowledge-base article.

Tickets come from the data generator with its noise turned off (no wrong labels, no
sentences borrowed from a neighbouring category, no vague tickets), so the ticket's label is
the category a good draft names. Its article is the one whose keywords the ticket mentions;
a ticket mentioning none, or keywords of two articles, is skipped, since no single citation
would be right. The same configuration always gives the same set, and its digest says so.
"""

import hashlib
import json
import re
from functools import cache

from pydantic import BaseModel, ConfigDict

from server.agents.data.articles import GeneratedArticle, generate_articles
from server.agents.data.generator import GENERATED_LABELS, GeneratorConfig, generate_tickets
from server.config.evaluation import PromptEvalConfig

# Tickets generated per draw; more are drawn until every category has its examples.
_BATCH = 500
_MAX_DRAWS = 20
_CLEAN = GeneratorConfig(label_noise=0.0, ambiguity=0.0, hard_fraction=0.0, vague_fraction=0.0)


class EvalExample(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket: str
    expected_category: str
    expected_article: str
    """Slug of the article a correct draft cites."""


class EvalSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    examples: list[EvalExample]

    def digest(self) -> str:
        """sha256 of the examples: two reports compare only when their digests match."""
        canonical = json.dumps(self.model_dump(mode="json")["examples"], sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _pattern(article: GeneratedArticle) -> re.Pattern[str]:
    words = "|".join(re.escape(keyword) for keyword in article.keywords)
    return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)


@cache
def _article_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    by_category: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for article in generate_articles():
        by_category.setdefault(article.category, []).append((article.slug, _pattern(article)))
    return by_category


def article_of(ticket: str, category: str) -> str | None:
    """The one article of `category` whose keywords the ticket mentions; None if not one."""
    found = [slug for slug, pattern in _article_patterns()[category] if pattern.search(ticket)]
    return found[0] if len(found) == 1 else None


def build_eval_set(config: PromptEvalConfig) -> EvalSet:
    """`examples_per_category` examples of every category, in a stable order."""
    wanted = config.examples_per_category
    chosen: dict[str, list[EvalExample]] = {label: [] for label in GENERATED_LABELS}
    seen: set[str] = set()  # short tickets repeat; a repeat would weigh twice
    for draw in range(_MAX_DRAWS):
        tickets = generate_tickets(_BATCH, config.seed + draw, config=_CLEAN)
        for text, label in zip(tickets.texts, tickets.labels, strict=True):
            slug = article_of(text, label)
            if slug is not None and len(chosen[label]) < wanted and text not in seen:
                seen.add(text)
                chosen[label].append(
                    EvalExample(ticket=text, expected_category=label, expected_article=slug)
                )
        if all(len(examples) == wanted for examples in chosen.values()):
            break
    else:
        short = sorted(label for label, found in chosen.items() if len(found) < wanted)
        raise ValueError(f"too few unambiguous tickets for {', '.join(short)}; ask for fewer")
    return EvalSet(examples=[example for label in GENERATED_LABELS for example in chosen[label]])
