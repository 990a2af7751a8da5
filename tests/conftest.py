"""Shared fixtures: the real Ghost of the test session and the fake Ghost.

Unit tests may reach loopback only (pytest-socket, see ``addopts``). The real
Ghost fixture reuses ``GHOSTSYNC_TEST_URL``/``GHOSTSYNC_TEST_KEY`` when both are
set and otherwise starts its own instance for the whole session.

Property tests run under a Hypothesis profile: ``ci`` (the default, bounded so
the suite stays within its budget) or ``long`` for a local soak, chosen with
``HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from ghostsync import ci

from .fakeghost import fake_ghost  # noqa: F401
from .realghost import real_ghost  # noqa: F401

settings.register_profile(
    "ci",
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=1000,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests see the CLI's plain output even when the suite runs in Actions.

    CI mode (masks, annotations, a step summary) is switched on by
    ``GITHUB_ACTIONS=true``; the tests that want it set it themselves, and it
    is off again after each test.
    """
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    ci.configure(False)
    yield
    ci.configure(False)
