"""Backups restored with ``ghostsync restore``, on the real Ghost."""

from __future__ import annotations

import pytest

from ghostsync import planner as p
from ghostsync.backups import BackupSet, list_backups

from .e2e import Project, mine
from .test_e2e_push import card_text, edit_in_ghost, remote_post

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("restore")
    )


def test_a_pruned_post_is_restored_and_its_file_adopted_again(project):
    path = project.post(
        "gone", "Gone for a while", "Some *body*.\n", status="published", tags="[a, b]"
    )
    for n in range(2):
        project.post(f"stay{n}", f"Stays {n}")
    project.push()
    before = remote_post(project, "gone")
    text = (project.root / path).read_text()
    (project.root / path).unlink()
    assert project.cli("push", "--prune").exit_code == 0

    listed = project.cli("restore")
    [backup] = list_backups(project.root)
    assert listed.exit_code == 0, listed.output
    assert backup.name in listed.output and project.slug("gone") in listed.output
    assert "(prune)" in listed.output

    restored = project.cli("restore", backup.name)
    assert restored.exit_code == 0, restored.output
    assert "created again" in restored.output
    after = remote_post(project, "gone")
    assert after["id"] != before["id"]
    for name in ("title", "status", "published_at", "slug"):
        assert after[name] == before[name]
    assert card_text(after) == card_text(before) == "Some *body*.\n"
    assert [t["slug"] for t in after["tags"]] == ["a", "b"]

    (project.root / path).write_text(text)  # the file back from git
    [adopted] = [a for a in mine(project.plan(), project.prefix) if a.path == path]
    assert (adopted.name, adopted.changes) == (p.ADOPT, ())
    project.push()
    counting = project.client()
    project.push(client=counting)
    assert counting.writes == []


def test_restoring_over_an_existing_post_needs_force_and_backs_it_up(project):
    project.post("forced", "Original")
    project.push()
    edit_in_ghost(project, "forced", title="Fixed in Ghost")
    project.post("forced", "Changed locally")
    assert project.cli("push", "--force").exit_code == 0
    [backup] = list_backups(project.root)

    refused = project.cli("restore", backup.name, project.slug("forced"))
    assert refused.exit_code == 1, refused.output
    assert "'--force' replaces it" in refused.output
    assert remote_post(project, "forced")["title"] == "Changed locally"

    forced = project.cli("restore", "--force", backup.name)
    assert forced.exit_code == 0, forced.output
    assert remote_post(project, "forced")["title"] == "Fixed in Ghost"
    [_old, safety] = list_backups(project.root)
    [entry] = safety.entries
    assert entry.reason == "restore"
    assert "Changed locally" in (safety.folder / entry.name).read_text()
    [action] = mine(project.plan(), project.prefix)
    assert action.name == p.REMOTE_CHANGED

    again = project.cli("restore", "--force", backup.name)
    assert "unchanged" in again.output


def test_a_backed_up_file_is_written_back(project):
    path = project.post("file", "A file")
    project.push()
    uuid = project.client().site()["site_uuid"]
    saved = (project.root / path).read_bytes()
    BackupSet(project.root, uuid).save_file(path, saved, kind="post", reason="test")
    [backup] = list_backups(project.root)

    (project.root / path).unlink()
    written = project.cli("restore", backup.name, path)
    assert written.exit_code == 0, written.output
    assert (project.root / path).read_bytes() == saved

    (project.root / path).write_text("---\ntitle: Other\n---\nOther\n")
    assert project.cli("restore", backup.name).exit_code == 1
    assert project.cli("restore", "--force", backup.name).exit_code == 0
    assert (project.root / path).read_bytes() == saved
    assert any(
        e.reason == "restore" for b in list_backups(project.root) for e in b.entries
    )


def test_restore_names_an_unknown_backup(project):
    result = project.cli("restore", "20200101T000000Z")

    assert result.exit_code == 1
    assert "no backup named 20200101T000000Z" in result.output


def test_restoring_twice_never_creates_a_second_post(project):
    path = project.post("twice", "Restored twice", "Body.\n")
    for n in range(2):
        project.post(f"stay{n}", f"Stays {n}")  # prune refuses to delete most
    project.push()
    (project.root / path).unlink()
    assert project.cli("push", "--prune").exit_code == 0
    [backup] = list_backups(project.root)
    slug = project.slug("twice")

    first = project.cli("restore", backup.name, slug)
    assert first.exit_code == 0, first.output
    created = remote_post(project, "twice")

    second = project.cli("restore", backup.name, slug)
    assert "created" not in second.output, second.output
    assert "unchanged" in second.output
    edit_in_ghost(project, "twice", title="Edited after the restore")
    third = project.cli("restore", backup.name, slug)
    assert third.exit_code == 1, third.output
    assert "'--force' replaces it" in third.output

    forced = project.cli("restore", "--force", backup.name, slug)
    assert forced.exit_code == 0, forced.output
    after = remote_post(project, "twice")
    assert (after["id"], after["title"]) == (created["id"], "Restored twice")
    found = project.client().browse("post", filter=f"slug:~'{slug}'", fields=["slug"])
    assert [p["slug"] for p in found] == [slug]
