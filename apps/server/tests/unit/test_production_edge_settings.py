"""What production refuses at the edge (weak secret, any host, local origins, any proxy), how a
refusal is reported (never a value), and the uvicorn options built from the settings."""

import os
import pickle
import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError
from uvicorn import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.cli.processes import uvicorn_options
from server.config import SERVER_DIR, Settings
from server.config.refusal import describe_settings_error
from server.config.security import secret_entropy_bits
from server.core.http_protocol import HeaderLimitedProtocol
from server.tests.unit.test_config import SAFE_PRODUCTION, make


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"jwt_secret": "a" * 32}, "APP_JWT_SECRET carries less than 128 bits"),
        ({"jwt_secret": "ab" * 40}, "APP_JWT_SECRET carries less than 128 bits"),
        ({"trusted_hosts": ["*"]}, "APP_TRUSTED_HOSTS contains '\\*'"),
        ({"trusted_hosts": "triage.example.com,*"}, "APP_TRUSTED_HOSTS contains '\\*'"),
        ({"cors_origins": ["http://localhost:5173"]}, "APP_CORS_ORIGINS lists a localhost"),
        (
            {"cors_origins": ["https://triage.example.com", "http://127.0.0.1:5173"]},
            "APP_CORS_ORIGINS lists a localhost",
        ),
        ({"cors_origins": ["http://[::1]:8080"]}, "APP_CORS_ORIGINS lists a localhost"),
        ({"forwarded_allow_ips": "*"}, "APP_FORWARDED_ALLOW_IPS contains '\\*'"),
        ({"refresh_cookie_secure": False}, "APP_REFRESH_COOKIE_SECURE is false"),
    ],
)
def test_production_refuses_weak_edge_settings(override: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        make(**(SAFE_PRODUCTION | override))


def test_the_development_defaults_are_refused_in_production() -> None:
    with pytest.raises(ValidationError) as error:
        make(**{k: v for k, v in SAFE_PRODUCTION.items() if k not in ("cors_origins",)})
    assert "APP_CORS_ORIGINS lists a localhost" in str(error.value)
    with pytest.raises(ValidationError) as error:
        make(**{k: v for k, v in SAFE_PRODUCTION.items() if k not in ("trusted_hosts",)})
    assert "APP_TRUSTED_HOSTS contains '*'" in str(error.value)


def test_random_secrets_pass_and_repetitive_ones_do_not() -> None:
    assert secret_entropy_bits(os.urandom(32).hex()) > 200  # openssl rand -hex 32
    assert secret_entropy_bits("a" * 64) == 0
    assert secret_entropy_bits("") == 0
    settings = make(**(SAFE_PRODUCTION | {"jwt_secret": os.urandom(32).hex()}))
    assert settings.forwarded_allow_ips == []


def test_proxies_must_be_addresses_or_networks() -> None:
    settings = make(forwarded_allow_ips="10.0.0.0/8, 192.168.1.7,fd00::/8")
    assert settings.forwarded_allow_ips == ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]
    with pytest.raises(ValidationError) as error:
        make(forwarded_allow_ips="10.0.0.1/8")  # host bits set: a typo for 10.0.0.0/8?
    assert describe_settings_error(error.value) == [
        "APP_FORWARDED_ALLOW_IPS: each entry must be an IP address or a CIDR network "
        "(host bits zero), or *"
    ]


def test_a_refusal_names_the_setting_and_never_its_value() -> None:
    secret = "q" * 40
    with pytest.raises(ValidationError) as refused:
        make(**(SAFE_PRODUCTION | {"jwt_secret": secret}))
    with pytest.raises(ValidationError) as invalid:
        make(port="not-a-port")
    assert "input_value" in str(refused.value)  # pydantic's own rendering quotes the inputs
    (refusal,) = describe_settings_error(refused.value)
    (invalid_port,) = describe_settings_error(invalid.value)
    assert "APP_JWT_SECRET carries less than 128 bits" in refusal
    assert invalid_port.startswith("APP_PORT: ")
    assert secret not in refusal
    assert "not-a-port" not in invalid_port


def test_the_cli_exits_2_without_a_traceback_or_a_value() -> None:
    secret = "z" * 40
    environment = {
        **os.environ,
        "PYTHONPATH": str(SERVER_DIR.parent),
        "APP_ENV": "production",
        "APP_JWT_SECRET": secret,
        "APP_TRUSTED_HOSTS": "*",
        "APP_SECRETS_DIR": str(SERVER_DIR / "no-such-directory"),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        env=environment,
        cwd=SERVER_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2
    output = finished.stdout + finished.stderr
    assert "APP_JWT_SECRET" in output
    assert "APP_TRUSTED_HOSTS" in output
    assert secret not in output
    assert "Traceback" not in output


def proxy_middleware(settings: Settings) -> Any:
    """uvicorn's own ProxyHeadersMiddleware, as `python -m server api` configures it."""
    config = Config(app=lambda *_: None, **(uvicorn_options(settings) | {"factory": False}))
    config.load()
    return config.loaded_app


async def client_seen(app: Any, peer: str, forwarded_for: str) -> str:
    seen: list[str] = []

    async def inner(scope: Any, _receive: Any, _send: Any) -> None:
        seen.append(scope["client"][0])

    app.app = inner  # the ASGI app behind the proxy middleware: record the client
    headers = [(b"x-forwarded-for", forwarded_for.encode())]
    await app({"type": "http", "client": (peer, 1234), "headers": headers}, None, None)
    return seen[0]


async def test_by_default_no_proxy_is_trusted() -> None:
    app = proxy_middleware(make())
    # Without trusted proxies uvicorn adds no proxy middleware at all.
    assert not isinstance(app, ProxyHeadersMiddleware)


async def test_the_trusted_networks_decide_which_address_is_the_client() -> None:
    app = proxy_middleware(make(forwarded_allow_ips="10.0.0.0/8,192.0.2.1"))
    assert isinstance(app, ProxyHeadersMiddleware)
    chain = "203.0.113.66, 198.51.100.7, 10.1.2.3"  # forged, real client, inner proxy
    assert await client_seen(app, "192.0.2.1", chain) == "198.51.100.7"
    assert await client_seen(app, "10.9.9.9", "198.51.100.7") == "198.51.100.7"
    assert await client_seen(app, "198.51.100.99", chain) == "198.51.100.99"  # untrusted peer


def test_the_header_limits_reach_every_uvicorn_worker() -> None:
    options = uvicorn_options(make(max_header_bytes=4096, max_headers=20, workers=2))
    # uvicorn pickles its config for the worker processes it spawns.
    protocol = pickle.loads(pickle.dumps(options["http"]))  # noqa: S301 - our own object
    assert protocol.func is HeaderLimitedProtocol
    assert protocol.keywords == {"max_header_bytes": 4096, "max_headers": 20}
    assert options["h11_max_incomplete_event_size"] == 4096
