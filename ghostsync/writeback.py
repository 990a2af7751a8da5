"""A remote post as the Markdown file pull writes: new, or an existing one edited.

Pure apart from reading nothing: text in, text out. Every text made here is
read back with the same reader ``push`` uses (:func:`ghostsync.source.parse_post`)
and must mean exactly the remote post (the same managed fields, the same body,
the same body format); otherwise it is an error and nothing is written.

A new file gets a stable order with only the fields that differ from the
defaults. An existing file keeps its front-matter block byte for byte when no
managed value changed; otherwise only the changed keys are edited (see
:mod:`ghostsync.frontwrite`), under the name the file already uses for them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ghostsync.body as bodies
from ghostsync.canonical import PLACEHOLDER, SiteURL, local_canonical
from ghostsync.config import Settings
from ghostsync.fields import ALIASES, FIELDS, fields_for
from ghostsync.frontwrite import DELETE, FrontMatterError, dump_front, edit_front
from ghostsync.htmlmd import markdown_from_html, relative_site_links
from ghostsync.planner import LocalItem, RemotePost
from ghostsync.source import H1, LocalPost, parse_post, slugify, slugify_tag

# Front-matter names of new files: the aliases a writer expects.
NEW_KEYS = {"published_at": "date", "custom_excerpt": "excerpt"}
FIRST = ("title", "slug", "status", "published_at", "tags", "authors", "custom_excerpt")
_FRONT = re.compile(r"\A(---[ \t]*\n)(.*?\n)?(---[ \t]*(?:\n|\Z))", re.DOTALL)


@dataclass(frozen=True)
class Pulled:
    """What a file must say for one remote post."""

    kind: str
    slug: str
    body_format: str
    body: str
    fields: dict[str, Any]  # the remote canonical fields
    values: dict[str, Any]  # front-matter values by Ghost field name


@dataclass(frozen=True)
class Written:
    """A file's new text and the post it reads as."""

    text: str
    post: LocalPost
    canonical: dict[str, Any]


def pulled(remote: RemotePost, site: SiteURL, tz: dt.tzinfo) -> Pulled:
    """The file content of a remote post read with ``formats=lexical,html``."""
    assert remote.raw is not None and remote.canonical is not None
    raw = remote.raw
    markdown = bodies.markdown_from_lexical(raw.get("lexical"))
    if markdown is not None:
        body_format, text = "markdown", relative_site_links(markdown, site)
    else:
        body_format = "html"
        text = markdown_from_html(raw.get("html") or "", site)

    fields = remote.canonical["fields"]
    values = {
        name: _value(name, value, raw, site, tz)
        for name, value in fields.items()
        if name in FIELDS
    }
    return Pulled(remote.kind, remote.slug, body_format, _normal(text), fields, values)


def _normal(body: str) -> str:
    """A body the way the reader returns it."""
    return body.strip("\n") + "\n" if body.strip() else ""


def _value(name: str, value: Any, raw: dict, site: SiteURL, tz: dt.tzinfo) -> Any:
    spec = FIELDS[name]
    if value is None:
        return None
    if spec.type in ("str", "url") and isinstance(value, str):
        return _site_text(value, site)
    if spec.type == "date" and isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(tz)
    if spec.type == "tags":
        return _tag_names(value, raw)
    return value


def _site_text(value: str, site: SiteURL) -> str:
    """A canonical text value as a writer would write it: site paths relative."""
    absolute = value.replace(PLACEHOLDER, site.base)
    if value.startswith(PLACEHOLDER + "/"):
        relative = site.subdir + value[len(PLACEHOLDER) :]
        if site.value(relative) == value:
            return relative
    return absolute


def _tag_names(slugs: list[str], raw: dict) -> list[str]:
    names = {t.get("slug"): t.get("name") or "" for t in raw.get("tags") or []}
    result = []
    for slug in slugs:
        name = names.get(slug, "")
        result.append(name if name and slugify_tag(name) == slug else slug)
    return result


# --- new files -------------------------------------------------------------


def new_text(
    post: Pulled, path: Path, rel: str, settings: Settings, site: SiteURL, tz: Any
) -> Written:
    """The text of a new file for ``post`` at ``path``."""
    front = dump_front(_new_values(post, path.stem, settings))
    text = f"---\n{front}---\n" + (f"\n{post.body}" if post.body else "")
    return check(text, post, path, rel, settings, site, tz)


def _new_values(post: Pulled, stem: str, settings: Settings) -> dict[str, Any]:
    values: dict[str, Any] = {"title": post.values.get("title") or ""}
    if slugify(stem) != post.slug:
        values["slug"] = post.slug
    names = [*FIRST, *(f.name for f in fields_for(post.kind))]
    for name in dict.fromkeys(names):
        if name in ("title", "slug") or name not in post.values:
            continue
        if not _is_default(name, post, settings):
            values[NEW_KEYS.get(name, name)] = post.values[name]
    if post.body_format != settings.body_format:
        values["body_format"] = post.body_format
    return values


def _is_default(name: str, post: Pulled, settings: Settings) -> bool:
    value = post.fields.get(name)
    if name == "status":
        return value == settings.default_status
    if name == "tags":
        return value == [slugify_tag(t) for t in settings.default_tags]
    spec = FIELDS[name]
    if spec.auto:
        return value is None
    default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    return bool(value == default)


# --- existing files --------------------------------------------------------


def edited_text(
    old: str,
    current: LocalItem,
    post: Pulled,
    path: Path,
    settings: Settings,
    site: SiteURL,
    tz: Any,
    keep_body: bool = False,
) -> Written | None:
    """``old`` edited to say ``post``; None when it already says it.

    ``keep_body``: the file's body already sends what Ghost holds (same
    canonical form), so it stays byte for byte; only front matter is edited.
    """
    bom = "\ufeff" if old.startswith("\ufeff") else ""
    crlf = "\r\n" in old
    text = old[len(bom) :].replace("\r\n", "\n")
    match = _FRONT.match(text)
    front_text = match.group(2) or "" if match else ""
    rest = text[match.end() :] if match else text
    keys = _front_keys(front_text)

    changes = _front_changes(current, post, keys, settings)
    body = post.body
    if "title" not in keys and _h1_title(rest):
        keep_body = keep_body and "title" not in changes
        changes.pop("title", None)
        body = f"# {post.values.get('title') or ''}\n\n{body}"
    if keep_body:
        post = replace(post, body=current.post.body)
        body = rest.lstrip("\n")

    front = match.group(0) if match else ""
    if changes:
        edited = edit_front(front_text, changes)
        front = f"---\n{edited}---\n"
    if rest.strip():
        lead = rest[: len(rest) - len(rest.lstrip("\n"))]
    else:
        lead = "\n" if body and front else ""
    new = front + lead + body
    if new == text:
        return None

    new = new.replace("\n", "\r\n") if crlf else new
    return check(bom + new, post, path, current.path, settings, site, tz)


def _front_keys(front_text: str) -> set[str]:
    import yaml

    try:
        data = yaml.safe_load(front_text) if front_text.strip() else {}
    except yaml.YAMLError:
        return set()
    return {str(key) for key in data} if isinstance(data, dict) else set()


def _front_changes(
    current: LocalItem, post: Pulled, keys: set[str], settings: Settings
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in _changed(current.canonical["fields"], post.fields):
        key = _key_for(name, keys)
        value = post.values.get(name)
        if value is None and not FIELDS[name].relation:
            if key in keys:
                changes[key] = DELETE
            continue
        changes[key] = value
    if post.body_format != current.post.body_format:
        changes["body_format"] = post.body_format
    return changes


def _changed(local: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    """Managed fields whose local value differs from the remote one."""
    names = []
    for name in dict.fromkeys([*local, *remote]):
        if name not in FIELDS:
            continue
        if name not in local and FIELDS[name].auto:
            continue
        if local.get(name) != remote.get(name):
            names.append(name)
    return names


def _key_for(name: str, keys: set[str]) -> str:
    for alias, target in ALIASES.items():
        if target == name and alias in keys:
            return alias
    if name in keys:
        return name
    return NEW_KEYS.get(name, name)


def _h1_title(rest: str) -> bool:
    first = next((line for line in rest.split("\n") if line.strip()), "")
    return bool(H1.match(first))


# --- the check -------------------------------------------------------------


def check(
    text: str,
    post: Pulled,
    path: Path,
    rel: str,
    settings: Settings,
    site: SiteURL,
    tz: Any,
) -> Written:
    """``text`` read back; an error unless it says exactly ``post``."""
    plain = text.lstrip("\ufeff").replace("\r\n", "\n")
    read = parse_post(plain, path, rel, post.kind, settings, tz)
    if read is None:
        raise FrontMatterError(
            f"{rel}: the file pull would write says sync: false; not written",
            hint="remove sync: false to let pull write the file",
        )
    canonical = local_canonical(
        read.kind, read.fields, read.body, read.body_format, site
    )
    wrong = _changed(canonical["fields"], post.fields)
    if read.body != post.body:
        wrong.append("body")
    if read.body_format != post.body_format:
        wrong.append("body_format")
    if wrong:
        raise FrontMatterError(
            f"{rel}: the file pull would write reads back with other values"
            f" for {', '.join(wrong)}; not written",
            hint="edit the file by hand, or report the post's values",
        )
    return Written(text, read, canonical)
