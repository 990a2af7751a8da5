"""The sample site in content/: pushed to the real Ghost, then nothing to do."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ghostsync import planner as p
from ghostsync.source import DATE_PREFIX, slugify

from .e2e import Project, mine

pytestmark = pytest.mark.ghost

SAMPLE = Path(__file__).resolve().parent.parent / "content"


def prefixed_copy(target: Path, prefix: str) -> None:
    """The sample's files with every slug prefixed, so tests stay apart."""
    shutil.copytree(SAMPLE, target, dirs_exist_ok=True)
    for path in target.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"^slug: (.+)$", text, re.M)
        if match:
            text = text.replace(match.group(0), f"slug: {prefix}{match.group(1)}")
        else:
            stem = DATE_PREFIX.sub(r"\4", path.stem)
            text = text.replace("---\n", f"---\nslug: {prefix}{slugify(stem)}\n", 1)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    if real_ghost.staff_slug != "sam":
        pytest.skip("the sample names the local Ghost's staff user 'sam'")
    project = Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("sample")
    )
    prefixed_copy(project.root / "content", project.prefix)
    return project


def test_the_sample_site_pushes_and_then_plans_nothing(project):
    first = project.push()
    assert first.scan.errors == []
    assert {o.status for o in first.outcomes} == {"done"}, [
        (o.action.path, o.message) for o in first.outcomes if o.status != "done"
    ]
    kinds = [o.action.kind for o in first.outcomes]
    assert kinds.count("post") >= 12 and kinds.count("page") >= 3
    formats = {o.action.local.post.body_format for o in first.outcomes}
    assert formats == {"markdown", "html"}
    assert first.scan.skipped == ["content/posts/not-ready.md"]

    client = project.client()
    two = client.find_by_slug("post", project.slug("two-authors"), include=["authors"])
    assert [a["slug"] for a in two["authors"]] == ["sam", "olivia"]
    future = client.find_by_slug("post", project.slug("letter-to-the-future"))
    assert future["status"] == "scheduled"
    members = client.find_by_slug("post", project.slug("members-only"))
    assert members["visibility"] == "members"

    counting = project.client()
    second = project.push(client=counting)
    assert counting.writes == []
    assert {a.name for a in mine(second, project.prefix)} == {p.UNCHANGED}
