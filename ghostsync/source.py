"""The local side: Markdown files with YAML front matter, read into posts.

Reading is strict and complete before any request is made: every problem of a
file becomes an :class:`~ghostsync.errors.InvalidFileError` naming the file,
the line, the field and the fix, and the other files are still read.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

import frontmatter
import yaml

import ghostsync.body as bodies
from ghostsync.cache import Entry, HashCache
from ghostsync.config import BODY_FORMATS, Settings
from ghostsync.errors import InvalidFileError
from ghostsync.fields import ALIASES, FIELDS, INSTRUCTIONS, Field, fields_for

DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")
TAG_MAX = 191
# Slugs Ghost keeps for its own routes (overrides.json, slugs.protected).
PROTECTED_SLUGS = ("ghost", "rss", "amp")
# Obsidian's wikilinks, embeds and callouts, which Markdown shows as text.
OBSIDIAN = re.compile(r"!?\[\[[^\]\n]+\]\]|^[ \t]*>[ \t]*\[![a-zA-Z-]+\]", re.M)
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.M | re.S)
TOML_FENCE = "+++"
YAML_TYPES = {bool: "a boolean", int: "a number", float: "a number"}

GHOST_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class LocalPost:
    """One valid file, as ghostsync will send it.

    ``fields`` holds the managed fields in canonical form (defaults applied,
    dates as UTC ISO strings, tags as slugs); ``tag_names`` keeps the names
    as written, for creating new tags.
    """

    path: str
    kind: str
    slug: str
    fields: dict[str, Any]
    body: str
    body_format: str
    tag_names: tuple[str, ...] = ()
    explicit_id: str = ""
    warnings: tuple[str, ...] = ()
    # The front-matter line of each key, for errors found later (references).
    lines: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    # What Ghost will lose of the body in its format, as "file:line: text".
    fidelity: tuple[str, ...] = ()
    # Instructions, not content: where to email the post when it is published.
    newsletter: str = ""
    email_segment: str = ""


@dataclass
class LocalScan:
    """The result of reading the content folders."""

    posts: list[LocalPost] = field(default_factory=list)
    errors: list[InvalidFileError] = field(default_factory=list)
    # Kinds whose folder does not exist (a side that looks emptied).
    missing_dirs: list[str] = field(default_factory=list)
    # Files the hash cache knew unchanged: their posts in ``posts`` are
    # summaries without a body (see :func:`summary`).
    cached: dict[str, Entry] = field(default_factory=dict)
    # The stat of each file read in full, for the hash cache.
    stats: dict[str, os.stat_result] = field(default_factory=dict)
    # Files that say ``sync: false``: present, but left out of every sync.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _FrontMatter:
    data: dict[str, Any]
    lines: dict[str, int]
    raw: dict[str, str]


def scan(
    settings: Settings,
    tz: dt.tzinfo,
    only: set[str] | None = None,
    cache: HashCache | None = None,
) -> LocalScan:
    """Read every post and page file; ``only`` limits it to these relative paths.

    With a ``cache``, a file whose stat it knows is not opened: its post is a
    summary (see :func:`summary`) and its entry is in ``cached``.
    """
    result = LocalScan()
    for kind, folder in settings.content_dirs().items():
        if not folder.is_dir():
            result.missing_dirs.append(kind)
            continue
        links: list[tuple[str, str]] = []
        for path, rel, stat in _markdown_files(folder, settings, links):
            if only is not None and rel not in only:
                continue
            if os.path.islink(path):
                try:
                    _check_inside(Path(path), rel, settings)
                except InvalidFileError as error:
                    result.errors.append(error)
                    continue
            entry = cache.get(rel, stat) if cache is not None else None
            if entry is not None and entry.kind == kind:
                result.cached[rel] = entry
                result.posts.append(summary(rel, entry))
                continue
            try:
                post = read_post(Path(path), rel, kind, settings, tz)
            except InvalidFileError as error:
                result.errors.append(error)
                result.stats[rel] = stat
                continue
            if post is None:
                result.skipped.append(rel)
                continue
            result.posts.append(post)
            result.stats[rel] = stat
        result.errors += _linked_folders_outside(links, settings)

    _check_duplicate_slugs(result)
    return result


def summary(rel: str, entry: Entry) -> LocalPost:
    """A cached file as a post with its identity and status only: no body.

    Such a post may be planned as unchanged; anything that sends or compares
    its content must read the file first.
    """
    return LocalPost(
        path=rel,
        kind=entry.kind,
        slug=entry.slug,
        fields={"status": entry.status},
        body="",
        body_format=entry.body_format,
        explicit_id=entry.explicit_id,
        warnings=entry.warnings,
    )


def _markdown_files(
    folder: Path, settings: Settings, links: list[tuple[str, str]]
) -> list[tuple[str, str, os.stat_result]]:
    """Every ``.md`` file below ``folder`` not excluded, sorted, with its stat.

    The linked folders met (never walked into) are added to ``links``.
    """
    prefix = folder.relative_to(settings.root).as_posix()
    excluded = Exclusions(settings.exclude)
    found = []
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        base = prefix + top[len(str(folder)) :].replace(os.sep, "/")
        for name in dirs:
            path = os.path.join(top, name)
            if os.path.islink(path) and not excluded(f"{base}/{name}/x.md"):
                links.append((path, f"{base}/{name}"))
        for name in names:
            if not name.endswith(".md"):
                continue
            rel = f"{base}/{name}"
            path = os.path.join(top, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            if S_ISREG(stat.st_mode) and not excluded(rel):
                found.append((path, rel, stat))
    found.sort(key=lambda item: item[1].split("/"))
    return found


class Exclusions:
    """The ``exclude`` patterns, compiled once, matched against relative paths.

    A path is excluded when a pattern matches it the way ``PurePath.match``
    does (part by part from the right) or as a whole with ``fnmatch``; a
    pattern ``**/x/**`` also matches ``x/...`` at the top of the tree.
    """

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.whole: list[Any] = []
        self.by_parts: list[list[Any]] = []
        for pattern in patterns:
            self.whole.append(_glob(pattern))
            if pattern.startswith("**/"):
                self.whole.append(_glob(pattern[3:]))
            if pattern and not pattern.startswith("/"):
                parts = [part for part in pattern.split("/") if part not in ("", ".")]
                self.by_parts.append([_glob(part) for part in parts])

    def __call__(self, rel: str) -> bool:
        if any(match(rel) for match in self.whole):
            return True
        parts = rel.split("/")
        for pattern in self.by_parts:
            if len(pattern) > len(parts):
                continue
            tail = parts[-len(pattern) :]
            if all(match(part) for match, part in zip(pattern, tail, strict=True)):
                return True
        return False


def _glob(pattern: str) -> Any:
    return re.compile(fnmatch.translate(pattern)).match


def _check_duplicate_slugs(result: LocalScan) -> None:
    seen: dict[tuple[str, str], LocalPost] = {}
    kept = []
    for post in result.posts:
        other = seen.get((post.kind, post.slug))
        if other is None:
            seen[(post.kind, post.slug)] = post
            kept.append(post)
            continue
        result.errors.append(
            InvalidFileError(
                f"{post.path} and {other.path} have the same slug '{post.slug}'",
                path=post.path,
                field="slug",
                hint="give one of them another slug: in front matter",
            )
        )
    result.posts = kept


def read_post(
    path: Path, rel: str, kind: str, settings: Settings, tz: dt.tzinfo
) -> LocalPost | None:
    """Read one file into a :class:`LocalPost`, or raise InvalidFileError.

    None for a file that says ``sync: false``.
    """
    _check_inside(path, rel, settings)
    return parse_post(_read_text(path, rel), path, rel, kind, settings, tz)


def parse_post(
    text: str, path: Path, rel: str, kind: str, settings: Settings, tz: dt.tzinfo
) -> LocalPost | None:
    """The post ``text`` would be as the file ``path`` (which is not read).

    None for a text that says ``sync: false``.
    """
    front, body = _split(text, rel)
    if not _synced(front, rel):
        return None
    body_line = text.count("\n") - body.count("\n") + 1
    values, warnings = _values(front, rel, kind, settings.strict)
    newsletter, segment = _email(front, rel, kind)

    title = values.pop("title", None)
    if title is None:
        lines_before = body.count("\n")
        title, body = _title_from_body(body)
        body_line += lines_before - body.count("\n")
    if title is None:
        title = path.stem
        warnings.append(f"{rel}: no title; using the file name '{title}'")

    slug, stem_date = _slug(values, path, rel, front)
    _check_protected(slug, rel, front)
    warnings += _obsidian_warning(body, rel)
    if "published_at" not in values and stem_date is not None:
        values["published_at"] = stem_date

    body_format = _body_format(front, rel, settings)
    fields = _canonical_fields(values, kind, title, slug, settings, tz, front, rel)
    tag_names = tuple(values.get("tags") or ()) if "tags" in values else ()
    tag_names = tag_names or (() if "tags" in values else settings.default_tags)
    body_line += body.count("\n") - body.lstrip("\n").count("\n")
    text_sent = body.strip("\n") + "\n" if body.strip() else ""
    return LocalPost(
        path=rel,
        kind=kind,
        slug=slug,
        fields=fields,
        body=text_sent,
        fidelity=_fidelity(text_sent, body_format, rel, body_line),
        body_format=body_format,
        tag_names=tag_names,
        explicit_id=_explicit_id(front, rel),
        warnings=tuple(warnings),
        lines={ALIASES.get(key, key): line for key, line in front.lines.items()},
        newsletter=newsletter,
        email_segment=segment,
    )


def _explicit_id(front: _FrontMatter, rel: str) -> str:
    """An ``id:`` a user copied from Ghost: 24 hexadecimal digits, or nothing."""
    value = front.data.get("id")
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not GHOST_ID.fullmatch(value):
        raise _invalid(
            front,
            rel,
            "id",
            f"is {value!r}, not a Ghost post id (24 hexadecimal digits)",
            "remove the id: line (ghostsync finds the post itself) or copy the id"
            " from Ghost",
        )
    return value


def _check_inside(path: Path, rel: str, settings: Settings) -> None:
    """A symlink may not bring in a file from outside the content folders."""
    target = path.resolve()
    if not _in_content(target, settings):
        raise InvalidFileError(
            f"{rel} is a link to {target}, a file outside the content folders;"
            " it is not read",
            path=rel,
            hint=f"copy {target.name} into the content folder instead of linking to it",
        )


def _in_content(target: Path, settings: Settings) -> bool:
    roots = [folder.resolve() for folder in settings.content_dirs().values()]
    return any(target.is_relative_to(root) for root in roots)


def _linked_folders_outside(links: list[tuple[str, str]], settings: Settings) -> list:
    """Each linked folder (path, rel) pointing out of the content folders.

    The walk never follows a linked folder, so its files are never read; each
    such link is reported, so that its posts are not silently missing.
    """
    found = []
    for path, rel in links:
        target = Path(path).resolve()
        if not _in_content(target, settings):
            found.append(
                InvalidFileError(
                    f"{rel} is a link to {target}, a folder outside the content"
                    " folders; its files are not read",
                    path=rel,
                    hint=f"move the posts into {rel}/ instead of linking to them",
                )
            )
    return found


def _fidelity(body: str, body_format: str, rel: str, first_line: int) -> tuple:
    """What Ghost loses of this body, as ``file:line: what``."""
    found = bodies.fidelity_warnings(body, body_format, first_line=first_line)
    return tuple(f"{rel}:{warning.removeprefix('line ')}" for warning in found)


def _synced(front: _FrontMatter, rel: str) -> bool:
    value = front.data.get("sync", True)
    if not isinstance(value, bool):
        raise _invalid(front, rel, "sync", f"is {value!r}", "use sync: false")
    return value


def _email(front: _FrontMatter, rel: str, kind: str) -> tuple[str, str]:
    """The ``newsletter`` slug and ``email_segment`` filter, checked offline."""
    newsletter = front.data.get("newsletter")
    segment = front.data.get("email_segment")
    if newsletter is None and segment is None:
        return "", ""
    if kind != "post":
        key = "newsletter" if newsletter is not None else "email_segment"
        raise _invalid(front, rel, key, "is set on a page", "only posts are emailed")
    if newsletter is None:
        raise _invalid(
            front,
            rel,
            "email_segment",
            "is set without a newsletter",
            "add newsletter: <the newsletter's slug>",
        )
    newsletter = _expect_str(front, rel, "newsletter", newsletter).strip()
    segment = _expect_str(front, rel, "email_segment", segment or "all").strip()
    if not newsletter or not segment:
        key = "newsletter" if not newsletter else "email_segment"
        raise _invalid(front, rel, key, "is empty", "remove it, or give a value")
    return newsletter, segment


def _read_text(path: Path, rel: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidFileError(
            f"cannot read {rel}: {error.strerror}", path=rel
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidFileError(
            f"{rel} is not UTF-8 (byte {error.start})",
            path=rel,
            hint="save the file as UTF-8",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split(text: str, rel: str) -> tuple[_FrontMatter, str]:
    if text.startswith(TOML_FENCE + "\n"):
        return _split_toml(text, rel)
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        return _FrontMatter({}, {}, {}), text

    try:
        raw_front, body = handler.split(text)
    except ValueError:
        raise InvalidFileError(
            f"{rel}: the front matter has no closing '---' line",
            path=rel,
            line=1,
            hint="end the front matter with a line of three dashes",
        ) from None
    return _parse_yaml(raw_front, rel), body


def _split_toml(text: str, rel: str) -> tuple[_FrontMatter, str]:
    """Hugo's ``+++`` front matter: TOML, never left in the body."""
    lines = text.split("\n")
    end = next((i for i, line in enumerate(lines[1:], 1) if line == TOML_FENCE), None)
    if end is None:
        raise InvalidFileError(
            f"{rel}: the TOML front matter has no closing '+++' line",
            path=rel,
            line=1,
            hint="end the front matter with a line of three plus signs",
        )
    try:
        data = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        raise InvalidFileError(
            f"{rel}: the front matter is not valid TOML: {error}",
            path=rel,
            hint='check the quoting: key = "value"',
        ) from None

    where: dict[str, int] = {}
    for number, line in enumerate(lines[1:end], start=2):
        key = line.split("=", 1)[0].strip()
        if "=" in line and key in data:
            where.setdefault(key, number)
    front = _FrontMatter({str(k): v for k, v in data.items()}, where, {})
    return front, "\n".join(lines[end + 1 :])


def _parse_yaml(text: str, rel: str) -> _FrontMatter:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except ValueError as error:  # YAML read a date it cannot hold: 2025-02-30
        raise InvalidFileError(
            f"{rel}: the front matter holds an impossible value: {error}",
            path=rel,
            hint="check the dates: e.g. date: 2025-02-28",
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        hint = "check quoting and indentation; quote values that contain ': '"
        if "'\\t'" in str(error.problem):
            hint = "YAML forbids tabs for indentation: indent with spaces"
        raise InvalidFileError(
            f"{rel}:{line}: the front matter is not valid YAML: {error.problem}",
            path=rel,
            line=line,
            hint=hint,
        ) from None
    finally:
        loader.dispose()

    if node is None:
        return _FrontMatter({}, {}, {})
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise InvalidFileError(
            f"{rel}: the front matter must be 'key: value' lines",
            path=rel,
            line=2,
        )
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    raw = {
        str(k.value): str(v.value)
        for k, v in node.value
        if isinstance(v, yaml.ScalarNode)
    }
    return _FrontMatter({str(k): v for k, v in data.items()}, lines, raw)


def _values(
    front: _FrontMatter, rel: str, kind: str, strict: bool = False
) -> tuple[dict[str, Any], list]:
    """Managed values under Ghost's names; unknown keys warn (or, strict, fail)."""
    values: dict[str, Any] = {}
    warnings: list[str] = []
    managed = {f.name for f in fields_for(kind)}
    for key, value in front.data.items():
        name = ALIASES.get(key, key)
        if name in INSTRUCTIONS:
            continue
        if name == "published_at" and name in values:
            values[name] = _date_pair(front, rel, values[name], value, key, warnings)
            continue
        if name in values:
            raise _invalid(front, rel, key, f"sets {name} twice (also as an alias)")
        if name not in managed:
            warning = _unknown_key_warning(rel, front, key, kind)
            if strict:
                raise InvalidFileError(
                    warning + " (--strict)",
                    path=rel,
                    line=front.lines.get(key),
                    field=key,
                    hint="fix the key's name, or remove it",
                )
            warnings.append(warning)
            continue
        if name == "tags" and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
            warnings.append(
                f"{rel}:{front.lines.get(key, 1)}: tags is one text; split at commas"
                " (write tags: [a, b])"
            )
        values[name] = value
    return values, warnings


def _date_pair(
    front: _FrontMatter,
    rel: str,
    first: Any,
    second: Any,
    key: str,
    warnings: list[str],
) -> Any:
    """Both ``date`` and ``published_at``: ``published_at`` wins."""
    chosen = second if key == "published_at" else first
    if first != second:
        warnings.append(
            f"{rel}:{front.lines.get('date', 1)}: date and published_at differ;"
            f" published_at ({front.raw.get('published_at', chosen)}) is used"
        )
    return chosen


def _unknown_key_warning(rel: str, front: _FrontMatter, key: str, kind: str) -> str:
    import difflib

    names = [f.name for f in fields_for(kind)] + list(ALIASES)
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
    where = f"{rel}:{front.lines.get(key, 1)}"
    if close:
        return f"{where}: '{key}' is not synced; did you mean '{close[0]}'?"
    if key in FIELDS:
        return f"{where}: '{key}' is not synced for a {kind}; it is kept in the file"
    return f"{where}: '{key}' is kept in the file but not synced"


def _invalid(
    front: _FrontMatter, rel: str, key: str, problem: str, hint: str = ""
) -> Any:
    line = front.lines.get(key)
    where = f"{rel}:{line}" if line else rel
    return InvalidFileError(
        f"{where}: '{key}' {problem}", path=rel, line=line, field=key, hint=hint
    )


def _check_protected(slug: str, rel: str, front: _FrontMatter) -> None:
    if slug in PROTECTED_SLUGS:
        raise InvalidFileError(
            f"{rel}:{front.lines.get('slug', 1)}: the slug '{slug}' is kept by"
            " Ghost for its own pages",
            path=rel,
            line=front.lines.get("slug"),
            field="slug",
            hint="set another slug: in the front matter",
        )


def _obsidian_warning(body: str, rel: str) -> list[str]:
    """Obsidian links, embeds and callouts would be published as plain text."""
    found = OBSIDIAN.search(FENCE.sub("", body))
    if found is None:
        return []
    return [
        f"{rel}: '{found.group(0).strip()}' is Obsidian syntax, which Ghost shows"
        " as plain text; write a Markdown link, image or blockquote instead"
    ]


def _title_from_body(body: str) -> tuple[str | None, str]:
    lines = body.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None, body

    match = H1.match(lines[first])
    if not match:
        return None, body
    return match.group(1).strip(), "\n".join(lines[first + 1 :])


def _slug(
    values: dict[str, Any], path: Path, rel: str, front: _FrontMatter
) -> tuple[str, str | None]:
    """The slug, and the date a ``YYYY-MM-DD-`` file name gives (as a date)."""
    stem = path.parent.name if path.stem == "index" else path.stem
    date = None
    match = DATE_PREFIX.match(stem)
    if match:
        stem = match.group(4)
        date = dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()

    if "slug" in values:
        value = _expect_str(front, rel, "slug", values.pop("slug"))
        slug = slugify(value)
        if not slug:
            raise _invalid(front, rel, "slug", "is empty", "use letters, digits, '-'")
        return slug, date

    slug = slugify(stem)
    if not slug:
        raise InvalidFileError(
            f"{rel}: no slug can be made from the file name",
            path=rel,
            field="slug",
            hint="add slug: my-post to the front matter",
        )
    return slug, date


def slugify(text: str) -> str:
    """Ghost-style slug: lowercase ASCII letters, digits and single dashes."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:185].rstrip("-")


def _body_format(front: _FrontMatter, rel: str, settings: Settings) -> str:
    value = front.data.get("body_format", settings.body_format)
    if value not in BODY_FORMATS:
        raise _invalid(
            front, rel, "body_format", f"is {value!r}", "use 'markdown' or 'html'"
        )
    return str(value)


def _canonical_fields(
    values: dict[str, Any],
    kind: str,
    title: Any,
    slug: str,
    settings: Settings,
    tz: dt.tzinfo,
    front: _FrontMatter,
    rel: str,
) -> dict[str, Any]:
    problems: list[InvalidFileError] = []
    fields: dict[str, Any] = {
        "slug": slug,
        "status": settings.default_status,
        "tags": [slugify_tag(t) for t in settings.default_tags],
    }
    try:
        text = _expect_str(front, rel, "title", title)
        fields["title"] = _check_len(front, rel, FIELDS["title"], text)
    except InvalidFileError as error:
        problems.append(error)
    for spec in fields_for(kind):
        if spec.name in ("title", "slug"):
            continue
        if spec.name not in values:
            if spec.name not in fields and not spec.auto:
                fields[spec.name] = spec.default
            continue
        try:
            fields[spec.name] = _convert(spec, values[spec.name], front, rel, tz)
        except InvalidFileError as error:
            problems.append(error)

    if problems:
        raise _every_problem(problems, rel)
    _check_status(fields, front, rel)
    _check_tiers(fields, front, rel)
    return fields


def _every_problem(problems: list[InvalidFileError], rel: str) -> InvalidFileError:
    """One error listing every bad value of a file, so one edit fixes them all."""
    if len(problems) == 1:
        return problems[0]
    first = problems[0]
    listed = "; ".join(
        f"line {p.line}: {p.message.split(': ', 1)[-1]}" if p.line else p.message
        for p in problems
    )
    hints = "; ".join(dict.fromkeys(p.hint for p in problems if p.hint))
    return InvalidFileError(
        f"{rel}: {len(problems)} problems: {listed}",
        path=rel,
        line=first.line,
        field=first.field,
        hint=hints,
    )


def _convert(
    spec: Field, value: Any, front: _FrontMatter, rel: str, tz: dt.tzinfo
) -> Any:
    key = _front_key(front, spec.name)
    if value is None:
        return [] if spec.type == "tags" else spec.default
    if spec.type in ("str", "url"):
        return _check_len(front, rel, spec, _expect_str(front, rel, key, value)) or None
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise _invalid(front, rel, key, f"is {value!r}", "use true or false")
        return value
    if spec.type == "choice":
        text = _expect_str(front, rel, key, value)
        if text not in (*spec.choices, "scheduled"):
            choices = ", ".join(spec.choices)
            raise _invalid(front, rel, key, f"is '{text}'", f"use one of: {choices}")
        return "published" if text == "scheduled" else text
    if spec.type == "date":
        return _convert_date(value, front, rel, key, tz)
    if spec.type == "authors":
        return _convert_authors(value, front, rel, key)
    if spec.type == "tiers":
        return _convert_tiers(value, front, rel, key)
    return _convert_tags(value, front, rel, key)


def _front_key(front: _FrontMatter, name: str) -> str:
    for alias, target in ALIASES.items():
        if target == name and alias in front.data:
            return alias
    return name


def _expect_str(front: _FrontMatter, rel: str, key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raw = front.raw.get(key, str(value))
    what = YAML_TYPES.get(type(value), f"a {type(value).__name__}")
    if isinstance(value, dt.date | dt.datetime):
        what = "a date"
    raise _invalid(
        front,
        rel,
        key,
        f"is read by YAML as {what} ({raw} → {value!r}), not as text",
        f'quote it: {key}: "{raw}"',
    )


def _check_len(front: _FrontMatter, rel: str, spec: Field, value: str) -> str:
    if spec.max_len is not None and len(value) > spec.max_len:
        key = _front_key(front, spec.name)
        raise _invalid(
            front,
            rel,
            key,
            f"is {len(value)} characters; Ghost allows at most {spec.max_len}",
            "shorten it",
        )
    return value


def _convert_date(
    value: Any, front: _FrontMatter, rel: str, key: str, tz: dt.tzinfo
) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(
                front,
                rel,
                key,
                f"is '{value}', not a date",
                "write it as 2024-05-01 or 2024-05-01T09:30:00+02:00",
            ) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise _invalid(front, rel, key, f"is {value!r}, not a date", "e.g. 2024-05-01")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return iso_utc(value)


def iso_utc(moment: dt.datetime) -> str:
    """Ghost's timestamp form: UTC, whole seconds, ``.000Z``."""
    utc = moment.astimezone(dt.UTC).replace(microsecond=0)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _convert_tags(value: Any, front: _FrontMatter, rel: str, key: str) -> list[str]:
    if not isinstance(value, list):
        raise _invalid(front, rel, key, f"is {value!r}", "write tags: [a, b]")

    slugs = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _invalid(front, rel, key, f"holds {item!r}", "each tag is a name")
        if "," in item:
            raise _invalid(front, rel, key, f"holds '{item}' with a comma", "split it")
        if len(item) > TAG_MAX:
            raise _invalid(
                front,
                rel,
                key,
                f"holds a tag of {len(item)} characters; Ghost allows {TAG_MAX}",
                "shorten the tag",
            )
        slugs.append(slugify_tag(item))
    return list(dict.fromkeys(slugs))


def _reference_list(value: Any, front: _FrontMatter, rel: str, key: str) -> list:
    """A list of non-empty texts; one text alone is a list of one."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _invalid(front, rel, key, f"is {value!r}", f"write {key}: [a, b]")
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise _invalid(front, rel, key, f"holds {item!r}", "each entry is a text")
    return [item.strip() for item in items]


def _convert_authors(value: Any, front: _FrontMatter, rel: str, key: str) -> list[str]:
    """Staff users: an entry with ``@`` is an email, else a slug; order kept."""
    entries = _reference_list(value, front, rel, key)
    if not entries:
        raise _invalid(
            front,
            rel,
            key,
            "is empty; Ghost needs at least one author",
            "remove the key to keep Ghost's default author",
        )
    return list(dict.fromkeys(entry.lower() for entry in entries))


def _convert_tiers(value: Any, front: _FrontMatter, rel: str, key: str) -> list[str]:
    """Paid tiers by name or slug; their order means nothing to Ghost."""
    entries = _reference_list(value, front, rel, key)
    return sorted({entry.lower() for entry in entries})


def slugify_tag(name: str) -> str:
    """The slug Ghost gives a tag name; ``#name`` is internal (``hash-name``)."""
    name = name.strip()
    if name.startswith("#"):
        return "hash-" + slugify(name[1:])
    return slugify(name)


def _check_status(fields: dict[str, Any], front: _FrontMatter, rel: str) -> None:
    if front.data.get("status") == "scheduled" and not fields.get("published_at"):
        raise _invalid(
            front,
            rel,
            "status",
            "is 'scheduled' but no date says when",
            "add date: with a future time",
        )
    if fields["status"] == "sent":
        raise _invalid(
            front,
            rel,
            "status",
            "is 'sent': email-only posts are read-only",
            "remove the file from the content folder, or exclude it",
        )


def _check_tiers(fields: dict[str, Any], front: _FrontMatter, rel: str) -> None:
    """``tiers`` goes with ``visibility: tiers``, and only with it."""
    if "tiers" not in fields:
        return
    if fields["visibility"] == "tiers" and not fields["tiers"]:
        raise _invalid(
            front,
            rel,
            "visibility",
            "is 'tiers' but no tiers are named",
            "add tiers: [Name of a paid tier]",
        )
    if fields["visibility"] != "tiers" and fields["tiers"]:
        raise _invalid(
            front,
            rel,
            "tiers",
            f"names tiers but visibility is '{fields['visibility']}'",
            "add visibility: tiers, or remove tiers",
        )
