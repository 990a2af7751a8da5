"""The HTTP client for Ghost's Admin API: requests, retries, errors, verification.

Reads are retried by urllib3 on 429, 502, 503, 504 and broken connections.
Writes are retried by urllib3 only when Ghost certainly did not act on them: a
429, or a connection that failed before anything was sent. A write whose
outcome is unknown (no answer, a reset, a 5xx) is checked against Ghost before
it is sent again, so a create is never duplicated and an update never
overwrites an edit made in Ghost in the meantime.
"""

from __future__ import annotations

import email.utils
import errno
import ipaddress
import json
import logging
import mimetypes
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from ghostsync import __version__
from ghostsync.errors import (
    AuthError,
    CollisionError,
    ConfigError,
    GhostAPIError,
    GhostsyncError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
    SiteError,
    UnknownOutcomeError,
    UnreachableError,
    ValidationError,
)
from ghostsync.ghost.auth import AdminKey, TokenAuth
from ghostsync.ghost.redact import protect_http_loggers, redact

log = logging.getLogger("ghostsync.http")

T = TypeVar("T")

API_PATH = "ghost/api/admin/"
PAGE_SIZE = 100
DEFAULT_ACCEPT_VERSION = "v6.0"

KINDS = {"post": "posts", "page": "pages"}
RESOURCES = {"tags", "users", "tiers", "newsletters"}
UPLOAD_ENDPOINTS = {"images", "media", "files"}

# 5xx answers to a write after which Ghost may or may not have applied it.
UNKNOWN_OUTCOME_STATUSES = {500, 502, 503, 504}
READ_RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A refused connection rarely heals within seconds: two quick retries, then fail.
CONNECT_RETRIES = 2

# A client clock behind the server by more than this is corrected in tokens.
SKEW_TOLERANCE = 3.0
# Ghost's timestamps and the Date header have one-second resolution.
CREATED_AT_MARGIN = 2.0

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class ClientOptions:
    """Timeouts, retry policy and the injectable sleep and clock."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff_factor: float = 0.5
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


@dataclass
class RequestStats:
    """What the client sent and received, for benchmarks and `-v` output.

    ``requests`` counts the client's requests; ``retries`` the extra attempts
    urllib3 made for them.
    """

    requests: int = 0
    bytes_received: int = 0
    retries: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    def count(self, method: str, received: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_received += received
            self.by_method[method] += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1


class GhostRetry(Retry):
    """urllib3's Retry with an injectable sleep and a cap on Retry-After.

    Writes are retried on 429 too (Ghost did nothing with them), and any
    failure other than a connect error counts as "maybe sent", so urllib3
    retries it for reads only.
    """

    def __init__(
        self,
        *args: Any,
        sleeper: Callable[[float], None] = time.sleep,
        max_retry_after: float = 120.0,
        on_retry: Callable[[], None] = lambda: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sleeper = sleeper
        self.max_retry_after = max_retry_after
        self.on_retry = on_retry

    @classmethod
    def from_options(
        cls, options: ClientOptions, on_retry: Callable[[], None]
    ) -> GhostRetry:
        return cls(
            total=options.retries,
            connect=min(options.retries, CONNECT_RETRIES),
            redirect=False,
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=READ_RETRY_STATUSES,
            backoff_factor=options.backoff_factor,
            raise_on_status=False,
            sleeper=options.sleep,
            max_retry_after=options.max_retry_after,
            on_retry=on_retry,
        )

    def new(self, **kw: Any) -> GhostRetry:
        retry = super().new(**kw)
        retry.sleeper = self.sleeper
        retry.max_retry_after = self.max_retry_after
        retry.on_retry = self.on_retry
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> GhostRetry:
        retry = super().increment(*args, **kwargs)
        self.on_retry()
        return retry

    def is_retry(
        self, method: str, status_code: int, has_retry_after: bool = False
    ) -> bool:
        if status_code == 429 and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)

    def _is_read_error(self, err: Exception) -> bool:
        return not self._is_connection_error(err)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def sleep_for_retry(self, response: Any) -> bool:
        seconds = self.get_retry_after(response)
        if seconds is None:
            return False
        self.sleeper(seconds)
        return True

    def _sleep_backoff(self) -> None:
        seconds = self.get_backoff_time()
        if seconds > 0:
            self.sleeper(seconds)


class _OutcomeUnknown(Exception):
    """A write may or may not have been applied; ``error`` says what happened.

    ``sent_at`` is the client's clock when the write was sent. ``error`` is
    raised when the write turns out not to have been applied.
    """

    def __init__(self, error: GhostsyncError, method: str, url: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.method = method
        self.url = url
        self.sent_at = 0.0


def normalise_admin_url(value: str) -> str:
    """The admin URL with a trailing slash; ConfigError if it cannot be used.

    A pasted API root (``…/ghost/api/admin/``) is cut back to the admin URL.
    """
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        bare = text.split("://", 1)[-1].lstrip("/")
        raise ConfigError(
            f"The Ghost admin URL {text!r} has no http(s) scheme: "
            f"write it as https://{bare}",
            hint="Use the address you open Ghost Admin at, without /ghost/.",
        )

    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"The Ghost admin URL {text!r} uses plain http://, which would send "
            "the Admin API token unencrypted: use "
            f"https://{parts.netloc}{parts.path}",
            hint="Plain http:// is allowed only for a Ghost on this machine.",
        )

    path = parts.path.rstrip("/") + "/"
    if path.endswith("/" + API_PATH):
        path = path[: -len(API_PATH)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GhostClient:
    """Ghost's Admin API for posts, pages, their references and uploads."""

    def __init__(
        self, admin_url: str, key: str, options: ClientOptions | None = None
    ) -> None:
        self.admin_url = normalise_admin_url(admin_url)
        self.options = options or ClientOptions()
        self.stats = RequestStats()
        self._api = self.admin_url + API_PATH
        self._api_path = urlsplit(self._api).path
        self._origins = {_origin(self.admin_url)}
        self._skew = 0.0
        self._auth = TokenAuth(AdminKey.parse(key), self._token_clock)
        self._session = self._make_session()
        protect_http_loggers()

    def __repr__(self) -> str:
        return f"GhostClient({self.admin_url!r})"

    def close(self) -> None:
        self._session.close()

    # -- site and key -------------------------------------------------------

    def site(self) -> dict[str, Any]:
        """The site's public description; also sets Accept-Version to its major."""
        try:
            body = self._request("GET", "site/", authenticated=False)
        except NotFoundError as error:
            raise SiteError(
                f"no Ghost Admin API at {self.admin_url}: GET /site/ answered 404",
                hint=_site_not_found_hint(self.admin_url),
            ) from error

        site: dict[str, Any] = body["site"]
        major = str(site.get("version", "")).split(".")[0]
        if major.isdigit():
            self._session.headers["Accept-Version"] = f"v{major}.0"
        if site.get("url"):
            self._origins.add(_origin(site["url"]))
        return site

    def check_auth(self) -> None:
        """One cheap authenticated read; AuthError with a hint if refused."""
        self._request("GET", "posts/", params={"limit": "1", "fields": "id"})

    # -- posts and pages ----------------------------------------------------

    def browse(
        self,
        kind: str,
        *,
        fields: list[str] | None = None,
        include: list[str] | None = None,
        formats: list[str] | None = None,
        filter: str | None = None,
        order: str = "id asc",
    ) -> Iterator[dict[str, Any]]:
        """Every post (or page) matching ``filter``, page after page."""
        params = _query(
            fields=fields, include=include, formats=formats, filter=filter, order=order
        )
        return self._paginate(_collection(kind), params)

    def read(
        self,
        kind: str,
        post_id: str,
        *,
        formats: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        """One post by id; NotFoundError if it does not exist."""
        path = f"{_collection(kind)}{quote(post_id, safe='')}/"
        return self._one(
            kind, self._get(path, _query(formats=formats, include=include))
        )

    def find_by_slug(
        self,
        kind: str,
        slug: str,
        *,
        formats: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """The post with ``slug`` in any status, or None."""
        path = f"{_collection(kind)}slug/{quote(slug, safe='')}/"
        try:
            body = self._get(path, _query(formats=formats, include=include))
        except NotFoundError:
            return None
        return self._one(kind, body)

    def create(
        self,
        kind: str,
        post: dict[str, Any],
        *,
        source_html: bool = False,
        formats: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create a post; a lost answer is checked so the post exists once."""
        path = _collection(kind)
        params = _query(formats=formats, include=include, source_html=source_html)
        body = {path.rstrip("/"): [post]}

        def send() -> dict[str, Any]:
            return self._one(kind, self._request("POST", path, params, payload=body))

        def settle(lost: _OutcomeUnknown) -> dict[str, Any] | None:
            return self._find_created(kind, post, lost.sent_at, formats, include)

        what = f"look in Ghost for a {kind} titled {post.get('title')!r}"
        return self._write("POST", path, send, settle, what)

    def update(
        self,
        kind: str,
        post_id: str,
        post: dict[str, Any],
        *,
        source_html: bool = False,
        newsletter: str | None = None,
        email_segment: str | None = None,
        formats: list[str] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, Any]:
        """Update a post; ``post["updated_at"]`` is the last value Ghost returned.

        CollisionError if the post changed in Ghost since that value. A lost
        answer is checked: the post is re-read and the write sent again only
        if Ghost did not apply it.
        """
        if not post.get("updated_at"):
            raise ValueError("an update must carry the updated_at Ghost last returned")
        path = f"{_collection(kind)}{quote(post_id, safe='')}/"
        params = _query(formats=formats, include=include, source_html=source_html)
        params.update(_query(newsletter=newsletter, email_segment=email_segment))
        body = {_collection(kind).rstrip("/"): [post]}

        def send() -> dict[str, Any]:
            return self._one(kind, self._request("PUT", path, params, payload=body))

        def settle(lost: _OutcomeUnknown) -> dict[str, Any] | None:
            formats_read = _union(formats, ["lexical"])
            relations = _union(include, _relations(post))
            current = self.read(kind, post_id, formats=formats_read, include=relations)
            if _same_instant(current.get("updated_at"), post["updated_at"]):
                return None
            if self._holds(post, current):
                return current
            raise self._lost_update_collision(kind, path)

        what = f"open the {kind} {post_id} in Ghost and compare it with the file"
        return self._write("PUT", path, send, settle, what)

    def delete(self, kind: str, post_id: str) -> None:
        """Delete a post; NotFoundError if it did not exist."""
        path = f"{_collection(kind)}{quote(post_id, safe='')}/"

        def send() -> bool:
            self._request("DELETE", path)
            return True

        def settle(lost: _OutcomeUnknown) -> bool | None:
            try:
                self._get(path, {"fields": "id"})
            except NotFoundError:
                return True
            return None

        what = f"check in Ghost whether the {kind} {post_id} still exists"
        self._write("DELETE", path, send, settle, what)

    # -- references and uploads --------------------------------------------

    def browse_resource(
        self,
        resource: str,
        *,
        fields: list[str] | None = None,
        filter: str | None = None,
        include: list[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every tag, user, tier or newsletter matching ``filter``."""
        if resource not in RESOURCES:
            raise ValueError(
                f"unknown resource {resource!r}: one of {sorted(RESOURCES)}"
            )
        params = _query(fields=fields, filter=filter, include=include)
        return self._paginate(f"{resource}/", params)

    def upload(
        self,
        endpoint: str,
        path: Path,
        *,
        ref: str | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """Upload a file to ``images``, ``media`` or ``files``; Ghost's answer item.

        Sent as multipart ``file`` (with ``content_type``, else a guess from
        the name) and ``ref``. A lost answer is followed by one more upload: at
        worst Ghost keeps an unused copy of the file, never a second post.
        """
        if endpoint not in UPLOAD_ENDPOINTS:
            raise ValueError(f"unknown upload endpoint {endpoint!r}")
        guessed = mimetypes.guess_type(path.name)[0]
        mime = content_type or guessed or "application/octet-stream"
        files = {"file": (path.name, path.read_bytes(), mime)}
        data = {"ref": ref} if ref is not None else None

        def send() -> dict[str, Any]:
            body = self._request("POST", f"{endpoint}/upload/", files=files, data=data)
            item: dict[str, Any] = body[endpoint][0]
            return item

        return self._write("POST", f"{endpoint}/upload/", send, None, "")

    def exists(self, url: str) -> bool:
        """Whether a file URL of the site answers (HEAD, redirects followed).

        Only a 404 or 410 counts as gone; any other failure is raised, so a
        site that is down never makes ghostsync upload everything again.
        """
        return self.file_size(url) is not None

    def file_size(self, url: str) -> int | None:
        """A site file's size from a HEAD (0 when not said); None when gone."""
        response = self._file_request("HEAD", url)
        if response is None:
            return None
        return int(response.headers.get("Content-Length") or 0)

    def download(self, url: str) -> bytes | None:
        """A site file's bytes (an image of a pulled post); None when gone."""
        response = self._file_request("GET", url)
        return None if response is None else response.content

    def _file_request(self, method: str, url: str) -> requests.Response | None:
        """A file of the site itself, without the Admin API's token."""
        try:
            response = self._session.request(
                method,
                url,
                timeout=(self.options.connect_timeout, self.options.read_timeout),
                allow_redirects=True,
            )
        except requests.RequestException as exc:
            raise UnreachableError(
                f"No answer from {url}: {_describe(exc, self.options.read_timeout)}",
                hint="Check that the site is up.",
                method=method,
                url=url,
            ) from None
        self.stats.count(method, len(response.content))
        log.debug("%s %s -> %s", method, url, response.status_code)
        if response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            raise GhostAPIError(
                f"{method} {url}: HTTP {response.status_code}",
                status=response.status_code,
                method=method,
                url=url,
            )
        return response

    # -- verification of writes with an unknown outcome ----------------------

    def _write(
        self,
        method: str,
        path: str,
        send: Callable[[], T],
        settle: Callable[[_OutcomeUnknown], T | None] | None,
        what: str,
    ) -> T:
        """Send a write at most twice; between the two, find out what happened.

        ``settle`` returns the result when a lost attempt took effect, None
        when it did not (so it is sent again), or raises; without ``settle``
        the write is simply sent again. ``sent_at`` of what ``settle`` gets is
        the first attempt's, so a first attempt applied late is still found.
        If finding out fails, UnknownOutcomeError says ``what`` to check.
        """
        first_sent_at: float | None = None
        for _attempt in range(2):
            try:
                return send()
            except _OutcomeUnknown as unknown:
                lost = unknown
            first_sent_at = first_sent_at or lost.sent_at
            lost.sent_at = first_sent_at
            log.warning("%s %s: %s; checking what Ghost did", method, path, lost.error)

            settled = None if settle is None else self._settle(settle, lost, what)
            if settled is not None:
                return settled
        raise lost.error

    def _settle(
        self,
        settle: Callable[[_OutcomeUnknown], T | None],
        lost: _OutcomeUnknown,
        what: str,
    ) -> T | None:
        try:
            return settle(lost)
        except (NotFoundError, CollisionError):
            raise
        except GhostsyncError as error:
            raise self._unknown_outcome(lost, error, what) from None

    def _unknown_outcome(
        self, lost: _OutcomeUnknown, error: GhostsyncError, what: str
    ) -> UnknownOutcomeError:
        return UnknownOutcomeError(
            f"{lost.method} {lost.url}: the answer was lost ({lost.error}) and "
            f"checking what Ghost did failed too ({error}); Ghost may or may not "
            "have applied it",
            method=lost.method,
            url=lost.url,
            hint=f"Before running again, {what}.",
        )

    def _lost_update_collision(self, kind: str, path: str) -> CollisionError:
        return CollisionError(
            f"PUT {path}: the {kind} changed in Ghost while the update's answer was "
            "lost, and it does not hold the values sent; it was not sent again",
            status=409,
            code="UPDATE_COLLISION",
            method="PUT",
            url=self._api_path + path,
            hint="Pull or resolve the conflict, then push again.",
        )

    def _find_created(
        self,
        kind: str,
        post: dict[str, Any],
        started: float,
        formats: list[str] | None,
        include: list[str] | None,
    ) -> dict[str, Any] | None:
        """The post a lost create made, if Ghost made it.

        Posts created since the attempt began are listed newest first; the
        lost create's has the title sent and the slug sent, or that slug with
        the ``-2`` Ghost adds when it is taken.
        """
        title = str(post.get("title", "")).strip()
        sent_slug = post.get("slug")
        slug = re.compile(rf"{re.escape(sent_slug)}(-\d+)?" if sent_slug else ".*")
        recent = self.browse(
            kind, fields=["id", "title", "slug", "created_at"], order="created_at desc"
        )
        for candidate in recent:
            since = started + self._skew - CREATED_AT_MARGIN
            if _timestamp(candidate["created_at"]) < since:
                return None
            same_title = str(candidate.get("title", "")).strip() == title
            if same_title and slug.fullmatch(candidate.get("slug", "")):
                return self.read(
                    kind, candidate["id"], formats=formats, include=include
                )
        return None

    def _holds(self, sent: dict[str, Any], current: dict[str, Any]) -> bool:
        """Whether every field sent now has the sent value in ``current``."""
        for name, value in sent.items():
            # Ghost derives html (and, in 6.x, lexical from mobiledoc) itself.
            if name in ("updated_at", "html", "mobiledoc") or name not in current:
                continue
            if name in ("tags", "authors", "tiers"):
                same = _relation_holds(value, current[name], exact=name != "tiers")
            else:
                same = self._normal(value) == self._normal(current[name])
            if not same:
                return False
        return True

    def _normal(self, value: Any) -> Any:
        """A value as compared: site URLs root-relative, dates as instants."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        for origin in self._origins:
            text = text.replace(origin + "/", "/")
        when = _parse_instant(text)
        if when is not None:
            return when
        if text.startswith("{"):
            try:
                return json.loads(text)
            except ValueError:
                return text
        return text or None

    # -- one request ---------------------------------------------------------

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._request("GET", path, params)

    def _paginate(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        key = path.split("/")[0]
        page = 1
        while True:
            query = {**params, "limit": str(PAGE_SIZE), "page": str(page)}
            body = self._get(path, query)
            yield from body[key]

            following = body.get("meta", {}).get("pagination", {}).get("next")
            if not isinstance(following, int) or following <= page:
                return
            page = following

    def _one(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """The one post of an answer; an answer without one is an error."""
        root = _collection(kind).rstrip("/")
        items = body.get(root) if isinstance(body, dict) else None
        post = items[0] if isinstance(items, list) and items else None
        if not isinstance(post, dict) or not post.get("id"):
            raise GhostAPIError(
                f"Ghost answered without the {kind}: no '{root}' item with an id",
                hint="check the site and run again; a post Ghost did create is"
                " found by the next run",
            )
        return post

    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        payload: Any = None,
        files: Any = None,
        data: Any = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request and return its JSON body; raise the typed error."""
        sent_at = self.options.clock()
        kwargs = {"json": payload, "files": files, "data": data}
        try:
            response = self._exchange(method, path, params, authenticated, kwargs)
            return self._result(method, path, response)
        except _OutcomeUnknown as unknown:
            unknown.sent_at = sent_at
            raise

    def _exchange(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        authenticated: bool,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        """One answer; a token refused as too old is sent again once.

        The second token is issued by the clock the refusal's Date header set.
        """
        response = self._send(method, path, params, authenticated, kwargs)
        if _token_too_old(response):
            log.info("Ghost found the token too old; retrying with its clock")
            response = self._send(method, path, params, authenticated, kwargs)
        return response

    def _result(self, method: str, path: str, response: requests.Response) -> Any:
        if 300 <= response.status_code < 400:
            raise self._redirect_error(method, path, response)
        if response.status_code >= 400:
            self._raise_for(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._not_json(method, path, response) from None

    def _not_json(
        self, method: str, path: str, response: requests.Response
    ) -> GhostAPIError:
        kind = response.headers.get("Content-Type", "no content type")
        return GhostAPIError(
            f"{method} {path}: HTTP {response.status_code} answered with {kind}, "
            f"not Ghost's JSON: {_excerpt(response.text) or '(empty body)'}",
            status=response.status_code,
            method=method,
            url=self._api_path + path,
            hint=f"Is {self.admin_url} the address Ghost Admin runs at?",
        )

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        authenticated: bool,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self._api + path,
                params=params,
                auth=self._auth if authenticated else None,
                timeout=(self.options.connect_timeout, self.options.read_timeout),
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            self._failed(method, path, exc, started)

        elapsed = (time.monotonic() - started) * 1000
        received = len(response.content)
        self.stats.count(method, received)
        self._note_date(response)
        log.debug(
            "%s %s -> %s (%d ms, %d bytes)",
            method,
            response.request.path_url,
            response.status_code,
            elapsed,
            received,
        )
        return response

    def _failed(
        self, method: str, path: str, exc: requests.RequestException, started: float
    ) -> NoReturn:
        """Turn a request that got no answer into UnreachableError or unknown."""
        elapsed = (time.monotonic() - started) * 1000
        cause = _describe(exc, self.options.read_timeout)
        self.stats.count(method, 0)
        log.debug(
            "%s %s%s -> no answer: %s (%d ms)",
            method,
            self._api_path,
            path,
            cause,
            elapsed,
        )

        error = UnreachableError(
            f"No answer from {self._api}{path}: {cause}",
            hint="Check the admin URL, the network and that Ghost is running.",
            method=method,
            url=self._api_path + path,
        )
        if method != "GET" and not _never_sent(exc):
            raise _OutcomeUnknown(error, method, self._api_path + path)
        raise error

    # -- errors ---------------------------------------------------------------

    def _redirect_error(
        self, method: str, path: str, response: requests.Response
    ) -> RedirectError:
        location = response.headers.get("Location", "")
        if self.admin_url.rstrip("/").endswith("/ghost"):
            return self._admin_app_redirect(method, path, response, location)
        target = location.split(API_PATH, 1)[0] if API_PATH in location else location
        return RedirectError(
            f"{method} {path}: Ghost answered {response.status_code} and redirects to "
            f"{location or 'nowhere'}; ghostsync does not follow redirects. "
            f"Configure {target} as the site's admin URL.",
            location=location,
            status=response.status_code,
            method=method,
            url=self._api_path + path,
            hint="A redirect would turn a POST into a GET and lose the post.",
        )

    def _admin_app_redirect(
        self, method: str, path: str, response: requests.Response, location: str
    ) -> RedirectError:
        """An admin URL ending in /ghost/ (copied from the browser) reaches the
        Ghost Admin app, which redirects every API path to ``/ghost/#/…``."""
        base = self.admin_url.rstrip("/").removesuffix("ghost")
        return RedirectError(
            f"no Ghost Admin API at {self.admin_url}: {method} {path} redirects "
            f"to the Ghost Admin app ({location or 'nowhere'}). Drop the trailing "
            f"/ghost/: use {base} as the admin URL.",
            location=location,
            status=response.status_code,
            method=method,
            url=self._api_path + path,
            hint=_site_not_found_hint(self.admin_url),
        )

    def _raise_for(self, method: str, path: str, response: requests.Response) -> None:
        status = response.status_code
        ghost = _ghost_error(response)
        facts: dict[str, Any] = {
            "status": status,
            "method": method,
            "url": self._api_path + path,
        }
        if ghost is None:
            error = self._proxy_error(method, path, response, facts)
        else:
            error = self._ghost_error(method, path, ghost, facts)

        if method != "GET" and status in UNKNOWN_OUTCOME_STATUSES:
            raise _OutcomeUnknown(error, method, self._api_path + path)
        raise error

    def _proxy_error(
        self,
        method: str,
        path: str,
        response: requests.Response,
        facts: dict[str, Any],
    ) -> GhostAPIError:
        excerpt = _excerpt(response.text)
        cls = _error_class(response.status_code, "", "")
        return cls(
            f"{method} {path}: HTTP {response.status_code} "
            f"{response.reason or ''}".rstrip()
            + " from a proxy or server in front of Ghost (the answer is not "
            f"Ghost's JSON): {excerpt or '(empty body)'}",
            hint="Check the proxy or hosting status; try again later.",
            **facts,
        )

    def _ghost_error(
        self,
        method: str,
        path: str,
        ghost: dict[str, Any],
        facts: dict[str, Any],
    ) -> GhostAPIError:
        kind = str(ghost.get("type") or "")
        code = str(ghost.get("code") or "")
        message = redact(str(ghost.get("message") or kind or "error"))
        context = redact(str(ghost.get("context") or ""))
        detail = (
            message if not context or context == message else f"{message} ({context})"
        )
        cls = _error_class(facts["status"], kind, code)
        ghost_facts = {
            **facts,
            "type": kind,
            "code": code,
            "context": context,
            "details": ghost.get("details"),
        }

        if cls is ValidationError:
            return _validation_error(method, path, message, context, ghost, ghost_facts)
        hint = self._hint(cls, code, f"{message} {context}")
        return cls(f"{method} {path}: {detail}", hint=hint, **ghost_facts)

    def _hint(self, cls: type[GhostAPIError], code: str, text: str) -> str:
        if cls is AuthError:
            return self._auth_hint(code, text)
        if cls is RateLimitError:
            return "Ghost or its host is rate limiting; wait and run again."
        if cls is ServerError:
            return "Ghost failed; its log says why. Try again later."
        return ""

    def _auth_hint(self, code: str, text: str) -> str:
        lowered = text.lower()
        if code == "UNKNOWN_ADMIN_API_KEY":
            return (
                "Ghost does not know this key: the key was deleted or regenerated, "
                "or it belongs to another site. Copy the Admin API key again."
            )
        if code == "INVALID_API_KEY_TYPE":
            return "This is a Content API key; use the integration's Admin API key."
        if "expired" in lowered or "maxage" in lowered:
            return (
                f"The token was too old when Ghost checked it: this computer's clock "
                f"is {abs(self._skew):.0f} s off the server's. Sync the clock (NTP)."
            )
        if "signature" in lowered:
            return "The key's secret is wrong: copy the whole Admin API key again."
        return "Check that the Admin API key belongs to this site and may do this."

    # -- session, clock -------------------------------------------------------

    def _make_session(self) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = f"ghostsync/{__version__}"
        session.headers["Accept"] = "application/json"
        session.headers["Accept-Version"] = DEFAULT_ACCEPT_VERSION
        retry = GhostRetry.from_options(self.options, self.stats.count_retry)
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _note_date(self, response: requests.Response) -> None:
        """Remember how far the server's clock is from ours."""
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        self._skew = server - self.options.clock()

    def _token_clock(self) -> float:
        """Our clock, moved forward when it is behind the server's."""
        behind = self._skew if self._skew > SKEW_TOLERANCE else 0.0
        return self.options.clock() + behind


# -- helpers ------------------------------------------------------------------


def _collection(kind: str) -> str:
    try:
        return KINDS[kind] + "/"
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}: 'post' or 'page'") from None


def _query(
    *,
    fields: list[str] | None = None,
    include: list[str] | None = None,
    formats: list[str] | None = None,
    filter: str | None = None,
    order: str | None = None,
    source_html: bool = False,
    newsletter: str | None = None,
    email_segment: str | None = None,
) -> dict[str, str]:
    lists = {"fields": fields, "include": include, "formats": formats}
    params = {name: ",".join(value) for name, value in lists.items() if value}
    texts = {
        "filter": filter,
        "order": order,
        "newsletter": newsletter,
        "email_segment": email_segment,
    }
    params.update({name: value for name, value in texts.items() if value})
    if source_html:
        params["source"] = "html"
    return params


def _union(first: list[str] | None, second: list[str]) -> list[str] | None:
    merged = list(dict.fromkeys([*(first or []), *second]))
    return merged or None


def _relations(post: dict[str, Any]) -> list[str]:
    return [name for name in ("tags", "authors", "tiers") if name in post]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _parse_instant(text: str) -> datetime | None:
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)?", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _timestamp(text: str) -> float:
    when = _parse_instant(text)
    if when is None:
        raise ValueError(f"not a Ghost timestamp: {text!r}")
    return when.timestamp()


def _same_instant(first: Any, second: Any) -> bool:
    a, b = _parse_instant(str(first)), _parse_instant(str(second))
    return a is not None and a == b


def _relation_holds(sent: Any, current: Any, *, exact: bool) -> bool:
    """Whether the tags/authors/tiers sent are the ones Ghost now has."""
    if not isinstance(sent, list) or not isinstance(current, list):
        return sent == current
    if exact and len(sent) != len(current):
        return False
    return all(any(_same_ref(ref, item) for item in current) for ref in sent)


def _same_ref(ref: Any, item: dict[str, Any]) -> bool:
    if isinstance(ref, str):
        ref = {"email": ref} if "@" in ref else {"name": ref}
    if not isinstance(ref, dict):
        return False
    keys = [name for name in ("id", "slug", "name", "email") if ref.get(name)]
    return bool(keys) and all(
        str(ref[name]).lower() == str(item.get(name, "")).lower() for name in keys
    )


def _token_too_old(response: requests.Response) -> bool:
    if response.status_code != 401:
        return False
    ghost = _ghost_error(response) or {}
    message = str(ghost.get("message", "")).lower()
    return ghost.get("code") == "INVALID_JWT" and (
        "expired" in message or "maxage" in message
    )


def _ghost_error(response: requests.Response) -> dict[str, Any] | None:
    """The first item of Ghost's ``errors`` list, or None if it is not Ghost's."""
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    return None


_AUTH_CODES = {"INVALID_JWT", "MISSING_ADMIN_API_KID", "INVALID_AUTH_HEADER"}


def _error_class(status: int, kind: str, code: str) -> type[GhostAPIError]:
    if status in (401, 403) or code in _AUTH_CODES:
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 409 and (code == "UPDATE_COLLISION" or kind == "UpdateCollisionError"):
        return CollisionError
    if status in (400, 413, 415, 422):
        return ValidationError
    if status == 429:
        return RateLimitError
    if status == 501:
        return GhostAPIError  # an endpoint this kind of key may not use
    if status >= 500:
        return ServerError
    return GhostAPIError


def _validation_error(
    method: str,
    path: str,
    message: str,
    context: str,
    ghost: dict[str, Any],
    facts: dict[str, Any],
) -> ValidationError:
    """A 422 that names the field and, when Ghost states one, its limit."""
    text = f"{message} {context}"
    name = _field_name(ghost, text)
    limit = re.search(r"maximum length of (\d+)", text)
    explanation = _ajv_message(ghost) or context or message
    # Ghost's length errors end by repeating the column: "… characters. posts.title"
    explanation = re.sub(r"(\[(\w+\.\w+)\].*?)\s+\2$", r"\1", explanation)

    words = f"{method} {path}: Ghost rejected "
    words += f"the field {name!r}: " if name else "the request: "
    words += explanation.rstrip(".")
    if limit:
        words += f" (Ghost's limit for {name or 'it'} is {limit.group(1)} characters)"
    return ValidationError(words, property=name, **facts)


def _field_name(ghost: dict[str, Any], text: str) -> str:
    """The offending field, from Ajv details, ``property`` or ``[table.field]``."""
    details = ghost.get("details")
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, dict):
            continue
        missing = (item.get("params") or {}).get("missingProperty")
        if missing:
            return str(missing)
        pointer = str(item.get("instancePath") or item.get("dataPath") or "")
        tail = pointer.replace(".", "/").rstrip("/").rsplit("/", 1)[-1]
        if tail and not tail.isdigit():
            return tail

    prop = str(ghost.get("property") or "")
    if prop and not prop.isdigit():
        return prop.rsplit(".", 1)[-1]
    bracketed = re.search(r"\[\w+\.(\w+)\]", text)
    return bracketed.group(1) if bracketed else ""


def _ajv_message(ghost: dict[str, Any]) -> str:
    details = ghost.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("message") or "")
    return ""


def _excerpt(text: str, size: int = 160) -> str:
    """The readable start of an HTML or text body."""
    plain = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    plain = re.sub(r"<[^>]+>", " ", plain)
    plain = " ".join(plain.split())
    if len(plain) > size:
        plain = plain[: size - 1] + "…"
    return redact(plain)


def _site_not_found_hint(admin_url: str) -> str:
    if admin_url.rstrip("/").endswith("/ghost"):
        return "Drop the trailing /ghost/: the admin URL is the address before it."
    return "Is this the address of a Ghost site (the one Ghost Admin runs at)?"


def _root_cause(exc: BaseException) -> BaseException:
    """The urllib3 error under a requests exception."""
    reason: BaseException = exc
    for _ in range(4):
        inner = reason.args[0] if reason.args else None
        if isinstance(reason, MaxRetryError) and reason.reason is not None:
            inner = reason.reason
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return reason


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed while connecting, before any byte was sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    return isinstance(_root_cause(exc), ConnectTimeoutError)


def _describe(exc: requests.RequestException, read_timeout: float) -> str:
    """A short cause for a request that got no answer."""
    root = _root_cause(exc)
    if isinstance(root, NameResolutionError):
        return "the host name does not resolve"
    if isinstance(root, NewConnectionError):
        refused = (
            "refused" in str(root).lower()
            or getattr(root, "errno", None) == errno.ECONNREFUSED
        )
        return "the connection was refused" if refused else "cannot connect"
    if isinstance(exc, requests.ConnectTimeout) or isinstance(
        root, ConnectTimeoutError
    ):
        return "connecting timed out"
    if isinstance(exc, requests.ReadTimeout) or isinstance(root, ReadTimeoutError):
        return f"no answer within {read_timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    return "the connection broke before an answer arrived"
