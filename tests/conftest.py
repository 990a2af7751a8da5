"""Shared fixtures: the real Ghost of the test session and the fake Ghost.

Unit tests may reach loopback only (pytest-socket, see ``addopts``). The real
Ghost fixture reuses ``GHOSTSYNC_TEST_URL``/``GHOSTSYNC_TEST_KEY`` when both are
set and otherwise starts its own instance for the whole session.
"""

from __future__ import annotations

from .fakeghost import fake_ghost  # noqa: F401
from .realghost import real_ghost  # noqa: F401
