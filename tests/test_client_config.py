"""GhostClient construction: admin URLs, keys, tokens and request headers."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import jwt
import pytest

from ghostsync import __version__
from ghostsync.errors import ConfigError
from ghostsync.ghost.auth import AdminKey, make_token
from ghostsync.ghost.client import ClientOptions, GhostClient, normalise_admin_url

from .fakeghost import FakeGhost


def admin_key() -> str:
    return f"{secrets.token_hex(12)}:{secrets.token_hex(32)}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://blog.example.test", "https://blog.example.test/"),
        ("https://example.test/blog", "https://example.test/blog/"),
        ("  https://example.test/blog/  ", "https://example.test/blog/"),
        ("https://example.test/ghost/api/admin/", "https://example.test/"),
        ("http://127.0.0.1:2368", "http://127.0.0.1:2368/"),
        ("http://127.1.2.3/x/", "http://127.1.2.3/x/"),
        ("http://localhost:2368/", "http://localhost:2368/"),
        ("http://[::1]:2368/", "http://[::1]:2368/"),
    ],
)
def test_admin_url_is_kept_with_its_subdirectory(given: str, expected: str) -> None:
    assert normalise_admin_url(given) == expected


@pytest.mark.parametrize("given", ["blog.example.test", "blog.example.test:2368/x"])
def test_url_without_scheme_names_the_value_and_suggests_https(given: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GhostClient(given, admin_key())

    message = str(caught.value)
    assert repr(given) in message
    assert f"https://{given}" in message


def test_plain_http_is_refused_off_loopback() -> None:
    with pytest.raises(ConfigError) as caught:
        GhostClient("http://blog.example.test/", admin_key())

    assert "http://" in str(caught.value)
    assert "https://blog.example.test/" in str(caught.value)


def test_content_api_key_is_named_as_such() -> None:
    content_key = secrets.token_hex(13)

    with pytest.raises(ConfigError) as caught:
        GhostClient("https://blog.example.test/", content_key)

    assert "Content API key" in str(caught.value)
    assert "Integrations" in caught.value.hint
    assert content_key not in str(caught.value) + caught.value.hint


@pytest.mark.parametrize(
    "broken",
    [
        lambda key: key.replace(":", ""),
        lambda key: key[:-1],
        lambda key: key[:-1] + "z",
        lambda key: key.split(":")[1],
    ],
)
def test_malformed_key_is_refused_without_repeating_it(
    broken: Callable[[str], str],
) -> None:
    key = admin_key()
    value = broken(key)

    with pytest.raises(ConfigError) as caught:
        GhostClient("https://blog.example.test/", value)

    text = str(caught.value) + caught.value.hint
    assert "malformed" in text
    assert key.split(":")[1][:16] not in text
    assert value not in text


def test_key_with_a_trailing_newline_is_accepted() -> None:
    key = admin_key()

    parsed = AdminKey.parse(key + "\n")

    assert parsed.id == key.split(":")[0]
    assert parsed.secret == bytes.fromhex(key.split(":")[1])
    assert key.split(":")[1] not in repr(parsed)


def test_token_has_ghosts_claims_and_header() -> None:
    key = admin_key()
    key_id, secret = key.split(":")

    token = make_token(AdminKey.parse(key), 1_700_000_000.7)

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        bytes.fromhex(secret),
        algorithms=["HS256"],
        audience="/admin/",
        options={"verify_exp": False},
    )
    assert header == {"alg": "HS256", "kid": key_id, "typ": "JWT"}
    assert claims == {"iat": 1_700_000_000, "exp": 1_700_000_300, "aud": "/admin/"}


def test_every_request_carries_a_fresh_token(fake_ghost: FakeGhost) -> None:
    moment = [time.time()]
    options = ClientOptions(clock=lambda: moment[0])
    client = GhostClient(fake_ghost.url, fake_ghost.key, options)

    client.check_auth()
    moment[0] += 7
    client.check_auth()

    headers = [r.headers["Authorization"] for r in fake_ghost.requests]
    assert all(h.startswith("Ghost eyJ") for h in headers)
    issued = [
        jwt.decode(h.split()[1], options={"verify_signature": False})["iat"]
        for h in headers
    ]
    assert issued[1] - issued[0] == 7


def test_headers_name_the_client_and_follow_the_sites_major(
    fake_ghost: FakeGhost,
) -> None:
    client = GhostClient(fake_ghost.url, fake_ghost.key)

    client.check_auth()
    site = client.site()
    client.check_auth()

    first, site_request, last = fake_ghost.requests
    assert site["version"] == "6.65"
    assert first.headers["User-Agent"] == f"ghostsync/{__version__}"
    assert first.headers["Accept-Version"] == "v6.0"
    assert "Authorization" not in site_request.headers
    assert last.headers["Accept-Version"] == "v6.0"


def test_accept_version_follows_an_older_server(fake_ghost: FakeGhost) -> None:
    client = GhostClient(fake_ghost.url, fake_ghost.key)
    fake_ghost.version = "5.130"

    client.site()
    client.check_auth()

    assert fake_ghost.requests[-1].headers["Accept-Version"] == "v5.0"


def test_repr_shows_no_secret() -> None:
    key = admin_key()

    client = GhostClient("https://blog.example.test/", key)

    assert repr(client) == "GhostClient('https://blog.example.test/')"
    assert key.split(":")[1] not in repr(vars(client))
