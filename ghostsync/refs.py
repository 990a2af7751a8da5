"""Local references of a post: images, media, files and links to other posts.

A post refers to files beside it (``![flow](img/flow.png)``, ``feature_image:
cover.jpg``, ``<video src="clip.mp4">``) and to other posts (``[intro](intro.md)``).
Each reference is found from markdown-it tokens (inline and reference-style
images and links, ``src``/``href`` attributes of raw HTML) and from the image
fields, resolved relative to the Markdown file, and checked before anything is
sent: inside the content root (symlinks resolved), present, of a type Ghost
accepts, not over the configured size. A bad reference makes the whole post
invalid, so nothing of it is sent.

The Markdown file is never rewritten: :func:`rewrite` gives the text to send,
with each local target replaced by its Ghost URL.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from ghostsync.canonical import PLACEHOLDER
from ghostsync.config import Settings
from ghostsync.errors import InvalidFileError
from ghostsync.source import LocalPost, LocalScan

# What Ghost 6.65 accepts (core/shared/config/overrides.json, "uploads").
# Images and media are checked by extension and MIME type, files by extension.
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".svgz": "image/svg+xml",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
}
# How each image type begins, so a file that has only the name is refused
# before it is uploaded (SVG is text: it begins with markup).
_IMAGE_MAGIC = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".ico": (b"\x00\x00\x01\x00",),
    ".svgz": (b"\x1f\x8b",),
    ".svg": (b"<",),
}
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
}
_FILE_TYPE_NAMES = (
    "7z aac ai aif aiff apkg arw avif avi blend bmp bz2 cr2 cr3 css csv deb dng"
    " doc docx eot epub eps fb2 fbx flac geojson gif glb gltf gpx gz heic heif"
    " html ics ipynb jpeg jpg js json jsonld key kml m4a m4v md mid midi mkv"
    " mobi mov mp3 mp4 nef np3 numbers obj odp ods odt ogv opus orf otf pages"
    " paprikarecipes pdf png ppt pptx psd py raf rar rpm rtf rw2 skp stl svg tar"
    " tgz tif tiff toml tsv ttf txt vcf wav webm webp woff woff2 xcf xls xlsb"
    " xlsm xlsx xml yaml zip"
)
FILE_TYPES = frozenset(_FILE_TYPE_NAMES.split(" "))
IMAGE_FIELDS = ("feature_image", "og_image", "twitter_image")
ENDPOINTS = ("images", "media", "files")
POST = "post"

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Link destinations in the source text, for rewriting: inline links and
# images (one level of balanced parentheses), reference definitions, and
# src/href/poster attributes of raw HTML.
_INLINE = re.compile(r"(\]\([ \t]*\n?[ \t]*)(<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))+)")
_REFDEF = re.compile(
    r"(^[ ]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\n?[ \t]*)(<[^<>\n]*>|\S+)", re.M
)
_ATTR = re.compile(
    r"""(\b(?:src|href|poster)[ \t]*=[ \t]*)("[^"]*"|'[^']*'|[^\s"'<>=`]+)""", re.I
)
_HTML_SOURCES = {"img": "image", "video": "media", "audio": "media", "source": "media"}


@dataclass(frozen=True)
class Ref:
    """One local reference of a post, resolved and checked.

    ``target`` is the path as the post writes it (percent-decoded, without a
    query or fragment); ``endpoint`` is ``images``, ``media``, ``files`` or
    ``post``; ``path`` the referred file relative to the project root.
    """

    target: str
    where: str
    endpoint: str
    path: str
    size: int = 0
    digest: str = ""

    @property
    def key(self) -> str:
        """The upload cache key: the same bytes go to one endpoint once."""
        return f"{self.endpoint}:{self.digest}"


@dataclass(frozen=True)
class _Found:
    target: str
    role: str  # "image", "media" or "link"
    where: str
    line: int | None


def is_local(target: str) -> bool:
    """Whether a link target names a local file (not a URL, an anchor, a site path)."""
    target = target.strip()
    return not (
        not target
        or target.startswith(("#", "/", "?", PLACEHOLDER))
        or _SCHEME.match(target)
    )


def split_target(raw: str) -> tuple[str, str]:
    """``(path, suffix)``: the percent-decoded path and the ``?query#fragment``."""
    cut = min((i for i in (raw.find("?"), raw.find("#")) if i >= 0), default=len(raw))
    return unquote(raw[:cut]), raw[cut:]


# -- finding ---------------------------------------------------------------------


@cache
def _parser() -> MarkdownIt:
    """The body renderer's syntax: footnotes are not link definitions."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(footnote_plugin)


def find(markdown: str) -> list[_Found]:
    """Every local target of a Markdown body, in order, with its role."""
    found = []
    for token, line in _walk(_parser().parse(markdown)):
        if token.type == "image":
            found.append(_Found(str(token.attrs.get("src", "")), "image", "body", line))
        elif token.type == "link_open":
            found.append(_Found(str(token.attrs.get("href", "")), "link", "body", line))
        elif token.type in ("html_inline", "html_block"):
            for target, role in _html_targets(token.content):
                found.append(_Found(html.unescape(target), role, "body", line))
    return [f for f in found if is_local(f.target)]


def _walk(tokens: list[Token], line: int | None = None) -> Iterator[tuple[Token, int]]:
    for token in tokens:
        here = token.map[0] + 1 if token.map else line
        yield token, here or 1
        if token.children:
            yield from _walk(token.children, here)


def _html_targets(text: str) -> list[tuple[str, str]]:
    scanner = _Attributes()
    scanner.feed(text)
    scanner.close()
    return scanner.targets


class _Attributes(HTMLParser):
    """``src`` of img/video/audio/source, ``poster`` of video, ``href`` of a."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        if tag in _HTML_SOURCES and "src" in values:
            self.targets.append((values["src"], _HTML_SOURCES[tag]))
        if tag == "video" and "poster" in values:
            self.targets.append((values["poster"], "image"))
        if tag == "a" and "href" in values:
            self.targets.append((values["href"], "link"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


# -- resolving and checking ------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Where references may point and how big an upload may be."""

    roots: tuple[Path, ...]
    max_bytes: int
    posts: dict[str, LocalPost]  # by project-relative path


def content_roots(settings: Settings) -> tuple[Path, ...]:
    """The folders a post may refer into.

    The deepest folder holding both the posts and the pages folder, when it
    lies below the project root (``content/`` by default, so ``content/images``
    is shared); otherwise the two folders themselves, so the project's own
    files (the config, the state, an env file) can never be uploaded.
    """
    root = settings.root.resolve()
    dirs = [d.resolve() for d in settings.content_dirs().values()]
    common = Path(*_common_parts([d.parts for d in dirs]))
    if common != root and common.is_relative_to(root):
        return (common,)
    return tuple(dirs)


def _common_parts(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if any(part != column[0] for part in column):
            break
        common.append(column[0])
    return tuple(common)


def limits(settings: Settings, scan: LocalScan) -> Limits:
    posts = {post.path: post for post in scan.posts}
    max_bytes = int(settings.max_upload_mb * 1024 * 1024)
    return Limits(content_roots(settings), max_bytes, posts)


def collect(settings: Settings, scan: LocalScan) -> dict[str, tuple[Ref, ...]]:
    """The references of every valid post; a post with a bad one becomes invalid.

    ``scan`` is changed in place: such posts move from ``posts`` to ``errors``.
    """
    bounds = limits(settings, scan)
    found: dict[str, tuple[Ref, ...]] = {}
    kept = []
    for post in scan.posts:
        try:
            found[post.path] = post_refs(post, settings.root, bounds)
        except InvalidFileError as error:
            scan.errors.append(error)
            continue
        kept.append(post)
    scan.posts = kept
    return found


def post_refs(post: LocalPost, root: Path, bounds: Limits) -> tuple[Ref, ...]:
    """The checked references of one post, each target once."""
    candidates = find(post.body)
    for name in IMAGE_FIELDS:
        value = post.fields.get(name)
        if isinstance(value, str) and is_local(value):
            candidates.append(_Found(value, "image", name, None))

    refs: dict[tuple[str, str], Ref] = {}
    for candidate in candidates:
        ref = _resolve(post, candidate, root, bounds)
        refs.setdefault((ref.target, ref.where if ref.where != "body" else ""), ref)
    return tuple(refs.values())


def _resolve(post: LocalPost, found: _Found, root: Path, bounds: Limits) -> Ref:
    target, _suffix = split_target(found.target)
    fail = _failer(post, found, root)
    base = (root / post.path).parent
    path = (base / target).resolve()
    if not any(path.is_relative_to(r) for r in bounds.roots):
        fail("lies outside the content root", _roots_hint(root, bounds))
    rel = path.relative_to(root.resolve())
    if any(part.startswith(".") for part in rel.parts):
        fail("is a hidden file", "refer only to files whose names do not start with .")
    if path.is_dir() and (path / "index.md").is_file():
        path, rel = path / "index.md", rel / "index.md"
    if not path.is_file():
        fail("does not exist", f"check the path, relative to {post.path}")

    endpoint = _endpoint(path.suffix.lower(), found.role, fail)
    if endpoint == POST:
        return _post_ref(target, found, rel.as_posix(), bounds, fail)

    size = path.stat().st_size
    if size > bounds.max_bytes:
        fail(
            f"is {_over(size, bounds.max_bytes)}",
            "make the file smaller, or raise content.max_upload_mb in ghostsync.toml",
        )
    if endpoint == "images" and not _image_content(path):
        kind = path.suffix.lower().lstrip(".")
        fail(
            f"is named .{kind} but does not hold a {kind} image",
            "save it in the format its name says, or rename it",
        )
    digest = file_digest(path)
    return Ref(target, found.where, endpoint, rel.as_posix(), size, digest)


def _post_ref(
    target: str, found: _Found, rel: str, bounds: Limits, fail: Callable[..., None]
) -> Ref:
    if rel not in bounds.posts:
        fail(
            f"links to {rel}, which is not a post or page ghostsync syncs",
            f"link to a post file (is {rel} excluded or invalid?), or to a URL",
        )
    return Ref(target, found.where, POST, rel)


def _endpoint(suffix: str, role: str, fail: Callable[..., None]) -> str:
    if role == "image":
        if suffix not in IMAGE_TYPES:
            fail(f"is not an image type Ghost accepts ({_names(IMAGE_TYPES)})")
        return "images"
    if role == "media":
        if suffix not in MEDIA_TYPES:
            fail(f"is not a media type Ghost accepts ({_names(MEDIA_TYPES)})")
        return "media"
    if suffix == ".md":
        return POST
    if suffix in IMAGE_TYPES:
        return "images"
    if suffix in MEDIA_TYPES:
        return "media"
    if suffix.lstrip(".") not in FILE_TYPES:
        fail(f"is a file type Ghost does not accept ('{suffix or 'no extension'}')")
    return "files"


def _image_content(path: Path) -> bool:
    """Whether the file begins the way its image type does."""
    with path.open("rb") as handle:
        head = handle.read(64)
    suffix = path.suffix.lower()
    if suffix == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_IMAGE_MAGIC[suffix])


def _names(types: dict[str, str]) -> str:
    return ", ".join(t.lstrip(".") for t in types)


def _failer(post: LocalPost, found: _Found, root: Path) -> Callable[..., None]:
    line = _file_line(root / post.path, found) if found.where == "body" else None
    where = f"{post.path}:{line}" if line else f"{post.path} ({found.where})"

    def fail(problem: str, hint: str = "") -> None:
        raise InvalidFileError(
            f"{where}: the reference '{found.target}' {problem}; nothing of this"
            f" {post.kind} is sent",
            path=post.path,
            line=line,
            field="" if found.where == "body" else found.where,
            hint=hint,
        )

    return fail


def _file_line(path: Path, found: _Found) -> int | None:
    """The line of the file that holds the target (the body's own numbering
    misses the front matter and a title taken from the body): the first
    line at or after the body's that spells it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    spellings = {found.target, unquote(found.target), html.escape(found.target)}
    first = found.line or 1  # the body's line: the file's is never earlier
    for number, text in enumerate(lines[first - 1 :], start=first):
        if any(spelling in text for spelling in spellings):
            return number
    return None


def _roots_hint(root: Path, bounds: Limits) -> str:
    names = ", ".join(r.relative_to(root.resolve()).as_posix() for r in bounds.roots)
    return f"keep referenced files inside {names} (symlinks are followed)"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, short like the other hashes.

    TODO: skip unchanged files through the mtime cache once there is one
    (``.ghostsync/cache/``); measured, 100 MB hash in 0.1 s, so every plan
    hashes every referenced file for now.
    """
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return "sha256:" + hasher.hexdigest()[:32]


def _over(size: int, limit: int) -> str:
    """'X, over the limit of Y', in bytes when rounding would hide the excess."""
    if human_size(size) == human_size(limit):
        return (
            f"{size:,} bytes, over the limit of {limit:,} bytes ({human_size(limit)})"
        )
    return f"{human_size(size)}, over the limit of {human_size(limit)}"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


# -- what is sent ----------------------------------------------------------------


def canonical_refs(refs: tuple[Ref, ...], posts: dict[str, LocalPost]) -> dict:
    """What the references add to a post's local hash.

    The bytes of each file (so a changed image is pushed again), and for a link
    the target's kind, slug and status (they decide its URL).
    """
    values = {}
    for ref in refs:
        key = ref.target if ref.where == "body" else f"{ref.where}:{ref.target}"
        if ref.endpoint == POST:
            target = posts[ref.path]
            values[key] = f"post:{target.kind}:{target.slug}:{target.fields['status']}"
        else:
            values[key] = ref.key
    return values


def apply_urls(post: LocalPost, urls: dict[str, str]) -> LocalPost:
    """The post as sent: local targets in the body and fields replaced by URLs."""
    fields = dict(post.fields)
    for name in IMAGE_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and is_local(value):
            path, suffix = split_target(value)
            if path in urls:
                fields[name] = urls[path] + suffix
    return replace(post, body=rewrite(post.body, urls), fields=fields)


def rewrite(markdown: str, urls: dict[str, str]) -> str:
    """``markdown`` with every local destination in ``urls`` replaced by its URL.

    Destinations inside fenced or indented code are left alone.
    """
    if not urls:
        return markdown

    def swap(target: str) -> str | None:
        path, suffix = split_target(target)
        if not is_local(target) or path not in urls:
            return None
        return urls[path] + suffix

    return replace_targets(markdown, swap)


def replace_targets(markdown: str, swap: Callable[[str], str | None]) -> str:
    """``markdown`` with each link, image or ``src``/``href`` destination that
    ``swap`` answers (given the decoded destination) replaced; not in code.
    The replacement keeps the destination's brackets or quotes."""

    def keep_form(decoded: str, raw: str) -> str | None:
        new = swap(decoded)
        return None if new is None else in_form_of(raw, new)

    return replace_raw(markdown, keep_form)


def replace_raw(markdown: str, swap: Callable[[str, str], str | None]) -> str:
    """Like :func:`replace_targets`; ``swap`` gets the decoded destination and
    the raw one as written, and answers the raw replacement."""
    text = _substitute(_INLINE, markdown, _md_unescape, swap)
    text = _substitute(_REFDEF, text, _md_unescape, swap)
    return _substitute(_ATTR, text, html.unescape, swap)


def destinations(markdown: str) -> list[tuple[str, str]]:
    """Every ``(decoded, raw)`` destination of ``markdown`` outside code."""
    found: list[tuple[str, str]] = []

    def note(decoded: str, raw: str) -> None:
        found.append((decoded, raw))

    replace_raw(markdown, note)
    return found


def _substitute(
    pattern: re.Pattern[str],
    text: str,
    decode: Callable[[str], str],
    swap: Callable[[str, str], str | None],
) -> str:
    code = _code_lines(text)
    starts = [m.start() for m in re.finditer(r"^", text, re.M)]

    def replace(match: re.Match[str]) -> str:
        line = bisect.bisect_right(starts, match.start(2)) - 1
        raw = match.group(2)
        if line in code:
            return match.group(0)
        new = swap(decode(_inner(raw)), raw)
        return match.group(1) + (raw if new is None else new)

    return pattern.sub(replace, text)


def _inner(raw: str) -> str:
    """A destination without its quotes or angle brackets."""
    quoted = raw[:1] in ('"', "'") and len(raw) > 1 and raw[-1:] == raw[:1]
    angle = raw.startswith("<") and raw.endswith(">")
    return raw[1:-1] if quoted or angle else raw


def in_form_of(raw: str, new: str) -> str:
    """``new`` in the quotes or angle brackets ``raw`` has."""
    if raw.startswith("<") and raw.endswith(">"):
        return f"<{new}>"
    if raw[:1] in ('"', "'") and len(raw) > 1 and raw[-1:] == raw[:1]:
        return f"{raw[0]}{new}{raw[0]}"
    return new


def _md_unescape(text: str) -> str:
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))


def _code_lines(markdown: str) -> set[int]:
    lines: set[int] = set()
    for token in _parser().parse(markdown):
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(token.map[0], token.map[1]))
    return lines
