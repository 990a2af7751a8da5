"""Deletions end to end on the real Ghost: --prune, its guards, --recreate."""

from __future__ import annotations

import json
import shutil
import stat

import pytest

from ghostsync import planner as p
from ghostsync.backups import list_backups

from .e2e import CountingClient, Project, mine

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("prune")
    )


def synced(project: Project, count: int, **front) -> list[str]:
    """``count`` posts written and pushed; their paths."""
    paths = [project.post(f"p{n}", f"Post {n}", **front) for n in range(count)]
    result = project.push()
    assert {o.status for o in result.outcomes} == {"done"}
    return paths


def remove(project: Project, *paths: str) -> None:
    for path in paths:
        (project.root / path).unlink()


def in_ghost(project: Project, name: str) -> dict | None:
    return project.client().find_by_slug("post", project.slug(name))


def names(result, prefix) -> list[str]:
    return [a.name for a in mine(result, prefix)]


def test_removed_file_is_reported_and_deleted_only_with_prune(project):
    paths = synced(project, 4, tags="[kept]")
    post_id = in_ghost(project, "p0")["id"]
    remove(project, paths[0])

    reported = project.cli("push")
    assert reported.exit_code == 0, reported.output
    assert "deleted-locally" in reported.output and "'push --prune'" in reported.output
    assert in_ghost(project, "p0") is not None

    pruned = project.cli("push", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "1 deleted" in pruned.output
    assert in_ghost(project, "p0") is None
    assert in_ghost(project, "p1") is not None

    [backup] = list_backups(project.root)
    [entry] = backup.entries
    assert (entry.id, entry.reason, entry.path) == (post_id, "prune", paths[0])
    saved = backup.folder / entry.name
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    post = json.loads(saved.read_text())
    assert post["title"] == "Post 0" and "html" in post and "lexical" in post
    assert [t["name"] for t in post["tags"]] == ["kept"] and post["authors"]

    again = project.push(deletions=_prune())
    assert all(a.name == p.UNCHANGED for a in mine(again, project.prefix))


def _prune(**flags):
    from ghostsync.run import Deletions

    return Deletions(**{"prune": True, **flags})


def test_prune_beyond_max_delete_and_half_is_refused(project):
    paths = synced(project, 4)
    remove(project, *paths[:3])

    over = project.cli("push", "--prune", "--max-delete", "2")
    assert over.exit_code == 1, over.output
    assert "3 deletions exceed max_delete 2" in over.output
    assert "3 of 4 tracked posts is more than half" in over.output

    raised = project.cli("push", "--prune", "--max-delete", "3")
    assert raised.exit_code == 1, raised.output
    assert "more than half" in raised.output and "max_delete" not in raised.output
    assert all(in_ghost(project, f"p{n}") is not None for n in range(3))

    confirmed = project.cli("push", "--prune", "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    assert [in_ghost(project, f"p{n}") is None for n in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_emptied_folder_is_refused_unless_allow_empty(project):
    paths = synced(project, 2)
    folder = project.root / "content" / "posts"
    remove(project, *paths)

    emptied = project.cli("push", "--prune", "--yes")
    assert emptied.exit_code == 1, emptied.output
    assert "every tracked post file is gone" in emptied.output
    assert "--allow-empty" in emptied.output

    shutil.rmtree(folder)
    missing = project.cli("push", "--prune", "--yes")
    assert missing.exit_code == 5, missing.output
    assert "does not exist" in missing.output and "--allow-empty" in missing.output
    assert in_ghost(project, "p0") is not None and in_ghost(project, "p1") is not None

    allowed = project.cli("push", "--prune", "--yes", "--allow-empty")
    assert allowed.exit_code == 0, allowed.output
    assert in_ghost(project, "p0") is None and in_ghost(project, "p1") is None


def test_prune_draft_unpublishes_and_keeps_the_rest(project):
    config = project.root / "ghostsync.toml"
    config.write_text(config.read_text() + '\n[push]\nprune = "draft"\n')
    paths = synced(project, 2, status="published", tags="[kept]")
    remove(project, paths[0])

    result = project.cli("push", "--prune")

    assert result.exit_code == 0, result.output
    assert "1 set to draft" in result.output
    post = project.client().find_by_slug(
        "post", project.slug("p0"), formats=["lexical"], include=["tags"]
    )
    assert post is not None and post["status"] == "draft"
    assert post["title"] == "Post 0" and [t["name"] for t in post["tags"]] == ["kept"]
    [backup] = list_backups(project.root)
    assert (
        json.loads((backup.folder / backup.entries[0].name).read_text())["status"]
        == "published"
    )
    assert names(project.plan(deletions=_prune()), project.prefix) == [
        p.UNCHANGED,
        p.REMOTE_ONLY,
    ]


def test_post_deleted_in_ghost_while_edited_needs_recreate(project):
    [path] = synced(project, 1)
    old = in_ghost(project, "p0")
    project.client().delete("post", old["id"])
    project.post("p0", "Post 0, edited")

    reported = project.cli("push")
    assert reported.exit_code == 3, reported.output
    assert "'push --recreate'" in reported.output
    assert in_ghost(project, "p0") is None

    recreated = project.cli("push", "--recreate")
    assert recreated.exit_code == 0, recreated.output
    new = in_ghost(project, "p0")
    assert new is not None and new["id"] != old["id"]
    assert new["title"] == "Post 0, edited"

    counting = project.client()
    again = project.push(client=counting)
    assert counting.writes == []
    [action] = mine(again, project.prefix)
    assert (action.name, action.remote_id, action.path) == (
        p.UNCHANGED,
        new["id"],
        path,
    )


def test_recreate_cut_short_after_the_create_is_adopted_not_duplicated(project):
    synced(project, 1)
    project.client().delete("post", in_ghost(project, "p0")["id"])
    project.post("p0", "Post 0, edited")

    class DiesAfterCreate(CountingClient):
        def create(self, kind, post, **options):
            super().create(kind, post, **options)
            raise KeyboardInterrupt  # the process died before the state write

    with pytest.raises(KeyboardInterrupt):
        project.push(
            client=DiesAfterCreate(project.client()._client),
            deletions=_prune(prune=False, recreate=True),
        )

    [adopted] = mine(project.plan(), project.prefix)
    assert adopted.name == p.ADOPT
    project.push()
    assert in_ghost(project, "p0")["title"] == "Post 0, edited"
    assert project.client().find_by_slug("post", project.slug("p0") + "-2") is None


def test_prune_of_one_removed_file_named_on_the_command_line(project):
    paths = synced(project, 4)
    remove(project, paths[0], paths[1])

    result = project.cli("push", "--prune", str(project.root / paths[0]))

    assert result.exit_code == 0, result.output
    assert in_ghost(project, "p0") is None
    assert in_ghost(project, "p1") is not None
    [left] = [a for a in mine(project.plan(), project.prefix) if a.path == paths[1]]
    assert left.name == p.DELETED_LOCAL


def delete_in_ghost(project: Project, *names: str) -> None:
    client = project.client()
    for name in names:
        client.delete("post", in_ghost(project, name)["id"])


def test_pull_prune_removes_files_of_posts_deleted_in_ghost(project):
    paths = synced(project, 4)
    delete_in_ghost(project, "p0", "p1")
    project.post("p1", "Post 1, edited here")  # deleted in Ghost, edited here
    edited = (project.root / paths[1]).read_bytes()

    kept = project.cli("pull")
    assert kept.exit_code == 0, kept.output
    assert "'ghostsync pull --prune' removes them" in kept.output
    assert (project.root / paths[0]).exists()

    pruned = project.cli("pull", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "2 removed" in pruned.output
    assert not (project.root / paths[0]).exists()
    assert not (project.root / paths[1]).exists()
    assert (project.root / paths[2]).exists()
    [backup] = list_backups(project.root)
    saved = {e.path: backup.folder / e.name for e in backup.entries}
    assert saved[paths[1]].read_bytes() == edited
    assert stat.S_IMODE(saved[paths[1]].stat().st_mode) == 0o600

    again = project.cli("pull", "--prune")
    assert again.exit_code == 0 and "0 removed" in again.output
    assert names(project.plan(), project.prefix) == [p.UNCHANGED, p.UNCHANGED]

    restored = project.cli("restore", backup.name, paths[1])
    assert restored.exit_code == 0, restored.output
    assert (project.root / paths[1]).read_bytes() == edited


def test_pull_prune_keeps_to_the_limits(project):
    paths = synced(project, 4)
    delete_in_ghost(project, "p0", "p1", "p2")

    half = project.cli("pull", "--prune")
    assert half.exit_code == 1, half.output
    assert "3 of 4 tracked posts is more than half" in half.output
    over = project.cli("pull", "--prune", "--max-delete", "2")
    assert "3 deletions exceed max_delete 2" in over.output
    assert all((project.root / path).exists() for path in paths)

    delete_in_ghost(project, "p3")
    emptied = project.cli("pull", "--prune", "--yes")
    assert emptied.exit_code == 1, emptied.output
    assert "every tracked post is gone from Ghost" in emptied.output
    assert all((project.root / path).exists() for path in paths)

    allowed = project.cli("pull", "--prune", "--yes", "--allow-empty")
    assert allowed.exit_code == 0, allowed.output
    assert not any((project.root / path).exists() for path in paths)
