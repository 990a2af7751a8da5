"""Uploading a post's local files once, and the URLs its references become.

The state's upload cache maps each file's endpoint and content hash to the URL
Ghost returned, kept site-relative (``__GHOST_URL__/content/...``), so a file
is uploaded once across runs, machines and CI, and a new port or domain keeps
the cache valid. A changed file has a new hash and is uploaded again. Only
posts about to be written have their files uploaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ghostsync import refs
from ghostsync.canonical import PLACEHOLDER, SiteURL
from ghostsync.errors import GhostAPIError
from ghostsync.planner import LocalItem
from ghostsync.state import State, Upload

log = logging.getLogger(__name__)


class Client(Protocol):
    """The part of :class:`ghostsync.ghost.client.GhostClient` used here."""

    def upload(
        self,
        endpoint: str,
        path: Path,
        *,
        ref: str | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]: ...


def absolute(url: str, site: SiteURL) -> str:
    """A cached URL with the site's current origin in place of the placeholder."""
    if url.startswith(PLACEHOLDER) and site.base:
        return site.base + url[len(PLACEHOLDER) :]
    return url


def known_urls(
    item: LocalItem,
    uploads: dict[str, Upload],
    post_urls: dict[str, str],
    site: SiteURL,
) -> dict[str, str] | None:
    """Each reference's URL from the cache and Ghost's post URLs; None if one
    is not known yet (a file not uploaded, a linked post not in Ghost)."""
    urls = {}
    for ref in item.refs:
        if ref.endpoint == refs.POST:
            url = post_urls.get(ref.path)
        else:
            upload = uploads.get(ref.key)
            url = absolute(upload.url, site) if upload else None
        if not url:
            return None
        urls[ref.target] = url
    return urls


def content_type(path: str, endpoint: str) -> str | None:
    """The MIME type Ghost expects for an image or media file (files: any)."""
    suffix = Path(path).suffix.lower()
    if endpoint == "images":
        return refs.IMAGE_TYPES.get(suffix)
    if endpoint == "media":
        return refs.MEDIA_TYPES.get(suffix)
    return None


@dataclass
class Uploader:
    """Uploads what a post needs and answers the URLs of its references."""

    client: Client
    state: State
    root: Path
    site: SiteURL
    post_urls: dict[str, str] = field(default_factory=dict)
    uploaded: list[Upload] = field(default_factory=list)

    def urls(self, item: LocalItem) -> tuple[dict[str, str], bool]:
        """``(target → URL, complete)``: uploads what is missing first.

        ``complete`` is False when a linked post has no URL yet (a new post
        written later in the run); that link is left as it is for now.
        """
        urls = {}
        complete = True
        for ref in item.refs:
            if ref.endpoint == refs.POST:
                url = self.post_urls.get(ref.path)
                complete = complete and url is not None
            else:
                url = self._upload_for(item.path, ref)
            if url:
                urls[ref.target] = url
        return urls, complete

    def _upload_for(self, post: str, ref: refs.Ref) -> str:
        """:meth:`upload`; a file Ghost refuses is named with its post."""
        try:
            return self.upload(ref)
        except GhostAPIError as error:
            error.message += f" ({post} refers to it as '{ref.target}')"
            error.args = (error.message,)
            raise

    def upload(self, ref: refs.Ref) -> str:
        """The URL of ``ref``'s file, uploading it unless the cache has it."""
        cached = self.state.uploads.get(ref.key)
        if cached is not None:
            return absolute(cached.url, self.site)

        try:
            answer = self.client.upload(
                ref.endpoint,
                self.root / ref.path,
                ref=ref.path,
                content_type=content_type(ref.path, ref.endpoint),
            )
        except GhostAPIError as error:
            error.message = f"uploading {ref.path}: {error.message}"
            error.args = (error.message,)
            error.hint = error.hint or "check that the file opens as what its name says"
            raise
        url = str(answer["url"])
        upload = Upload(ref.key, self.site.value(url), ref.path, ref.size)
        self.state.put_upload(upload)
        self.uploaded.append(upload)
        log.info("uploaded %s (%d bytes) to %s", ref.path, ref.size, url)
        return url
