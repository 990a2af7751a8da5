"""The state: what ghostsync remembers of the last sync with one site.

One file per site in ``.ghostsync/state/``, named from the site's uuid, JSON with
one sorted record per line so git diffs and merges stay small. Writes during a
run go to an append-only journal (one fsync a line) that is folded into the
file at the end of the run and at the next start, so a crash loses nothing.
A create is journaled as pending before it is sent.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ghostsync.crashpoint import crash_point
from ghostsync.errors import StateError

SCHEMA = 1
CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>")


@dataclass(frozen=True)
class Record:
    """One synced post, keyed by its Ghost id."""

    id: str
    kind: str
    path: str
    slug: str
    updated_at: str
    local_hash: str
    remote_hash: str
    meta_hash: str
    body_format: str
    emailed: bool = False


@dataclass(frozen=True)
class Pending:
    """A create that was about to be sent: the lost-create safety net."""

    path: str
    kind: str
    slug: str
    local_hash: str
    at: str


@dataclass(frozen=True)
class Upload:
    """A file uploaded to Ghost: its cache key (endpoint and content hash) and URL.

    ``url`` is site-relative (``__GHOST_URL__/content/...``) when the file is
    on the site itself, so a new port or domain keeps the cache valid.
    """

    key: str
    url: str
    path: str
    size: int


@dataclass
class Snapshot:
    """The state as the planner sees it: plain data, no files."""

    records: dict[str, Record] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


class State:
    """The state of one site: the committed file plus this run's journal."""

    def __init__(self, root: Path, site_uuid: str, site_name: str = "") -> None:
        self.site_uuid = site_uuid
        # A named site's state carries its name too: two sites can share a
        # uuid (one was set up from a copy of the other's database).
        stem = f"{site_name}.{site_uuid}" if site_name else site_uuid
        self.path = root / ".ghostsync" / "state" / f"{stem}.jsonl"
        self.journal_path = root / ".ghostsync" / "journal" / f"{stem}.jsonl"
        self.snapshot = Snapshot()
        self._journal: TextIO | None = None
        # Parallel writes record their results from several threads.
        self._lock = threading.RLock()
        self._dirty = False

    @classmethod
    def open(cls, root: Path, site_uuid: str, site_name: str = "") -> State:
        """Load the state of ``site_uuid``, folding a journal a crash left behind."""
        state = cls(root, site_uuid, site_name)
        state.snapshot = _read_state(state.path)
        if state.journal_path.exists():
            _replay(state.snapshot, state.journal_path)
            state._dirty = True
            state.fold()
        return state

    @property
    def records(self) -> dict[str, Record]:
        return self.snapshot.records

    def by_path(self) -> dict[str, Record]:
        return {record.path: record for record in self.records.values()}

    def put(self, record: Record) -> None:
        with self._lock:
            self._append({"op": "put", "record": asdict(record)})
            self.records[record.id] = record
            self.snapshot.pending.pop(record.path, None)

    def forget(self, post_id: str) -> None:
        with self._lock:
            self._append({"op": "forget", "id": post_id})
            self.records.pop(post_id, None)

    def add_pending(self, pending: Pending) -> None:
        with self._lock:
            self._append({"op": "pending", "pending": asdict(pending)})
            self.snapshot.pending[pending.path] = pending

    @property
    def uploads(self) -> dict[str, Upload]:
        return self.snapshot.uploads

    def put_upload(self, upload: Upload) -> None:
        with self._lock:
            self._append({"op": "upload", "upload": asdict(upload)})
            self.uploads[upload.key] = upload

    def forget_upload(self, key: str) -> None:
        with self._lock:
            if key in self.uploads:
                self._append({"op": "forget-upload", "key": key})
                self.uploads.pop(key, None)

    def drop_pending(self, path: str) -> None:
        with self._lock:
            if path in self.snapshot.pending:
                self._append({"op": "drop", "path": path})
                self.snapshot.pending.pop(path, None)

    def fold(self) -> None:
        """Write the state file from memory and remove the journal.

        A run that changed nothing leaves the file as it is.
        """
        with self._lock:
            self.close()
            snapshot = self.snapshot
            wanted = (
                snapshot.records
                or snapshot.pending
                or snapshot.uploads
                or self.path.exists()
            )
            if self._dirty and wanted:
                text = _render(self.site_uuid, self.snapshot)
                _write_atomic(self.path, text, self.journal_path.parent)
                self._dirty = False
            crash_point("fold")
            self.journal_path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _append(self, entry: dict[str, Any]) -> None:
        self._dirty = True
        if self._journal is None:
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = self.journal_path.open("a", encoding="utf-8")
        crash_point("journal-before")
        self._journal.write(json.dumps(entry, sort_keys=True) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        crash_point("journal-after")


def _read_state(path: Path) -> Snapshot:
    snapshot = Snapshot()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return snapshot

    lines = text.splitlines()
    _check_markers(path, lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry = _parse_line(path, number, line)
        if "schema" in entry:
            _check_schema(path, entry)
        elif "pending" in entry:
            pending = Pending(**entry["pending"])
            snapshot.pending[pending.path] = pending
        elif "upload" in entry:
            upload = Upload(**entry["upload"])
            snapshot.uploads[upload.key] = upload
        else:
            record = _record(path, number, entry)
            snapshot.records[record.id] = record
    return snapshot


def _check_markers(path: Path, lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        if line.startswith(CONFLICT_MARKERS):
            raise StateError(
                f"{path}:{number} has git merge conflict markers",
                hint="keep the lines of both sides (one record per line, by id), "
                "remove the markers, and run 'ghostsync plan' to check",
            )


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError:
        raise StateError(f"{path}:{number} is not a JSON line") from None
    if not isinstance(entry, dict):
        raise StateError(f"{path}:{number} is not a JSON object")
    return entry


def _check_schema(path: Path, entry: dict[str, Any]) -> None:
    if entry["schema"] > SCHEMA:
        raise StateError(
            f"{path} was written by a newer ghostsync (schema {entry['schema']})",
            hint="upgrade ghostsync",
        )


def _record(path: Path, number: int, entry: dict[str, Any]) -> Record:
    try:
        return Record(**entry)
    except TypeError as error:
        raise StateError(f"{path}:{number} is not a state record: {error}") from None


def _replay(snapshot: Snapshot, journal: Path) -> None:
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the torn last line of a crash
        _apply_entry(snapshot, entry)


def _apply_entry(snapshot: Snapshot, entry: dict[str, Any]) -> None:
    op = entry.get("op")
    if op == "put":
        record = Record(**entry["record"])
        snapshot.records[record.id] = record
        snapshot.pending.pop(record.path, None)
    elif op == "forget":
        snapshot.records.pop(entry["id"], None)
    elif op == "pending":
        pending = Pending(**entry["pending"])
        snapshot.pending[pending.path] = pending
    elif op == "drop":
        snapshot.pending.pop(entry["path"], None)
    elif op == "upload":
        upload = Upload(**entry["upload"])
        snapshot.uploads[upload.key] = upload
    elif op == "forget-upload":
        snapshot.uploads.pop(entry["key"], None)


def _render(site_uuid: str, snapshot: Snapshot) -> str:
    lines = [json.dumps({"schema": SCHEMA, "site_uuid": site_uuid}, sort_keys=True)]
    for post_id in sorted(snapshot.records):
        lines.append(json.dumps(asdict(snapshot.records[post_id]), sort_keys=True))
    for path in sorted(snapshot.pending):
        lines.append(json.dumps({"pending": asdict(snapshot.pending[path])}))
    for key in sorted(snapshot.uploads):
        upload = asdict(snapshot.uploads[key])
        lines.append(json.dumps({"upload": upload}, sort_keys=True))
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str, scratch: Path) -> None:
    """Replace ``path`` by ``text``; the temporary file lies in ``scratch``.

    The scratch folder is git-ignored, so a temporary file that a killed run
    leaves behind is never committed with the state; the next fold of that
    site removes it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    for stale in scratch.glob(f".{path.stem}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=scratch, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        crash_point("fold")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
