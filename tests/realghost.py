"""The session's real Ghost: the ``real_ghost`` fixture.

With both ``GHOSTSYNC_TEST_URL`` and ``GHOSTSYNC_TEST_KEY`` set, the fixture
uses that Ghost and never stops it. Otherwise it installs the local Ghost if
needed, starts one instance on a free port of 127.0.0.1 in a new temporary
data folder (under ``$GHOSTSYNC_TEST_DATA_PARENT`` when set, so a CI script can
find it), sets it up and stops it when the session ends, including after a
failure or Ctrl-C. ``GHOST_URL`` and ``GHOST_ADMIN_API_KEY`` are never read:
a user's production blog must not become a test target.

A new instance starts from a set-up template database kept in the cache when
there is one (a start on an existing database skips the migrations), and the
first session that has to set up a fresh site saves it as that template.
``GHOSTSYNC_KEEP_TEST_GHOST=1`` keeps the data folder (and its log) afterwards.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ghostsync import localghost
from ghostsync.errors import GhostsyncError
from ghostsync.localghost_setup import read_env, save_template, seed_from_template

log = logging.getLogger("ghostsync.localghost")


@dataclass
class RealGhost:
    """A Ghost the tests may write to; secrets stay out of its repr."""

    url: str
    key: str = field(repr=False)
    env_file: Path | None = None
    data_dir: Path | None = None
    owner_email: str | None = None
    staff_email: str | None = None
    staff_slug: str | None = None
    staff_token: str | None = field(default=None, repr=False)
    content_key: str | None = field(default=None, repr=False)
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    _counter: Iterator[int] = field(default_factory=itertools.count, repr=False)

    @property
    def external(self) -> bool:
        """True when the instance came from ``GHOSTSYNC_TEST_URL``."""
        return self.data_dir is None

    def prefix(self, name: str) -> str:
        """A slug prefix unique to this call and run, e.g. ``gs1a2b3c-push-0-``."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "t"
        return f"gs{self.run_id}-{slug}-{next(self._counter)}-"


@pytest.fixture(scope="session")
def real_ghost(request: pytest.FixtureRequest) -> Iterator[RealGhost]:
    """The Ghost of this test session (see the module docstring)."""
    external = _external()
    if external:
        yield external
        return

    localghost.install()
    data = new_data_dir()
    cleanup = _Cleanup(data)
    atexit.register(cleanup)
    request.addfinalizer(cleanup)
    yield _start_and_set_up(data)


def _external() -> RealGhost | None:
    url = os.environ.get("GHOSTSYNC_TEST_URL", "")
    key = os.environ.get("GHOSTSYNC_TEST_KEY", "")
    if url and key:
        return RealGhost(url=url, key=key)
    if url or key:
        pytest.fail(
            "set both GHOSTSYNC_TEST_URL and GHOSTSYNC_TEST_KEY to use a running "
            "Ghost, or neither to start a local one"
        )
    return None


def new_data_dir() -> Path:
    """A new instance folder, where a CI script's clean-up can find it."""
    parent = os.environ.get("GHOSTSYNC_TEST_DATA_PARENT") or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="ghostsync-test-", dir=parent))


def _start_and_set_up(data: Path) -> RealGhost:
    seeded = seed_from_template(data)
    try:
        localghost.start(port=0, data=data)
    except GhostsyncError:
        if not seeded:
            raise
        log.warning("start from the template failed; starting a fresh site")
        _wipe(data)
        seeded = False
        localghost.start(port=0, data=data)

    env_file = localghost.setup(data)
    if not seeded:
        save_template(data)
    return _from_env(env_file, data)


def _from_env(env_file: Path, data: Path) -> RealGhost:
    env = read_env(env_file)
    return RealGhost(
        url=env["GHOST_URL"],
        key=env["GHOST_ADMIN_API_KEY"],
        env_file=env_file,
        data_dir=data,
        owner_email=env["GHOST_OWNER_EMAIL"],
        staff_email=env["GHOST_STAFF_EMAIL"],
        staff_slug=env["GHOST_STAFF_SLUG"],
        staff_token=env["GHOST_STAFF_TOKEN"],
        content_key=env["GHOST_CONTENT_API_KEY"],
    )


def _wipe(data: Path) -> None:
    localghost.stop(data)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(mode=0o700)


class _Cleanup:
    """Stops the session's Ghost once, from the finalizer or at exit."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        localghost.stop(self.data)
        if os.environ.get("GHOSTSYNC_KEEP_TEST_GHOST") != "1":
            shutil.rmtree(self.data, ignore_errors=True)
