"""Admin API keys and the short-lived tokens Ghost accepts for them.

An Admin API key is ``{id}:{secret}``: a 24-hex key id and a 64-hex secret.
Each request carries a fresh HS256 token signed with the secret's bytes, with
the key id as ``kid`` and ``aud`` ``/admin/``. Ghost refuses a token whose
``iat`` is five minutes old, so ``iat`` comes from a clock the client keeps in
step with the server's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
import requests

from ghostsync.errors import ConfigError

TOKEN_LIFETIME = 300
AUDIENCE = "/admin/"

_ADMIN_KEY = re.compile(r"[0-9a-fA-F]{24}:[0-9a-fA-F]{64}")
_CONTENT_KEY = re.compile(r"[0-9a-fA-F]{26}")

_WHERE = (
    "In Ghost Admin open Settings → Integrations, open (or add) a custom "
    "integration and copy its Admin API key."
)


@dataclass(frozen=True)
class AdminKey:
    """A parsed Admin API key; its repr never shows the secret."""

    id: str
    secret: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> AdminKey:
        """Parse ``{24 hex}:{64 hex}``; raise ConfigError saying what is wrong.

        The message describes the shape of the value, never the value.
        """
        value = text.strip()
        if _ADMIN_KEY.fullmatch(value):
            key_id, secret = value.lower().split(":")
            return cls(id=key_id, secret=bytes.fromhex(secret))

        if _CONTENT_KEY.fullmatch(value):
            raise ConfigError(
                "This is a Content API key (26 hex characters, no colon); "
                "ghostsync needs the Admin API key of the same integration.",
                hint=_WHERE,
            )
        raise ConfigError(
            "The Admin API key is malformed: expected 24 hex characters, a colon "
            f"and 64 hex characters, got {_shape(value)}.",
            hint=_WHERE,
        )


def _shape(value: str) -> str:
    """Describe a malformed key without repeating any of it."""
    if ":" not in value:
        return f"{len(value)} characters without a colon"
    left, _, right = value.partition(":")
    return f"{len(left)} characters, a colon and {len(right)} characters"


# Called with every token signed for a request (CI mode masks them).
_token_hooks: list[Callable[[str], None]] = []


def on_token(hook: Callable[[str], None]) -> None:
    """Call ``hook`` with every token :class:`TokenAuth` signs (once per hook)."""
    if hook not in _token_hooks:
        _token_hooks.append(hook)


def make_token(key: AdminKey, now: float) -> str:
    """A token for ``key`` issued at ``now`` (seconds since the epoch)."""
    issued = int(now)
    claims = {"iat": issued, "exp": issued + TOKEN_LIFETIME, "aud": AUDIENCE}
    return jwt.encode(claims, key.secret, algorithm="HS256", headers={"kid": key.id})


class TokenAuth(requests.auth.AuthBase):
    """Signs every request with a fresh token: ``Authorization: Ghost <jwt>``."""

    def __init__(self, key: AdminKey, clock: Callable[[], float]) -> None:
        self._key = key
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = make_token(self._key, self._clock())
        for hook in _token_hooks:
            hook(token)
        request.headers["Authorization"] = f"Ghost {token}"
        return request

    def __repr__(self) -> str:
        return f"TokenAuth(kid={self._key.id})"
