"""Knowledge-base articles for the generated tickets' categories: data for `make dev`, the
reply assistant's tests and its offline evaluation set.

Each category's keywords (`vocabulary.KEYWORDS`) are dealt into articles of a few keywords
each, so a generated ticket about a keyword has one article that names it: the article a
good answer cites. Deterministic: the same articles, slugs and order every time.
"""

import re
from dataclasses import dataclass
from typing import Final

from server.agents.data import vocabulary as vocab

KEYWORDS_PER_ARTICLE: Final = 5

# What support tells a customer, per category: the advice every article of it carries.
_ADVICE: Final[dict[str, str]] = {
    "account": "Sign in from the account page to change these yourself; if you cannot sign "
    "in, support can verify your identity and restore access.",
    "billing": "Every charge is listed on the billing page with its invoice; billing "
    "corrects a wrong charge within two business days.",
    "other": "Tell us what you need in as much detail as you can and the right team will "
    "answer within one business day.",
    "refund": "Approved refunds are paid to the original payment method within five to "
    "seven business days; the order page shows the status.",
    "shipping": "Track the order from its page with the tracking number; if it has not "
    "moved for three days, the courier opens an investigation.",
    "technical": "Update the app to the latest version and try again; if the problem stays, "
    "send the error message and the steps that lead to it.",
}


@dataclass(frozen=True, slots=True)
class GeneratedArticle:
    slug: str
    title: str
    body: str
    category: str
    keywords: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def generate_articles() -> list[GeneratedArticle]:
    """Every category's articles, in category order."""
    articles = []
    for category in sorted(vocab.KEYWORDS):
        keywords = vocab.KEYWORDS[category]
        for start in range(0, len(keywords), KEYWORDS_PER_ARTICLE):
            group = keywords[start : start + KEYWORDS_PER_ARTICLE]
            title = f"Help with {group[0]}" + (f" and {group[1]}" if len(group) > 1 else "")
            listed = ", ".join(group[:-1]) + (f" and {group[-1]}" if len(group) > 1 else group[0])
            body = (
                f"This article answers questions about {listed}. "
                f"{_ADVICE[category]} When you write to us about your {group[0]}, include "
                "your order number so that we can find it at once."
            )
            articles.append(
                GeneratedArticle(
                    slug=f"{category}-{_slug(group[0])}",
                    title=title,
                    body=body,
                    category=category,
                    keywords=tuple(group),
                )
            )
    return articles
