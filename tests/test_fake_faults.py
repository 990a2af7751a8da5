"""The client against faults only a fake Ghost produces on demand.

Each test injects one fault and checks the product's promise: never a
duplicate post, never a lost edit, a clear error otherwise. Timeouts are short
and every wait goes through a recording sleep, so nothing here really sleeps.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import jwt
import pytest

from ghostsync.errors import (
    AuthError,
    CollisionError,
    ConfigError,
    GhostAPIError,
    RateLimitError,
    RedirectError,
    ServerError,
    UnknownOutcomeError,
    UnreachableError,
    ValidationError,
)
from ghostsync.ghost.client import ClientOptions, GhostClient

from .fakeghost import FakeGhost, ghost_error

READ_TIMEOUT = 0.2
LATE = 0.5


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def client(fake_ghost: FakeGhost, slept: list[float]) -> GhostClient:
    options = ClientOptions(
        connect_timeout=1.0,
        read_timeout=READ_TIMEOUT,
        backoff_factor=0,
        sleep=slept.append,
    )
    return GhostClient(fake_ghost.url, fake_ghost.key, options)


def count(fake: FakeGhost, method: str, path: str = "") -> int:
    return sum(1 for r in fake.requests if r.method == method and r.path.endswith(path))


def new_post(client: GhostClient, title: str = "Original") -> dict:
    return client.create("post", {"title": title, "slug": "the-post"})


# -- lost creates ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset", "apply": True},
        {"kind": "delay", "delay": LATE},
        {"kind": "status", "status": 500, "apply": True},
        {"kind": "status", "status": 504, "html": True, "apply": True},
    ],
    ids=["reset-after-apply", "answer-too-late", "500-after-apply", "504-after-apply"],
)
def test_create_whose_answer_is_lost_exists_once(
    fake_ghost: FakeGhost, client: GhostClient, fault: dict
) -> None:
    fake_ghost.inject(method="POST", path="^posts/$", **fault)

    post = client.create("post", {"title": "Lost answer", "slug": "lost-answer"})

    assert list(fake_ghost.posts) == [post["id"]]
    assert post["slug"] == "lost-answer"
    assert count(fake_ghost, "POST") == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset"},
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 503, "retry_after": "1"},
    ],
    ids=["reset-before-apply", "500", "503"],
)
def test_create_that_ghost_did_not_apply_is_sent_once_more(
    fake_ghost: FakeGhost, client: GhostClient, slept: list[float], fault: dict
) -> None:
    fake_ghost.inject(method="POST", path="^posts/$", **fault)

    post = client.create("post", {"title": "Second try", "slug": "second-try"})

    assert list(fake_ghost.posts) == [post["id"]]
    assert post["slug"] == "second-try"
    assert count(fake_ghost, "POST") == 2
    assert slept == []


def test_create_found_although_ghost_changed_its_slug(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    older = client.create("post", {"title": "Older", "slug": "taken"})
    fake_ghost.inject("reset", method="POST", apply=True)

    post = client.create("post", {"title": "Newer", "slug": "taken"})

    assert post["slug"] == "taken-2"
    assert sorted(fake_ghost.posts) == sorted([older["id"], post["id"]])


def test_create_whose_check_fails_too_has_an_unknown_outcome(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.inject("reset", method="POST", apply=True)
    fake_ghost.inject("status", method="GET", status=500)

    with pytest.raises(UnknownOutcomeError) as caught:
        client.create("post", {"title": "Unknown", "slug": "unknown"})

    assert "may or may not" in str(caught.value)
    assert "'Unknown'" in caught.value.hint
    assert caught.value.method == "POST"
    assert caught.value.url == "/ghost/api/admin/posts/"
    assert count(fake_ghost, "POST") == 1


def test_a_post_with_the_same_title_is_not_taken_for_the_lost_one(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    first = client.create("post", {"title": "Same", "slug": "same-a"})
    fake_ghost.inject("reset", method="POST")

    second = client.create("post", {"title": "Same", "slug": "same-b"})

    assert second["id"] != first["id"]
    assert second["slug"] == "same-b"
    assert len(fake_ghost.posts) == 2


def test_create_failing_twice_raises_and_creates_nothing(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.inject("status", method="POST", status=502, html=True, times=5)

    with pytest.raises(ServerError) as caught:
        client.create("post", {"title": "Never", "slug": "never"})

    assert caught.value.status == 502
    assert fake_ghost.posts == {}
    assert count(fake_ghost, "POST") == 2


# -- lost updates ----------------------------------------------------------------


def test_lost_update_does_not_overwrite_an_edit_made_meanwhile(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    edit = lambda: fake_ghost.edit("post", post["id"], title="Edited in Ghost")  # noqa: E731
    fake_ghost.inject("reset", method="PUT", on_fire=edit)

    with pytest.raises(CollisionError) as caught:
        client.update(
            "post", post["id"], {"title": "From file", "updated_at": post["updated_at"]}
        )

    assert fake_ghost.posts[post["id"]]["title"] == "Edited in Ghost"
    assert count(fake_ghost, "PUT") == 1
    assert caught.value.method == "PUT"
    assert caught.value.url.endswith(f"/posts/{post['id']}/")


def test_lost_update_that_ghost_applied_is_not_sent_again(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    fake_ghost.clock_offset = 5  # the update lands in a later second
    fake_ghost.inject("reset", method="PUT", apply=True)

    changes = {"title": "From file", "tags": ["news"], "updated_at": post["updated_at"]}
    updated = client.update("post", post["id"], changes)

    assert updated["title"] == "From file"
    assert [t["slug"] for t in updated["tags"]] == ["news"]
    assert updated["updated_at"] != post["updated_at"]
    assert count(fake_ghost, "PUT") == 1


def test_update_that_ghost_did_not_apply_is_sent_once_more(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    fake_ghost.inject("status", method="PUT", status=500)

    changes = {"title": "From file", "updated_at": post["updated_at"]}
    updated = client.update("post", post["id"], changes)

    assert updated["title"] == "From file"
    assert fake_ghost.posts[post["id"]]["title"] == "From file"
    assert count(fake_ghost, "PUT") == 2


def test_stale_update_is_a_collision_and_keeps_the_remote_text(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    fake_ghost.edit("post", post["id"], title="Edited in Ghost")

    with pytest.raises(CollisionError) as caught:
        client.update(
            "post", post["id"], {"title": "From file", "updated_at": post["updated_at"]}
        )

    assert caught.value.status == 409
    assert caught.value.code == "UPDATE_COLLISION"
    assert caught.value.details["changedFields"] == ["title"]
    assert fake_ghost.posts[post["id"]]["title"] == "Edited in Ghost"


# -- deletes ---------------------------------------------------------------------


def test_delete_whose_answer_is_lost_is_done_when_the_post_is_gone(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    fake_ghost.inject("reset", method="DELETE", apply=True)

    client.delete("post", post["id"])

    assert fake_ghost.posts == {}
    assert count(fake_ghost, "DELETE") == 1


def test_delete_that_ghost_did_not_apply_is_sent_once_more(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = new_post(client)
    fake_ghost.inject("status", method="DELETE", status=503)

    client.delete("post", post["id"])

    assert fake_ghost.posts == {}
    assert count(fake_ghost, "DELETE") == 2


def test_upload_whose_answer_is_lost_is_sent_once_more(
    fake_ghost: FakeGhost, client: GhostClient, tmp_path: Path
) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    fake_ghost.inject("reset", method="POST", path="^images/", apply=True)

    uploaded = client.upload("images", image, ref="dot.png")

    assert uploaded["url"].endswith("/dot-1.png")
    assert uploaded["ref"] == "dot.png"
    assert count(fake_ghost, "POST") == 2


# -- redirects -------------------------------------------------------------------


def test_redirect_is_refused_on_a_write_and_names_the_location(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    target = "https://admin.example.test/blog/ghost/api/admin/posts/"
    fake_ghost.inject("redirect", method="POST", location=target)

    with pytest.raises(RedirectError) as caught:
        client.create("post", {"title": "Moved", "slug": "moved"})

    assert caught.value.location == target
    assert "https://admin.example.test/blog/" in str(caught.value)
    assert "admin URL" in str(caught.value)
    assert fake_ghost.posts == {}
    assert [r.method for r in fake_ghost.requests] == ["POST"]


# -- rate limits and retries -----------------------------------------------------


def test_retry_after_is_honoured_on_a_read(
    fake_ghost: FakeGhost, client: GhostClient, slept: list[float]
) -> None:
    fake_ghost.inject("status", method="GET", status=429, retry_after="3")

    client.check_auth()

    assert slept == [3]
    assert count(fake_ghost, "GET") == 2
    assert (client.stats.requests, client.stats.retries) == (1, 1)


def test_retry_after_is_honoured_on_a_write(
    fake_ghost: FakeGhost, client: GhostClient, slept: list[float]
) -> None:
    fake_ghost.inject("status", method="POST", status=429, retry_after="2")

    post = client.create("post", {"title": "Patient", "slug": "patient"})

    assert slept == [2]
    assert list(fake_ghost.posts) == [post["id"]]
    assert count(fake_ghost, "POST") == 2


def test_retry_after_is_capped(fake_ghost: FakeGhost, slept: list[float]) -> None:
    options = ClientOptions(backoff_factor=0, sleep=slept.append, max_retry_after=5)
    client = GhostClient(fake_ghost.url, fake_ghost.key, options)
    fake_ghost.inject("status", status=429, retry_after="3600")

    client.check_auth()

    assert slept == [5]


def test_rate_limit_after_every_retry_is_a_rate_limit_error(
    fake_ghost: FakeGhost, client: GhostClient, slept: list[float]
) -> None:
    fake_ghost.inject("status", status=429, retry_after="1", times=100)

    with pytest.raises(RateLimitError) as caught:
        client.check_auth()

    assert caught.value.status == 429
    assert slept == [1] * 5
    assert count(fake_ghost, "GET") == 6


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset"},
        {"kind": "delay", "delay": LATE},
        {"kind": "status", "status": 502, "html": True},
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 504, "html": True},
    ],
    ids=["reset", "late", "502", "503", "504"],
)
def test_reads_are_retried(
    fake_ghost: FakeGhost, client: GhostClient, fault: dict
) -> None:
    fake_ghost.inject(method="GET", **fault)

    client.check_auth()

    assert count(fake_ghost, "GET") == 2


def test_a_500_on_a_read_is_not_retried(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.inject("status", method="GET", status=500)

    with pytest.raises(ServerError) as caught:
        client.check_auth()

    assert caught.value.status == 500
    assert caught.value.type == "InternalServerError"
    assert count(fake_ghost, "GET") == 1


def test_html_504_from_a_proxy_is_a_clean_server_error(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.inject("status", status=504, html=True, times=100)

    with pytest.raises(ServerError) as caught:
        client.check_auth()

    message = str(caught.value)
    assert "HTTP 504" in message
    assert "proxy" in message
    assert "504 Gateway Time-out" in message
    assert "<" not in message
    assert caught.value.status == 504
    assert caught.value.method == "GET"
    assert count(fake_ghost, "GET") == 6


def test_a_read_timing_out_on_every_retry_is_unreachable(
    fake_ghost: FakeGhost, slept: list[float]
) -> None:
    options = ClientOptions(read_timeout=READ_TIMEOUT, retries=1, sleep=slept.append)
    client = GhostClient(fake_ghost.url, fake_ghost.key, options)
    fake_ghost.inject("delay", delay=LATE, times=2)

    with pytest.raises(UnreachableError) as caught:
        client.check_auth()

    assert f"no answer within {READ_TIMEOUT:g} s" in str(caught.value)
    assert f"{fake_ghost.url}ghost/api/admin/posts/" in str(caught.value)
    assert len(fake_ghost.requests) == 2


def test_an_answer_that_is_not_json_is_a_clear_error(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    page = "<html><body><h1>Welcome to my static site</h1></body></html>"
    fake_ghost.inject("status", status=200, body=page)

    with pytest.raises(GhostAPIError) as caught:
        client.site()

    assert "not Ghost's JSON" in str(caught.value)
    assert "Welcome to my static site" in str(caught.value)
    assert fake_ghost.url in caught.value.hint


# -- validation ------------------------------------------------------------------


def test_422_names_the_field_and_ghosts_limit(client: GhostClient) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create("post", {"title": "x" * 300, "slug": "long"})

    message = str(caught.value)
    assert caught.value.property == "title"
    assert caught.value.status == 422
    assert "'title'" in message
    assert "255 characters" in message
    assert message.count("posts.title") == 1


def test_422_from_ajv_names_the_missing_field(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    missing = {
        "instancePath": "/posts/0",
        "keyword": "required",
        "params": {"missingProperty": "updated_at"},
        "message": "must have required property 'updated_at'",
    }
    body = ghost_error(
        422,
        "ValidationError",
        "Validation error, cannot edit post.",
        context="Validation failed for 0.",
        details=[missing],
        prop="0",
    ).body
    fake_ghost.inject("status", method="PUT", status=422, body=body)

    with pytest.raises(ValidationError) as caught:
        client.update("post", "0" * 24, {"title": "x", "updated_at": "2026-01-01"})

    assert caught.value.property == "updated_at"
    assert "'updated_at'" in str(caught.value)
    assert caught.value.context == "Validation failed for 0."


def test_update_without_updated_at_is_refused_before_sending(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    with pytest.raises(ValueError):
        client.update("post", "0" * 24, {"title": "x"})

    assert fake_ghost.requests == []


# -- clocks ----------------------------------------------------------------------


def issued_at(fake: FakeGhost, index: int) -> int:
    token = fake.requests[index].headers["Authorization"].split()[1]
    return int(jwt.decode(token, options={"verify_signature": False})["iat"])


def test_clock_behind_the_server_is_corrected_after_a_rejected_token(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.clock_offset = 600

    client.check_auth()

    assert len(fake_ghost.requests) == 2
    assert abs(issued_at(fake_ghost, 1) - fake_ghost.now()) < 3
    assert abs(issued_at(fake_ghost, 0) - time.time()) < 3


def test_clock_is_set_from_any_answer_before_a_token_is_refused(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.clock_offset = 600

    client.site()
    client.check_auth()

    assert len(fake_ghost.requests) == 2
    assert abs(issued_at(fake_ghost, 1) - fake_ghost.now()) < 3


def test_clock_ahead_of_the_server_is_left_alone(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.clock_offset = -600

    client.site()
    client.check_auth()
    client.check_auth()

    assert len(fake_ghost.requests) == 3
    assert abs(issued_at(fake_ghost, 2) - time.time()) < 3


def test_a_token_refused_twice_as_too_old_is_an_auth_error_about_the_clock(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    body = ghost_error(
        401, "UnauthorizedError", "Invalid token: jwt expired", code="INVALID_JWT"
    ).body
    fake_ghost.inject("status", status=401, body=body, times=2)

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert caught.value.code == "INVALID_JWT"
    assert "clock" in caught.value.hint
    assert len(fake_ghost.requests) == 2


# -- wrong configuration and unreachable sites ------------------------------------


def test_unknown_key_says_it_was_deleted_or_regenerated(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.key_id = "f" * 24

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert caught.value.code == "UNKNOWN_ADMIN_API_KEY"
    assert caught.value.status == 401
    assert "deleted or regenerated" in caught.value.hint


def test_wrong_secret_says_to_copy_the_key_again(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    fake_ghost.secret = "0" * 64

    with pytest.raises(AuthError) as caught:
        client.check_auth()

    assert "invalid signature" in str(caught.value)
    assert "copy the whole Admin API key" in caught.value.hint


def test_content_key_and_bad_urls_fail_before_any_request(
    fake_ghost: FakeGhost,
) -> None:
    with pytest.raises(ConfigError, match="Content API key"):
        GhostClient(fake_ghost.url, "a" * 26)
    with pytest.raises(ConfigError, match="https://"):
        GhostClient(fake_ghost.url.removeprefix("http://"), fake_ghost.key)
    with pytest.raises(ConfigError, match="plain http"):
        GhostClient("http://ghost.example.test/", fake_ghost.key)

    assert fake_ghost.requests == []


def test_closed_loopback_port_is_unreachable(slept: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = ClientOptions(connect_timeout=1, backoff_factor=0, sleep=slept.append)
    key = FakeGhost().key
    client = GhostClient(f"http://127.0.0.1:{port}/", key, options)

    with pytest.raises(UnreachableError) as caught:
        client.site()
    with pytest.raises(UnreachableError):
        client.create("post", {"title": "Nowhere"})

    assert f"http://127.0.0.1:{port}/ghost/api/admin/site/" in str(caught.value)
    assert "refused" in str(caught.value)
