"""The one exception tree of ghostsync and the exit codes it maps to.

Every error a user can see derives from :class:`GhostsyncError`. Each carries the
facts a message needs (the file, the field, the status) as attributes; the CLI
turns them into text in one place, ``ghostsync.cli.render_error``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Process exit codes; when several apply the most severe wins."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFLICT = 3
    PENDING = 4
    SITE = 5
    INTERRUPTED = 130


# Most severe first: usage, site, error, conflict, pending.
SEVERITY = [
    ExitCode.USAGE,
    ExitCode.SITE,
    ExitCode.ERROR,
    ExitCode.CONFLICT,
    ExitCode.PENDING,
]


def most_severe(codes: list[ExitCode]) -> ExitCode:
    """The exit code that wins among ``codes`` (``OK`` when there are none)."""
    for code in SEVERITY:
        if code in codes:
            return code
    return ExitCode.INTERRUPTED if ExitCode.INTERRUPTED in codes else ExitCode.OK


class GhostsyncError(Exception):
    """Base of every error ghostsync reports to a user."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str = "", **facts: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.facts = facts

    def __str__(self) -> str:
        return self.message


class ConfigError(GhostsyncError):
    """The configuration is missing, malformed or names an unknown key."""

    exit_code = ExitCode.SITE


class SiteError(GhostsyncError):
    """The site cannot be reached, or refuses the key."""

    exit_code = ExitCode.SITE


class InvalidFileError(GhostsyncError):
    """A local file cannot become a post: bad front matter, a bad value."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int | None = None,
        field: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.field = field

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class StateError(GhostsyncError):
    """The state file cannot be read (a merge conflict, a newer schema)."""


class UnsafeError(GhostsyncError):
    """A run would do something destructive that needs an explicit flag."""


class ConflictError(GhostsyncError):
    """Both sides changed one post since the last sync."""

    exit_code = ExitCode.CONFLICT


class GhostAPIError(GhostsyncError):
    """Ghost answered a request with an error.

    ``status`` is the HTTP status, ``type`` and ``code`` are Ghost's error
    type and machine code, ``context`` and ``details`` Ghost's explanation,
    ``path`` the local file the request was for, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str = "",
        code: str = "",
        context: str = "",
        property: str = "",
        details: Any = None,
        method: str = "",
        url: str = "",
        path: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.type = type
        self.code = code
        self.context = context
        self.property = property
        self.details = details
        self.method = method
        self.url = url
        self.path = path


class AuthError(GhostAPIError):
    """Ghost refused the key or the token (401, 403)."""

    exit_code = ExitCode.SITE


class NotFoundError(GhostAPIError):
    """The post (or route) does not exist (404)."""


class CollisionError(GhostAPIError):
    """Ghost's optimistic lock refused an update: the post changed (409)."""

    exit_code = ExitCode.CONFLICT


class ValidationError(GhostAPIError):
    """Ghost rejected a value (422); ``property`` names the field."""


class RateLimitError(GhostAPIError):
    """Ghost or a proxy kept answering 429 after every retry."""


class ServerError(GhostAPIError):
    """Ghost or a proxy answered 5xx after every retry."""


class RedirectError(GhostAPIError):
    """Ghost answered a redirect; ``location`` is where it points."""

    exit_code = ExitCode.SITE

    def __init__(self, message: str, *, location: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


class UnreachableError(SiteError):
    """No answer: DNS, refused connection, timeout after every retry."""


class UnknownOutcomeError(GhostAPIError):
    """A write was sent but its outcome is unknown and could not be verified."""
