"""One contract for the client, run against the fake Ghost and the real one.

Whatever passes here against the fake must pass against Ghost 6.65, so the
fake's answers can be trusted in the fault tests. The real server is shared by
the whole session: every test works under its own slug prefix and deletes what
it created.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import jwt
import pytest
import requests

from ghostsync.errors import AuthError, CollisionError, NotFoundError, ValidationError
from ghostsync.ghost.client import ClientOptions, GhostClient


class Server(Protocol):
    url: str
    key: str


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.ghost)])
def server(request: pytest.FixtureRequest) -> Server:
    name = "fake_ghost" if request.param == "fake" else "real_ghost"
    found: Server = request.getfixturevalue(name)
    return found


@pytest.fixture
def client(server: Server) -> GhostClient:
    options = ClientOptions(read_timeout=30, backoff_factor=0, sleep=lambda _: None)
    return GhostClient(server.url, server.key, options)


@pytest.fixture
def prefix() -> str:
    return f"c-{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def created(client: GhostClient) -> Iterator[list[tuple[str, str]]]:
    """(kind, id) of what a test created; deleted afterwards."""
    made: list[tuple[str, str]] = []
    yield made
    for kind, post_id in made:
        with contextlib.suppress(NotFoundError):
            client.delete(kind, post_id)


def make(
    client: GhostClient, created: list[tuple[str, str]], kind: str, **post: Any
) -> dict[str, Any]:
    result = client.create(kind, post, include=["tags", "authors"])
    created.append((kind, result["id"]))
    return result


def next_second() -> None:
    """Wait for the wall clock's next second: Ghost's timestamps have no less."""
    time.sleep(1.05 - time.time() % 1)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\xff")
    ending = chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + ending


def test_site_describes_a_ghost_6(client: GhostClient) -> None:
    site = client.site()

    assert site["version"].split(".")[0] == "6"
    assert site["url"].startswith("http")
    assert uuid.UUID(site["site_uuid"])


def test_the_key_is_accepted(client: GhostClient) -> None:
    client.check_auth()


@pytest.mark.parametrize(
    ("broken", "code"),
    [("secret", "INVALID_JWT"), ("id", "UNKNOWN_ADMIN_API_KEY")],
)
def test_a_wrong_key_is_refused(server: Server, broken: str, code: str) -> None:
    key_id, secret = server.key.split(":")
    if broken == "secret":
        secret = secrets.token_hex(32)
    else:
        key_id = secrets.token_hex(12)
    client = GhostClient(server.url, f"{key_id}:{secret}")

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert caught.value.status == 401
    assert caught.value.code == code


@pytest.mark.parametrize("kind", ["post", "page"])
def test_lifecycle(
    client: GhostClient, created: list[tuple[str, str]], prefix: str, kind: str
) -> None:
    slug = f"{prefix}{kind}"
    first = make(client, created, kind, title="First", slug=slug)
    next_second()

    read = client.read(kind, first["id"], formats=["lexical"])
    updated = client.update(
        kind, first["id"], {"title": "Second", "updated_at": read["updated_at"]}
    )
    with pytest.raises(CollisionError) as stale:
        client.update(
            kind, first["id"], {"title": "Stale", "updated_at": first["updated_at"]}
        )
    found = client.find_by_slug(kind, slug)
    client.delete(kind, first["id"])

    assert first["status"] == "draft"
    assert first["slug"] == slug
    assert read["title"] == "First"
    assert updated["title"] == "Second"
    assert updated["updated_at"] != first["updated_at"]
    assert stale.value.code == "UPDATE_COLLISION"
    assert stale.value.details["changedFields"] == ["title"]
    assert found is not None and found["title"] == "Second"
    with pytest.raises(NotFoundError):
        client.read(kind, first["id"])
    assert client.find_by_slug(kind, slug) is None


def test_a_taken_slug_gets_a_suffix(
    client: GhostClient, created: list[tuple[str, str]], prefix: str
) -> None:
    first = make(client, created, "post", title="One", slug=f"{prefix}same")
    second = make(client, created, "post", title="Two", slug=f"{prefix}same")

    assert first["slug"] == f"{prefix}same"
    assert second["slug"] == f"{prefix}same-2"


def test_tags_come_back_by_slug(
    client: GhostClient, created: list[tuple[str, str]], prefix: str
) -> None:
    tags = [f"{prefix}alpha", {"name": f"{prefix}Beta Tag"}]

    post = make(client, created, "post", title="Tagged", slug=f"{prefix}t", tags=tags)
    listed = client.browse_resource(
        "tags", fields=["slug"], filter=f"slug:{prefix}alpha"
    )

    assert [t["slug"] for t in post["tags"]] == [f"{prefix}alpha", f"{prefix}beta-tag"]
    assert [t["name"] for t in post["tags"]] == [f"{prefix}alpha", f"{prefix}Beta Tag"]
    assert list(listed) == [{"slug": f"{prefix}alpha"}]


def test_authors_default_to_a_user(
    client: GhostClient, created: list[tuple[str, str]], prefix: str
) -> None:
    post = make(client, created, "post", title="Authored", slug=f"{prefix}a")

    users = {u["id"] for u in client.browse_resource("users", fields=["id"])}

    assert len(post["authors"]) == 1
    assert post["authors"][0]["id"] in users


def test_browse_by_slugs_with_fields(
    client: GhostClient, created: list[tuple[str, str]], prefix: str
) -> None:
    slugs = [f"{prefix}{n}" for n in range(3)]
    for slug in slugs:
        make(client, created, "post", title=slug, slug=slug)

    found = list(
        client.browse(
            "post",
            fields=["id", "slug", "updated_at"],
            filter=f"slug:[{','.join(slugs)}]",
        )
    )

    assert sorted(p["slug"] for p in found) == slugs
    assert all(set(p) == {"id", "slug", "updated_at"} for p in found)
    assert all(p["updated_at"].endswith(".000Z") for p in found)


def test_a_title_over_255_characters_is_refused(
    client: GhostClient, prefix: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create("post", {"title": "x" * 300, "slug": f"{prefix}long"})

    assert caught.value.status == 422
    assert caught.value.property == "title"
    assert "255" in str(caught.value)
    assert client.find_by_slug("post", f"{prefix}long") is None


def test_upload_a_tiny_png(client: GhostClient, tmp_path: Path, prefix: str) -> None:
    image = tmp_path / f"{prefix}dot.png"
    image.write_bytes(tiny_png())

    uploaded = client.upload("images", image, ref=f"images/{image.name}")

    assert "/content/images/" in uploaded["url"]
    assert uploaded["url"].endswith(".png")
    assert prefix in uploaded["url"]
    assert uploaded["ref"] == f"images/{image.name}"


def test_recent_posts_come_newest_first(
    client: GhostClient, created: list[tuple[str, str]], prefix: str
) -> None:
    started = time.time() - 1
    older = make(client, created, "post", title=f"{prefix}older", slug=f"{prefix}o")
    next_second()
    newer = make(client, created, "post", title=f"{prefix}newer", slug=f"{prefix}n")

    recent = client.browse(
        "post", fields=["id", "title", "created_at"], order="created_at desc"
    )
    first, second = (next(recent), next(recent))

    assert [first["id"], second["id"]] == [newer["id"], older["id"]]
    assert set(first) == {"id", "title", "created_at"}
    assert first["title"] == f"{prefix}newer"
    when = dt.datetime.fromisoformat(second["created_at"].replace("Z", "+00:00"))
    assert when.timestamp() >= int(started)


def token(server: Server, claims: dict[str, Any], *, kid: bool = True) -> str:
    key_id, secret = server.key.split(":")
    headers = {"kid": key_id} if kid else None
    return jwt.encode(claims, bytes.fromhex(secret), algorithm="HS256", headers=headers)


def now() -> int:
    return int(time.time())


TOKENS = {
    "no-header": (lambda s: None, 403, None),
    "wrong-scheme": (lambda s: f"Bearer {token(s, {})}", 401, "INVALID_AUTH_HEADER"),
    "garbage": (lambda s: "Ghost not-a-token", 400, "INVALID_JWT"),
    "no-kid": (
        lambda s: "Ghost " + token(s, {"iat": now(), "aud": "/admin/"}, kid=False),
        400,
        "MISSING_ADMIN_API_KID",
    ),
    "wrong-audience": (
        lambda s: "Ghost " + token(s, {"iat": now(), "aud": "/content/"}),
        401,
        "INVALID_JWT",
    ),
    "no-iat": (
        lambda s: "Ghost " + token(s, {"exp": now() + 300, "aud": "/admin/"}),
        401,
        "INVALID_JWT",
    ),
    "expired": (
        lambda s: (
            "Ghost "
            + token(s, {"iat": now() - 400, "exp": now() - 100, "aud": "/admin/"})
        ),
        401,
        "INVALID_JWT",
    ),
    "too-old": (
        lambda s: "Ghost " + token(s, {"iat": now() - 400, "aud": "/admin/"}),
        401,
        "INVALID_JWT",
    ),
    "legacy-audience": (
        lambda s: "Ghost " + token(s, {"iat": now(), "aud": "/v4/admin/"}),
        200,
        None,
    ),
}


@pytest.mark.parametrize("case", list(TOKENS))
def test_tokens_are_checked_like_ghost(server: Server, case: str) -> None:
    make_header, status, code = TOKENS[case]
    header = make_header(server)
    headers = {"Authorization": header} if header else {}
    url = server.url.rstrip("/") + "/ghost/api/admin/posts/?limit=1&fields=id"

    answer = requests.get(url, headers=headers, timeout=30)

    assert answer.status_code == status
    if status != 200:
        assert answer.json()["errors"][0]["code"] == code
