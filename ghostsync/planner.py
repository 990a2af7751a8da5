"""The planner: local files, remote posts and the state in; a list of actions out.

Pure: no network, no disk, no clock (the lint configuration bans those imports
here). Everything it needs arrives as plain data, so every decision can be
tested from a table.

Matching a file to a post, in order: an ``id:`` front-matter key; the path in
the state; the same kind and slug among records whose file vanished (a move);
the same local hash among those (a rename). An untracked remote post with the
same kind and slug is adopted when a pending create matches it (a lost create)
or when its canonical content equals the file's; otherwise it is refused
unless the run allows adopting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ghostsync.canonical import changed_fields, digest, in_sync
from ghostsync.errors import InvalidFileError
from ghostsync.source import LocalPost
from ghostsync.state import Record, Snapshot

# Action names, as they appear in --json output.
CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
ADOPT = "adopt"
REFUSE = "refuse"
CONFLICT = "conflict"
REMOTE_CHANGED = "remote-changed"
DELETED_LOCAL = "deleted-locally"
DELETED_REMOTE = "deleted-remotely"
REMOTE_ONLY = "remote-only"
INVALID = "invalid"

WRITES = {CREATE, UPDATE, ADOPT}
# What ``push --prune`` does to a post whose file was removed.
PRUNE_MODES = ("delete", "draft")
REMOTE_REASON = (
    "changed in Ghost; 'pull' or 'sync' writes it to the file, push leaves it"
    " alone ('push --force' overwrites it)"
)


@dataclass(frozen=True)
class LocalItem:
    """A valid file with its canonical payload and hash."""

    post: LocalPost
    canonical: dict[str, Any]
    hash: str
    # Local references (``ghostsync.refs.Ref``): images, media, files, links.
    refs: tuple[Any, ...] = ()
    # The canonical payload with every reference replaced by its Ghost URL,
    # when all are known (uploaded, link targets in Ghost); else None.
    sent: dict[str, Any] | None = None
    # Uploaded files whose URL no longer resolves (``--verify-images``).
    missing: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return self.post.path

    @property
    def comparable(self) -> dict[str, Any] | None:
        """What Ghost holds when it is in step with the file (None: unknown)."""
        return self.sent if self.refs else self.canonical


@dataclass(frozen=True)
class RemotePost:
    """A post of the remote index; ``canonical`` is set once its body is read."""

    id: str
    kind: str
    slug: str
    updated_at: str
    status: str
    fields: dict[str, Any]
    url: str = ""
    created_at: str = ""
    canonical: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None
    # How a file may name its authors and tiers (email, name → slug).
    refs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def meta_hash(self) -> str:
        return digest(self.fields)

    @property
    def hash(self) -> str | None:
        return digest(self.canonical) if self.canonical is not None else None


@dataclass(frozen=True)
class Action:
    """One thing a run would do (or report) for one post or file."""

    name: str
    kind: str
    slug: str
    path: str = ""
    remote_id: str = ""
    changes: tuple[str, ...] = ()
    reason: str = ""
    moved_from: str = ""
    old_slug: str = ""
    local: LocalItem | None = None
    remote: RemotePost | None = None
    record: Record | None = None
    # The state is stale but both sides agree: refresh it, write nothing.
    refresh: bool = False
    # The write replaces an edit made in Ghost (--force, --adopt): back it up.
    overwrite: bool = False
    # A removed file's post that this push deletes or sets to draft, or
    # ("file") a file whose post was deleted in Ghost that pull removes (--prune).
    prune: str = ""
    # A deletion the limits refused (--max-delete, half a kind, an emptied side).
    guarded: bool = False
    # The newsletter (slug) and segment this write emails the post to.
    email: str = ""
    email_segment: str = ""
    # What the plan should say about email for this post.
    note: str = ""

    @property
    def writes(self) -> bool:
        if self.name == DELETED_LOCAL:
            return bool(self.prune)
        return self.name in WRITES and not (self.name == ADOPT and not self.changes)


@dataclass
class Plan:
    """Every action of a run, in a stable order."""

    actions: list[Action] = field(default_factory=list)
    # Kinds whose side looks emptied, with why: deletions there need --allow-empty.
    emptied: dict[str, str] = field(default_factory=dict)
    # The same for Ghost's side: every tracked post of a kind is gone from it.
    remote_emptied: dict[str, str] = field(default_factory=dict)

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for action in self.actions:
            counts[action.name] = counts.get(action.name, 0) + 1
        return counts

    @property
    def pending_changes(self) -> bool:
        """Whether a push would write anything to Ghost."""
        return any(a.writes for a in self.actions)


@dataclass(frozen=True)
class Inputs:
    """All the planner looks at."""

    local: list[LocalItem]
    invalid: list[InvalidFileError]
    remote: dict[str, RemotePost]
    state: Snapshot
    adopt: bool = False
    force: bool = False
    now: str = ""
    # "delete" or "draft": what to do to a post whose file was removed.
    prune: str = ""
    # pull --prune: remove the files whose post was deleted in Ghost.
    prune_files: bool = False
    # "edited": recreate posts deleted in Ghost whose file was edited; "all":
    # every one (a push naming paths); "": report them only.
    recreate: str = ""
    # Kinds whose content folder does not exist.
    missing_dirs: tuple[str, ...] = ()
    # Files that say ``sync: false``: present, never planned.
    skipped: frozenset[str] = frozenset()
    send_email: bool = False


@dataclass(frozen=True)
class Limits:
    """The guards on deletions: how many, and whether a side may look emptied."""

    max_delete: int = 5
    yes: bool = False
    allow_empty: bool = False


@dataclass
class _Matches:
    tracked: list[tuple[LocalItem, Record]] = field(default_factory=list)
    untracked: list[LocalItem] = field(default_factory=list)
    vanished: list[Record] = field(default_factory=list)
    # Files whose ``id:`` names a post another file already stands for.
    invalid: list[LocalItem] = field(default_factory=list)


def wanted_bodies(inputs: Inputs) -> set[str]:
    """Ids of the remote posts whose body the plan needs.

    A body is needed where the index says the post may have changed since the
    last sync, and for an untracked post a file may adopt. Nothing else is read.
    """
    matches = _match(inputs)
    wanted = set()
    for _item, record in matches.tracked:
        remote = inputs.remote.get(record.id)
        if remote is not None and _index_moved(remote, record):
            wanted.add(record.id)

    untracked = _untracked_by_slug(inputs)
    for item in matches.untracked:
        remote = untracked.get((item.post.kind, item.post.slug))
        if remote is not None:
            wanted.add(remote.id)

    for record in matches.vanished:
        remote = inputs.remote.get(record.id)
        if remote is not None and _index_moved(remote, record):
            wanted.add(record.id)
    return wanted


def plan(inputs: Inputs) -> Plan:
    """Classify every file and every remote post."""
    matches = _match(inputs)
    actions = [_invalid(error) for error in inputs.invalid]
    actions += [_taken(item) for item in matches.invalid]
    actions += [_tracked(item, record, inputs) for item, record in matches.tracked]

    untracked = _untracked_by_slug(inputs)
    adopted = set()
    for item in matches.untracked:
        action = _untracked(item, untracked, inputs)
        adopted.add(action.remote_id)
        actions.append(action)

    actions += [_vanished(record, inputs) for record in matches.vanished]
    actions += _remote_only(inputs, adopted)
    actions = [_email(action, inputs) for action in actions]
    return Plan(
        sorted(actions, key=_order),
        emptied=_emptied(inputs, matches),
        remote_emptied=_remote_emptied(inputs),
    )


# A post dated more than this before the run is back-dated: never emailed.
BACK_DATED_DAYS = 1


def _email(action: Action, inputs: Inputs) -> Action:
    """Whether this write emails the post: only a draft (or new post) being
    published, never a back-dated one, never twice, only with --send-email."""
    if not action.writes or action.local is None:
        return action
    post = action.local.post
    if not post.newsletter or post.fields.get("status") != "published":
        return action

    was = action.remote.status if action.remote is not None else "draft"
    if was != "draft" or (action.record is not None and action.record.emailed):
        return action
    date = post.fields.get("published_at") or ""
    if date and inputs.now and _days_before(date, inputs.now) > BACK_DATED_DAYS:
        note = f"not emailed: back-dated ({date[:10]})"
        return replace(action, note=note)
    if not inputs.send_email:
        note = f"newsletter '{post.newsletter}' not emailed without --send-email"
        return replace(action, note=note)

    when = " when Ghost publishes it" if date and date > inputs.now else ""
    return replace(
        action,
        email=post.newsletter,
        email_segment=post.email_segment,
        note=f"emails newsletter '{post.newsletter}' ({post.email_segment}){when}",
    )


def _days_before(date: str, now: str) -> float:
    """How many days ``date`` lies before ``now`` (ISO strings, no clock)."""
    early = datetime.fromisoformat(date.replace("Z", "+00:00"))
    late = datetime.fromisoformat(now.replace("Z", "+00:00"))
    return (late - early).total_seconds() / 86400


def _order(action: Action) -> tuple[str, str, str]:
    return (action.kind, action.path or "~", action.slug)


def _match(inputs: Inputs) -> _Matches:
    records = inputs.state.records
    by_path = {record.path: record for record in records.values()}
    invalid_paths = {error.path for error in inputs.invalid}
    present = {item.path for item in inputs.local} | invalid_paths | inputs.skipped
    vanished = {r.id: r for r in records.values() if r.path not in present}

    matches = _Matches()
    claimed: set[str] = set()
    for item in _claiming_taken_ids(inputs.local, by_path, records, present):
        matches.invalid.append(item)
    for item in inputs.local:
        if item in matches.invalid:
            continue
        record = _find_record(item, records, by_path, vanished, claimed)
        if record is None:
            matches.untracked.append(item)
        else:
            claimed.add(record.id)
            matches.tracked.append((item, record))

    matches.vanished = [r for r in vanished.values() if r.id not in claimed]
    return matches


def _claiming_taken_ids(
    local: list[LocalItem],
    by_path: dict[str, Record],
    records: dict[str, Record],
    present: set[str],
) -> list[LocalItem]:
    """Files whose ``id:`` is claimed by another file too: never guess which."""
    owners: dict[str, list[LocalItem]] = {}
    for item in local:
        if item.post.explicit_id:
            owners.setdefault(item.post.explicit_id, []).append(item)

    taken = []
    for post_id, items in owners.items():
        record = records.get(post_id)
        other_file = record is not None and record.path in present
        if len(items) > 1 or (other_file and record and record.path != items[0].path):
            taken += items
    return taken


def _find_record(
    item: LocalItem,
    records: dict[str, Record],
    by_path: dict[str, Record],
    vanished: dict[str, Record],
    claimed: set[str],
) -> Record | None:
    post = item.post
    if post.explicit_id and post.explicit_id in records:
        return records[post.explicit_id]
    if post.explicit_id:
        return _record_for_id(post, item)

    record = by_path.get(item.path)
    if record is not None and record.id not in claimed:
        return record

    candidates = [r for r in vanished.values() if r.id not in claimed]
    for candidate in candidates:
        if candidate.kind == post.kind and candidate.slug == post.slug:
            return candidate
    for candidate in candidates:
        if candidate.kind == post.kind and _hash_as(item, candidate.slug) == (
            candidate.local_hash
        ):
            return candidate
    return None


def _hash_as(item: LocalItem, slug: str) -> str:
    """The file's hash had it kept ``slug``: a rename changes nothing else."""
    fields = {**item.canonical["fields"], "slug": slug}
    return digest({**item.canonical, "fields": fields})


def _record_for_id(post: LocalPost, item: LocalItem) -> Record:
    """A file that names an id the state does not know: track it from now."""
    return Record(
        id=post.explicit_id,
        kind=post.kind,
        path=post.path,
        slug=post.slug,
        updated_at="",
        local_hash="",
        remote_hash="",
        meta_hash="",
        body_format=post.body_format,
    )


def _index_moved(remote: RemotePost, record: Record) -> bool:
    return (
        remote.updated_at != record.updated_at or remote.meta_hash != record.meta_hash
    )


def _remote_changed(remote: RemotePost, record: Record) -> bool:
    if remote.canonical is not None and record.remote_hash:
        return remote.hash != record.remote_hash
    return _index_moved(remote, record)


def _tracked(item: LocalItem, record: Record, inputs: Inputs) -> Action:
    remote = inputs.remote.get(record.id)
    base = _base(item, record, remote)
    if remote is None:
        return _deleted_remotely(base, item, record, inputs)

    local_changed = item.hash != record.local_hash
    remote_changed = _remote_changed(remote, record)
    if remote.canonical is not None and _in_sync(item, remote):
        stale = (
            local_changed or remote_changed or remote.updated_at != record.updated_at
        )
        return _with(base, UNCHANGED, refresh=stale or bool(base.moved_from))

    if not local_changed and not remote_changed and item.missing:
        reason = "uploaded again, missing in Ghost: " + ", ".join(item.missing)
        return _with(base, UPDATE, changes=("uploads",), reason=reason)
    if not local_changed and not remote_changed:
        return _with(base, UNCHANGED, refresh=bool(base.moved_from))
    if local_changed and not remote_changed:
        return _update(base, item, remote, inputs)
    if remote_changed and not local_changed and not inputs.force:
        return _with(base, REMOTE_CHANGED, reason=REMOTE_REASON)
    if inputs.force:
        reason = "--force: Ghost's version is backed up and overwritten"
        return _update(_with(base, overwrite=True), item, remote, inputs, reason)
    return _with(
        base,
        CONFLICT,
        reason="changed locally and in Ghost since the last sync",
    )


def _base(item: LocalItem, record: Record, remote: RemotePost | None) -> Action:
    return Action(
        name=UNCHANGED,
        kind=item.post.kind,
        slug=item.post.slug,
        path=item.path,
        remote_id=record.id,
        moved_from=record.path if record.path != item.path else "",
        old_slug=record.slug if record.slug != item.post.slug else "",
        local=item,
        remote=remote,
        record=record,
    )


def _with(base: Action, name: str = "", **changes: Any) -> Action:
    return replace(base, name=name or base.name, **changes)


def _update(
    base: Action, item: LocalItem, remote: RemotePost, inputs: Inputs, reason: str = ""
) -> Action:
    problem = _unpublish_problem(item, remote, inputs)
    if problem:
        return _with(base, INVALID, reason=problem)

    changes = _changes_against(item, remote)
    return _with(base, UPDATE, changes=tuple(changes), reason=reason)


def _in_sync(item: LocalItem, remote: RemotePost) -> bool:
    comparable = item.comparable
    if comparable is None or item.missing or remote.canonical is None:
        return False
    return in_sync(comparable, remote.canonical, remote.refs)


def _changes_against(item: LocalItem, remote: RemotePost) -> list[str]:
    if remote.canonical is not None:
        local = item.comparable or item.canonical
        names = changed_fields(remote.canonical, local, remote.refs)
        return names or (["uploads"] if item.refs else [])

    # Without the remote body only the fields can be compared; the local
    # hash moved, so when no field differs it is the body.
    # TODO: a body changed along with a field is not named; the state keeps
    # no hash of the body alone to tell.
    local = item.comparable or item.canonical
    index_view = {**local, "fields": remote.fields}
    names = changed_fields(index_view, local, remote.refs)
    return names or ["body"]


def _unpublish_problem(item: LocalItem, remote: RemotePost, inputs: Inputs) -> str:
    if remote.status == "sent":
        return (
            f"{item.path}: the post was sent as an email only; Ghost keeps it"
            " read-only (remove the file, or exclude it)"
        )
    date = item.post.fields.get("published_at")
    moves_future = bool(date and inputs.now and date > inputs.now)
    if remote.status == "published" and moves_future:
        return (
            f"{item.path}: the post is published and its date moves into the future"
            " (Ghost cannot schedule a published post); set status: draft first"
        )
    return ""


def _deleted_remotely(
    base: Action, item: LocalItem, record: Record, inputs: Inputs
) -> Action:
    edited = item.hash != record.local_hash
    if inputs.recreate == "all" or (inputs.recreate == "edited" and edited):
        reason = "deleted in Ghost; --recreate creates it again as a new post"
        return _with(base, CREATE, remote_id="", remote=None, reason=reason)

    if inputs.prune_files:
        reason = "deleted in Ghost; --prune removes the file (backed up first)"
        if edited:
            reason += "; it was edited here since the last sync"
        return _with(base, DELETED_REMOTE, prune="file", reason=reason)
    if edited:
        reason = "deleted in Ghost but edited here; not pushed ('push --recreate'"
        reason += " creates it again, 'pull --prune' removes the file)"
    else:
        reason = "deleted in Ghost; 'pull --prune' removes the file ('push"
        reason += " --recreate PATH' creates it again)"
    return _with(base, DELETED_REMOTE, reason=reason)


def _untracked_by_slug(inputs: Inputs) -> dict[tuple[str, str], RemotePost]:
    tracked = set(inputs.state.records)
    return {
        (remote.kind, remote.slug): remote
        for remote in inputs.remote.values()
        if remote.id not in tracked
    }


def _untracked(
    item: LocalItem, untracked: dict[tuple[str, str], RemotePost], inputs: Inputs
) -> Action:
    post = item.post
    remote = untracked.get((post.kind, post.slug))
    base = Action(
        name=CREATE, kind=post.kind, slug=post.slug, path=item.path, local=item
    )
    if remote is None:
        return base

    base = _with(base, ADOPT, remote_id=remote.id, remote=remote)
    if _lost_create(item, remote, inputs):
        return _with(base, reason="created by an earlier run that was cut short")
    if remote.canonical is not None and _in_sync(item, remote):
        return _with(base, reason="identical post already in Ghost")
    if remote.status == "sent":
        return _with(base, REFUSE, reason="an email-only post of that slug was sent")

    changes = tuple(_changes_against(item, remote))
    if inputs.adopt:
        reason = "--adopt: Ghost's version is backed up and replaced by the file"
        return _with(base, changes=changes, reason=reason, overwrite=True)
    return _with(
        base,
        REFUSE,
        changes=changes,
        reason=f"a different {post.kind} with slug '{post.slug}' exists in Ghost; "
        "'ghostsync push --adopt' backs it up and replaces it, or change the slug",
    )


def _lost_create(item: LocalItem, remote: RemotePost, inputs: Inputs) -> bool:
    pending = inputs.state.pending.get(item.path)
    if pending is None or pending.slug != remote.slug or pending.kind != remote.kind:
        return False
    return bool(remote.created_at) and remote.created_at >= pending.at


def _vanished(record: Record, inputs: Inputs) -> Action:
    remote = inputs.remote.get(record.id)
    base = Action(
        name=DELETED_LOCAL,
        kind=record.kind,
        slug=record.slug,
        path=record.path,
        remote_id=record.id,
        remote=remote,
        record=record,
    )
    if remote is None:
        reason = "file removed and post deleted in Ghost; forgotten"
        return _with(base, reason=reason, refresh=True)

    changed = _remote_changed(remote, record)
    if inputs.prune not in PRUNE_MODES:
        reason = "file removed; the post stays in Ghost ('push --prune' deletes it)"
        if changed:
            reason += "; it also changed in Ghost since the last sync"
        return _with(base, reason=reason)
    if changed and not inputs.force:
        return _with(base, CONFLICT, reason=VANISHED_CONFLICT)
    return _prune(base, remote, inputs.prune, overwrite=changed)


VANISHED_CONFLICT = (
    "file removed here but changed in Ghost since the last sync; not deleted"
    " ('push --prune --force' deletes it, backed up first)"
)


def _prune(base: Action, remote: RemotePost, mode: str, overwrite: bool) -> Action:
    if mode == "delete":
        reason = "file removed; --prune deletes the post (backed up first)"
        return _with(base, prune=mode, reason=reason, overwrite=overwrite)
    if remote.status == "sent":
        reason = "file removed; an email-only post that was sent cannot become a draft"
        return _with(base, REFUSE, reason=reason)
    if remote.status == "draft" and not overwrite:
        reason = "file removed; already a draft in Ghost, no longer tracked"
        return _with(base, reason=reason, refresh=True)
    reason = "file removed; --prune sets the post to draft (backed up first)"
    return _with(base, prune=mode, reason=reason, overwrite=overwrite)


def _emptied(inputs: Inputs, matches: _Matches) -> dict[str, str]:
    """Kinds whose side looks emptied: the folder is missing or every file gone."""
    emptied = {kind: f"the {kind} folder is missing" for kind in inputs.missing_dirs}
    gone = {record.id for record in matches.vanished}
    for kind in ("post", "page"):
        tracked = [r for r in inputs.state.records.values() if r.kind == kind]
        if tracked and kind not in emptied and all(r.id in gone for r in tracked):
            emptied[kind] = f"every tracked {kind} file is gone"
    return emptied


def _remote_emptied(inputs: Inputs) -> dict[str, str]:
    """Kinds of which every tracked post is gone from Ghost."""
    emptied = {}
    for kind in ("post", "page"):
        tracked = [r for r in inputs.state.records.values() if r.kind == kind]
        if tracked and all(r.id not in inputs.remote for r in tracked):
            emptied[kind] = f"every tracked {kind} is gone from Ghost"
    return emptied


def guard(plan: Plan, selected: list[Action], state: Snapshot, limits: Limits) -> Plan:
    """``plan`` with the deletions among ``selected`` refused if over the limits.

    At most ``max_delete`` deletions and never more than half of a kind's
    tracked posts unless ``yes``; none on a side that looks emptied unless
    ``allow_empty``. When a limit is crossed every deletion is refused:
    choosing which ones to keep is not the planner's to guess. Deletions are
    Ghost posts of removed files (push) or files of posts deleted in Ghost
    (pull); a run makes only one of the two.
    """
    doomed = {id(a) for a in selected if a.prune and _deletion(a)}
    if not doomed:
        return plan
    chosen = [a for a in selected if id(a) in doomed]
    files = chosen[0].name == DELETED_REMOTE
    emptied = plan.remote_emptied if files else plan.emptied
    problems = _limit_problems(chosen, emptied, state, limits)
    if not problems:
        return plan

    done = "file not removed" if files else "file removed; not deleted"
    reason = f"{done}: " + "; ".join(problems)
    actions = [
        _refused(a, reason, files) if id(a) in doomed else a for a in plan.actions
    ]
    return replace(plan, actions=actions)


def _deletion(action: Action) -> bool:
    return action.name in (DELETED_LOCAL, DELETED_REMOTE)


def _refused(action: Action, reason: str, files: bool) -> Action:
    if files:
        reason = "deleted in Ghost; " + reason
    name = action.name if files else REFUSE
    return replace(action, name=name, prune="", reason=reason, guarded=True)


def _limit_problems(
    doomed: list[Action], emptied: dict[str, str], state: Snapshot, limits: Limits
) -> list[str]:
    problems = []
    if len(doomed) > limits.max_delete and not limits.yes:
        problems.append(
            f"{len(doomed)} deletions exceed max_delete {limits.max_delete}"
            f" ('--max-delete {len(doomed)}' or '--yes' allows them)"
        )
    for kind in sorted({a.kind for a in doomed}):
        count = sum(1 for a in doomed if a.kind == kind)
        tracked = sum(1 for r in state.records.values() if r.kind == kind)
        if count * 2 > tracked and not limits.yes:
            problems.append(
                f"{count} of {tracked} tracked {kind}s is more than half"
                " ('--yes' allows it)"
            )
        if kind in emptied and not limits.allow_empty:
            problems.append(
                f"the {kind} side looks emptied: {emptied[kind]}"
                " ('--allow-empty' allows it)"
            )
    return problems


def _remote_only(inputs: Inputs, adopted: Iterable[str]) -> list[Action]:
    taken = set(adopted) | set(inputs.state.records)
    return [
        Action(name=REMOTE_ONLY, kind=r.kind, slug=r.slug, remote_id=r.id, remote=r)
        for r in inputs.remote.values()
        if r.id not in taken
    ]


def _taken(item: LocalItem) -> Action:
    return Action(
        name=INVALID,
        kind=item.post.kind,
        slug=item.post.slug,
        path=item.path,
        reason=f"id: {item.post.explicit_id} names a post another file stands for;"
        " remove the id: line from the copy",
    )


def _invalid(error: InvalidFileError) -> Action:
    return Action(
        name=INVALID,
        kind="",
        slug="",
        path=error.path,
        reason=error.message + (f" ({error.hint})" if error.hint else ""),
    )
