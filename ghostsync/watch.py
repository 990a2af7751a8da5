"""Watch: push a post a moment after its file is saved.

``ghostsync watch`` follows the content folders and ``ghostsync.toml`` with
watchdog's native observer (inotify on Linux; polling only when that fails).
It has no sync logic of its own: file events are gathered until the folders
have been quiet for the debounce time (300 ms by default), then the changed
paths go to the same plan and push as ``ghostsync push PATHS``.

Editors save in many ways: in place, a temporary file renamed over the post,
delete and recreate, swap and backup files beside it, several events for one
save. Only the final content of a ``.md`` file in a content folder counts, and
a file whose bytes are the ones last handled (or written by ghostsync itself)
is skipped before any request. Whether a changed file changes its post is the
planner's decision, as for ``push``.

One worker makes every push, one batch at a time, with the site's state kept
in memory between batches: writes never overlap, and each update sends the
``updated_at`` of the previous response (Ghost's lock has one-second
resolution, so a fresher read would hide an edit and a staler one is a 409).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from ghostsync import planner as p
from ghostsync.apply import Outcome
from ghostsync.config import CONFIG_NAME, Settings, load_settings
from ghostsync.errors import (
    GhostsyncError,
    InvalidFileError,
    RateLimitError,
    ServerError,
    UnreachableError,
)
from ghostsync.run import Result, Site, connect
from ghostsync.run import push as run_push
from ghostsync.source import Exclusions
from ghostsync.state import State

log = logging.getLogger("ghostsync.watch")

# What the watcher reports (Event.kind).
READY = "ready"
PUSHED = "pushed"
PULLED = "pulled"
UNCHANGED = "unchanged"
MOVED = "moved"
DELETED = "deleted"
WARNING = "warning"
NOTICE = "notice"
INVALID = "invalid"
FAILED = "failed"
CONFLICT = "conflict"
REFUSED = "refused"
ERROR = "error"
OFFLINE = "offline"
ONLINE = "online"
RELOADED = "reloaded"
IDLE = "idle"
STOPPED = "stopped"
PROBLEMS = {INVALID, FAILED, CONFLICT, REFUSED, ERROR, OFFLINE}

# Errors that mean "Ghost is not answering properly now": retried on a timer.
TRANSIENT = (UnreachableError, ServerError, RateLimitError)
CHANGES = {
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MOVED,
}
POLL_INTERVAL = 1.0
RETRY_EVERY = 5.0
CONFIG_KEY = CONFIG_NAME


@dataclass(frozen=True)
class Event:
    """Something the watcher reports: a push, a problem, a change of state."""

    kind: str
    path: str = ""
    message: str = ""
    hint: str = ""
    url: str = ""
    post_kind: str = ""

    @property
    def problem(self) -> bool:
        return self.kind in PROBLEMS


class _Stopped(Exception):
    """Raised between two writes once a stop was asked for."""


@dataclass
class Batch:
    """Paths that changed during one quiet period, and whether the config did."""

    paths: set[str] = field(default_factory=set)
    config: bool = False


class Inbox:
    """Changed paths, handed out once nothing changed for the debounce time."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._batch = Batch()
        self._last = 0.0
        self._closed = False

    def add(self, rel: str) -> None:
        with self._ready:
            self._batch.paths.add(rel)
            self._touch()

    def config_changed(self) -> None:
        with self._ready:
            self._batch.config = True
            self._touch()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def take(self, quiet: float, timeout: float | None = None) -> Batch | None:
        """The next batch once ``quiet`` seconds passed without a change.

        None when ``timeout`` passes with nothing pending, or on close.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._ready:
            while not self._closed:
                now = time.monotonic()
                wait: float | None
                if self._batch.paths or self._batch.config:
                    wait = self._last + quiet - now
                    if wait <= 0:
                        batch, self._batch = self._batch, Batch()
                        return batch
                elif deadline is not None and now >= deadline:
                    return None
                else:
                    wait = None if deadline is None else deadline - now
                self._ready.wait(wait)
            return None

    def _touch(self) -> None:
        self._last = time.monotonic()
        self._ready.notify_all()


@dataclass(frozen=True)
class Scope:
    """Which paths matter, from the settings of the moment."""

    root: Path
    content: tuple[Path, ...]
    excluded: Callable[[str], bool]

    @classmethod
    def of(cls, settings: Settings) -> Scope:
        folders = tuple(dict.fromkeys(settings.content_dirs().values()))
        return cls(settings.root, folders, Exclusions(settings.exclude))

    def classify(self, path: str) -> str | None:
        """``CONFIG_KEY``, a content file's project-relative path, or None."""
        absolute = Path(path)
        try:
            rel = absolute.relative_to(self.root).as_posix()
        except ValueError:
            return None
        if rel == CONFIG_NAME:
            return CONFIG_KEY
        if rel == ".ghostsync" or rel.startswith(".ghostsync/"):
            return None  # ghostsync's own state, journal, cache and copies
        if not rel.endswith(".md") or self.excluded(rel):
            return None  # swap, backup and temporary files among them
        if absolute.name.startswith(".#"):
            return None  # emacs's lock link
        if any(absolute.is_relative_to(folder) for folder in self.content):
            return rel
        return None


class _Handler(FileSystemEventHandler):
    """Turns watchdog's events into paths in the inbox."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in CHANGES:
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.watcher.noticed(os.fsdecode(path))


class Watcher:
    """Pushes saved files until :meth:`stop`; see the module docstring.

    ``reload`` reads the settings again when ``ghostsync.toml`` changes;
    ``client`` makes the Ghost client for a settings object; ``debounce``
    (seconds) overrides ``[watch] debounce_ms``; ``emit`` hears every
    :class:`Event`, from the worker thread; ``pull_every`` (seconds) runs a
    sync that often, which brings Ghost's changes into the files.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        reload: Callable[[], Settings] | None = None,
        client: Callable[[Settings], Any] | None = None,
        debounce: float | None = None,
        emit: Callable[[Event], None] = lambda event: None,
        retry_every: float = RETRY_EVERY,
        pull_every: float | None = None,
    ) -> None:
        self.settings = settings
        self._reload_settings = reload or (lambda: _reload(settings))
        self._client = client
        self._debounce = debounce
        self._emit = emit
        self._retry_every = retry_every
        self._scope = Scope.of(settings)
        self._inbox = Inbox()
        self._stopping = threading.Event()
        self._connection = ExitStack()
        self._site: Site | None = None
        self._state_digest: str | None = None
        # Bytes last handled per path: a save that repeats them is skipped.
        self._seen: dict[str, str] = {}
        self._config_digest = _file_digest(settings.root / CONFIG_NAME)
        self._shown: dict[str, str] = {}
        self._offline = False
        self._retry: set[str] = set()
        self._retry_all = False
        self._retry_at = 0.0
        self._pull_every = pull_every
        self._pull_at = time.monotonic() + (pull_every or 0)

    @property
    def debounce(self) -> float:
        if self._debounce is not None:
            return self._debounce
        return self.settings.watch_debounce_ms / 1000

    # -- called from other threads --------------------------------------------

    def noticed(self, path: str) -> None:
        """A file event for ``path`` (absolute); called by the observer."""
        rel = self._scope.classify(path)
        if rel == CONFIG_KEY:
            self._inbox.config_changed()
        elif rel is not None:
            self._inbox.add(rel)

    def stop(self) -> None:
        """Ask the worker to stop after the write in flight."""
        self._stopping.set()
        self._inbox.close()

    def wrote(self, rel: str, data: bytes) -> None:
        """ghostsync itself wrote ``data`` to ``rel``: its event causes nothing."""
        self._seen[rel] = _digest(data)

    # -- the worker -----------------------------------------------------------

    def run(self) -> None:
        """Push what changed, then watch until :meth:`stop`; fold the state."""
        observer = self._observe()
        try:
            self._start()
            while not self._stopping.is_set():
                batch = self._inbox.take(self.debounce, self._timeout())
                now = time.monotonic()
                if batch is not None:
                    self._handle(batch)
                elif self._offline and now >= self._retry_at:
                    self._push(set())
                elif self._pull_every and not self._offline and now >= self._pull_at:
                    self._sync()
                self._emit(Event(IDLE))
        except _Stopped:
            pass
        finally:
            observer.stop()
            observer.join(timeout=10)
            self._disconnect()
            self._emit(Event(STOPPED))

    def _start(self) -> None:
        try:
            self._connect()
        except TRANSIENT as error:
            self._went_offline(error, None)
        else:
            self._push(None)
        folders = ", ".join(_rel(f, self.settings.root) for f in self._scope.content)
        self._emit(Event(READY, message=folders))

    def _timeout(self) -> float | None:
        """Seconds until a retry or a pull is due; None: wait for a change."""
        if self._offline:
            due = self._retry_at
        elif self._pull_every:
            due = self._pull_at
        else:
            return None
        return max(0.0, due - time.monotonic())

    def _handle(self, batch: Batch) -> None:
        if batch.config and self._reload():
            self._push(None)
            return

        changed, gone = self._sort(batch.paths)
        if changed:
            self._push(changed, gone)
        else:
            self._report_gone(gone, set())

    def _sort(self, paths: Iterable[str]) -> tuple[set[str], list[str]]:
        """Paths whose bytes changed since last handled, and paths now gone."""
        changed, gone = set(), []
        for rel in sorted(paths):
            digest = _file_digest(self.settings.root / rel)
            if digest is None:
                if self._seen.pop(rel, None) is not None or self._tracked(rel):
                    gone.append(rel)
            elif self._seen.get(rel) != digest:
                self._seen[rel] = digest
                changed.add(rel)
        return changed, gone

    def _tracked(self, rel: str) -> bool:
        return self._site is not None and rel in self._site.state.by_path()

    # -- pushing --------------------------------------------------------------

    def _push(self, paths: set[str] | None, gone: Iterable[str] = ()) -> None:
        """Plan and push ``paths`` (None: everything) and what awaits a retry."""
        wanted = None if paths is None or self._retry_all else paths | self._retry
        if wanted is not None:  # a path waiting for a retry may be gone since
            wanted = {rel for rel in wanted if (self.settings.root / rel).exists()}
        try:
            site = self._connect()
            if self._offline:
                site.client.site()
                self._back_online()
            result = run_push(site, paths=wanted, report=self._on_outcome)
        except _Stopped:
            raise
        except TRANSIENT as error:
            self._went_offline(error, wanted)
            return
        except GhostsyncError as error:
            self._problem(Event(ERROR, message=error.message, hint=error.hint))
            self._forget(wanted)
            return

        self._report(result, wanted, gone)
        self._fold(site)

    def _sync(self) -> None:
        """Bring Ghost's changes in with ``sync``'s rules (conflicts kept)."""
        from ghostsync.sync import sync

        assert self._pull_every is not None
        self._pull_at = time.monotonic() + self._pull_every
        try:
            site = self._connect()
            result = sync(site, report=self._on_synced)
        except _Stopped:
            raise
        except TRANSIENT as error:
            self._went_offline(error, None)
            return
        except GhostsyncError as error:
            self._problem(Event(ERROR, message=error.message, hint=error.hint))
            return

        self._report(result, None, ())
        self._fold(site)

    def _connect(self) -> Site:
        if self._site is None:
            client = self._client(self.settings) if self._client else None
            self._site = self._connection.enter_context(connect(self.settings, client))
            self._state_digest = _file_digest(self._site.state.path)
        elif _file_digest(self._site.state.path) != self._state_digest:
            self._reread_state(self._site)
        self._site.refs = None  # staff users and tiers are read again if needed
        return self._site

    def _reread_state(self, site: Site) -> None:
        """Another ghostsync run wrote the state file: plan from its version."""
        fresh = State.open(self.settings.root, site.state.site_uuid)
        site.state.close()
        site.state.snapshot = fresh.snapshot  # connect() folds this object
        self._state_digest = _file_digest(site.state.path)
        message = "the state file changed (another ghostsync run); read it again"
        self._emit(Event(NOTICE, message=message))

    def _fold(self, site: Site) -> None:
        site.state.fold()
        self._state_digest = _file_digest(site.state.path)

    def _disconnect(self) -> None:
        """Fold the state and forget the site (a config change reconnects)."""
        self._site = None
        self._connection.close()

    def _on_synced(self, outcome: Outcome) -> None:
        """A sync's outcome; a file it wrote is recorded as ghostsync's own."""
        from ghostsync.sync import PULL_SIDE

        action = outcome.action
        if action.name not in PULL_SIDE or outcome.status != "done":
            self._on_outcome(outcome)
            return

        # TODO: the bytes are read back just after the write, so a save in
        # that instant would count as ghostsync's own; the puller does not
        # hand out what it wrote.
        data = _read(self.settings.root / action.path)
        if data is not None:
            self.wrote(action.path, data)
        self._clear(action.path)
        event = Event(PULLED, action.path, outcome.message, post_kind=action.kind)
        self._emit(event)
        if self._stopping.is_set():
            raise _Stopped

    def _on_outcome(self, outcome: Outcome) -> None:
        action = outcome.action
        if outcome.status == "done":
            self._clear(action.path)
            self._emit(
                Event(
                    PUSHED,
                    action.path,
                    outcome.message,
                    url=outcome.url,
                    post_kind=action.kind,
                )
            )
        elif outcome.status in ("conflict", "failed"):
            kind = CONFLICT if outcome.status == "conflict" else FAILED
            hint = outcome.error.hint if outcome.error else ""
            self._problem(Event(kind, action.path, outcome.message, hint=hint))
            self._seen.pop(action.path, None)
        if self._stopping.is_set():
            raise _Stopped

    def _report(
        self, result: Result, paths: set[str] | None, gone: Iterable[str]
    ) -> None:
        """Everything of the plan for ``paths`` that is not a write's outcome."""
        written = {o.action.path for o in result.outcomes}
        errors = {e.path: e for e in result.scan.errors}
        moved_from = set()
        for action in result.plan.actions:
            if action.moved_from:
                moved_from.add(action.moved_from)
            if action.path in written or not _concerns(action, paths):
                continue
            self._report_action(action, errors.get(action.path), paths is not None)

        self._report_warnings(result, paths)
        self._report_gone(gone, moved_from)

    def _report_action(
        self, action: p.Action, error: InvalidFileError | None, saved: bool
    ) -> None:
        path = action.path
        if action.name == p.INVALID:
            message = error.message if error else action.reason
            hint = error.hint if error else ""
            self._problem(Event(INVALID, path, message, hint=hint))
            self._seen.pop(path, None)
        elif action.name == p.REFUSE:
            self._problem(Event(REFUSED, path, action.reason))
            self._seen.pop(path, None)
        elif action.name in (p.REMOTE_CHANGED, p.DELETED_REMOTE):
            self._problem(Event(NOTICE, path, action.reason))
        elif action.name == p.DELETED_LOCAL:
            self._problem(Event(DELETED, path, action.reason))
        elif action.name == p.UNCHANGED and action.moved_from:
            self._clear(path)
            self._emit(Event(MOVED, path, f"moved from {action.moved_from}"))
        elif action.name == p.UNCHANGED and saved:
            self._clear(path)
            self._emit(Event(UNCHANGED, path, "no change Ghost would show"))

    def _report_warnings(self, result: Result, paths: set[str] | None) -> None:
        for post in result.scan.posts:
            if paths is None or post.path in paths:
                for warning in post.warnings:
                    self._emit(Event(WARNING, post.path, warning))

    def _report_gone(self, gone: Iterable[str], moved_from: set[str]) -> None:
        for rel in gone:
            if rel not in moved_from:
                message = "the post stays in Ghost (watch never deletes)"
                self._emit(Event(DELETED, rel, message))

    # -- problems, shown once -------------------------------------------------

    def _problem(self, event: Event) -> None:
        """Show a problem (or a note) unless it was shown for its path already."""
        if self._shown.get(event.path) == event.message:
            return
        self._shown[event.path] = event.message
        self._emit(event)

    def _clear(self, path: str) -> None:
        self._shown.pop(path, None)

    def _forget(self, paths: set[str] | None) -> None:
        """Handle these paths again on their next event, even with the same bytes."""
        if paths is None:
            self._seen.clear()
        for rel in paths or ():
            self._seen.pop(rel, None)

    def _went_offline(self, error: GhostsyncError, paths: set[str] | None) -> None:
        if paths is None:
            self._retry_all = True
        else:
            self._retry |= paths
        self._retry_at = time.monotonic() + self._retry_every
        if not self._offline:
            self._offline = True
            hint = f"retrying every {self._retry_every:g} s and on the next save"
            self._emit(Event(OFFLINE, message=error.message, hint=hint))

    def _back_online(self) -> None:
        self._retry.clear()
        self._retry_all = False
        if self._offline:
            self._offline = False
            self._emit(Event(ONLINE, message="Ghost answers again"))

    # -- the configuration ----------------------------------------------------

    def _reload(self) -> bool:
        """Read ``ghostsync.toml`` again if its bytes changed; True when they did."""
        digest = _file_digest(self.settings.root / CONFIG_NAME)
        if digest == self._config_digest:
            return False
        self._config_digest = digest
        try:
            settings = self._reload_settings()
        except GhostsyncError as error:
            event = Event(ERROR, CONFIG_NAME, error.message, hint=error.hint)
            self._problem(event)
            return False

        self._clear(CONFIG_NAME)
        self.settings = settings
        self._scope = Scope.of(settings)
        self._disconnect()
        self._reschedule()
        self._emit(Event(RELOADED, CONFIG_NAME, "settings reloaded"))
        return True

    # -- the observer ---------------------------------------------------------

    def _observe(self) -> BaseObserver:
        """The native observer, or polling with a notice when it cannot start."""
        try:
            observer = self._started(Observer())
        except OSError as error:
            reason = error.strerror or str(error)
            message = (
                f"the native file watcher failed ({reason}); polling every"
                f" {POLL_INTERVAL:g} s instead"
            )
            self._emit(Event(NOTICE, message=message))
            observer = self._started(PollingObserver(timeout=POLL_INTERVAL))
        self._observer = observer
        return observer

    def _started(self, observer: BaseObserver) -> BaseObserver:
        self._schedule(observer)
        observer.start()
        return observer

    def _schedule(self, observer: BaseObserver) -> None:
        handler = _Handler(self)
        root = self._scope.root
        if root not in self._scope.content:
            observer.schedule(handler, str(root), recursive=False)
        for folder in self._scope.content:
            if folder.is_dir():
                observer.schedule(handler, str(folder), recursive=True)
            # TODO: a content folder created after the start is watched only
            # once ghostsync.toml is saved again (the observer needs a folder).

    def _reschedule(self) -> None:
        self._observer.unschedule_all()
        self._schedule(self._observer)


def run_in_foreground(watcher: Watcher) -> None:
    """Run ``watcher`` until Ctrl-C or SIGTERM.

    The first stops it after the write in flight, with the state folded; a
    second abandons that write (the journal is folded on the next run) and
    raises KeyboardInterrupt.
    """
    failure: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            watcher.run()
        except BaseException as error:  # noqa: BLE001 - re-raised below
            failure.append(error)
        finally:
            done.set()

    # A daemon, so that a second Ctrl-C can leave without it. Its end is
    # awaited on an event: an interrupted Thread.join() marks a running thread
    # as finished in Python 3.11.
    thread = threading.Thread(target=work, name="ghostsync-watch", daemon=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    thread.start()
    try:
        try:
            _wait(done)
        except KeyboardInterrupt:
            watcher.stop()
            _wait(done)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if failure:
        raise failure[0]


def _wait(done: threading.Event) -> None:
    while not done.wait(0.2):
        pass


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _reload(settings: Settings) -> Settings:
    return load_settings(
        settings.root, site=settings.site_name, environ=settings.environ
    )


def _concerns(action: p.Action, paths: set[str] | None) -> bool:
    if paths is None:
        return True
    return action.path in paths or action.moved_from in paths


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str | None:
    data = _read(path)
    return None if data is None else _digest(data)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return str(path)
