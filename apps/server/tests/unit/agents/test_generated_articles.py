"""The generated knowledge-base articles: one per few keywords of every category."""

from collections import Counter

from server.agents.data import vocabulary as vocab
from server.agents.data.articles import generate_articles
from server.agents.data.generator import GENERATED_LABELS
from server.schemas.articles import ArticleCreate


def test_every_keyword_of_every_category_has_exactly_one_article() -> None:
    articles = generate_articles()
    assert {article.category for article in articles} == set(GENERATED_LABELS)
    covered = Counter((a.category, keyword) for a in articles for keyword in a.keywords)
    expected = {(category, kw) for category, kws in vocab.KEYWORDS.items() for kw in kws}
    assert set(covered) == expected
    assert set(covered.values()) == {1}
    for article in articles:
        assert all(keyword in article.body for keyword in article.keywords)


def test_the_articles_are_the_same_every_time_and_valid_for_the_api() -> None:
    articles = generate_articles()
    assert articles == generate_articles()
    assert len({article.slug for article in articles}) == len(articles)
    for article in articles:
        body = {"slug": article.slug, "title": article.title, "body": article.body}
        created = ArticleCreate.model_validate({**body, "category": article.category})
        assert (created.slug, created.title, created.body) == tuple(body.values())
