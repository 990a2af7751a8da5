"""Carrying out a plan: creates, updates and adoptions, each journaled.

Every write keeps Ghost's optimistic lock: an update sends the ``updated_at``
the state holds. A 409 means the post changed in Ghost; it is read again, and
if its content still equals what was last synced (a scheduled post went live,
a re-render) the write is retried once with the new ``updated_at``. Otherwise
the post is a conflict: its remote version is saved under
``.ghostsync/conflicts/`` and the run goes on with the other posts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ghostsync import planner as p
from ghostsync.canonical import SiteURL, digest, remote_canonical, remote_fields
from ghostsync.errors import (
    CollisionError,
    GhostAPIError,
    GhostsyncError,
    InvalidFileError,
)
from ghostsync.fields import INCLUDE
from ghostsync.remote import References, TagResolver, payload
from ghostsync.source import iso_utc
from ghostsync.state import Pending, Record, State

# A pending create matches a post created up to this long before it was
# written, to allow for a client clock ahead of the server's.
CLOCK_ALLOWANCE = dt.timedelta(minutes=2)
READ = {"formats": ["lexical"], "include": list(INCLUDE)}


class Client(Protocol):
    """The part of :class:`ghostsync.ghost.client.GhostClient` used here."""

    def create(self, kind: str, post: dict[str, Any], **options: Any) -> dict: ...

    def update(
        self, kind: str, post_id: str, post: dict[str, Any], **options: Any
    ) -> dict: ...

    def read(self, kind: str, post_id: str, **options: Any) -> dict: ...

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

    def __post_init__(self) -> None:
        self.tags = TagResolver(self.client)
        if self.refs is None:
            self.refs = References(self.client)

    def run(self, actions: list[p.Action]) -> list[Outcome]:
        outcomes = []
        for action in actions:
            outcome = self.apply(action)
            if outcome is not None:
                outcomes.append(outcome)
                self.report(outcome)
        return outcomes

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
        if action.refresh:
            return self._refresh(action)
        return None

    def _create(self, action: p.Action) -> Outcome:
        item = _local(action)
        at = self.now() - CLOCK_ALLOWANCE
        pending = Pending(
            item.path, item.post.kind, item.post.slug, item.hash, iso_utc(at)
        )
        self.state.add_pending(pending)

        data = payload(item, self.tags, self.now(), self._refs)
        html = item.post.body_format == "html"
        post = self.client.create(item.post.kind, data, source_html=html, **READ)
        self._record(item, post)
        return self._done(action, post, "created")

    def _update(self, action: p.Action, post: dict[str, Any] | None = None) -> Outcome:
        item = _local(action)
        if action.overwrite:
            post = post or self._read(action)
            self._backup(action, post)
        updated_at = post["updated_at"] if post else _updated_at(action)
        try:
            written = self._write(item, action.remote_id, updated_at)
        except CollisionError:
            return self._retry_after_collision(action)

        self._record(item, written)
        return self._done(action, written, "updated")

    def _retry_after_collision(self, action: p.Action) -> Outcome:
        current = self._read(action)
        record = action.record
        unchanged = record is not None and self._hash(current, action) == (
            record.remote_hash
        )
        if not unchanged:
            return self._conflict(action, current)

        written = self._write(_local(action), action.remote_id, current["updated_at"])
        self._record(_local(action), written)
        return self._done(action, written, "updated (after a re-read)")

    def _write(self, item: p.LocalItem, post_id: str, updated_at: str) -> dict:
        data = payload(item, self.tags, self.now(), self._refs)
        data["updated_at"] = updated_at
        html = item.post.body_format == "html"
        return self.client.update(
            item.post.kind, post_id, data, source_html=html, **READ
        )

    def _adopt(self, action: p.Action) -> Outcome:
        item = _local(action)
        remote = action.remote
        assert remote is not None
        if action.changes:
            post = remote.raw or self._read(action)
            self._backup(action, post)
            written = self._write(item, remote.id, post["updated_at"])
            self._record(item, written)
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

    def _conflict(self, action: p.Action, post: dict[str, Any] | None) -> Outcome:
        where = ""
        if post is not None and action.path:
            where = str(self._save_conflict(action, post).relative_to(self.root))
        local_at = action.record.updated_at if action.record else "?"
        remote_at = post.get("updated_at", "?") if post else "?"
        message = (
            f"changed on both sides (last synced {local_at}, Ghost now {remote_at});"
            f" Ghost's version is in {where or '(not saved)'};"
            " keep yours with 'push --force' (Ghost's is backed up first), or"
            " copy what you want from Ghost's version into the file"
        )
        return Outcome(action, "conflict", message)

    def _save_conflict(self, action: p.Action, post: dict[str, Any]) -> Path:
        target = self.root / ".ghostsync" / "conflicts" / (action.path + ".json")
        _write_private(target, json.dumps(post, indent=2, sort_keys=True) + "\n")
        return target

    def _backup(self, action: p.Action, post: dict[str, Any]) -> Path:
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"{action.kind}-{post['id']}.json"
        target = self.root / ".ghostsync" / "backups" / stamp / name
        _write_private(target, json.dumps(post, indent=2, sort_keys=True) + "\n")
        return target

    @property
    def _refs(self) -> References:
        assert self.refs is not None
        return self.refs

    def _read(self, action: p.Action) -> dict[str, Any]:
        return self.client.read(action.kind, action.remote_id, **READ)

    def _hash(self, post: dict[str, Any], action: p.Action) -> str:
        return digest(remote_canonical(post, action.kind, self.site))

    def _record(self, item: p.LocalItem, post: dict[str, Any]) -> None:
        kind = item.post.kind
        previous = self.state.records.get(post["id"])
        self.state.put(
            Record(
                id=post["id"],
                kind=kind,
                path=item.path,
                slug=post.get("slug", item.post.slug),
                updated_at=post["updated_at"],
                local_hash=item.hash,
                remote_hash=digest(remote_canonical(post, kind, self.site)),
                meta_hash=digest(remote_fields(post, kind, self.site)),
                body_format=item.post.body_format,
                emailed=previous.emailed if previous else False,
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


def _local(action: p.Action) -> p.LocalItem:
    assert action.local is not None
    return action.local


def _updated_at(action: p.Action) -> str:
    if action.record is not None and action.record.updated_at:
        return action.record.updated_at
    assert action.remote is not None
    return action.remote.updated_at


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
