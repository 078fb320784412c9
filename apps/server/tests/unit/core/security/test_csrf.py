"""CSRF tokens of the refresh cookie: valid only with the refresh token and key they came with."""

import pytest
from pydantic import SecretStr

from server.core.security.csrf import CsrfError, CsrfTokens
from server.core.security.tokens import new_secret
from server.tests.support.settings import SettingsFactory


@pytest.fixture
def csrf(make_settings: SettingsFactory) -> CsrfTokens:
    return CsrfTokens(make_settings())


def test_a_token_verifies_with_its_refresh_token_and_each_issue_differs(csrf: CsrfTokens) -> None:
    refresh = new_secret()
    token = csrf.issue(refresh)
    csrf.verify(refresh, token, token)
    assert csrf.issue(refresh) != token


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other-session", "not issued for this session"),
        ("tampered-nonce", "not issued for this session"),
        ("no-nonce", "not issued for this session"),
        ("header-differs-from-cookie", "does not match"),
        ("no-cookie", "does not match"),
        ("no-header", "needs the X-CSRF-Token header"),
    ],
)
def test_anything_else_is_refused(csrf: CsrfTokens, case: str, message: str) -> None:
    refresh = new_secret()
    token = csrf.issue(refresh)
    nonce, _, signature = token.partition(".")
    header: str | None = token
    cookie: str | None = token
    bound_to = refresh
    if case == "other-session":
        bound_to = new_secret()
    elif case == "tampered-nonce":
        header = cookie = f"x{nonce}.{signature}"
    elif case == "no-nonce":
        header = cookie = f".{signature}"
    elif case == "header-differs-from-cookie":
        cookie = csrf.issue(refresh)
    elif case == "no-cookie":
        cookie = None
    else:
        header = None
    with pytest.raises(CsrfError, match=message) as refused:
        csrf.verify(bound_to, header, cookie)
    assert refused.value.status == 403


def test_a_token_signed_under_another_secret_is_refused(make_settings: SettingsFactory) -> None:
    refresh = new_secret()
    other = CsrfTokens(make_settings(jwt_secret=SecretStr("another-secret-" + "x" * 32)))
    token = other.issue(refresh)
    with pytest.raises(CsrfError):
        CsrfTokens(make_settings()).verify(refresh, token, token)
