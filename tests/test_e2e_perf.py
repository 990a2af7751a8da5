"""The hash cache and parallel writes end to end, against the session's real Ghost."""

from __future__ import annotations

import os
import time

import pytest

from ghostsync import planner as p

from .e2e import Project, mine
from .test_e2e_push import edit_in_ghost, remote_post

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("perf")
    )


def age_files(project: Project, *names: str, seconds: float = 5) -> None:
    """Date files back, as files not written this very second are."""
    past = time.time_ns() - int(seconds * 1e9)
    for path in (project.root / "content").rglob("*.md"):
        if not names or path.stem in names:
            os.utime(path, ns=(past, past))


def test_cached_files_plan_as_read_ones_and_are_read_when_ghost_moved(project):
    for name in ("one", "two", "three"):
        project.post(name, name.title(), f"Body of {name}.\n")
    age_files(project)
    assert [o.status for o in project.push().outcomes] == ["done"] * 3

    again = project.plan()
    assert len(again.scan.cached) == 3
    assert {a.name for a in mine(again, project.prefix)} == {p.UNCHANGED}

    # An edit in Ghost and its undoing: updated_at moved, the content did not.
    edit_in_ghost(project, "two", title="Changed in Ghost")
    edit_in_ghost(project, "two", title="Two")
    project.post("three", "Three", "Edited here.\n")
    age_files(project, "three")
    result = project.plan()

    actions = {a.slug: a for a in mine(result, project.prefix)}
    assert actions[project.slug("one")].name == p.UNCHANGED
    assert actions[project.slug("two")].name == p.UNCHANGED
    assert actions[project.slug("two")].refresh
    assert actions[project.slug("three")].name == p.UPDATE
    assert actions[project.slug("three")].changes == ("body",)
    assert set(result.scan.cached) == {"content/posts/one.md"}


def test_parallel_push_creates_a_new_tag_once_and_records_every_post(project):
    shared = f"{project.prefix}shared"
    for number in range(8):
        tags = f"[{shared}]" if number % 2 else "[]"
        project.post(f"p{number}", f"Post {number}", f"Body {number}.\n", tags=tags)
    client = project.client()

    result = project.push(client, jobs=4)

    assert [o.status for o in result.outcomes] == ["done"] * 8
    assert len(client.writes) == 8
    found = list(project.client().browse_resource("tags", filter=f"slug:{shared}"))
    assert len(found) == 1
    for number in range(1, 8, 2):
        tags = remote_post(project, f"p{number}")["tags"]
        assert [tag["id"] for tag in tags] == [found[0]["id"]]
    assert {a.name for a in mine(project.plan(), project.prefix)} == {p.UNCHANGED}


def test_a_named_cached_file_is_read_for_its_diff(project):
    from ghostsync.diff import diff
    from ghostsync.run import connect

    rel = project.post("same", "Same", "Unchanged body.\n")
    age_files(project)
    project.push()
    assert rel in project.plan().scan.cached

    with connect(project.settings(), project.client()) as site:
        result, [found] = diff(site, {rel})

    assert rel not in result.scan.cached
    assert found.action.name == p.UNCHANGED
    assert found.same
