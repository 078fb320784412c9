"""`/docs` and `/redoc` load with no internet: every asset the pages name is this service's.

The test client has no network at all, so an asset that still lived on a CDN could not be
fetched here; the docs' Content-Security-Policy names no other origin either, so a browser
would refuse one too.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from server.core.docs import ASSETS_URL, OAUTH2_REDIRECT_URL


class _Links(HTMLParser):
    """Every URL a page makes the browser load: src, href, ReDoc's spec-url."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _page_urls(html: str) -> list[str]:
    links = _Links()
    links.feed(html)
    # Swagger UI is started by an inline script that names the contract's URL.
    inline = [m.group(1) for s in links.scripts for m in re.finditer(r"url: '([^']+)'", s)]
    return links.urls + inline


EXPECTED_TYPES = {
    ".js": "javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}


@pytest.mark.parametrize(("page", "assets"), [("/docs", 3), ("/redoc", 2)])
async def test_the_docs_load_every_asset_from_this_service(
    plain_client: httpx.AsyncClient, page: str, assets: int
) -> None:
    response = await plain_client.get(page)
    assert response.status_code == 200
    urls = _page_urls(response.text)
    assert "/openapi.json" in urls
    assert sum(url.startswith(f"{ASSETS_URL}/") for url in urls) == assets
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{page} loads {url} from elsewhere"
        asset = await plain_client.get(url)
        assert asset.status_code == 200, url
        expected = EXPECTED_TYPES[parts.path[parts.path.rindex(".") :]]
        assert expected in asset.headers["content-type"], url
        assert len(asset.content) > 1000, url


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_policy_allows_no_other_origin(
    plain_client: httpx.AsyncClient, page: str
) -> None:
    policy = (await plain_client.get(page)).headers["content-security-policy"]
    assert "http" not in policy
    assert "script-src 'self' 'unsafe-inline'" in policy


async def test_an_unknown_asset_is_a_404(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get(f"{ASSETS_URL}/nothing.js")
    assert response.status_code == 404


async def test_the_swagger_oauth2_redirect_page_is_served(
    plain_client: httpx.AsyncClient,
) -> None:
    # Swagger UI's "Authorize" with the password flow comes back through this page.
    response = await plain_client.get(OAUTH2_REDIRECT_URL)
    assert response.status_code == 200
    assert "oauth2" in response.text.lower()
