"""A fake Ghost Admin API on loopback, with faults on demand.

It serves only what ghostsync calls, in the shapes Ghost 6.65 uses (see
``/work/shared/ghost-local/samples``): the site, posts and pages (browse, read,
add, edit with the collision check, delete), tags, users, tiers, newsletters
and uploads. Tokens are checked the way Ghost checks them. Tests inject faults
(a status, a reset, a late answer, a redirect) by request index or by method
and path, move the server's clock, and read back every request it received.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest

API = "/ghost/api/admin/"
VERSION = "6.65"
MAX_LIMIT = 100
DEFAULT_LIMIT = 15
TOKEN_MAX_AGE = 300
TITLE_MAX = 255

# Columns of Ghost's posts table a client can write; a change to one of them
# (or to the tags) is what the collision check looks at.
POST_COLUMNS = {
    "title": None,
    "slug": None,
    "lexical": None,
    "mobiledoc": None,
    "feature_image": None,
    "featured": False,
    "status": "draft",
    "visibility": "public",
    "published_at": None,
    "custom_excerpt": None,
    "codeinjection_head": None,
    "codeinjection_foot": None,
    "custom_template": None,
    "canonical_url": None,
}
# Stored in posts_meta: not seen by the collision check.
META_FIELDS = dict.fromkeys(
    [
        "og_image",
        "og_title",
        "og_description",
        "twitter_image",
        "twitter_title",
        "twitter_description",
        "meta_title",
        "meta_description",
        "feature_image_alt",
        "feature_image_caption",
    ]
)
POST_ONLY = {"email_subject": None, "email_only": False}
PAGE_ONLY = {"show_title_and_feature_image": True}
FORMATS = ("html", "lexical", "mobiledoc")
RELATIONS = {"tags": "primary_tag", "authors": "primary_author", "tiers": ""}
# Per upload endpoint: the file it takes (for messages) and its extensions.
UPLOADS: dict[str, tuple[str, set[str] | None]] = {
    "images": ("image", {".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp"}),
    "media": ("media file", {".mp4", ".webm", ".ogv", ".mp3", ".wav", ".ogg"}),
    "files": ("file", None),
}
BLANK_LEXICAL = (
    '{"root":{"children":[{"children":[],"direction":null,"format":"",'
    '"indent":0,"type":"paragraph","version":1}],"direction":null,"format":"",'
    '"indent":0,"type":"root","version":1}}'
)


@dataclass
class Recorded:
    """One request as the fake received it (headers exactly as sent)."""

    index: int
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    """What to do instead of (or besides) answering a matching request.

    ``kind`` is ``status`` (answer ``status`` without acting, or after acting
    when ``apply``), ``reset`` (close the connection without an answer; after
    acting when ``apply``), ``delay`` (act, wait ``delay`` seconds, answer) or
    ``redirect`` (301 to ``location``). A fault matches a request when ``at``
    (the request index), ``method`` and ``path`` (a regex searched in the path
    after ``/ghost/api/admin/``, or a predicate) all fit; it fires ``times``.
    ``body`` replaces the status answer's JSON; ``on_fire`` runs when the
    fault fires, e.g. an edit made in Ghost at that moment.
    """

    kind: str
    method: str | None = None
    path: str | Callable[[str], bool] | None = None
    at: int | None = None
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    html: bool = False
    apply: bool = False
    delay: float = 0.0
    location: str = ""
    body: Any = None
    on_fire: Callable[[], None] | None = None
    fired: int = 0

    def matches(self, index: int, method: str, path: str) -> bool:
        if self.fired >= self.times:
            return False
        if self.at is not None and self.at != index:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.path is None:
            return True
        if callable(self.path):
            return self.path(path)
        return re.search(self.path, path) is not None


class Reply(Exception):
    """An answer to send: raised anywhere while handling a request."""

    def __init__(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def ghost_error(
    status: int,
    kind: str,
    message: str,
    *,
    context: str | None = None,
    code: str | None = None,
    details: Any = None,
    prop: str | None = None,
) -> Reply:
    """Ghost's error JSON (mw-error-handler's shape)."""
    item = {
        "message": message,
        "context": context,
        "type": kind,
        "details": details,
        "property": prop,
        "help": None,
        "code": code,
        "id": str(uuid.uuid4()),
        "ghostErrorCode": None,
    }
    return Reply(status, {"errors": [item]})


def stamp(moment: float) -> str:
    """A Ghost timestamp: one-second resolution, ``…000Z``."""
    whole = datetime.fromtimestamp(math.floor(moment), UTC)
    return whole.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_stamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def slugify(text: str) -> str:
    """Ghost-like slug cleaning: lower case, ASCII words joined by hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug[:185].strip("-")


class FakeGhost:
    """The fake's state and behaviour; ``start`` serves it on 127.0.0.1."""

    def __init__(self) -> None:
        self.key_id = secrets.token_hex(12)
        self.secret = secrets.token_hex(32)
        self.content_key_id = secrets.token_hex(12)
        self.clock_offset = 0.0
        self.version = VERSION
        self.posts: dict[str, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {}
        self.uploads: set[str] = set()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.owner = self._user("Test Owner", "owner", "owner@example.com")
        self.users = {self.owner["id"]: self.owner}
        self.tiers = self._tiers()
        self.newsletters = self._newsletters()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle and test helpers -----------------------------------------

    @property
    def key(self) -> str:
        return f"{self.key_id}:{self.secret}"

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> FakeGhost:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        serve = lambda: server.serve_forever(poll_interval=0.02)  # noqa: E731
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def now(self) -> float:
        """The server's clock: the real one moved by ``clock_offset``."""
        return time.time() + self.clock_offset

    def inject(self, kind: str, **options: Any) -> Fault:
        """Add a fault (see :class:`Fault` for the options)."""
        fault = Fault(kind, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def store(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.posts if kind == "post" else self.pages

    def writes(self) -> list[Recorded]:
        """The requests that were not reads."""
        return [r for r in self.requests if r.method != "GET"]

    def edit(self, kind: str, post_id: str, **changes: Any) -> dict[str, Any]:
        """An edit made in Ghost Admin, in a later second than the last write."""
        with self.lock:
            post = self.store(kind)[post_id]
            post.update(changes)
            previous = parse_stamp(post["updated_at"])
            assert previous is not None
            later = max(self.now(), previous.timestamp() + 1)
            post["updated_at"] = stamp(later)
            return post

    # -- request handling -----------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        request = self._record(handler)
        fault = self._fault_for(request)
        if fault is not None and fault.kind == "reset" and not fault.apply:
            handler.reset()
            return

        reply = self._reply_to(request, fault)
        if fault is not None and fault.kind == "reset":
            handler.reset()
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
        handler.answer(reply)

    def _record(self, handler: _Handler) -> Recorded:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            request = Recorded(
                index=len(self.requests),
                method=handler.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=dict(handler.headers.items()),
                body=body,
            )
            self.requests.append(request)
        return request

    def _fault_for(self, request: Recorded) -> Fault | None:
        relative = request.path.removeprefix(API)
        with self.lock:
            for fault in self.faults:
                if fault.matches(request.index, request.method, relative):
                    fault.fired += 1
                    break
            else:
                return None
        if fault.on_fire is not None:
            fault.on_fire()
        return fault

    def _reply_to(self, request: Recorded, fault: Fault | None) -> Reply:
        if fault is not None and fault.kind == "redirect":
            location = fault.location or "https://admin.example.test" + request.path
            return Reply(301, None, {"Location": location})
        if fault is not None and fault.kind == "status" and not fault.apply:
            return _fault_reply(fault)

        try:
            reply = self._route(request)
        except Reply as raised:
            reply = raised
        if fault is not None and fault.kind == "status":
            return _fault_reply(fault)
        return reply

    def _route(self, request: Recorded) -> Reply:
        if not request.path.startswith(API):
            raise ghost_error(404, "NotFoundError", "Resource not found")
        path = request.path.removeprefix(API)
        if path == "site/" and request.method == "GET":
            return Reply(200, {"site": self._site()})

        self._authenticate(request)
        for method, pattern, action in _ROUTES:
            found = re.fullmatch(pattern, path)
            if found and method == request.method:
                return action(self, request, *found.groups())
        raise ghost_error(404, "NotFoundError", "Resource not found")

    # -- authentication (Ghost's api-key/admin.js rules) ----------------------

    def _authenticate(self, request: Recorded) -> None:
        header = request.headers.get("Authorization")
        if not header:
            raise ghost_error(
                403,
                "NoPermissionError",
                "Authorization failed",
                context="Unable to determine the authenticated user or integration.",
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "ghost" or not token:
            raise ghost_error(
                401,
                "UnauthorizedError",
                'Authorization header format is "Authorization: Ghost [token]"',
                code="INVALID_AUTH_HEADER",
            )
        self._check_token(token)

    def _check_token(self, token: str) -> None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise ghost_error(
                400, "BadRequestError", "Invalid token", code="INVALID_JWT"
            ) from None
        kid = header.get("kid")
        if not kid:
            raise ghost_error(
                400,
                "BadRequestError",
                "Admin API kid missing.",
                code="MISSING_ADMIN_API_KID",
            )
        if kid == self.content_key_id:
            raise _unauthorized("Invalid API Key type", "INVALID_API_KEY_TYPE")
        if kid != self.key_id:
            raise _unauthorized("Unknown Admin API Key", "UNKNOWN_ADMIN_API_KEY")

        problem = self._token_problem(token)
        if problem:
            raise _unauthorized(f"Invalid token: {problem}", "INVALID_JWT")

    def _token_problem(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                bytes.fromhex(self.secret),
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidAlgorithmError:
            return "invalid algorithm"
        except jwt.InvalidSignatureError:
            return "invalid signature"
        except jwt.PyJWTError:
            return "jwt malformed"

        now = math.floor(self.now())
        if not re.search(r"/?admin/?$", str(claims.get("aud", ""))):
            return r"jwt audience invalid. expected: /\/?admin\/?$/"
        if "exp" in claims and now >= claims["exp"]:
            return "jwt expired"
        if not isinstance(claims.get("iat"), int | float):
            return "iat required when maxAge is specified"
        if now > claims["iat"] + TOKEN_MAX_AGE:
            return "maxAge exceeded"
        return ""

    # -- posts and pages ------------------------------------------------------

    def browse_posts(self, request: Recorded, collection: str) -> Reply:
        kind = _kind(collection)
        with self.lock:
            items = [dict(p) for p in self.store(kind).values()]
        items = _filtered(items, request.param("filter"))
        items = _ordered(items, request.param("order") or "updated_at desc,id desc")
        page, meta = _page(items, request)
        body = [self._render(kind, p, request) for p in page]
        return Reply(200, {collection: body, "meta": meta})

    def read_post(self, request: Recorded, collection: str, post_id: str) -> Reply:
        kind = _kind(collection)
        post = self.store(kind).get(post_id)
        if post is None:
            raise _not_found(kind, "read")
        return Reply(200, {collection: [self._render(kind, post, request)]})

    def read_by_slug(self, request: Recorded, collection: str, slug: str) -> Reply:
        kind = _kind(collection)
        for post in list(self.store(kind).values()):
            if post["slug"] == unquote(slug):
                return Reply(200, {collection: [self._render(kind, post, request)]})
        raise _not_found(kind, "read")

    def add_post(self, request: Recorded, collection: str) -> Reply:
        kind = _kind(collection)
        data = _input(request, collection, kind, "save")
        if "title" not in data:
            raise _missing(kind, "save", "title")
        source_html = request.param("source") == "html"
        with self.lock:
            post = self._new_post(kind, data, source_html)
            self.store(kind)[post["id"]] = post
        location = {"Location": f"{API}{collection}/{post['id']}/"}
        return Reply(201, {collection: [self._render(kind, post, request)]}, location)

    def edit_post(self, request: Recorded, collection: str, post_id: str) -> Reply:
        kind = _kind(collection)
        data = _input(request, collection, kind, "edit")
        if "updated_at" not in data:
            raise _missing(kind, "edit", "updated_at")
        with self.lock:
            post = self.store(kind).get(post_id)
            if post is None:
                raise _not_found(kind, "edit")
            self._edit(kind, post, data, request.param("source") == "html")
        return Reply(200, {collection: [self._render(kind, post, request)]})

    def delete_post(self, request: Recorded, collection: str, post_id: str) -> Reply:
        kind = _kind(collection)
        with self.lock:
            if self.store(kind).pop(post_id, None) is None:
                raise _not_found(kind, "delete")
        return Reply(204)

    def _new_post(
        self, kind: str, data: dict[str, Any], source_html: bool
    ) -> dict[str, Any]:
        now = stamp(self.now())
        post_id = self._new_id()
        post: dict[str, Any] = {
            "id": post_id,
            "uuid": str(uuid.uuid4()),
            **POST_COLUMNS,
            **META_FIELDS,
            **(PAGE_ONLY if kind == "page" else POST_ONLY),
            "lexical": BLANK_LEXICAL,
            "html": "",
            "comment_id": post_id,
            "created_at": now,
            "updated_at": now,
            "frontmatter": None,
            "tags": [],
            "authors": [self.owner],
        }
        self._apply(kind, post, data, source_html)
        post["slug"] = self._unique_slug(
            kind, slugify(data.get("slug") or post["title"]) or "untitled", post_id
        )
        return post

    def _edit(
        self, kind: str, post: dict[str, Any], data: dict[str, Any], source_html: bool
    ) -> None:
        candidate = dict(post)
        self._apply(kind, candidate, data, source_html)
        if "slug" in data:
            slug = slugify(data["slug"])
            candidate["slug"] = self._unique_slug(kind, slug, post["id"])

        changed = [name for name in POST_COLUMNS if candidate[name] != post[name]]
        if _tag_ids(candidate) != _tag_ids(post):
            changed.append("tags")
        stale = parse_stamp(data["updated_at"]) != parse_stamp(post["updated_at"])
        if changed and stale:
            raise _collision(changed)

        if candidate != post:
            candidate["updated_at"] = max(stamp(self.now()), post["updated_at"])
        post.update(candidate)

    def _apply(
        self, kind: str, post: dict[str, Any], data: dict[str, Any], source_html: bool
    ) -> None:
        """Copy the writable fields of ``data`` onto ``post``, as Ghost does."""
        writable = {**POST_COLUMNS, **META_FIELDS}
        writable.update(PAGE_ONLY if kind == "page" else POST_ONLY)
        for name in writable:
            if name in data and name not in ("slug", "title"):
                post[name] = data[name]
        if "title" in data:
            post["title"] = str(data["title"]).strip() or "(Untitled)"
        if source_html and data.get("html"):
            post["html"] = data["html"]
            post["lexical"] = _html_card(data["html"])
        if "tags" in data:
            post["tags"] = self._tags_for(data["tags"])
        if "authors" in data:
            post["authors"] = self._authors_for(data["authors"])
        if post.get("status") in ("published", "sent") and not post["published_at"]:
            post["published_at"] = stamp(self.now())

    def _unique_slug(self, kind: str, slug: str, post_id: str) -> str:
        taken = {p["slug"] for p in self.store(kind).values() if p["id"] != post_id}
        candidate, number = slug, 2
        while candidate in taken:
            candidate, number = f"{slug}-{number}", number + 1
        return candidate

    def _new_id(self) -> str:
        """An ObjectId-like id: creation time first, so ids sort by age."""
        return f"{int(self.now()):08x}{next(self._ids):016x}"

    def _tags_for(self, entries: list[Any]) -> list[dict[str, Any]]:
        tags: list[dict[str, Any]] = []
        for entry in entries:
            ref = {"name": entry} if isinstance(entry, str) else dict(entry)
            tag = self._find_tag(ref) or self._new_tag(ref)
            if all(t["id"] != tag["id"] for t in tags):
                tags.append(tag)
        return tags

    def _find_tag(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if ref.get("id"):
            return self.tags.get(ref["id"])
        for tag in self.tags.values():
            same_name = "name" not in ref or tag["name"].lower() == ref["name"].lower()
            same_slug = "slug" not in ref or tag["slug"] == slugify(ref["slug"])
            if same_name and same_slug:
                return tag
        return None

    def _new_tag(self, ref: dict[str, Any]) -> dict[str, Any]:
        name = str(ref.get("name") or ref.get("slug"))
        internal = name.startswith("#")
        slug = slugify(ref.get("slug") or name)
        now = stamp(self.now())
        tag = {
            "id": self._new_id(),
            "name": name,
            "slug": f"hash-{slug}" if internal else slug,
            "description": None,
            "visibility": "internal" if internal else "public",
            "created_at": now,
            "updated_at": now,
        }
        self.tags[str(tag["id"])] = tag
        return tag

    def _authors_for(self, entries: list[Any]) -> list[dict[str, Any]]:
        if not entries:
            raise ghost_error(
                422, "ValidationError", "At least one author is required."
            )
        authors = []
        for entry in entries:
            ref = {"email": entry} if isinstance(entry, str) else entry
            authors.append(self._find_user(ref) or self.owner)
        return authors

    def _find_user(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        for key in ("id", "slug", "email"):
            if ref.get(key):
                for user in self.users.values():
                    if user[key] == ref[key]:
                        return user
                return None
        return None

    def _render(
        self, kind: str, post: dict[str, Any], request: Recorded
    ) -> dict[str, Any]:
        """A post as Ghost answers: formats, fields and relations as asked.

        Without ``include`` and ``fields`` the relations come along; with
        ``fields`` only those columns (and the included relations) do.
        """
        formats = _csv(request.param("formats")) or ["mobiledoc", "lexical"]
        fields = _csv(request.param("fields"))
        include = _csv(request.param("include"))
        if not include and not fields:
            include = ["tags", "authors", "tiers"]

        out = {k: v for k, v in post.items() if k not in FORMATS or k in formats}
        out.update(url=f"{self.url}p/{post['uuid']}/", excerpt=post["custom_excerpt"])
        out.update(tiers=[], primary_tag=_primary_tag(post))
        out["primary_author"] = post["authors"][0]

        for relation, primary in RELATIONS.items():
            if relation not in include:
                out.pop(relation, None)
                out.pop(primary, None)
        if fields:
            out = {k: v for k, v in out.items() if k in fields or k in include}
        return out

    # -- other resources and uploads ------------------------------------------

    def browse_resource(self, request: Recorded, resource: str) -> Reply:
        items = {
            "tags": lambda: list(self.tags.values()),
            "users": lambda: list(self.users.values()),
            "tiers": lambda: self.tiers,
            "newsletters": lambda: self.newsletters,
        }[resource]()
        with self.lock:
            items = _filtered([dict(i) for i in items], request.param("filter"))
        page, meta = _page(items, request)
        fields = _csv(request.param("fields"))
        if fields:
            page = [{k: v for k, v in i.items() if k in fields} for i in page]
        return Reply(200, {resource: page, "meta": meta})

    def upload(self, request: Recorded, endpoint: str) -> Reply:
        parts = _multipart(request)
        upload = parts.get("file")
        noun, allowed = UPLOADS[endpoint]
        if upload is None or not upload[0]:
            article = "an" if noun[0] in "aeiou" else "a"
            raise ghost_error(
                422, "ValidationError", f"Please select {article} {noun}."
            )
        name = upload[0]
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if allowed is not None and extension not in allowed:
            message = f"Please select a valid {noun}."
            raise ghost_error(415, "UnsupportedMediaTypeError", message)

        with self.lock:
            url = self._stored_url(endpoint, name)
        ref = parts.get("ref", (None, b""))[1].decode() or None
        item: dict[str, Any] = {"url": url, "ref": ref}
        if endpoint == "media":
            item = {"url": url, "thumbnail_url": None, "ref": ref}
        return Reply(201, {endpoint: [item]})

    def _stored_url(self, endpoint: str, name: str) -> str:
        folder = datetime.fromtimestamp(self.now(), UTC).strftime("%Y/%m")
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, number = name, 1
        while f"{folder}/{candidate}" in self.uploads:
            candidate = f"{stem}-{number}{dot}{extension}"
            number += 1
        self.uploads.add(f"{folder}/{candidate}")
        return f"{self.url}content/{endpoint}/{folder}/{candidate}"

    # -- fixtures of the site -------------------------------------------------

    def _site(self) -> dict[str, Any]:
        return {
            "title": "Fake Ghost",
            "description": "A fake Ghost for ghostsync's tests.",
            "logo": None,
            "icon": None,
            "cover_image": None,
            "accent_color": "#FF1A75",
            "locale": "en",
            "timezone": "Etc/UTC",
            "url": self.url,
            "version": self.version,
            "allow_external_signup": True,
            "site_uuid": "00000000-0000-4000-8000-00000000fa4e",
        }

    def _user(self, name: str, slug: str, email: str) -> dict[str, Any]:
        now = stamp(self.now())
        return {
            "id": self._new_id(),
            "name": name,
            "slug": slug,
            "email": email,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }

    def _tiers(self) -> list[dict[str, Any]]:
        free = {"name": "Free", "slug": "free", "type": "free", "active": True}
        paid = {
            "name": "Fake Ghost",
            "slug": "default-product",
            "type": "paid",
            "active": True,
        }
        return [{"id": self._new_id(), **tier} for tier in (free, paid)]

    def _newsletters(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self._new_id(),
                "name": "Fake Ghost",
                "slug": "default-newsletter",
                "status": "active",
            }
        ]


# -- request parsing and Ghost's answers ------------------------------------


def _kind(collection: str) -> str:
    return "post" if collection == "posts" else "page"


def _input(
    request: Recorded, collection: str, kind: str, action: str
) -> dict[str, Any]:
    """The one object of a ``{"posts": [{…}]}`` body, validated like Ghost."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise ghost_error(
            400,
            "InternalServerError",
            "An unexpected error occurred, please try again.",
            context="Unexpected token in JSON",
        ) from None
    items = body.get(collection) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise _missing(kind, action, collection, pointer="")
    data: dict[str, Any] = items[0]

    if len(str(data.get("title", ""))) > TITLE_MAX:
        raise ghost_error(
            422,
            "ValidationError",
            f"Validation error, cannot {action} {kind}.",
            context=f"Value in [posts.title] exceeds maximum length of {TITLE_MAX} "
            "characters. posts.title",
        )
    return data


def _missing(kind: str, action: str, name: str, pointer: str = "/posts/0") -> Reply:
    return ghost_error(
        422,
        "ValidationError",
        f"Validation error, cannot {action} {kind}.",
        context="Validation failed for 0.",
        details=[
            {
                "instancePath": pointer,
                "schemaPath": "#/properties/posts/items/required",
                "keyword": "required",
                "params": {"missingProperty": name},
                "message": f"must have required property '{name}'",
            }
        ],
        prop="0",
    )


def _not_found(kind: str, action: str) -> Reply:
    return ghost_error(
        404,
        "NotFoundError",
        f"Resource not found error, cannot {action} {kind}.",
        context=f"{kind.capitalize()} not found.",
    )


def _unauthorized(message: str, code: str) -> Reply:
    return ghost_error(401, "UnauthorizedError", message, code=code)


def _collision(changed: list[str]) -> Reply:
    """Ghost 6.65's exact 409 body (its timestamps come back as ``{}``)."""
    message = "Saving failed! Someone else is editing this post."
    return ghost_error(
        409,
        "UpdateCollisionError",
        message,
        context=message,
        code="UPDATE_COLLISION",
        details={
            "changedFields": changed,
            "clientUpdatedAt": {},
            "serverUpdatedAt": {},
        },
    )


def _fault_reply(fault: Fault) -> Reply:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
    if fault.body is not None:
        return Reply(fault.status, fault.body, headers)
    if fault.html:
        title = f"{fault.status} Gateway Time-out"
        page = (
            f"<html><head><title>{title}</title></head><body><center><h1>{title}"
            "</h1></center><hr><center>nginx</center></body></html>"
        )
        return Reply(fault.status, page, {**headers, "Content-Type": "text/html"})
    if fault.status == 429:
        error = ghost_error(429, "TooManyRequestsError", "Too many requests")
    else:
        message = "An unexpected error occurred, please try again."
        error = ghost_error(fault.status, "InternalServerError", message)
    return Reply(fault.status, error.body, headers)


def _html_card(html: str) -> str:
    card = {"type": "html", "version": 1, "html": html}
    return json.dumps({"root": {"children": [card], "type": "root", "version": 1}})


def _filtered(items: list[dict[str, Any]], nql: str | None) -> list[dict[str, Any]]:
    """Items matching a small NQL subset: ``a:x``, ``a:[x,y]``, joined by ``+``."""
    if not nql:
        return items
    for clause in nql.split("+"):
        name, _, raw = clause.partition(":")
        if not raw:
            raise ghost_error(400, "BadRequestError", "Error parsing filter")
        wanted = _nql_values(raw)
        items = [i for i in items if _nql_text(i.get(name.strip())) in wanted]
    return items


def _nql_values(raw: str) -> set[str]:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        return {_unquote(v) for v in raw[1:-1].split(",")}
    return {_unquote(raw)}


def _unquote(value: str) -> str:
    return value.strip().strip("'\"")


def _nql_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ordered(items: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """Sorted by ``field asc|desc, …``: one stable sort per clause, last first."""
    for clause in reversed(order.split(",")):
        name, _, direction = clause.strip().partition(" ")
        descending = direction.strip().lower() == "desc"
        items = sorted(items, key=_sort_key(name), reverse=descending)
    return items


def _sort_key(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda item: str(item.get(name) or "")


def _csv(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def _tag_ids(post: dict[str, Any]) -> list[str]:
    return [tag["id"] for tag in post["tags"]]


def _primary_tag(post: dict[str, Any]) -> dict[str, Any] | None:
    public = (t for t in post["tags"] if t["visibility"] == "public")
    return next(public, None)


def _page(
    items: list[dict[str, Any]], request: Recorded
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One page and ``meta``, with Ghost 6's cap of 100."""
    raw = request.param("limit")
    if raw is None or raw == "0":
        limit = DEFAULT_LIMIT
    elif raw.isdigit():
        limit = min(int(raw), MAX_LIMIT)
    else:
        limit = MAX_LIMIT
    page = int(request.param("page") or 1)
    pages = max(1, math.ceil(len(items) / limit))
    meta = {
        "pagination": {
            "page": page,
            "limit": limit,
            "pages": pages,
            "total": len(items),
            "next": page + 1 if page < pages else None,
            "prev": page - 1 if page > 1 else None,
        }
    }
    return items[(page - 1) * limit : page * limit], meta


def _multipart(request: Recorded) -> dict[str, tuple[str, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, bytes)."""
    head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head.encode() + request.body)
    parts: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        parts[str(name)] = (part.get_filename() or "", data)
    return parts


_ROUTES: list[tuple[str, str, Callable[..., Reply]]] = [
    ("GET", r"(posts|pages)/", FakeGhost.browse_posts),
    ("GET", r"(posts|pages)/slug/([^/]+)/", FakeGhost.read_by_slug),
    ("GET", r"(posts|pages)/([0-9a-f]{24})/", FakeGhost.read_post),
    ("POST", r"(posts|pages)/", FakeGhost.add_post),
    ("PUT", r"(posts|pages)/([0-9a-f]{24})/", FakeGhost.edit_post),
    ("DELETE", r"(posts|pages)/([0-9a-f]{24})/", FakeGhost.delete_post),
    ("GET", r"(tags|users|tiers|newsletters)/", FakeGhost.browse_resource),
    ("POST", r"(images|media|files)/upload/", FakeGhost.upload),
]


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the FakeGhost; writes its Reply."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeGhost"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        fake: FakeGhost = self.server.fake  # type: ignore[attr-defined]
        try:
            fake.handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def date_time_string(self, timestamp: float | None = None) -> str:
        fake: FakeGhost = self.server.fake  # type: ignore[attr-defined]
        return formatdate(fake.now() if timestamp is None else timestamp, usegmt=True)

    def answer(self, reply: Reply) -> None:
        body = reply.body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            content_type = "application/json; charset=utf-8"
        else:
            data = (body or "").encode()
            content_type = reply.headers.pop("Content-Type", "text/plain")
        self.send_response(reply.status)
        fake: FakeGhost = self.server.fake  # type: ignore[attr-defined]
        self.send_header("Content-Version", f"v{fake.version}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reset(self) -> None:
        """Drop the connection with a TCP reset and no answer."""
        linger = struct.pack("ii", 1, 0)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``requests`` instead."""


@pytest.fixture
def fake_ghost() -> Iterator[FakeGhost]:
    """A started FakeGhost, stopped after the test."""
    fake = FakeGhost().start()
    yield fake
    fake.stop()
