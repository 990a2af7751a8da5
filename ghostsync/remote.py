"""The remote side: Ghost's posts and pages read into the planner's terms, and
local posts turned into Ghost's write payloads.

The index is one paginated browse per kind with a ``fields`` filter: every
managed field and the tags, never a body. Bodies are read only for the posts
the planner asks for, a hundred at a time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any, Protocol

import ghostsync.body as bodies
from ghostsync.canonical import SiteURL, remote_canonical, remote_fields, remote_refs
from ghostsync.errors import InvalidFileError
from ghostsync.fields import INCLUDE, index_columns
from ghostsync.planner import LocalItem, RemotePost
from ghostsync.source import LocalPost, iso_utc, slugify_tag

KINDS = ("post", "page")
BATCH = 100


class ResourceReader(Protocol):
    """Reads tags, users, tiers: the part of the client tag lookups need."""

    def browse_resource(
        self, resource: str, **options: Any
    ) -> Iterable[dict[str, Any]]: ...


class Client(ResourceReader, Protocol):
    """The part of :class:`ghostsync.ghost.client.GhostClient` used here."""

    def browse(self, kind: str, **options: Any) -> Iterable[dict[str, Any]]: ...


def fetch_index(client: Client, site: SiteURL) -> dict[str, RemotePost]:
    """Every post and page of the site, without bodies."""
    remote: dict[str, RemotePost] = {}
    for kind in KINDS:
        fields = [*index_columns(kind), "created_at"]
        for post in client.browse(kind, fields=fields, include=list(INCLUDE)):
            remote[post["id"]] = to_remote(post, kind, site)
    return remote


def fetch_bodies(
    client: Client,
    remote: dict[str, RemotePost],
    ids: set[str],
    site: SiteURL,
    formats: tuple[str, ...] = ("lexical",),
) -> dict[str, RemotePost]:
    """``remote`` with the canonical payload filled in for ``ids``.

    Pull adds ``html`` to ``formats``: a post that is not one Markdown card is
    converted from it.
    """
    result = dict(remote)
    for kind in KINDS:
        wanted = sorted(i for i in ids if i in remote and remote[i].kind == kind)
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            query = "id:[" + ",".join(chunk) + "]"
            found = client.browse(
                kind, filter=query, formats=list(formats), include=list(INCLUDE)
            )
            for post in found:
                result[post["id"]] = to_remote(post, kind, site, with_body=True)
    return result


def to_remote(
    post: dict[str, Any], kind: str, site: SiteURL, with_body: bool = False
) -> RemotePost:
    """A Ghost post (index entry or full read) as the planner sees it."""
    return RemotePost(
        id=post["id"],
        kind=kind,
        slug=post.get("slug", ""),
        updated_at=post.get("updated_at") or "",
        status=post.get("status") or "",
        fields=remote_fields(post, kind, site),
        url=post.get("url") or "",
        created_at=post.get("created_at") or "",
        canonical=remote_canonical(post, kind, site) if with_body else None,
        raw=post if with_body else None,
        refs=remote_refs(post),
    )


class TagResolver:
    """Existing tags by slug, read once and only when a write needs them.

    Tags are matched by slug (SQLite and MySQL compare names differently), so
    an existing tag is sent by id and only a new one by name.
    """

    def __init__(self, client: ResourceReader) -> None:
        self._client = client
        self._ids: dict[str, str] | None = None
        self._lock = threading.Lock()

    def reference(self, name: str, slug: str) -> dict[str, str]:
        ids = self._load()
        if slug in ids:
            return {"id": ids[slug]}
        return {"name": name.strip(), "slug": slug}

    def known(self, slugs: Iterable[str]) -> bool:
        """Whether every tag of ``slugs`` exists in Ghost already."""
        ids = self._load()
        return all(slug in ids for slug in slugs)

    def learn(self, tags: Iterable[dict[str, Any]]) -> None:
        """Remember the tags a write returned (new ones are now known)."""
        with self._lock:
            if self._ids is None:
                return
            for tag in tags:
                if tag.get("slug") and tag.get("id"):
                    self._ids[tag["slug"]] = tag["id"]

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._ids is None:
                tags = self._client.browse_resource("tags", fields=["id", "slug"])
                self._ids = {tag["slug"]: tag["id"] for tag in tags}
            return self._ids


class References:
    """Staff users and tiers, read once and only when a write needs them.

    A file names an author by email (an entry with ``@``) or slug, and a tier
    by name or slug. Ghost would silently make an unknown author the owner and
    silently drop a tier it does not know, so both are errors here, found
    before the write.
    """

    def __init__(self, client: ResourceReader) -> None:
        self._client = client
        self._users: dict[str, str] | None = None
        self._tiers: dict[str, dict[str, Any]] | None = None
        self._newsletters: list[str] | None = None

    def check(self, post: LocalPost) -> None:
        """Raise InvalidFileError if an author or a tier is not in Ghost."""
        self.authors(post)
        self.tiers(post)

    def authors(self, post: LocalPost) -> list[dict[str, str]] | None:
        entries = post.fields.get("authors")
        if not entries:
            return None
        users = self._load_users()
        unknown = [entry for entry in entries if entry not in users]
        if unknown:
            known = sorted(k for k in users if "@" not in k)
            raise _unknown(post, "authors", "no staff user", unknown, known)
        return [{"id": users[entry]} for entry in entries]

    def tiers(self, post: LocalPost) -> list[dict[str, str]] | None:
        entries = post.fields.get("tiers")
        if not entries:
            return None
        tiers = self._load_tiers()
        unknown = [entry for entry in entries if entry not in tiers]
        if unknown:
            known = sorted({t["slug"] for t in tiers.values()})
            raise _unknown(post, "tiers", "no active paid tier", unknown, known)
        return [{"id": tiers[entry]["id"]} for entry in entries]

    def newsletter(self, post: LocalPost) -> None:
        """Raise InvalidFileError unless the post's newsletter is active."""
        if self._newsletters is None:
            found = self._client.browse_resource(
                "newsletters", fields=["slug"], filter="status:active"
            )
            self._newsletters = sorted(n["slug"] for n in found)
        if post.newsletter not in self._newsletters:
            raise _unknown(
                post,
                "newsletter",
                "no active newsletter",
                [post.newsletter],
                self._newsletters,
            )

    def _load_users(self) -> dict[str, str]:
        if self._users is None:
            users = self._client.browse_resource(
                "users", fields=["id", "slug", "email"]
            )
            self._users = {}
            for user in users:
                self._users[user["slug"].lower()] = user["id"]
                self._users[str(user.get("email", "")).lower()] = user["id"]
        return self._users

    def _load_tiers(self) -> dict[str, dict[str, Any]]:
        # Ghost keeps only paid tiers on a post (measured: a free tier sent
        # with visibility tiers is dropped without an error).
        if self._tiers is None:
            tiers = self._client.browse_resource(
                "tiers", filter="type:paid+active:true"
            )
            self._tiers = {}
            for tier in tiers:
                self._tiers[tier["slug"].lower()] = tier
                self._tiers[str(tier.get("name", "")).lower()] = tier
        return self._tiers


def _unknown(
    post: LocalPost, name: str, what: str, unknown: list[str], known: list[str]
) -> InvalidFileError:
    line = post.lines.get(name)
    where = f"{post.path}:{line}" if line else post.path
    names = ", ".join(f"'{entry}'" for entry in unknown)
    return InvalidFileError(
        f"{where}: '{name}' names {what} {names} in Ghost",
        path=post.path,
        line=line,
        field=name,
        hint=f"use one of: {', '.join(known) or '(none)'}",
    )


def payload(
    item: LocalItem,
    tags: TagResolver,
    now: dt.datetime,
    refs: References,
) -> dict[str, Any]:
    """The body of a create or update for one file, in Ghost's field names."""
    post = item.post
    data: dict[str, Any] = {
        name: value
        for name, value in post.fields.items()
        if name not in ("tags", "authors", "tiers")
    }
    data["status"] = _status(post.fields, now)
    data["tags"] = _tag_references(item, tags)
    for name, found in (("authors", refs.authors(post)), ("tiers", refs.tiers(post))):
        if found is not None:
            data[name] = found

    text = post.body
    if post.body_format == "html":
        data["html"] = bodies.render_html(text)
    else:
        data["lexical"] = bodies.markdown_card_lexical(bodies.join_soft_breaks(text))
    return data


def _status(fields: dict[str, Any], now: dt.datetime) -> str:
    status = fields["status"]
    date = fields.get("published_at")
    if status == "published" and date and date > iso_utc(now):
        return "scheduled"
    return str(status)


def _tag_references(item: LocalItem, tags: TagResolver) -> list[dict[str, str]]:
    slugs = item.post.fields.get("tags") or []
    names = {slugify_tag(name): name for name in item.post.tag_names}
    return [tags.reference(names.get(slug, slug), slug) for slug in slugs]
