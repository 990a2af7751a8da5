"""The fault matrix: every fault kind at every request of a 50-post push.

A push of 50 posts (new ones and edited ones, plus one post edited in Ghost
and one edited on both sides) runs against the fake Ghost with one fault
injected at request ``i``; then a second push runs with no fault. After that,
every time: the site equals the files, no post exists twice, the remote edits
survived, and the state parses, covers every file and holds Ghost's
timestamps. Backoff is zero and sleeps are recorded, not slept, so the whole
matrix takes a few minutes at most.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghostsync import planner as p
from ghostsync.errors import GhostsyncError

from .fakeghost import FakeGhost
from .fakeproject import (
    READ_TIMEOUT,
    FakeProject,
    assert_no_duplicates,
    assert_site_equals_files,
    assert_state_matches_site,
    copy_project,
    restore,
    snapshot,
)

SYNCED = 30
EDITED = 15
NEW = 20
REMOTE_TITLE = "Fixed in Ghost by an editor"
REMOTE_ONLY = "post-20"  # edited in Ghost only: push must leave it alone
BOTH_SIDES = "post-01"  # edited in Ghost and in the file: a conflict

FAULTS: dict[str, dict[str, Any]] = {
    "429": {"kind": "status", "status": 429, "retry_after": "1"},
    "500": {"kind": "status", "status": 500},
    "500-after-write": {"kind": "status", "status": 500, "apply": True},
    "503": {"kind": "status", "status": 503, "retry_after": "2"},
    "reset": {"kind": "reset"},
    "timeout": {"kind": "delay", "delay": READ_TIMEOUT * 2.5},
    "lost-create": {"kind": "reset", "apply": True},
    "redirect": {"kind": "redirect"},
}


def body(name: str, version: int) -> str:
    return f"Paragraph one of {name}, version {version}.\n\nA second paragraph.\n"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fake Ghost and a project just before the push under test."""
    fake = FakeGhost().start()
    project = FakeProject(tmp_path_factory.mktemp("baseline"), fake)
    for n in range(SYNCED):
        project.write(f"post-{n:02d}", f"Post {n}", body(f"post-{n:02d}", 1))
    project.push()

    for n in range(1, EDITED + 1):
        project.write(f"post-{n:02d}", f"Post {n}, revised", body(f"post-{n:02d}", 2))
    for n in range(SYNCED, SYNCED + NEW):
        project.write(f"post-{n:02d}", f"Post {n}", body(f"post-{n:02d}", 1))
    for slug in (REMOTE_ONLY, BOTH_SIDES):
        post = next(x for x in fake.posts.values() if x["slug"] == slug)
        fake.edit("post", post["id"], title=REMOTE_TITLE)

    saved = {"root": project.root, "fake": snapshot(fake)}
    restore(fake, saved["fake"])
    counted = tmp_path_factory.mktemp("count") / "project"
    copy_project(project.root, counted)
    FakeProject(counted, fake).push()
    saved["requests"] = len(fake.requests)
    saved["writes"] = [r.method for r in fake.requests if r.method != "GET"]
    yield {**saved, "server": fake}
    fake.stop()


def run_with_fault(
    baseline: dict[str, Any], root: Path, fault: dict[str, Any], at: int
) -> FakeProject:
    """Push with ``fault`` at request ``at``, then push again without it."""
    fake: FakeGhost = baseline["server"]
    restore(fake, baseline["fake"])
    copy_project(baseline["root"], root)
    project = FakeProject(root, fake)

    injected = fake.inject(at=at, **fault)
    with contextlib.suppress(GhostsyncError):  # a failed run may end early
        project.push()
    assert injected.fired == 1, f"no request {at}"
    fake.faults = []
    project.push()
    return project


def check_converged(project: FakeProject) -> None:
    assert_no_duplicates(project.fake)
    assert_site_equals_files(
        project, remote_wins={REMOTE_ONLY: REMOTE_TITLE, BOTH_SIDES: REMOTE_TITLE}
    )
    assert_state_matches_site(project, stale={REMOTE_ONLY, BOTH_SIDES})

    names = {a.slug: a.name for a in project.plan().plan.actions}
    assert names.pop(REMOTE_ONLY) == p.REMOTE_CHANGED
    assert names.pop(BOTH_SIDES) == p.CONFLICT
    assert set(names.values()) == {p.UNCHANGED}


def test_the_push_under_test_is_mixed(baseline: dict[str, Any]) -> None:
    """The push under test: 20 creates, 14 updates, a conflict, a remote edit."""
    fake: FakeGhost = baseline["server"]
    restore(fake, baseline["fake"])
    assert len(fake.posts) == SYNCED
    writes = baseline["writes"]
    assert writes.count("POST") == NEW
    assert writes.count("PUT") == EDITED - 1


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_at_every_request_converges(
    baseline: dict[str, Any],
    tmp_path: Path,
    name: str,
    record_property: Any,
) -> None:
    positions = range(baseline["requests"])
    failures = []
    for at in positions:
        project = run_with_fault(baseline, tmp_path / f"at-{at}", FAULTS[name], at)
        try:
            check_converged(project)
        except AssertionError as error:
            failures.append(f"{name} at request {at}: {error}")

    record_property("positions", len(positions))
    assert not failures, "\n".join(failures)
