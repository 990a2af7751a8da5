"""Crash points for the crash tests; inert unless ``GHOSTSYNC_TEST_CRASH`` is set.

``GHOSTSYNC_TEST_CRASH=PHASE:N`` kills the process with SIGKILL the N-th time
(counting from 0) it passes the crash point named PHASE: ``created`` (Ghost
answered a create, nothing recorded yet), ``journal-before`` and
``journal-after`` (around one journal line), ``fold`` (inside the state fold:
0 before the new state file replaces the old one, 1 after, before the journal
is removed). The hook only ends the process: it reads nothing else, writes
nothing and prints nothing, and an unknown or malformed value does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

VARIABLE = "GHOSTSYNC_TEST_CRASH"
PHASES = ("created", "journal-before", "journal-after", "fold")

_passed: Counter[str] = Counter()


def crash_point(phase: str) -> None:
    """Die here if the test asked for this phase and this pass."""
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return

    name, _, index = wanted.partition(":")
    count = _passed[phase]
    _passed[phase] += 1
    if name == phase and index.isdigit() and int(index) == count:
        os.kill(os.getpid(), signal.SIGKILL)
