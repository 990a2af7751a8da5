"""Pull's side of local references: Ghost's URLs back into local paths.

In a pulled post, a URL the upload cache knows becomes the path of its local
file again, and the URL of a synced post the path of that post's file, both
relative to the file being written. Other images hosted on the site are
downloaded beside the post (unless ``--no-images``): into the post's folder
when the file is an ``index.md``, else into a folder named after the file;
an imported post with such images gets the ``<slug>/index.md`` layout. Each
download is recorded in the upload cache, so the next push uploads nothing.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ghostsync import refs
from ghostsync.canonical import PLACEHOLDER
from ghostsync.state import Upload
from ghostsync.uploads import absolute
from ghostsync.writeback import Pulled

log = logging.getLogger(__name__)

IMAGES = PLACEHOLDER + "/content/images/"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Download:
    """An image of a pulled post to fetch: its canonical URL and size."""

    url: str
    size: int


@dataclass
class Localizer:
    """Maps a pulled post's Ghost URLs to local paths, downloading images."""

    site: Any  # ghostsync.run.Site
    post_urls: dict[str, str]  # Ghost URL of each synced post, by file path
    download: bool = True
    downloaded: list[Upload] = field(default_factory=list)
    _fetched: dict[str, str] = field(default_factory=dict)
    _available: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.root: Path = self.site.settings.root.resolve()
        self.cached = {u.url: u for u in self.site.state.uploads.values()}
        self.posts = {self.site.url.value(u): p for p, u in self.post_urls.items()}
        self.max_bytes = int(self.site.settings.max_upload_mb * 1024 * 1024)

    # -- what a post needs ------------------------------------------------------

    def wanted(self, post: Pulled) -> list[str]:
        """Canonical URLs of the post's site images nothing local stands for."""
        if not self.download:
            return []
        found: list[str] = []

        def note(target: str) -> None:
            url = self._canonical(target)
            if self._known(url) is None and url.startswith(IMAGES):
                found.append(url)

        self._each_target(post, note)
        return list(dict.fromkeys(found))

    def survey(self, posts: list[Pulled]) -> list[Download]:
        """The images a pull would download, with their sizes (HEAD each)."""
        urls = dict.fromkeys(url for post in posts for url in self.wanted(post))
        downloads = []
        for url in urls:
            size = self.site.client.file_size(absolute(url, self.site.url))
            if size is not None:
                downloads.append(Download(url, size))
                self._available.add(url)
        return downloads

    # -- rewriting --------------------------------------------------------------

    def localize(
        self, post: Pulled, rel: str, current: str = "", fetch: bool = True
    ) -> Pulled:
        """``post`` with the URLs it can as paths relative to the file ``rel``.

        A path the file's ``current`` body already refers to keeps the
        spelling it has there (``<a b.png>``, ``./a.png``). Without ``fetch``
        only URLs already known locally are mapped (nothing is downloaded).
        """
        folder = PurePosixPath(rel).parent
        spelled = _spellings(current, folder)

        def local(target: str) -> tuple[str, str] | None:
            url, suffix = _split(target)
            path = self._known(self._canonical(url))
            if path is None and fetch:
                path = self._fetch(url, rel)
            if path is None:
                return None
            return os.path.relpath(path, folder.as_posix()), suffix

        def swap(decoded: str, raw: str) -> str | None:
            found = local(decoded)
            if found is None:
                return None
            path, suffix = found
            key = os.path.normpath((folder / path).as_posix()) + suffix
            return spelled.get(key) or refs.in_form_of(raw, quote(path) + suffix)

        body = refs.replace_raw(post.body, swap)
        fields, values = dict(post.fields), dict(post.values)
        for name in refs.IMAGE_FIELDS:
            value = values.get(name)
            found = local(value) if isinstance(value, str) else None
            if found is not None:
                fields[name] = values[name] = found[0] + found[1]
        return replace(post, body=body, fields=fields, values=values)

    def add_post(self, url: str, path: str) -> None:
        """A post this run writes to ``path``: links to ``url`` name the file."""
        self.posts[self._canonical(url)] = path

    def folder_for(self, post: Pulled) -> bool:
        """Whether an imported post needs its own folder: images to download
        that the site has (found by :meth:`survey`)."""
        return any(url in self._available for url in self.wanted(post))

    # -- helpers ----------------------------------------------------------------

    def _each_target(self, post: Pulled, visit: Any) -> None:
        def seen(target: str) -> None:
            visit(_split(target)[0])

        for decoded, _raw in refs.destinations(post.body):
            seen(decoded)
        for name in refs.IMAGE_FIELDS:
            value = post.values.get(name)
            if isinstance(value, str):
                seen(value)

    def _canonical(self, url: str) -> str:
        return str(self.site.url.value(url))

    def _known(self, url: str) -> str | None:
        """The local path a canonical URL stands for, if any."""
        upload = self.cached.get(url)
        if upload is not None and (self.root / upload.path).is_file():
            return upload.path
        return self.posts.get(url) or self._fetched.get(url)

    def _fetch(self, target: str, rel: str) -> str | None:
        url = self._canonical(target)
        if not self.download or not url.startswith(IMAGES):
            return None
        name = _file_name(url)
        if Path(name).suffix.lower() not in refs.IMAGE_TYPES:
            return None
        data = self.site.client.download(absolute(url, self.site.url))
        if data is None or len(data) > self.max_bytes:
            log.warning("%s: not downloaded (missing or over the size limit)", url)
            return None

        path = self._place(beside(rel), name, data)
        local = path.relative_to(self.root).as_posix()
        upload = Upload(f"images:{refs.file_digest(path)}", url, local, len(data))
        self.site.state.put_upload(upload)
        self.cached[url] = upload
        self._fetched[url] = local
        self.downloaded.append(upload)
        return local

    def _place(self, folder: str, name: str, data: bytes) -> Path:
        """A free (or identical) file name in ``folder`` for ``data``."""
        target_dir = (self.root / folder).resolve()
        if not target_dir.is_relative_to(self.root):
            raise ValueError(f"{folder} lies outside the project")
        stem, suffix = os.path.splitext(name)
        for number in range(1, 1000):
            candidate = target_dir / (
                name if number == 1 else f"{stem}-{number}{suffix}"
            )
            if candidate.exists() and candidate.read_bytes() != data:
                continue
            if not candidate.exists():
                candidate.parent.mkdir(parents=True, exist_ok=True)
                candidate.write_bytes(data)
            return candidate
        raise ValueError(f"no free name for {name} in {folder}")


def _spellings(body: str, folder: PurePosixPath) -> dict[str, str]:
    """Each local destination of ``body`` as written, by the path it names."""
    spelled: dict[str, str] = {}
    for decoded, raw in refs.destinations(body):
        if refs.is_local(decoded):
            path, suffix = refs.split_target(decoded)
            key = os.path.normpath((folder / path).as_posix()) + suffix
            spelled.setdefault(key, raw)
    return spelled


def beside(rel: str) -> str:
    """The folder a post's downloaded images go to."""
    path = PurePosixPath(rel)
    if path.name == "index.md":
        return path.parent.as_posix()
    return (path.parent / path.stem).as_posix()


def _split(target: str) -> tuple[str, str]:
    cut = min(
        (i for i in (target.find("?"), target.find("#")) if i >= 0),
        default=len(target),
    )
    return target[:cut], target[cut:]


def _file_name(url: str) -> str:
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    return _UNSAFE_NAME.sub("-", name).strip("-.") or "image"
