"""Canonical payloads and their hashes, for the local and the remote side.

A canonical payload is what a post *means*: the managed fields after defaults,
the body as sent, the body format. Hashes are of canonical payloads only, never
of raw text or file times. URLs of the site itself are written with a
placeholder on both sides: Ghost stores them as ``__GHOST_URL__`` and returns
them absolute with the current origin, so a new port or domain changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ghostsync.body as bodies
from ghostsync.fields import FIELDS, fields_for

PLACEHOLDER = "__GHOST_URL__"

# Root-relative targets Ghost makes absolute: Markdown links and images,
# reference definitions, and href/src attributes of raw HTML.
_MD_TARGET = re.compile(r"(\]\(\s*<?)(/(?!/)[^)\s>]*)")
_MD_REFDEF = re.compile(r"(^[ ]{0,3}\[[^\]]+\]:[ \t]*<?)(/(?!/)\S*)", re.MULTILINE)
_HTML_ATTR = re.compile(r"""(\b(?:href|src)\s*=\s*["'])(/(?!/)[^"']*)""")


@dataclass(frozen=True)
class SiteURL:
    """The site's own URL, which canonical forms replace with a placeholder."""

    url: str

    @property
    def base(self) -> str:
        return self.url.rstrip("/")

    @property
    def subdir(self) -> str:
        return urlsplit(self.url).path.rstrip("/")

    def absolute_to_placeholder(self, text: str) -> str:
        if not self.base:
            return text
        text = text.replace(self.base, PLACEHOLDER)
        return text.replace(_other_scheme(self.base), PLACEHOLDER)

    def relative_to_placeholder(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            path = match.group(2)
            if self.subdir and path.startswith(self.subdir + "/"):
                path = path[len(self.subdir) :]
            return match.group(1) + PLACEHOLDER + path

        for pattern in (_MD_TARGET, _MD_REFDEF, _HTML_ATTR):
            text = pattern.sub(swap, text)
        return text

    def value(self, text: str) -> str:
        """A field value (an image, a canonical URL) in canonical form."""
        if text.startswith("/") and not text.startswith("//"):
            path = text
            if self.subdir and path.startswith(self.subdir + "/"):
                path = path[len(self.subdir) :]
            return PLACEHOLDER + path
        return self.absolute_to_placeholder(text)


NO_SITE = SiteURL("")


def _other_scheme(base: str) -> str:
    if base.startswith("https://"):
        return "http://" + base[len("https://") :]
    return "https://" + base[len("http://") :]


def digest(payload: Any) -> str:
    """A stable hash of a JSON-able value."""
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def body_as_sent(markdown: str, body_format: str) -> str:
    """The body exactly as ghostsync sends it for the given format."""
    if body_format == "html":
        return bodies.render_html(markdown)
    return bodies.join_soft_breaks(markdown)


def local_canonical(
    kind: str, fields: dict[str, Any], markdown: str, body_format: str, site: SiteURL
) -> dict[str, Any]:
    """The canonical payload of a local file."""
    sent = body_as_sent(markdown, body_format)
    sent = site.absolute_to_placeholder(site.relative_to_placeholder(sent))
    return {
        "kind": kind,
        "fields": _canonical_values(fields, site),
        "body_format": body_format,
        "body": sent,
    }


def remote_fields(post: dict[str, Any], kind: str, site: SiteURL) -> dict[str, Any]:
    """The managed fields of a Ghost post (from the index or a full read)."""
    fields: dict[str, Any] = {}
    for spec in fields_for(kind):
        if spec.name == "tags":
            tags = post.get("tags")
            fields["tags"] = [t["slug"] for t in tags] if tags is not None else None
            continue
        value = post.get(spec.name)
        if spec.name == "status" and value == "scheduled":
            value = "published"
        if spec.type == "str" and value == "":
            value = None
        if spec.auto and value is None:
            continue
        fields[spec.name] = value
    return _canonical_values(fields, site)


def remote_body(post: dict[str, Any], site: SiteURL) -> tuple[str, str]:
    """``(body_format, canonical body)`` of a Ghost post read with its lexical."""
    lexical = post.get("lexical")
    markdown = bodies.markdown_from_lexical(lexical)
    if markdown is not None:
        return "markdown", site.absolute_to_placeholder(markdown)

    try:
        document = json.loads(lexical) if lexical else {}
    except ValueError:
        document = {"unparsed": lexical}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    return "html", site.absolute_to_placeholder(text)


def remote_canonical(post: dict[str, Any], kind: str, site: SiteURL) -> dict[str, Any]:
    """The canonical payload of a Ghost post read with its lexical and tags."""
    body_format, text = remote_body(post, site)
    return {
        "kind": kind,
        "fields": remote_fields(post, kind, site),
        "body_format": body_format,
        "body": text,
    }


def _canonical_values(fields: dict[str, Any], site: SiteURL) -> dict[str, Any]:
    values = {}
    for name, value in fields.items():
        spec = FIELDS.get(name)
        if spec is not None and spec.type == "str" and isinstance(value, str):
            value = site.value(value)
        if isinstance(value, tuple):
            value = list(value)
        values[name] = value
    return values


def in_sync(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether a file and a remote post say the same, without the state.

    Only ``markdown`` bodies can be compared directly. A field Ghost fills in
    itself (the publish date) counts only when the file sets it.
    """
    if local["body_format"] != "markdown" or remote["body_format"] != "markdown":
        return False
    if local["body"] != remote["body"] or local["kind"] != remote["kind"]:
        return False

    remote_values = remote["fields"]
    for name, value in local["fields"].items():
        if remote_values.get(name) != value:
            return False
    extra = set(remote_values) - set(local["fields"])
    return all(FIELDS[name].auto for name in extra)


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the fields (and ``body``) that differ between two payloads."""
    names = sorted(
        name
        for name in set(old["fields"]) | set(new["fields"])
        if old["fields"].get(name) != new["fields"].get(name)
    )
    if old["body"] != new["body"] or old["body_format"] != new["body_format"]:
        names.append("body")
    return names
