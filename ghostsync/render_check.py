"""``push --check-render``: how Ghost renders a post, next to the local rendering.

Nothing of the post is pushed. Each selected file is sent as a temporary draft
(its body exactly as a push would send it, under a throw-away slug), Ghost's
HTML of that draft is read back, and the draft is deleted again, whatever
happened in between. Both renderings are reduced to an outline of their blocks
(tag and text, no attributes or classes), and the lines that differ are listed.

The local rendering is CommonMark with tables, strikethrough, footnotes and
task lists: what an editor's Markdown preview shows.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

import ghostsync.body as bodies
from ghostsync.errors import GhostAPIError
from ghostsync.source import LocalPost

SLUG_PREFIX = "ghostsync-render-check-"
MAX_DIFFERENCES = 20

BLOCKS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "th",
    "td",
    "hr",
    "img",
    "iframe",
    "figcaption",
    "dt",
    "dd",
}
VOID = {"hr", "img", "br", "input"}


@dataclass
class RenderCheck:
    """The result for one file: the differing outline lines, or an error."""

    path: str
    draft_slug: str
    differences: list[str] = field(default_factory=list)
    error: str = ""
    deleted: bool = False


@cache
def _local_parser() -> MarkdownIt:
    options = {"html": True, "linkify": True, "typographer": False}
    md = MarkdownIt("commonmark", options).enable(["table", "strikethrough"])
    return md.use(footnote_plugin).use(tasklists_plugin)


def local_html(markdown: str) -> str:
    """The rendering a Markdown preview would show."""
    return _local_parser().render(markdown)


class _Outliner(HTMLParser):
    """Block elements as ``tag: text`` lines, nested by indentation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        # Open blocks: label, text so far, whether a line was written for it.
        self._stack: list[tuple[str, list[str], list[bool]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "input" and values.get("type") == "checkbox":
            checked = "x" if "checked" in values else " "
            self._text(f"[checkbox {checked}] ")
        elif tag == "br":
            self._text(" ")
        elif tag in BLOCKS:
            self._flush()
            label = tag + _detail(tag, values)
            if tag in VOID:
                self._emit(label, "")
                return
            written = tag == "blockquote"
            if written:  # a container: its line comes before its contents
                self._emit(label, "")
            self._stack.append((label, [], [written]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCKS and tag not in VOID and self._stack:
            label, parts, written = self._stack.pop()
            text = "".join(parts)
            if text.strip() or not written[0]:
                self._emit(label, text)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text(data)

    def _text(self, text: str) -> None:
        if self._stack:
            self._stack[-1][1].append(text)

    def _flush(self) -> None:
        """Text of an enclosing block before a nested one is its own line."""
        if not self._stack:
            return
        label, parts, written = self._stack[-1]
        if "".join(parts).strip() or not written[0]:
            self._emit(label, "".join(parts), inside=True)
            parts.clear()
            written[0] = True

    def _emit(self, label: str, text: str, inside: bool = False) -> None:
        depth = len(self._stack) - (1 if inside else 0)
        words = " ".join(text.split())
        self.lines.append("  " * depth + (f"{label}: {words}" if words else label))


def _detail(tag: str, values: dict[str, str | None]) -> str:
    return f"({values.get('src') or ''})" if tag == "img" else ""


def outline(html: str) -> list[str]:
    """The blocks of an HTML text, attributes left out."""
    html = re.sub(r'<code class="language-([\w+-]+)">', r"<code>[\1] ", html)
    parser = _Outliner()
    parser.feed(html)
    parser.close()
    return parser.lines


def differences(local: str, ghost: str) -> list[str]:
    """``local: …`` and ``Ghost: …`` lines where the two outlines differ."""
    found = []
    for line in difflib.ndiff(outline(local), outline(ghost)):
        if line.startswith("- "):
            found.append("local: " + line[2:].strip())
        elif line.startswith("+ "):
            found.append("Ghost: " + line[2:].strip())
    return found


def _draft(post: LocalPost, slug: str) -> tuple[dict[str, Any], bool]:
    """A bare draft carrying the post's body as push would send it."""
    data: dict[str, Any] = {
        "title": f"[ghostsync render check] {post.fields['title']}"[:255],
        "slug": slug,
        "status": "draft",
    }
    if post.body_format == "html":
        data["html"] = bodies.render_html(post.body)
        return data, True
    data["lexical"] = bodies.markdown_card_lexical(bodies.join_soft_breaks(post.body))
    return data, False


def check(client: Any, post: LocalPost) -> RenderCheck:
    """Render one file in a temporary draft and compare; the draft is deleted."""
    slug = SLUG_PREFIX + secrets.token_hex(4)
    result = RenderCheck(post.path, slug)
    data, source_html = _draft(post, slug)
    created = None
    try:
        created = client.create(post.kind, data, source_html=source_html)
        ghost = client.read(post.kind, created["id"], formats=["html"])
        found = differences(local_html(post.body), ghost.get("html") or "")
        result.differences = found[:MAX_DIFFERENCES]
        if len(found) > MAX_DIFFERENCES:
            result.differences.append(f"… and {len(found) - MAX_DIFFERENCES} more")
    except GhostAPIError as error:
        result.error = str(error)
    finally:
        if created is not None:
            result.deleted = _delete(client, post.kind, created["id"], result)
    return result


def _delete(client: Any, kind: str, post_id: str, result: RenderCheck) -> bool:
    try:
        client.delete(kind, post_id)
    except GhostAPIError as error:
        result.error = (
            f"the temporary draft {result.draft_slug} could not be deleted"
            f" ({error}); delete it in Ghost"
        )
        return False
    return True


def check_all(
    client: Any,
    posts: list[LocalPost],
    report: Callable[[RenderCheck], None] = lambda result: None,
) -> list[RenderCheck]:
    """Check each post in turn; ``report`` hears each result as it is known."""
    results = []
    for post in posts:
        result = check(client, post)
        report(result)
        results.append(result)
    return results
