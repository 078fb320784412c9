"""The knowledge-base articles API: manage (articles:write), read and search (drafts)."""

import httpx
import pytest
from fastapi import FastAPI

from server.services.container import services_of
from server.tests.support.auth import bearer_headers

URL = "/api/v1/articles"
PARCEL = {
    "slug": "track-parcel",
    "title": "Where is my parcel?",
    "body": "Track a parcel that has not arrived with its tracking number.",
    "category": "shipping",
}
REFUND = {
    "slug": "refund-policy",
    "title": "Refund policy",
    "body": "Refunds are paid to the original card within five days.",
    "category": "refund",
}


async def add(client: httpx.AsyncClient, article: dict[str, str]) -> dict[str, object]:
    response = await client.post(URL, json=article)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_an_article_is_added_read_changed_searched_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await add(client, PARCEL)
    await add(client, REFUND)
    url = f"{URL}/{created['id']}"

    assert (await client.get(url)).json() == created
    page = (await client.get(URL, params={"category": "shipping"})).json()
    assert (page["total"], [a["slug"] for a in page["items"]]) == (1, ["track-parcel"])

    found = (await client.get(f"{URL}/search", params={"q": "my parcels never arrived"})).json()
    assert [hit["article"]["slug"] for hit in found["hits"]] == ["track-parcel"]

    changed = await client.patch(url, json={"body": "Lost parcels are reshipped for free."})
    assert changed.status_code == 200
    assert changed.json()["title"] == PARCEL["title"]
    found = (await client.get(f"{URL}/search", params={"q": "reshipped"})).json()
    assert [hit["article"]["id"] for hit in found["hits"]] == [created["id"]]

    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (await client.delete(url)).status_code == 404
    assert (await client.get(f"{URL}/search", params={"q": "reshipped"})).json()["hits"] == []


async def test_a_taken_slug_is_a_conflict(client: httpx.AsyncClient) -> None:
    await add(client, PARCEL)
    other = await add(client, REFUND)
    assert (await client.post(URL, json=PARCEL)).status_code == 409
    renamed = await client.patch(f"{URL}/{other['id']}", json={"slug": PARCEL["slug"]})
    assert renamed.status_code == 409
    assert renamed.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "gardening"}, "category"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"title": ""}, "title"),
        ({"body": "x" * 20_001}, "body"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_invalid_articles_are_refused_naming_the_field(
    client: httpx.AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await client.post(URL, json={**PARCEL, **change})
    assert response.status_code == 422
    assert field in response.json()["detail"]


async def test_markup_is_made_inert(client: httpx.AsyncClient) -> None:
    created = await add(client, {**PARCEL, "title": "<b>Parcel</b> <script>x()</script>help"})
    assert "<" not in str(created["title"])


async def test_drafters_read_and_search_but_only_writers_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    created = await add(client, PARCEL)
    settings = services_of(app).settings
    drafter = bearer_headers(settings, scopes=["drafts"])
    writer = bearer_headers(settings, scopes=["articles:write"])

    assert (await client.get(f"{URL}/{created['id']}", headers=drafter)).status_code == 200
    search = await client.get(f"{URL}/search", params={"q": "parcel"}, headers=drafter)
    assert search.status_code == 200
    assert (await client.post(URL, json=REFUND, headers=drafter)).status_code == 403
    assert (await client.delete(f"{URL}/{created['id']}", headers=drafter)).status_code == 403
    assert (await client.get(URL, headers=writer)).status_code == 403


@pytest.mark.parametrize("article_id", ["0", str(2**31), str(2**63)])
async def test_an_impossible_id_is_a_422(client: httpx.AsyncClient, article_id: str) -> None:
    assert (await client.get(f"{URL}/{article_id}")).status_code == 422
    assert (await client.delete(f"{URL}/{article_id}")).status_code == 422


async def test_search_is_no_article_id(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{URL}/x")).status_code == 404
    refused = await client.patch(f"{URL}/search", json={})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"  # not the methods of /articles/{id}
    assert (await client.options(f"{URL}/7")).headers["allow"] == "DELETE, GET, HEAD, PATCH"


async def test_a_search_without_words_finds_nothing(client: httpx.AsyncClient) -> None:
    await add(client, PARCEL)
    response = await client.get(f"{URL}/search", params={"q": "?! -- ..."})
    assert response.json() == {"query": "?! -- ...", "hits": []}
    assert (await client.get(f"{URL}/search", params={"q": "   "})).status_code == 422
