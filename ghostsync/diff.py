"""``ghostsync diff``: what differs between a file, Ghost and the last sync.

The file and Ghost's version are compared field by field and the body as a
unified diff, in canonical form (what the planner compares: the body as sent,
the site's own URLs as ``__GHOST_URL__``). The state keeps only hashes of the
last-synced version, so of that version the diff can say which side moved
since, and for Ghost whether its fields or only its body did, but not show its
text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from ghostsync import planner as p
from ghostsync.canonical import (
    as_remote,
    changed_fields,
    digest,
    remote_canonical,
    remote_fields,
)
from ghostsync.fields import INCLUDE
from ghostsync.remote import BATCH, KINDS
from ghostsync.run import Result, Site, check_selection, make_plan

# Actions with nothing to compare: one side is missing.
ONE_SIDED = {p.CREATE, p.DELETED_LOCAL, p.DELETED_REMOTE, p.REMOTE_ONLY}


@dataclass
class Since:
    """Which side moved since the last sync (None: no record to tell)."""

    synced_at: str = ""
    file: bool | None = None
    ghost: bool | None = None
    ghost_fields: bool | None = None


@dataclass
class PostDiff:
    """The differences of one post, Ghost's side first (as push would change it)."""

    action: p.Action
    since: Since = field(default_factory=Since)
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def same(self) -> bool:
        return not self.fields and not self.body


def diff(site: Site, paths: set[str] | None = None) -> tuple[Result, list[PostDiff]]:
    """The plan, and the diff of every post it would touch (or of ``paths``)."""
    result = make_plan(site, paths=paths)
    check_selection(site.settings.root, result.plan, paths)
    chosen = [a for a in result.plan.actions if _wanted(a, paths)]
    posts = _read(site, [a for a in chosen if a.name not in ONE_SIDED])

    diffs = []
    for action in chosen:
        raw = posts.get(action.remote_id)
        if action.name in ONE_SIDED or raw is None or action.local is None:
            diffs.append(PostDiff(action, note=action.reason))
        else:
            diffs.append(compare(action, raw, site))
    return result, diffs


def _wanted(action: p.Action, paths: set[str] | None) -> bool:
    if action.name in (p.REMOTE_ONLY, p.INVALID):
        return False
    if paths is None:
        return action.name != p.UNCHANGED
    return any(
        path == selected or path.startswith(selected.rstrip("/") + "/")
        for selected in paths
        for path in (action.path, action.moved_from)
        if path
    )


def _read(site: Site, actions: list[p.Action]) -> dict[str, dict[str, Any]]:
    """Ghost's full version of each post: Lexical for Markdown, HTML for html."""
    found: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        ids = sorted({a.remote_id for a in actions if a.kind == kind and a.remote_id})
        for start in range(0, len(ids), BATCH):
            query = "id:[" + ",".join(ids[start : start + BATCH]) + "]"
            for post in site.client.browse(
                kind,
                filter=query,
                formats=["lexical", "html"],
                include=list(INCLUDE),
            ):
                found[post["id"]] = post
    return found


def compare(action: p.Action, raw: dict[str, Any], site: Site) -> PostDiff:
    """The field and body differences of one file and Ghost's version of it."""
    assert action.local is not None
    local = action.local.comparable or action.local.canonical
    remote = remote_canonical(raw, action.kind, site.url)
    refs = action.remote.refs if action.remote is not None else None

    names = changed_fields(remote, local, refs)
    values = as_remote(local["fields"], refs)
    fields = [
        (name, remote["fields"].get(name), values.get(name))
        for name in names
        if name != "body"
    ]
    result = PostDiff(action, _since(action, raw, remote, site), fields)
    if "body" in names:
        result.body, result.note = _body_diff(local, remote, raw, action, site)
    return result


def _since(
    action: p.Action, raw: dict[str, Any], remote: dict[str, Any], site: Site
) -> Since:
    record = action.record
    if record is None or not record.local_hash:
        return Since()
    meta = digest(remote_fields(raw, action.kind, site.url))
    return Since(
        synced_at=record.updated_at,
        file=action.local is not None and action.local.hash != record.local_hash,
        ghost=digest(remote) != record.remote_hash if record.remote_hash else None,
        ghost_fields=meta != record.meta_hash if record.meta_hash else None,
    )


def _body_diff(
    local: dict[str, Any],
    remote: dict[str, Any],
    raw: dict[str, Any],
    action: p.Action,
    site: Site,
) -> tuple[list[str], str]:
    note = ""
    theirs = remote["body"]
    if local["body_format"] == "html" or remote["body_format"] == "html":
        # Lexical cannot be shown as text: compare Ghost's rendering instead.
        theirs = site.url.absolute_to_placeholder(raw.get("html") or "")
        note = "the body is compared as HTML: Ghost's rendering against the file's"
        if local["body_format"] == "markdown":
            note = "Ghost's version is no longer one Markdown card; its HTML is shown"
    lines = difflib.unified_diff(
        theirs.splitlines(),
        local["body"].splitlines(),
        f"Ghost {action.slug}",
        f"file {action.path}",
        lineterm="",
    )
    return list(lines), note
