"""The hash cache: what an unchanged file reads as, so it is not read again.

``.ghostsync/cache/files.json`` (git-ignored, mode 0600) maps each file's path
to its ``(mtime_ns, size, inode)`` and what reading it gave: kind, slug,
``id:``, body format, status, warnings, the hash of its canonical payload and
what that hash depends on beyond the file (the stat of each referenced image
or file, the kind, slug and status of each linked post). A file whose stat and
dependencies match is not opened; the planner gets its hash, and the few files
a plan needs in full (untracked, or whose post moved in Ghost) are read again.
File times decide only whether to re-read, never what changed.

Git's racy rule: an entry whose file was modified in the same second the cache
was written (or later) is not trusted, since a second edit within the
timestamp's resolution would leave the stat unchanged. The whole cache is
ignored when it is unreadable, of another format, or was made with other
settings (defaults, time zone, site URL, ghostsync version).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ghostsync import __version__

FORMAT = 1
NS = 1_000_000_000
ENTRY_LENGTH = 11


@dataclass(frozen=True)
class Entry:
    """What a file read as, and the stat it had when it was read."""

    mtime_ns: int
    size: int
    inode: int
    kind: str
    slug: str
    explicit_id: str
    body_format: str
    hash: str
    warnings: tuple[str, ...] = ()
    # The post's status: a link to it from another post depends on it.
    status: str = ""
    # What the hash depends on besides the file: ``(path, token)`` for each
    # referenced file (its stat) and linked post (its kind, slug and status).
    deps: tuple[tuple[str, str], ...] = ()


def stat_key(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def file_token(path: Path) -> str:
    """A referenced file's stat as a dependency token; empty if it is gone."""
    try:
        mtime_ns, size, inode = stat_key(path.stat())
    except OSError:
        return ""
    return f"file:{mtime_ns}:{size}:{inode}"


class HashCache:
    """The cache of one project; :meth:`get` and :meth:`put`, then :meth:`save`."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.path = root / ".ghostsync" / "cache" / "files.json"
        self.fingerprint = fingerprint
        self.entries: dict[str, Entry] = {}
        self.trusted_before = 0
        self.changed = False

    @classmethod
    def load(cls, root: Path, fingerprint: str) -> HashCache:
        """The saved cache, or an empty one if it cannot be used."""
        cache = cls(root, fingerprint)
        try:
            data = json.loads(cache.path.read_bytes())
            if data.get("format") != FORMAT or data.get("fingerprint") != fingerprint:
                return cache
            written = int(data["written_ns"])
            entries = {rel: _entry(values) for rel, values in data["entries"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cache
        cache.entries = entries
        # Racy rule: only files last modified in an earlier second are trusted.
        cache.trusted_before = written // NS * NS
        return cache

    def get(self, rel: str, stat: os.stat_result) -> Entry | None:
        """The entry for ``rel`` if the file is unchanged since it was made."""
        entry = self.entries.get(rel)
        if entry is None or stat.st_mtime_ns >= self.trusted_before:
            return None
        if (entry.mtime_ns, entry.size, entry.inode) != stat_key(stat):
            return None
        return entry

    def put(self, rel: str, entry: Entry) -> None:
        if self.entries.get(rel) != entry:
            self.entries[rel] = entry
            self.changed = True

    def keep_only(self, paths: set[str]) -> None:
        """Forget files that are gone."""
        gone = set(self.entries) - paths
        for rel in gone:
            del self.entries[rel]
        self.changed = self.changed or bool(gone)

    def save(self) -> None:
        """Write the cache (0600) if it changed; a failure only costs speed."""
        if not self.changed and self.path.exists():
            return
        data = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "written_ns": time.time_ns(),
            "entries": {rel: _values(e) for rel, e in sorted(self.entries.items())},
        }
        try:
            _write_private(self.path, json.dumps(data, separators=(",", ":")))
        except OSError:
            return
        self.changed = False


def fingerprint(*parts: Any) -> str:
    """A digest of everything that changes what a file reads as."""
    text = json.dumps([__version__, FORMAT, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry(values: Any) -> Entry:
    """An entry from its saved list; ValueError or TypeError if malformed.

    Only what could do harm is checked: a wrong stat or hash never matches,
    so the file is read again.
    """
    if type(values) is not list or len(values) != ENTRY_LENGTH:
        raise ValueError("malformed cache entry")
    mtime_ns, size, inode, kind, slug, explicit_id, body_format, digest = values[:8]
    notes, status, deps = values[8:]
    entry = Entry(
        mtime_ns,
        size,
        inode,
        kind,
        slug,
        explicit_id,
        body_format,
        digest,
        tuple(str(note) for note in notes),
        status,
        tuple((str(path), str(token)) for path, token in deps),
    )
    if type(entry.kind) is not str or type(entry.slug) is not str:
        raise ValueError("malformed cache entry")
    return entry


def _values(entry: Entry) -> list[Any]:
    return [getattr(entry, name.name) for name in fields(Entry)]


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".files-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
