"""sync end to end, against the session's real Ghost: both directions at once."""

from __future__ import annotations

import json

import pytest

from ghostsync.run import connect
from ghostsync.sync import sync

from .e2e import CountingClient, Project
from .test_e2e_pull import edit_in_ghost, remote_post

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("sync")
    )


def run_sync(project: Project, client: CountingClient | None = None, **options):
    with connect(project.settings(), client or project.client()) as site:
        return sync(site, **options)


def files(project: Project) -> dict[str, bytes]:
    folder = project.root / "content"
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*.md"))}


def assert_second_sync_does_nothing(project: Project) -> None:
    before = files(project)
    counting = project.client()
    again = run_sync(project, client=counting)
    assert counting.writes == []
    assert [o for o in again.outcomes if o.status != "skipped"] == []
    assert again.exit_code() == 0
    assert files(project) == before


def test_each_side_alone_flows_the_right_way(project):
    mine = project.post("mine", "Mine")
    theirs = project.post("theirs", "Theirs")
    project.push()
    project.post("mine", "Mine, edited here")
    edit_in_ghost(project, project.slug("theirs"), title="Theirs, edited in Ghost")

    result = run_sync(project)

    assert result.exit_code() == 0
    done = {o.action.path: (o.action.name, o.status) for o in result.outcomes}
    assert done == {mine: ("update", "done"), theirs: ("remote-changed", "done")}
    assert remote_post(project, project.slug("mine"))["title"] == "Mine, edited here"
    assert "title: Theirs, edited in Ghost" in (project.root / theirs).read_text()
    assert_second_sync_does_nothing(project)


def conflicted(project: Project) -> str:
    """A post changed on both sides, and another changed only here."""
    rel = project.post("both", "Original")
    project.post("other", "Other")
    project.push()
    edit_in_ghost(project, project.slug("both"), title="Ghost's title")
    project.post("both", "My title")
    project.post("other", "Other, edited here")
    return rel


def test_both_sides_changed_is_a_conflict_and_the_run_goes_on(project):
    rel = conflicted(project)
    mine = (project.root / rel).read_bytes()

    result = project.cli("sync")

    assert result.exit_code == 3, result.output
    assert f"conflict post {rel}: changed on both sides" in result.output
    assert "'sync --prefer remote' takes Ghost's" in result.output
    assert "'sync --prefer local' keeps yours" in result.output
    assert f"'ghostsync resolve {rel}'" in result.output
    assert "--force" not in result.output
    assert remote_post(project, project.slug("other"))["title"] == "Other, edited here"
    assert (project.root / rel).read_bytes() == mine
    assert remote_post(project, project.slug("both"))["title"] == "Ghost's title"
    conflicts = project.root / ".ghostsync" / "conflicts"
    assert "title: Ghost's title" in (conflicts / rel).read_text()
    assert json.loads((conflicts / (rel + ".json")).read_text())["title"] == (
        "Ghost's title"
    )
    assert project.cli("sync").exit_code == 3  # still open


def test_prefer_local_keeps_the_file_and_backs_ghost_up(project):
    rel = conflicted(project)

    result = project.cli("sync", "--prefer", "local")

    assert result.exit_code == 0, result.output
    assert "Ghost's version backed up: .ghostsync/backups/" in result.output
    assert remote_post(project, project.slug("both"))["title"] == "My title"
    assert "title: My title" in (project.root / rel).read_text()
    backups = list((project.root / ".ghostsync" / "backups").rglob("post-*.json"))
    assert any("Ghost's title" in b.read_text() for b in backups)
    assert_second_sync_does_nothing(project)


def test_prefer_remote_takes_ghost_and_backs_the_file_up(project):
    rel = conflicted(project)

    result = project.cli("sync", "--prefer", "remote")

    assert result.exit_code == 0, result.output
    assert "title: Ghost's title" in (project.root / rel).read_text()
    assert remote_post(project, project.slug("both"))["title"] == "Ghost's title"
    assert remote_post(project, project.slug("other"))["title"] == "Other, edited here"
    [backup] = (project.root / ".ghostsync" / "backups").rglob("both.md")
    assert "title: My title" in backup.read_text()
    assert_second_sync_does_nothing(project)


def test_plan_shows_both_directions_in_one_table(project):
    push_side = project.post("out", "Out")
    pull_side = project.post("in", "In")
    project.push()
    project.post("out", "Out, edited here")
    edit_in_ghost(project, project.slug("in"), title="In, edited in Ghost")

    text = project.cli("plan")
    data = json.loads(project.cli("plan", "--json").output)

    assert f"~ update           push  post {push_side}" in text.output
    assert f"< remote-changed   pull  post {pull_side}" in text.output
    directions = {a["path"]: a["direction"] for a in data["actions"] if a["path"]}
    assert directions == {push_side: "push", pull_side: "pull"}
