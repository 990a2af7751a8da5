"""Carrying out a plan: creates, updates, adoptions and prunes, each journaled.

Every write keeps Ghost's optimistic lock: an update sends the ``updated_at``
the state holds. A 409 means the post changed in Ghost; it is read again, and
if its content still equals what was last synced (a scheduled post went live,
a re-render) the write is retried once with the new ``updated_at``. Otherwise
the post is a conflict: its remote version is saved under
``.ghostsync/conflicts/`` and the run goes on with the other posts. Whatever
is overwritten or deleted in Ghost is first saved to a backup.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ghostsync import planner as p
from ghostsync import refs as localrefs
from ghostsync.backups import FULL_READ, BackupSet, write_private
from ghostsync.canonical import SiteURL, digest, remote_canonical, remote_fields
from ghostsync.crashpoint import crash_point
from ghostsync.errors import (
    CollisionError,
    GhostAPIError,
    GhostsyncError,
    InvalidFileError,
    NotFoundError,
)
from ghostsync.fields import INCLUDE
from ghostsync.remote import References, TagResolver, payload
from ghostsync.source import iso_utc
from ghostsync.state import Pending, Record, State
from ghostsync.uploads import Uploader

# A pending create matches a post created up to this long before it was
# written, to allow for a client clock ahead of the server's.
CLOCK_ALLOWANCE = dt.timedelta(minutes=2)
READ = {"formats": ["lexical"], "include": list(INCLUDE)}
# The key of a conflict copy holding what ``ghostsync resolve`` needs.
CONFLICT_KEY = "ghostsync"


class Client(Protocol):
    """The part of :class:`ghostsync.ghost.client.GhostClient` used here."""

    def create(self, kind: str, post: dict[str, Any], **options: Any) -> dict: ...

    def update(
        self, kind: str, post_id: str, post: dict[str, Any], **options: Any
    ) -> dict: ...

    def read(self, kind: str, post_id: str, **options: Any) -> dict: ...

    def delete(self, kind: str, post_id: str) -> None: ...

    def browse_resource(self, resource: str, **options: Any) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """What happened to one action."""

    action: p.Action
    status: str  # "done", "failed", "conflict", "skipped"
    message: str = ""
    url: str = ""
    error: GhostsyncError | None = None


@dataclass
class Executor:
    """Applies the write actions of a plan and keeps the state in step."""

    client: Client
    state: State
    root: Path
    site: SiteURL
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    report: Callable[[Outcome], None] = lambda outcome: None
    refs: References | None = None
    backups: BackupSet | None = None
    uploader: Uploader | None = None
    jobs: int = 1
    # Posts written with a link to a post that had no URL yet: written again
    # at the end of the run, once every post of the run has its URL.
    _relink: list[tuple[p.Action, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tags = TagResolver(self.client)
        if self.refs is None:
            self.refs = References(self.client)
        if self.backups is None:
            self.backups = BackupSet(self.root, self.state.site_uuid, self.now)
        if self.uploader is None:
            client: Any = self.client
            self.uploader = Uploader(client, self.state, self.root, self.site)

    def run(self, actions: list[p.Action]) -> list[Outcome]:
        """Apply ``actions``: the parallel writes first, then the rest in order.

        With ``jobs`` above one, plain creates and updates (no uploads, no
        links, no backup, every tag already in Ghost) are sent ``jobs`` at a
        time: each is one post, so no post has two writes in flight, and no
        two writes race to create a tag. Everything else goes one at a time
        afterwards, each write after the posts it links to.
        """
        together = [a for a in actions if self.jobs > 1 and self._parallel(a)]
        chosen = {id(action) for action in together}
        outcomes = self._run_together(together)
        for action in targets_first([a for a in actions if id(a) not in chosen]):
            outcome = self.apply(action)
            if outcome is not None:
                outcomes.append(outcome)
                self.report(outcome)
        for action, post in self._relink:
            failed = self._write_again(action, post)
            if failed is not None:
                outcomes.append(failed)
                self.report(failed)
        return outcomes

    def _parallel(self, action: p.Action) -> bool:
        item = action.local
        if action.name not in (p.CREATE, p.UPDATE) or item is None:
            return False
        if item.refs or action.overwrite:
            return False
        return self.tags.known(item.post.fields.get("tags") or [])

    def _run_together(self, actions: list[p.Action]) -> list[Outcome]:
        if not actions:
            return []
        done: dict[int, Outcome] = {}
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            futures = {pool.submit(self.apply, a): i for i, a in enumerate(actions)}
            for future in as_completed(futures):
                outcome = future.result()
                if outcome is not None:
                    done[futures[future]] = outcome
                    self.report(outcome)
        finally:
            # Writes in flight finish and are recorded; queued ones are dropped.
            pool.shutdown(wait=True, cancel_futures=True)
        return [done[i] for i in sorted(done)]

    def apply(self, action: p.Action) -> Outcome | None:
        """Carry out one action; errors become a failed outcome, not an exit."""
        try:
            return self._dispatch(action)
        except CollisionError:
            return self._conflict(action, self._read(action))
        except InvalidFileError as error:
            message = error.message + (f" ({error.hint})" if error.hint else "")
            return Outcome(action, "failed", message, error=error)
        except GhostAPIError as error:
            error.path = error.path or action.path
            return Outcome(action, "failed", str(error), error=error)

    def _dispatch(self, action: p.Action) -> Outcome | None:
        if action.name == p.CREATE:
            return self._create(action)
        if action.name == p.UPDATE:
            return self._update(action)
        if action.name == p.ADOPT:
            return self._adopt(action)
        if action.name == p.CONFLICT:
            return self._conflict(action, action.remote.raw if action.remote else None)
        if action.name == p.DELETED_LOCAL and action.prune:
            return self._prune(action)
        if action.refresh:
            return self._refresh(action)
        return None

    def _create(self, action: p.Action) -> Outcome:
        item = _local(action)
        if action.record is not None:
            # --recreate: the old id is gone. Forgotten first, so a run cut
            # short after the create finds it through the pending line.
            self.state.forget(action.record.id)
        at = self.now() - CLOCK_ALLOWANCE
        pending = Pending(
            item.path, item.post.kind, item.post.slug, item.hash, iso_utc(at)
        )
        self.state.add_pending(pending)

        sendable, complete = self._sendable(item)
        data = payload(sendable, self.tags, self.now(), self._refs)
        if action.email:
            # Ghost emails only on an edit that publishes: create as draft first.
            data["status"] = "draft"
        html = item.post.body_format == "html"
        post = self.client.create(item.post.kind, data, source_html=html, **READ)
        crash_point("created")
        if action.email:
            # Until the publishing write lands, the file still differs from Ghost.
            self._record(item, post, complete=False)
            post, complete = self._write(item, post["id"], post["updated_at"], action)
            self._written(action, item, post, complete, emailed=True)
            return self._done(action, post, "created; " + _emailed(action))
        self._written(action, item, post, complete)
        return self._done(action, post, "created")

    def _update(self, action: p.Action, post: dict[str, Any] | None = None) -> Outcome:
        item = _local(action)
        verb = "updated"
        if action.overwrite:
            post = self.client.read(action.kind, action.remote_id, **FULL_READ)
            saved = self._save_backup(action, post, "force")
            verb = f"updated (Ghost's version backed up: {saved})"
        updated_at = post["updated_at"] if post else _updated_at(action)
        try:
            written, complete = self._write(item, action.remote_id, updated_at, action)
        except CollisionError:
            return self._retry_after_collision(action)

        self._written(action, item, written, complete, emailed=bool(action.email))
        if action.email:
            verb += "; " + _emailed(action)
        return self._done(action, written, verb)

    def _retry_after_collision(self, action: p.Action) -> Outcome:
        current = self._read(action)
        record = action.record
        unchanged = record is not None and self._hash(current, action) == (
            record.remote_hash
        )
        if not unchanged:
            return self._conflict(action, current)

        item = _local(action)
        updated_at = current["updated_at"]
        written, complete = self._write(item, action.remote_id, updated_at, action)
        self._written(action, item, written, complete, emailed=bool(action.email))
        return self._done(action, written, "updated (after a re-read)")

    def _write(
        self,
        item: p.LocalItem,
        post_id: str,
        updated_at: str,
        action: p.Action | None = None,
    ) -> tuple[dict, bool]:
        """Update a post from a file; with ``action.email`` the write emails it."""
        sendable, complete = self._sendable(item)
        data = payload(sendable, self.tags, self.now(), self._refs)
        data["updated_at"] = updated_at
        html = item.post.body_format == "html"
        email = {}
        if action is not None and action.email:
            email = {"newsletter": action.email, "email_segment": action.email_segment}
        written = self.client.update(
            item.post.kind, post_id, data, source_html=html, **email, **READ
        )
        return written, complete

    def _sendable(self, item: p.LocalItem) -> tuple[p.LocalItem, bool]:
        """The item with its references as Ghost URLs (uploading what is new).

        ``complete`` is False when a linked post has no URL yet.
        """
        if not item.refs:
            return item, True
        assert self.uploader is not None
        urls, complete = self.uploader.urls(item)
        return replace(item, post=localrefs.apply_urls(item.post, urls)), complete

    def _written(
        self,
        action: p.Action,
        item: p.LocalItem,
        post: dict[str, Any],
        complete: bool,
        emailed: bool = False,
    ) -> None:
        """Record a write; a post with a link still to resolve is written again."""
        self._record(item, post, complete, emailed)
        assert self.uploader is not None
        if post.get("url"):
            self.uploader.post_urls[item.path] = post["url"]
        if not complete:
            self._relink.append((action, post))

    def _write_again(self, action: p.Action, post: dict[str, Any]) -> Outcome | None:
        item = _local(action)
        try:
            written, complete = self._write(item, post["id"], post["updated_at"])
        except GhostsyncError as error:
            return Outcome(action, "failed", f"links not updated: {error}", error=error)
        self._record(item, written, complete)
        return None

    def _adopt(self, action: p.Action) -> Outcome:
        item = _local(action)
        remote = action.remote
        assert remote is not None
        if action.changes:
            post = self._backup(action, "adopt")
            written, complete = self._write(item, remote.id, post["updated_at"], action)
            self._written(action, item, written, complete, emailed=bool(action.email))
            return self._done(action, written, "adopted and updated")

        self._record(item, remote.raw or self._read(action))
        return Outcome(action, "done", "adopted", url=remote.url)

    def _refresh(self, action: p.Action) -> Outcome | None:
        record = action.record
        if action.name == p.DELETED_LOCAL and record is not None:
            self.state.forget(record.id)
            return None
        if record is None or action.local is None or action.remote is None:
            return None

        remote = action.remote
        self.state.put(
            Record(
                id=record.id,
                kind=record.kind,
                path=action.local.path,
                slug=action.local.post.slug,
                updated_at=remote.updated_at,
                local_hash=action.local.hash,
                remote_hash=remote.hash or record.remote_hash,
                meta_hash=remote.meta_hash,
                body_format=action.local.post.body_format,
                emailed=record.emailed,
            )
        )
        return None

    def _prune(self, action: p.Action) -> Outcome:
        """Delete (or set to draft) a post whose file was removed, backed up first."""
        record = action.record
        assert record is not None
        try:
            post = self.client.read(action.kind, action.remote_id, **FULL_READ)
        except NotFoundError:
            self.state.forget(record.id)
            return Outcome(action, "done", "already deleted in Ghost; forgotten")
        if not action.overwrite and self._hash(post, action) != record.remote_hash:
            return self._conflict(action, post)

        saved = self._save_backup(action, post, "prune")
        if action.prune == "draft":
            body = {"status": "draft", "updated_at": post["updated_at"]}
            self.client.update(action.kind, action.remote_id, body)
            verb = "set to draft"
        else:
            # Deleted meanwhile: the outcome is the same.
            with contextlib.suppress(NotFoundError):
                self.client.delete(action.kind, action.remote_id)
            verb = "deleted in Ghost"
        self.state.forget(record.id)
        return Outcome(action, "done", f"{verb} (backup: {saved})")

    def _conflict(self, action: p.Action, post: dict[str, Any] | None) -> Outcome:
        where = ""
        if post is not None and action.path:
            where = str(self._save_conflict(action, post).relative_to(self.root))
        local_at = action.record.updated_at if action.record else "?"
        remote_at = post.get("updated_at", "?") if post else "?"
        if action.local is None:
            message = (
                f"file removed, but the post changed in Ghost (last synced"
                f" {local_at}, Ghost now {remote_at}); Ghost's version is in"
                f" {where or '(not saved)'}; 'push --prune --force' deletes it"
                " (backed up first)"
            )
            return Outcome(action, "conflict", message)
        message = (
            f"changed on both sides (last synced {local_at}, Ghost now {remote_at});"
            f" Ghost's version is in {where or '(not saved)'};"
            " keep yours with 'push --force' (Ghost's is backed up first), or"
            " copy what you want from Ghost's version into the file and run"
            f" 'ghostsync resolve {action.path}'"
        )
        return Outcome(action, "conflict", message)

    def _save_conflict(self, action: p.Action, post: dict[str, Any]) -> Path:
        """Ghost's version as JSON, with what ``resolve`` needs under ``ghostsync``."""
        target = conflict_path(self.root, action.path)
        copy = {
            **post,
            CONFLICT_KEY: {
                "site_uuid": self.state.site_uuid,
                "kind": action.kind,
                "path": action.path,
                "updated_at": post.get("updated_at", ""),
                "remote_hash": self._hash(post, action),
                "meta_hash": digest(remote_fields(post, action.kind, self.site)),
                "local_hash": action.local.hash if action.local else "",
            },
        }
        write_private(target, json.dumps(copy, indent=2, sort_keys=True) + "\n")
        return target

    def _backup(self, action: p.Action, reason: str) -> dict[str, Any]:
        """Read Ghost's full version, save it, return it (it holds ``updated_at``)."""
        post = self.client.read(action.kind, action.remote_id, **FULL_READ)
        self._save_backup(action, post, reason)
        return post

    def _save_backup(self, action: p.Action, post: dict[str, Any], reason: str) -> str:
        assert self.backups is not None
        target = self.backups.save_post(
            action.kind, post, path=action.path, reason=reason
        )
        return self.backups.relative(target)

    @property
    def _refs(self) -> References:
        assert self.refs is not None
        return self.refs

    def _read(self, action: p.Action) -> dict[str, Any]:
        return self.client.read(action.kind, action.remote_id, **READ)

    def _hash(self, post: dict[str, Any], action: p.Action) -> str:
        return digest(remote_canonical(post, action.kind, self.site))

    def _record(
        self,
        item: p.LocalItem,
        post: dict[str, Any],
        complete: bool = True,
        emailed: bool = False,
    ) -> None:
        """Remember a write; an incomplete one (a link left to resolve, a
        publishing write still to come) keeps no local hash, so the next run
        writes the post again if this one stops."""
        self.tags.learn(post.get("tags") or [])
        kind = item.post.kind
        # The post is in sync now: a conflict copy left for it is out of date.
        conflict_path(self.root, item.path).unlink(missing_ok=True)
        previous = self.state.records.get(post["id"])
        emailed = emailed or bool(previous and previous.emailed)
        self.state.put(
            Record(
                id=post["id"],
                kind=kind,
                path=item.path,
                slug=post.get("slug", item.post.slug),
                updated_at=post["updated_at"],
                local_hash=item.hash if complete else "",
                remote_hash=digest(remote_canonical(post, kind, self.site)),
                meta_hash=digest(remote_fields(post, kind, self.site)),
                body_format=item.post.body_format,
                emailed=emailed,
            )
        )

    def _done(self, action: p.Action, post: dict[str, Any], verb: str) -> Outcome:
        message = verb
        slug = post.get("slug", "")
        if action.local is not None and slug and slug != action.local.post.slug:
            message += (
                f"; Ghost gave it the slug '{slug}' instead of"
                f" '{action.local.post.slug}' (set slug: {slug} to keep it)"
            )
        return Outcome(action, "done", message, url=post.get("url", ""))


def targets_first(actions: list[p.Action]) -> list[p.Action]:
    """``actions`` with each write after the writes of the posts it links to.

    In a cycle the first remaining write goes first; its link is filled in
    by a second write at the end of the run.
    """
    writing = {a.path for a in actions if a.writes}
    remaining = list(actions)
    ordered: list[p.Action] = []
    done: set[str] = set()
    while remaining:
        ready = [a for a in remaining if _links(a, writing) <= done]
        for action in ready or remaining[:1]:
            ordered.append(action)
            done.add(action.path)
            remaining.remove(action)
    return ordered


def _links(action: p.Action, writing: set[str]) -> set[str]:
    if action.local is None or not action.writes:
        return set()
    return {
        ref.path
        for ref in action.local.refs
        if ref.endpoint == localrefs.POST
        and ref.path in writing
        and ref.path != action.path
    }


def _emailed(action: p.Action) -> str:
    return f"emailed to newsletter '{action.email}' ({action.email_segment})"


def _local(action: p.Action) -> p.LocalItem:
    assert action.local is not None
    return action.local


def _updated_at(action: p.Action) -> str:
    if action.record is not None and action.record.updated_at:
        return action.record.updated_at
    assert action.remote is not None
    return action.remote.updated_at


def conflict_path(root: Path, path: str) -> Path:
    """Where the conflict copy of the file ``path`` goes."""
    return root / ".ghostsync" / "conflicts" / (path + ".json")
