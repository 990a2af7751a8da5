"""``ghostsync resolve``: a hand-merged file becomes the new base after a conflict.

A conflict leaves Ghost's version in ``.ghostsync/conflicts/<path>.json``. Once
the user has merged what they want from it into the file, ``resolve`` records
that version as the last-synced one on both sides: its ``updated_at``, its
remote hash, and the same hash as the local base. The file then differs from
the base, so the next ``push`` sends it with Ghost's ``updated_at`` (a newer edit
in Ghost still stops it with a 409), and the push after that has nothing to do.
The conflict copies (the JSON, and the Markdown one ``pull`` writes) are removed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ghostsync.apply import CONFLICT_KEY, conflict_path
from ghostsync.canonical import digest, local_canonical, remote_canonical, remote_fields
from ghostsync.errors import GhostsyncError
from ghostsync.run import Site
from ghostsync.source import scan
from ghostsync.state import Record

# git's conflict markers, left in a file by a merge tool or by hand.
MARKER = re.compile(r"^(<{7}|>{7})(\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class Resolved:
    """One resolved file and what the next push will do with it."""

    path: str
    updated_at: str
    unchanged: bool  # the file is as it was when the conflict was found


def resolve(site: Site, rel: str) -> Resolved:
    """Take the file ``rel`` as merged; raise when there is no conflict for it."""
    copy, meta = _conflict_copy(site, rel)
    record = _record(site, rel, copy)
    item_hash, post = _read_file(site, rel)

    kind = record.kind
    remote_hash = digest(remote_canonical(copy, kind, site.url))
    site.state.put(
        Record(
            id=record.id,
            kind=kind,
            path=rel,
            slug=post.slug,
            updated_at=copy["updated_at"],
            local_hash=remote_hash,
            remote_hash=remote_hash,
            meta_hash=digest(remote_fields(copy, kind, site.url)),
            body_format=post.body_format,
            emailed=record.emailed,
        )
    )
    conflict_path(site.settings.root, rel).unlink()
    # pull also leaves what it would have written there, as Markdown.
    (site.settings.root / ".ghostsync" / "conflicts" / rel).unlink(missing_ok=True)
    unchanged = bool(meta.get("local_hash")) and meta.get("local_hash") == item_hash
    return Resolved(rel, copy["updated_at"], unchanged)


def _conflict_copy(site: Site, rel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    path = conflict_path(site.settings.root, rel)
    if not path.is_file():
        raise GhostsyncError(
            f"no conflict for {rel}: .ghostsync/conflicts/{rel}.json does not exist",
            hint="'ghostsync plan' lists the conflicts; resolve takes a file that"
            " push reported as changed on both sides",
        )
    try:
        copy = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise GhostsyncError(
            f"the conflict copy {path} is not JSON",
            hint="delete it and run 'ghostsync push' to find the conflict again",
        ) from None

    meta = copy.pop(CONFLICT_KEY, None) or {}
    uuid = meta.get("site_uuid")
    if uuid and uuid != site.state.site_uuid:
        raise GhostsyncError(
            f"the conflict copy of {rel} is from another site ({uuid})",
            hint="run resolve with the --site the conflict was found on",
        )
    return copy, meta


def _record(site: Site, rel: str, copy: dict[str, Any]) -> Record:
    record = site.state.records.get(copy.get("id", ""))
    if record is None:
        raise GhostsyncError(
            f"the conflict copy of {rel} names post {copy.get('id')}, which the"
            " state does not track",
            hint=f"delete .ghostsync/conflicts/{rel}.json and run 'ghostsync plan'",
        )
    if record.updated_at > copy.get("updated_at", ""):
        raise GhostsyncError(
            f"the conflict copy of {rel} is older than the last sync of that post",
            hint=f"the conflict was settled since; delete .ghostsync/conflicts/"
            f"{rel}.json",
        )
    return record


def _read_file(site: Site, rel: str) -> tuple[str, Any]:
    file = site.settings.root / rel
    if not file.is_file():
        raise GhostsyncError(
            f"{rel} does not exist",
            hint="write the merged version there, or 'push --prune --force'"
            " deletes the post (backed up first)",
        )
    text = file.read_text(encoding="utf-8", errors="replace")
    marker = MARKER.search(text)
    if marker is not None:
        line = text[: marker.start()].count("\n") + 1
        raise GhostsyncError(
            f"{rel}:{line} still has a merge conflict marker",
            hint="finish the merge and remove the <<<<<<< and >>>>>>> lines",
        )

    result = scan(site.settings, site.tz, only={rel})
    if result.errors:
        raise result.errors[0]
    if not result.posts:
        raise GhostsyncError(
            f"{rel} is not a post file (outside the content folders, or excluded)"
        )
    [post] = result.posts
    canonical = local_canonical(
        post.kind, post.fields, post.body, post.body_format, site.url
    )
    return digest(canonical), post
