"""Backup folders: one per run, a manifest, 0600 files, and retention."""

from __future__ import annotations

import datetime as dt
import json
import stat

from ghostsync.backups import BackupSet, expire, list_backups

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def at(moment: dt.datetime):
    return lambda: moment


def test_one_folder_per_run_with_a_manifest(tmp_path):
    run = BackupSet(tmp_path, "uuid-1", at(T0))
    post = {"id": "abc", "slug": "hello", "updated_at": "u1", "title": "Hi"}
    saved = run.save_post("post", post, path="content/posts/hello.md", reason="force")
    run.save_file("content/posts/b.md", b"text", kind="post", reason="pull-prune")

    [backup] = list_backups(tmp_path)
    assert backup.name == "20260101T120000Z" and saved.parent == backup.folder
    assert [(e.what, e.name, e.reason) for e in backup.entries] == [
        ("post", "post-abc.json", "force"),
        ("file", "files/content/posts/b.md", "pull-prune"),
    ]
    assert backup.entries[0].site_uuid == "uuid-1"
    assert json.loads(saved.read_text())["title"] == "Hi"
    for path in (saved, backup.folder / "files/content/posts/b.md"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_second_run_in_the_same_second_gets_its_own_folder(tmp_path):
    for _ in range(2):
        BackupSet(tmp_path, "u", at(T0)).save_post("page", {"id": "x"}, reason="r")

    names = [b.name for b in list_backups(tmp_path)]
    assert names == ["20260101T120000Z", "20260101T120000Z-2"]


def test_expire_keeps_the_newest_and_the_recent(tmp_path):
    for days in (90, 60, 40, 20, 1):
        moment = T0 - dt.timedelta(days=days)
        BackupSet(tmp_path, "u", at(moment)).save_post("post", {"id": "x"}, reason="r")
    (tmp_path / ".ghostsync/backups/notes").mkdir()

    removed = expire(tmp_path, keep=2, keep_days=30, now=T0, spare=None)

    assert removed == ["20251003T120000Z", "20251102T120000Z", "20251122T120000Z"]
    left = [b.name for b in list_backups(tmp_path)]
    assert left == ["20251212T120000Z", "20251231T120000Z"]
    assert (tmp_path / ".ghostsync/backups/notes").is_dir()


def test_expire_by_count_alone_still_spares_recent_ones(tmp_path):
    for minutes in range(4):
        moment = T0 - dt.timedelta(minutes=minutes)
        BackupSet(tmp_path, "u", at(moment)).save_post("post", {"id": "x"}, reason="r")

    assert expire(tmp_path, keep=1, keep_days=30, now=T0, spare=None) == []
    removed = expire(tmp_path, keep=1, keep_days=0, now=T0, spare=None)
    assert len(removed) == 3
