"""Keeping Admin API secrets and tokens out of log records and error texts.

The client never puts a key or a token into a message on purpose; this module
is the second line of defence: anything shaped like a token (a JWT, with or
without its ``Ghost`` scheme) or like a key secret (64 hex digits) is replaced
by ``[redacted]`` in every record that passes the filter.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_TOKEN = re.compile(r"(?:Ghost\s+)?eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_SECRET = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")

# The loggers that see requests: ours and urllib3's. urllib3 logs methods,
# paths and statuses, never headers; the filter makes sure of it.
HTTP_LOGGERS = (
    "ghostsync.http",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
    "urllib3.poolmanager",
)


def redact(text: str) -> str:
    """``text`` with every token and key secret replaced by ``[redacted]``."""
    text = _TOKEN.sub(REDACTED, text)
    return _SECRET.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and traceback text without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None

        if record.exc_info and not record.exc_text:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
        return True


_FILTER = RedactingFilter()


def protect_http_loggers() -> None:
    """Attach the redacting filter to every logger that sees HTTP traffic."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
