"""``ghostsync restore``: put a backed-up post back into Ghost, or a file on disk.

A post that no longer exists is created again from its JSON (a new id; a state
record that still names the old id follows it). A post exists when Ghost holds
its id, the id the state records for its file, or its slug: then it is never
created a second time. A post that exists is updated
to the backed-up version only with ``--force``, after its current version is
itself backed up, so a restore can be undone the same way. A backed-up file is
written back to its path; one that exists with other content is replaced only
with ``--force``, after a backup of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ghostsync.backups import FULL_READ, Backup, BackupSet, Entry, list_backups
from ghostsync.canonical import digest, remote_canonical, remote_fields
from ghostsync.errors import GhostsyncError, NotFoundError
from ghostsync.fields import fields_for
from ghostsync.remote import TagResolver
from ghostsync.run import Site, expire_backups


@dataclass(frozen=True)
class Restored:
    """What happened to one entry."""

    entry: Entry
    status: str  # "created", "updated", "unchanged", "written", "refused"
    message: str
    url: str = ""


def find_backup(site: Site, name: str) -> Backup:
    """The backup folder ``name`` (as ``restore`` lists it)."""
    backups = list_backups(site.settings.root)
    for backup in backups:
        if backup.name == name.rstrip("/").rsplit("/", 1)[-1]:
            return backup
    latest = ", ".join(b.name for b in backups[-3:]) or "none"
    raise GhostsyncError(
        f"no backup named {name} in .ghostsync/backups/ (latest: {latest})",
        hint="'ghostsync restore' without arguments lists them",
    )


def restore(
    site: Site,
    backup: Backup,
    only: tuple[str, ...] = (),
    *,
    force: bool = False,
    report: Callable[[Restored], None] = lambda restored: None,
) -> list[Restored]:
    """Restore the entries of ``backup`` (those matching ``only``, if given)."""
    entries = [e for e in backup.entries if _matches(e, only)]
    if not entries:
        raise GhostsyncError(
            f"nothing in backup {backup.name} matches {' '.join(only)}",
            hint="name an entry by its slug, file path, Ghost id or backup file",
        )

    work = _Restorer(site, backup, force)
    done = []
    try:
        for entry in entries:
            restored = work.one(entry)
            report(restored)
            done.append(restored)
    finally:
        expire_backups(site.settings, work.safety)
    return done


def _matches(entry: Entry, only: tuple[str, ...]) -> bool:
    if not only:
        return True
    names = {entry.name, entry.path, entry.slug, entry.id} - {""}
    return any(wanted in names for wanted in only)


class _Restorer:
    def __init__(self, site: Site, backup: Backup, force: bool) -> None:
        self.site = site
        self.backup = backup
        self.force = force
        self.safety = BackupSet(site.settings.root, site.state.site_uuid)
        self.tags = TagResolver(site.client)
        self._known: dict[str, set[str]] = {}

    def one(self, entry: Entry) -> Restored:
        if entry.site_uuid and entry.site_uuid != self.site.state.site_uuid:
            return Restored(
                entry,
                "refused",
                f"backed up from another site ({entry.site_uuid}); use the --site"
                " it came from",
            )
        if entry.what == "file":
            return self._file(entry)
        return self._post(entry)

    # -- posts ---------------------------------------------------------------

    def _post(self, entry: Entry) -> Restored:
        saved = json.loads((self.backup.folder / entry.name).read_text("utf-8"))
        client = self.site.client
        current = self._current(entry, saved)
        if current is None:
            return self._create(entry, saved)

        if self._hash(current, entry) == self._hash(saved, entry):
            return Restored(entry, "unchanged", "Ghost already holds this version")
        if not self.force:
            return Restored(
                entry,
                "refused",
                "the post exists in Ghost with other content; '--force' replaces it"
                " (its current version is backed up first)",
            )
        self.safety.save_post(entry.kind, current, path=entry.path, reason="restore")
        data = self._payload(entry.kind, saved)
        data["updated_at"] = current["updated_at"]
        written = client.update(entry.kind, current["id"], data)
        where = self.safety.relative(self.safety.folder) if self.safety.folder else ""
        message = f"updated to the backed-up version (the one replaced: {where})"
        return Restored(entry, "updated", message, written.get("url", ""))

    def _current(self, entry: Entry, saved: dict[str, Any]) -> dict[str, Any] | None:
        """The post in Ghost this entry would replace: the one with the saved id,
        the one the state records for its file (an earlier restore's new id), or
        the one holding its slug. None when there is none, and only then is a
        new post created, so a second restore never makes a duplicate."""
        client = self.site.client
        record = self.site.state.by_path().get(entry.path) if entry.path else None
        ids = [saved["id"]]
        if record is not None and record.kind == entry.kind:
            ids.append(record.id)
        for post_id in dict.fromkeys(ids):
            try:
                return client.read(entry.kind, post_id, **FULL_READ)
            except NotFoundError:
                continue
        slug = saved.get("slug")
        return client.find_by_slug(entry.kind, slug, **FULL_READ) if slug else None

    def _create(self, entry: Entry, saved: dict[str, Any]) -> Restored:
        data = self._payload(entry.kind, saved)
        written = self.site.client.create(entry.kind, data, **FULL_READ)
        self._follow(saved["id"], written, entry)
        message = f"created again (new id {written['id']})"
        if written.get("slug") != saved.get("slug"):
            message += f"; Ghost gave it the slug '{written.get('slug')}'"
        return Restored(entry, "created", message, written.get("url", ""))

    def _follow(self, old_id: str, written: dict[str, Any], entry: Entry) -> None:
        """A state record naming the old id now names the new post."""
        state = self.site.state
        record = state.records.get(old_id)
        if record is None:
            return
        state.forget(old_id)
        state.put(
            replace(
                record,
                id=written["id"],
                updated_at=written["updated_at"],
                remote_hash=self._hash(written, entry),
                meta_hash=digest(remote_fields(written, entry.kind, self.site.url)),
            )
        )

    def _payload(self, kind: str, saved: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in fields_for(kind):
            if not spec.relation and spec.name in saved:
                data[spec.name] = saved[spec.name]
        if data.get("status") == "sent":
            data["status"] = "draft"  # an email cannot be sent again by a restore
        data["lexical"] = saved.get("lexical")
        data["tags"] = [
            self.tags.reference(tag["name"], tag["slug"])
            for tag in saved.get("tags") or []
        ]
        for relation, resource in (("authors", "users"), ("tiers", "tiers")):
            known = self._ids(resource)
            saved_refs = saved.get(relation) or []
            refs = [{"id": r["id"]} for r in saved_refs if r["id"] in known]
            if refs:
                data[relation] = refs
        return data

    def _ids(self, resource: str) -> set[str]:
        if resource not in self._known:
            found = self.site.client.browse_resource(resource, fields=["id"])
            self._known[resource] = {item["id"] for item in found}
        return self._known[resource]

    def _hash(self, post: dict[str, Any], entry: Entry) -> str:
        return digest(remote_canonical(post, entry.kind, self.site.url))

    # -- files ---------------------------------------------------------------

    def _file(self, entry: Entry) -> Restored:
        root = self.site.settings.root
        data = (self.backup.folder / entry.name).read_bytes()
        target = (root / entry.path).resolve()
        if not target.is_relative_to(root.resolve()):
            return Restored(entry, "refused", f"{entry.path} lies outside the project")

        if target.exists():
            if target.read_bytes() == data:
                return Restored(entry, "unchanged", "the file already holds this")
            if not self.force:
                return Restored(
                    entry,
                    "refused",
                    "the file exists with other content; '--force' replaces it"
                    " (backed up first)",
                )
            self.safety.save_file(
                entry.path, target.read_bytes(), kind=entry.kind, reason="restore"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return Restored(entry, "written", f"written to {entry.path}")
