"""The key, its secret and every token stay out of logs and error texts."""

from __future__ import annotations

import logging

import pytest

from ghostsync.errors import GhostAPIError
from ghostsync.ghost.auth import AdminKey, make_token
from ghostsync.ghost.client import ClientOptions, GhostClient
from ghostsync.ghost.redact import REDACTED, RedactingFilter, redact

from .fakeghost import FakeGhost


def error_texts(error: GhostAPIError) -> str:
    facts = [str(value) for value in vars(error).values()]
    return "\n".join([str(error), repr(error), *facts])


def test_no_secret_in_logs_or_errors(
    fake_ghost: FakeGhost, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    options = ClientOptions(read_timeout=0.2, backoff_factor=0, sleep=lambda _: None)
    client = GhostClient(fake_ghost.url, fake_ghost.key, options)
    real_secret = fake_ghost.secret
    caught: list[GhostAPIError] = []

    fake_ghost.secret = "0" * 64  # Ghost now refuses the signature: 401
    with pytest.raises(GhostAPIError) as error:
        client.check_auth()
    caught.append(error.value)
    fake_ghost.secret = real_secret

    with pytest.raises(GhostAPIError) as error:
        client.create("post", {"title": "x" * 300})
    caught.append(error.value)

    fake_ghost.inject("status", method="GET", status=500)
    with pytest.raises(GhostAPIError) as error:
        client.read("post", "0" * 24)
    caught.append(error.value)

    fake_ghost.inject("status", status=429, retry_after="1")
    fake_ghost.inject("reset", method="POST", apply=True)
    client.create("post", {"title": "Lost", "slug": "lost"})

    tokens = [r.headers["Authorization"].split()[1] for r in fake_ghost.requests]
    secrets = [fake_ghost.key, real_secret, *tokens, *(t.split(".")[2] for t in tokens)]
    written = caplog.text + "\n".join(error_texts(e) for e in caught)
    assert [e.status for e in caught] == [401, 422, 500]
    assert len(tokens) == 7
    assert "urllib3.connectionpool" in caplog.text
    assert [s for s in secrets if s in written] == []


def test_filter_redacts_tokens_and_secrets_in_any_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = AdminKey.parse("ab" * 12 + ":" + "cd" * 32)
    token = make_token(key, 1_700_000_000)
    logger = logging.getLogger("ghostsync.http.test")
    logger.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)

    logger.debug("header Authorization: Ghost %s", token)
    logger.debug("secret %s", "cd" * 32)
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        logger.exception("boom")

    assert token not in caplog.text
    assert "cd" * 32 not in caplog.text
    assert f"Authorization: {REDACTED}" in caplog.text
    assert caplog.text.count(REDACTED) == 3


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "GET /ghost/api/admin/posts/6b119431f8e21b4b4acf6d9c/ -> 200 (Ghost 6.65)"

    assert redact(text) == text
