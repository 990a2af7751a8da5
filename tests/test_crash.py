"""Kill the CLI with SIGKILL at chosen and at random points; the re-run heals.

The CLI runs as a subprocess against the real Ghost with
``GHOSTSYNC_TEST_CRASH=PHASE:N`` (see :mod:`ghostsync.crashpoint`): after Ghost
answered a create, before and after a journal line, inside the state fold.
Each kill gets its own project: three synced posts, one edited in Ghost since,
two edited in the files, three new files. After the kill a plain re-run must
leave no post twice, the site equal to the files, the editor's edit in place
and a state that parses and matches the site.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from ghostsync import planner as p
from ghostsync.state import State

from .e2e import Project, mine

pytestmark = pytest.mark.ghost

SEED = 20261203
REMOTE_TITLE = "Fixed in Ghost by an editor"
# A push of the prepared project passes these points this many times: 3
# creates, 2 updates; a journal line per pending create and per record.
PASSES = {"created": 3, "journal-before": 8, "journal-after": 8, "fold": 2}
CHOSEN = [
    "created:0",
    "created:2",
    "journal-before:0",
    "journal-after:0",
    "journal-before:1",
    "journal-after:1",
    "journal-before:4",
    "journal-after:5",
    "journal-before:7",
    "journal-after:7",
    "fold:0",
    "fold:1",
]


def random_points(count: int) -> list[str]:
    """``count`` seeded points that are not among the chosen ones."""
    others = [
        f"{phase}:{n}"
        for phase, passes in sorted(PASSES.items())
        for n in range(passes)
        if f"{phase}:{n}" not in CHOSEN
    ]
    return random.Random(SEED).sample(others, count)


POINTS = CHOSEN + random_points(8)


def body(name: str, version: int) -> str:
    return f"The body of {name}, version {version}.\n\nAnother paragraph.\n"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, real_ghost) -> dict[str, Project]:
    """One project per kill point, synced once and then changed on both sides."""
    projects = {}
    for n, point in enumerate(POINTS):
        root = tmp_path_factory.mktemp("crash") / "blog"
        project = Project(
            root, real_ghost.url, real_ghost.key, real_ghost.prefix(f"k{n}")
        )
        for name in ("a", "b", "c"):
            project.post(name, f"Post {name}", body(name, 1))
        project.push()
        projects[point] = project

    time.sleep(1.1)  # Ghost's updated_at has one-second resolution
    for project in projects.values():
        remote = project.client().find_by_slug("post", project.slug("c"))
        assert remote is not None
        project.client().update(
            "post",
            remote["id"],
            {"updated_at": remote["updated_at"], "title": REMOTE_TITLE},
        )
        for name in ("a", "b"):
            project.post(name, f"Post {name}, revised", body(name, 2))
        for name in ("d", "e", "f"):
            project.post(name, f"Post {name}", body(name, 1))
    return projects


def cli(project: Project, crash: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHOSTSYNC_TEST")}
    env.update(project.env)
    if crash:
        env["GHOSTSYNC_TEST_CRASH"] = crash
    command = [sys.executable, "-m", "ghostsync", "-C", str(project.root), "push"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def card_text(post: dict[str, Any]) -> str:
    children = json.loads(post["lexical"])["root"]["children"]
    return "\n".join(c.get("markdown", "") for c in children if c["type"] == "markdown")


def mine_remote(project: Project) -> list[dict[str, Any]]:
    client = project.client()
    return [
        post
        for post in client.browse("post", fields=["id", "slug", "title", "updated_at"])
        if post["slug"].startswith(project.prefix)
    ]


def assert_healed(project: Project) -> None:
    remote = mine_remote(project)
    slugs = sorted(post["slug"] for post in remote)
    assert slugs == [project.slug(n) for n in "abcdef"], "a post twice or missing"

    client = project.client()
    for path in sorted((project.root / "content/posts").glob("*.md")):
        post = client.find_by_slug("post", project.slug(path.stem), formats=["lexical"])
        assert post is not None
        if path.stem == "c":
            assert post["title"] == REMOTE_TITLE, "the editor's edit was lost"
            continue
        assert f"title: {post['title']}\n" in path.read_text()
        assert card_text(post).strip() == path.read_text().split("---\n", 2)[2].strip()

    [state_file] = (project.root / ".ghostsync/state").iterdir()
    state = State.open(project.root, state_file.stem)
    by_id = {post["id"]: post for post in remote}
    paths = sorted(record.path for record in state.records.values())
    assert paths == [f"content/posts/{n}.md" for n in "abcdef"]
    assert not state.snapshot.pending
    for record in state.records.values():
        assert record.id in by_id
        if record.slug != project.slug("c"):
            assert record.updated_at == by_id[record.id]["updated_at"]

    names = {a.slug: a.name for a in mine(project.plan(), project.prefix)}
    assert names.pop(project.slug("c")) == p.REMOTE_CHANGED
    assert set(names.values()) == {p.UNCHANGED}


@pytest.mark.parametrize("point", POINTS)
def test_killed_push_heals_on_the_next_run(prepared, point):
    project = prepared[point]

    killed = cli(project, crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = cli(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Traceback" not in again.stderr
    assert_healed(project)
