"""Backups: what a run overwrites or deletes, saved before it does so.

One run's backups share a folder, ``.ghostsync/backups/<stamp>/`` (the UTC
time of the first backup, ``-2`` appended if that folder exists). It holds
Ghost posts as their full JSON (``<kind>-<id>.json``), local files under
``files/<path>``, and ``manifest.jsonl``: one line per entry saying what it
is, where it came from and why it was saved, which ``ghostsync restore``
reads. Everything is written 0600.

Retention: after a run that wrote a backup, folders beyond the newest
``keep`` that are also older than ``keep_days`` are removed. Folders whose
name is not a stamp are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ghostsync.errors import GhostsyncError
from ghostsync.fields import INCLUDE

STAMP = "%Y%m%dT%H%M%SZ"
STAMP_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")
MANIFEST = "manifest.jsonl"
# What a post backup reads: everything a restore needs to write it again.
FULL_READ = {"formats": ["lexical", "html"], "include": list(INCLUDE)}


@dataclass(frozen=True)
class Entry:
    """One backed-up item: a Ghost post (``what="post"``) or a local file."""

    what: str
    name: str
    kind: str
    path: str = ""
    slug: str = ""
    id: str = ""
    updated_at: str = ""
    reason: str = ""
    site_uuid: str = ""


@dataclass
class Backup:
    """One backup folder and its entries."""

    name: str
    folder: Path
    entries: list[Entry] = field(default_factory=list)

    @property
    def stamp(self) -> dt.datetime | None:
        return stamp_time(self.name)


def backups_dir(root: Path) -> Path:
    return root / ".ghostsync" / "backups"


def stamp_time(name: str) -> dt.datetime | None:
    """The time a backup folder's name says, or None for a foreign folder."""
    match = STAMP_NAME.match(name)
    if match is None:
        return None
    moment = dt.datetime.strptime(match.group(1), STAMP)
    return moment.replace(tzinfo=dt.UTC)


class BackupSet:
    """The backup folder of one run, created on its first entry."""

    def __init__(
        self,
        root: Path,
        site_uuid: str,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.root = root
        self.site_uuid = site_uuid
        self.now = now
        self.folder: Path | None = None

    def save_post(
        self, kind: str, post: dict[str, Any], *, path: str = "", reason: str
    ) -> Path:
        """Save a Ghost post's JSON; the file written."""
        name = f"{kind}-{post['id']}.json"
        target = self._folder() / name
        write_private(target, json.dumps(post, indent=2, sort_keys=True) + "\n")
        entry = Entry(
            what="post",
            name=name,
            kind=kind,
            path=path,
            slug=post.get("slug", ""),
            id=post["id"],
            updated_at=post.get("updated_at", ""),
            reason=reason,
            site_uuid=self.site_uuid,
        )
        self._note(entry)
        return target

    def save_file(self, rel: str, data: bytes, *, kind: str, reason: str) -> Path:
        """Save a local file's bytes under ``files/<rel>``; the file written."""
        name = f"files/{rel}"
        target = self._folder() / name
        write_private(target, data)
        entry = Entry(
            what="file",
            name=name,
            kind=kind,
            path=rel,
            reason=reason,
            site_uuid=self.site_uuid,
        )
        self._note(entry)
        return target

    def relative(self, target: Path) -> str:
        return target.relative_to(self.root).as_posix()

    def _folder(self) -> Path:
        if self.folder is None:
            parent = backups_dir(self.root)
            parent.mkdir(parents=True, exist_ok=True)
            stamp = self.now().astimezone(dt.UTC).strftime(STAMP)
            self.folder = _new_folder(parent, stamp)
        return self.folder

    def _note(self, entry: Entry) -> None:
        manifest = self._folder() / MANIFEST
        fd = os.open(manifest, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(entry), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def _new_folder(parent: Path, stamp: str) -> Path:
    for number in range(1, 1000):
        name = stamp if number == 1 else f"{stamp}-{number}"
        try:
            (parent / name).mkdir(mode=0o700)
        except FileExistsError:
            continue
        return parent / name
    raise GhostsyncError(f"cannot make a new backup folder in {parent}")


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)


def list_backups(root: Path) -> list[Backup]:
    """Every backup folder, oldest first, with its manifest's entries."""
    parent = backups_dir(root)
    if not parent.is_dir():
        return []

    found = []
    for folder in sorted(parent.iterdir(), key=_order):
        if folder.is_dir() and stamp_time(folder.name) is not None:
            found.append(Backup(folder.name, folder, _entries(folder)))
    return found


def _order(folder: Path) -> tuple[str, int]:
    match = STAMP_NAME.match(folder.name)
    if match is None:
        return (folder.name, 0)
    return (match.group(1), int(match.group(2) or 1))


def _entries(folder: Path) -> list[Entry]:
    manifest = folder / MANIFEST
    if manifest.exists():
        entries = []
        for line in manifest.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(Entry(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a torn last line
        return entries
    return _entries_without_manifest(folder)


def _entries_without_manifest(folder: Path) -> list[Entry]:
    """Backups written before manifests existed: post JSON files only."""
    entries = []
    for path in sorted(folder.glob("*.json")):
        try:
            post = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        kind = path.name.split("-", 1)[0]
        if isinstance(post, dict) and "id" in post and kind in ("post", "page"):
            entries.append(
                Entry("post", path.name, kind, slug=post.get("slug", ""), id=post["id"])
            )
    return entries


def expire(
    root: Path, *, keep: int, keep_days: int, now: dt.datetime, spare: Path | None
) -> list[str]:
    """Remove backups beyond the newest ``keep`` older than ``keep_days``.

    ``spare`` (this run's folder) is never removed. Returns the names removed.
    """
    backups = list_backups(root)
    limit = now - dt.timedelta(days=keep_days)
    removed = []
    for backup in backups[: max(len(backups) - keep, 0)]:
        stamp = backup.stamp
        if backup.folder == spare or stamp is None or stamp >= limit:
            continue
        shutil.rmtree(backup.folder)
        removed.append(backup.name)
    return removed
