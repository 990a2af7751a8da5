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
        if spec.relation:
            names = _remote_relation(post, spec.name)
            if names is not None or not spec.auto:
                fields[spec.name] = names
            continue
        value = post.get(spec.name)
        if spec.name == "status" and value == "scheduled":
            value = "published"
        if spec.type in ("str", "url") and value == "":
            value = None
        if spec.auto and value is None:
            continue
        fields[spec.name] = value
    return _canonical_values(fields, site)


def _remote_relation(post: dict[str, Any], name: str) -> list[str] | None:
    """Tags and authors as slugs in order; tiers only where they count.

    Ghost lists the tiers of any post, filling them in itself for public,
    members and paid posts; they are the post's own choice only with
    ``visibility: tiers``, and their order means nothing.
    """
    items = post.get(name)
    if items is None:
        return None
    slugs = [item["slug"] for item in items]
    if name == "tiers":
        return sorted(slugs) if post.get("visibility") == "tiers" else None
    return slugs


def remote_refs(post: dict[str, Any]) -> dict[str, dict[str, str]]:
    """How a file may name the authors and tiers of a post: entry → slug.

    A file names an author by email or slug and a tier by name or slug; the
    canonical remote form holds slugs. This map lets the two be compared
    without asking Ghost for its users and tiers.
    """
    refs: dict[str, dict[str, str]] = {"authors": {}, "tiers": {}}
    for author in post.get("authors") or ():
        refs["authors"][str(author.get("email", "")).lower()] = author["slug"]
    for tier in post.get("tiers") or ():
        refs["tiers"][str(tier.get("name", "")).lower()] = tier["slug"]
    return refs


def as_remote(
    fields: dict[str, Any], refs: dict[str, dict[str, str]] | None
) -> dict[str, Any]:
    """Local fields with emails and tier names given as the remote's slugs."""
    if not refs:
        return fields
    result = dict(fields)
    for name in ("authors", "tiers"):
        entries = result.get(name)
        if entries:
            slugs = [refs.get(name, {}).get(entry, entry) for entry in entries]
            result[name] = sorted(slugs) if name == "tiers" else slugs
    return result


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
        text = spec is not None and spec.type in ("str", "url")
        if text and isinstance(value, str):
            value = site.value(value)
        if isinstance(value, tuple):
            value = list(value)
        values[name] = value
    return values


def in_sync(
    local: dict[str, Any],
    remote: dict[str, Any],
    refs: dict[str, dict[str, str]] | None = None,
) -> bool:
    """Whether a file and a remote post say the same, without the state.

    Only ``markdown`` bodies can be compared directly. A field Ghost fills in
    itself (the publish date, the authors) counts only when the file sets it.
    ``refs`` (:func:`remote_refs`) lets an author's email match its slug.
    """
    if local["body_format"] != "markdown" or remote["body_format"] != "markdown":
        return False
    if local["body"] != remote["body"] or local["kind"] != remote["kind"]:
        return False

    remote_values = remote["fields"]
    for name, value in as_remote(local["fields"], refs).items():
        if remote_values.get(name) != value:
            return False
    extra = set(remote_values) - set(local["fields"])
    return all(FIELDS[name].auto for name in extra)


def changed_fields(
    old: dict[str, Any],
    new: dict[str, Any],
    refs: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """Names of the fields (and ``body``) that differ between two payloads.

    ``new`` is a local payload; with ``refs`` its authors and tiers are read
    as the slugs ``old`` (a remote payload) holds. Fields Ghost fills in
    itself count only when ``new`` sets them.
    """
    new_fields = as_remote(new["fields"], refs)
    names = sorted(
        name
        for name in set(old["fields"]) | set(new_fields)
        if old["fields"].get(name) != new_fields.get(name)
        and not (name not in new_fields and FIELDS[name].auto)
    )
    if old["body"] != new["body"] or old["body_format"] != new["body_format"]:
        names.append("body")
    return names
