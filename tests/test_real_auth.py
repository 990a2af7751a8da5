"""Authentication against the real Ghost: the token, the headers, the errors.

Two layers. The first talks HTTP directly (requests and PyJWT) to pin down
what Ghost itself accepts: an HS256 token with ``kid``, ``aud`` ``/admin/`` and
``iat``, from an integration key or from a staff user's own token. The second
runs :class:`ghostsync.ghost.client.GhostClient` against the same server and
checks the request it sends and the error each kind of mistake gives.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from ghostsync.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    GhostsyncError,
    UnreachableError,
)
from ghostsync.ghost.client import ClientOptions, GhostClient

from .realghost import RealGhost

pytestmark = pytest.mark.ghost

FAST = ClientOptions(connect_timeout=2.0, read_timeout=10.0, retries=0)


def token_for(key: str) -> str:
    kid, _, secret = key.partition(":")
    now = int(time.time())
    claims = {"iat": now, "exp": now + 300, "aud": "/admin/"}
    return jwt.encode(
        claims, bytes.fromhex(secret), algorithm="HS256", headers={"kid": kid}
    )


def admin_get(ghost: RealGhost, path: str, key: str | None) -> requests.Response:
    headers = {"Accept-Version": "v6.0"}
    if key:
        headers["Authorization"] = f"Ghost {token_for(key)}"
    session = requests.Session()
    session.trust_env = False
    url = f"{ghost.url.rstrip('/')}/ghost/api/admin{path}"
    return session.get(url, headers=headers, timeout=30)


def staff_token(ghost: RealGhost) -> str:
    if not ghost.staff_token:
        pytest.skip("no staff token for an external Ghost")
    return ghost.staff_token


def wrong_secret(key: str) -> str:
    kid = key.partition(":")[0]
    return f"{kid}:{secrets.token_hex(32)}"


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[requests.PreparedRequest]]:
    """Every request the HTTP adapter sends during the test."""
    seen: list[requests.PreparedRequest] = []
    original = requests.adapters.HTTPAdapter.send

    def recording(self: Any, request: requests.PreparedRequest, **kw: Any) -> Any:
        seen.append(request)
        return original(self, request, **kw)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording)
    yield seen


# --- what Ghost accepts ---------------------------------------------------------


def test_site_answers_without_a_token(real_ghost: RealGhost) -> None:
    resp = admin_get(real_ghost, "/site/", None)

    assert resp.status_code == 200
    major = resp.json()["site"]["version"].split(".")[0]
    assert resp.headers["Content-Version"].startswith(f"v{major}.")


def test_integration_key_token_is_accepted(real_ghost: RealGhost) -> None:
    resp = admin_get(real_ghost, "/posts/?limit=1&fields=id", real_ghost.key)

    assert resp.status_code == 200, resp.text
    assert "posts" in resp.json()


def test_staff_token_acts_as_the_staff_user(real_ghost: RealGhost) -> None:
    token = staff_token(real_ghost)

    posts = admin_get(real_ghost, "/posts/?limit=1&fields=id", token)
    me = admin_get(real_ghost, "/users/me/", token)

    assert posts.status_code == 200, posts.text
    assert me.status_code == 200, me.text
    assert me.json()["users"][0]["slug"] == real_ghost.staff_slug


def test_token_with_a_wrong_secret_is_refused(real_ghost: RealGhost) -> None:
    resp = admin_get(real_ghost, "/posts/?limit=1", wrong_secret(real_ghost.key))

    assert resp.status_code == 401
    assert resp.json()["errors"][0]["code"] == "INVALID_JWT"


# --- the client against the real Ghost ------------------------------------------


def test_client_signs_each_request_and_matches_the_server_version(
    real_ghost: RealGhost, sent: list[requests.PreparedRequest]
) -> None:
    client = GhostClient(real_ghost.url, real_ghost.key, options=FAST)
    key_id = real_ghost.key.partition(":")[0]

    site = client.site()
    client.check_auth()
    client.check_auth()

    major = site["version"].split(".")[0]
    authed = [r for r in sent if "Authorization" in r.headers]
    assert len(authed) == 2
    assert all(r.url and r.url.startswith(real_ghost.url) for r in sent)
    for request in authed:
        assert request.headers["Accept-Version"] == f"v{major}.0"
        scheme, _, token = request.headers["Authorization"].partition(" ")
        assert scheme == "Ghost"
        assert_token_shape(token, key_id)


def assert_token_shape(token: str, key_id: str) -> None:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256" and header["kid"] == key_id
    assert claims["aud"] == "/admin/"
    assert isinstance(claims["iat"], int)
    assert abs(claims["iat"] - time.time()) < 60
    assert claims.get("exp", claims["iat"]) - claims["iat"] <= 300


def test_client_browses_with_the_integration_key(real_ghost: RealGhost) -> None:
    client = GhostClient(real_ghost.url, real_ghost.key, options=FAST)
    client.site()

    posts = list(client.browse("post", fields=["id", "slug"]))

    assert all(set(post) <= {"id", "slug"} for post in posts)


def test_client_browses_with_a_staff_token(real_ghost: RealGhost) -> None:
    client = GhostClient(real_ghost.url, staff_token(real_ghost), options=FAST)
    client.site()

    client.check_auth()
    pages = list(client.browse("page", fields=["id"]))

    assert isinstance(pages, list)


def test_client_reports_a_wrong_key(real_ghost: RealGhost) -> None:
    bad = wrong_secret(real_ghost.key)
    client = GhostClient(real_ghost.url, bad, options=FAST)

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert caught.value.exit_code == ExitCode.SITE
    assert caught.value.status == 401
    assert "secret" in caught.value.hint.lower()
    assert_no_secret(caught.value, bad)


def test_client_reports_an_unknown_key_id(real_ghost: RealGhost) -> None:
    bad = f"{secrets.token_hex(12)}:{secrets.token_hex(32)}"
    client = GhostClient(real_ghost.url, bad, options=FAST)

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert caught.value.exit_code == ExitCode.SITE
    assert "does not know this key" in caught.value.hint
    assert_no_secret(caught.value, bad)


def test_client_refuses_a_content_api_key(real_ghost: RealGhost) -> None:
    if not real_ghost.content_key:
        pytest.skip("no Content API key for an external Ghost")

    with pytest.raises(ConfigError, match="Content API key") as caught:
        GhostClient(real_ghost.url, real_ghost.content_key, options=FAST)

    assert caught.value.exit_code == ExitCode.SITE
    assert_no_secret(caught.value, real_ghost.content_key)


def test_client_refuses_a_url_without_scheme(real_ghost: RealGhost) -> None:
    bare = real_ghost.url.split("://", 1)[1]

    with pytest.raises(ConfigError, match="scheme") as caught:
        GhostClient(bare, real_ghost.key, options=FAST)

    assert caught.value.exit_code == ExitCode.SITE
    assert f"http://{bare}" in str(caught.value) or "https://" in str(caught.value)


def test_client_reports_an_unreachable_url(real_ghost: RealGhost) -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    client = GhostClient(url, real_ghost.key, options=FAST)

    with pytest.raises(UnreachableError) as caught:
        client.site()

    assert caught.value.exit_code == ExitCode.SITE
    assert url in str(caught.value)
    assert_no_secret(caught.value, real_ghost.key)


def assert_no_secret(error: Exception, key: str) -> None:
    secret = key.rpartition(":")[2]
    text = f"{error} {getattr(error, 'hint', '')} {error!r}"
    assert secret not in text


def test_an_admin_url_ending_in_ghost_says_to_drop_it(real_ghost: RealGhost) -> None:
    base = real_ghost.url.rstrip("/") + "/"
    client = GhostClient(base + "ghost/", real_ghost.key, options=FAST)

    with pytest.raises(GhostsyncError) as caught:
        client.site()

    text = f"{caught.value} {caught.value.hint}"
    assert caught.value.exit_code == ExitCode.SITE
    assert "Drop the trailing /ghost/" in text
    assert f"use {base} as the admin URL" in text
    assert "Configure /ghost/#/" not in text
