"""Conflicts resolved by hand with ``ghostsync resolve``, on the real Ghost."""

from __future__ import annotations

import json

import pytest

from ghostsync import planner as p

from .e2e import Project, mine
from .test_e2e_push import card_text, edit_in_ghost, remote_post

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("resolve")
    )


def conflicted(project: Project, name: str) -> str:
    """A post edited in Ghost (title) and in the file (body); its path."""
    path = project.post(name, "Original", "Line one.\n")
    project.push()
    edit_in_ghost(project, name, title="Title from Ghost")
    project.post(name, "Original", "Line one, edited here.\n")
    result = project.cli("push")
    assert result.exit_code == 3, result.output
    assert f"ghostsync resolve {path}" in result.output
    return path


def test_resolve_takes_the_merged_file_and_a_second_push_does_nothing(project):
    path = conflicted(project, "merge")
    copy = project.root / ".ghostsync" / "conflicts" / (path + ".json")
    saved = json.loads(copy.read_text())
    assert saved["title"] == "Title from Ghost" and saved["ghostsync"]["remote_hash"]

    project.post("merge", "Title from Ghost", "Line one, edited here.\n")
    resolved = project.cli("resolve", str(project.root / path))
    assert resolved.exit_code == 0, resolved.output
    assert not copy.exists()
    [planned] = mine(project.plan(), project.prefix)
    assert (planned.name, planned.changes) == (p.UPDATE, ("body",))

    pushed = project.cli("push")
    assert pushed.exit_code == 0, pushed.output
    post = remote_post(project, "merge")
    assert post["title"] == "Title from Ghost"
    assert card_text(post) == "Line one, edited here.\n"

    counting = project.client()
    again = project.push(client=counting)
    assert counting.writes == []
    assert [a.name for a in mine(again, project.prefix)] == [p.UNCHANGED]


def test_resolve_after_a_newer_edit_in_ghost_is_a_conflict_again(project):
    path = conflicted(project, "again")
    project.post("again", "Title from Ghost", "Merged.\n")
    assert project.cli("resolve", str(project.root / path)).exit_code == 0
    edit_in_ghost(project, "again", title="Edited once more")

    result = project.cli("push")

    assert result.exit_code == 3, result.output
    assert remote_post(project, "again")["title"] == "Edited once more"


def test_resolve_without_a_conflict_or_with_markers_is_an_error(project):
    clean = project.post("clean", "No conflict")
    project.push()
    none = project.cli("resolve", str(project.root / clean))
    assert none.exit_code == 1
    assert f"no conflict for {clean}" in none.output

    path = conflicted(project, "marked")
    project.post("marked", "T", "<<<<<<< mine\nA\n=======\nB\n>>>>>>> theirs\n")
    marked = project.cli("resolve", str(project.root / path))
    assert marked.exit_code == 1
    assert f"{path}:5 still has a merge conflict marker" in marked.output
    assert (project.root / ".ghostsync" / "conflicts" / (path + ".json")).exists()


def test_force_settles_the_conflict_and_drops_its_copy(project):
    path = conflicted(project, "forced")
    copy = project.root / ".ghostsync" / "conflicts" / (path + ".json")
    assert copy.exists()

    assert project.cli("push", "--force").exit_code == 0

    assert not copy.exists()
    assert "no conflict for" in project.cli("resolve", str(project.root / path)).output


def test_a_conflict_found_by_pull_resolves_the_same_way(project):
    path = project.post("pulled", "Original", "Line one.\n")
    project.push()
    edit_in_ghost(project, "pulled", title="Title from Ghost")
    project.post("pulled", "Original", "Line one, edited here.\n")
    pulled = project.cli("pull")
    assert pulled.exit_code == 3, pulled.output

    copies = project.root / ".ghostsync" / "conflicts"
    assert (copies / path).exists() and (copies / (path + ".json")).exists()

    project.post("pulled", "Title from Ghost", "Line one, edited here.\n")
    assert project.cli("resolve", str(project.root / path)).exit_code == 0
    assert not (copies / path).exists() and not (copies / (path + ".json")).exists()
    assert project.cli("push").exit_code == 0

    post = remote_post(project, "pulled")
    assert (post["title"], card_text(post)) == (
        "Title from Ghost",
        "Line one, edited here.\n",
    )
    counting = project.client()
    project.push(client=counting)
    assert counting.writes == []
    again = project.cli("pull")
    assert again.exit_code == 0 and "0 pulled" in again.output
