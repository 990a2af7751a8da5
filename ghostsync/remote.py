"""The remote side: Ghost's posts and pages read into the planner's terms, and
local posts turned into Ghost's write payloads.

The index is one paginated browse per kind with a ``fields`` filter: every
managed field and the tags, never a body. Bodies are read only for the posts
the planner asks for, a hundred at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

import ghostsync.body as bodies
from ghostsync.canonical import SiteURL, remote_canonical, remote_fields
from ghostsync.fields import index_columns
from ghostsync.planner import LocalItem, RemotePost
from ghostsync.source import iso_utc, slugify_tag

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
        for post in client.browse(kind, fields=fields, include=["tags"]):
            remote[post["id"]] = to_remote(post, kind, site)
    return remote


def fetch_bodies(
    client: Client, remote: dict[str, RemotePost], ids: set[str], site: SiteURL
) -> dict[str, RemotePost]:
    """``remote`` with the canonical payload filled in for ``ids``."""
    result = dict(remote)
    for kind in KINDS:
        wanted = sorted(i for i in ids if i in remote and remote[i].kind == kind)
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            query = "id:[" + ",".join(chunk) + "]"
            found = client.browse(
                kind, filter=query, formats=["lexical"], include=["tags"]
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
    )


class TagResolver:
    """Existing tags by slug, read once and only when a write needs them.

    Tags are matched by slug (SQLite and MySQL compare names differently), so
    an existing tag is sent by id and only a new one by name.
    """

    def __init__(self, client: ResourceReader) -> None:
        self._client = client
        self._ids: dict[str, str] | None = None

    def reference(self, name: str, slug: str) -> dict[str, str]:
        ids = self._load()
        if slug in ids:
            return {"id": ids[slug]}
        return {"name": name.strip(), "slug": slug}

    def _load(self) -> dict[str, str]:
        if self._ids is None:
            tags = self._client.browse_resource("tags", fields=["id", "slug"])
            self._ids = {tag["slug"]: tag["id"] for tag in tags}
        return self._ids


def payload(item: LocalItem, tags: TagResolver, now: dt.datetime) -> dict[str, Any]:
    """The body of a create or update for one file, in Ghost's field names."""
    post = item.post
    data: dict[str, Any] = {
        name: value for name, value in post.fields.items() if name != "tags"
    }
    data["status"] = _status(post.fields, now)
    data["tags"] = _tag_references(item, tags)

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
