"""Ghost's HTML back into Markdown, for posts that are not one Markdown card.

The conversion is markdownify's (on BeautifulSoup), steered block by block:

- Ghost cards with no Markdown form stay raw HTML blocks, as Ghost rendered
  them: HTML cards (with their ``kg-card-begin``/``kg-card-end`` comments, so a
  push makes them HTML cards again), bookmarks, embeds, galleries, buttons,
  callouts, toggles, files, products, headers, image cards with a caption or a
  link, code cards with a caption, and anything else marked ``kg-card``.
- Image cards without a caption become ``![alt](src)``; code blocks become
  fences whose info string is the ``language-xxx`` class.
- Footnotes (from a Markdown card next to other nodes) stay HTML too, the
  references inline and the notes as a block, so their links keep working.
- Everything else (headings, paragraphs, lists, quotes, rules) is Markdown,
  with text that would read as Markdown syntax escaped.

Raw HTML blocks must not hold blank lines: in Markdown a blank line ends an
HTML block and the rest would be read as text. Outside ``<pre>`` and
``<textarea>`` whitespace-only lines carry no meaning in HTML, so they go.

Links and images to the site itself become root-relative where that reads
back to the same canonical form (see :mod:`ghostsync.canonical`).
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import MarkdownConverter

from ghostsync.canonical import SiteURL

HTML_CARD = re.compile(
    r"<!--kg-card-begin: html-->\n?(.*?)\n?<!--kg-card-end: html-->", re.DOTALL
)
_BLANK_LINES = re.compile(r"\n[ \t]*(?=\n)")
_KEEPS_BLANKS = re.compile(r"<(pre|textarea)\b", re.IGNORECASE)
_MARKDOWN_MARKERS = ("kg-card-begin: markdown", "kg-card-end: markdown")
# A Markdown card's footnotes, as Ghost renders them: kept as HTML so the
# links between references and notes keep their ids.
_FOOTNOTES = {"footnotes", "footnotes-sep"}


class _Converter(MarkdownConverter):  # type: ignore[misc]
    """markdownify with fences that keep the language and survive backticks,
    and footnote references kept as the HTML their links point into."""

    def convert_sup(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "footnote-ref" in (el.get("class") or []):
            return str(el)
        # markdownify builds convert_sup at import time; mypy cannot see it.
        return str(super().convert_sup(el, text, parent_tags))  # type: ignore[misc]

    def convert_u(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return f"<u>{text}</u>" if text.strip() else text

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        code = el.get_text()
        if code.endswith("\n"):
            code = code[:-1]
        runs = [len(run) for run in re.findall(r"`{3,}", code)]
        fence = "`" * max([3, *(n + 1 for n in runs)])
        return f"\n\n{fence}{_language(el)}\n{code}\n{fence}\n\n"


def _language(pre: Tag) -> str:
    code = pre.find("code")
    classes = list(code.get("class") or []) if isinstance(code, Tag) else []
    for name in classes:
        if name.startswith("language-"):
            return str(name[len("language-") :])
    return ""


_OPTIONS: dict[str, Any] = {
    "heading_style": "ATX",
    "bullets": "-",
    "newline_style": "BACKSLASH",
    "escape_asterisks": True,
    "escape_underscores": True,
    # Text that reads as Markdown (a line starting "1. ", "# ", "> ", a "<b>"
    # written as text, brackets, backticks) must stay text.
    "escape_misc": True,
    # Markdown has no superscript, subscript or underline: inline HTML.
    "sup_symbol": "<sup>",
    "sub_symbol": "<sub>",
}


def markdown_from_html(html: str, site: SiteURL) -> str:
    """The Markdown of a post rendered by Ghost (``html`` from ``formats=html``)."""
    blocks: list[str] = []
    position = 0
    for match in HTML_CARD.finditer(html):
        blocks += _convert_blocks(html[position : match.start()])
        blocks.append(_html_card(match.group(1)))
        position = match.end()
    blocks += _convert_blocks(html[position:])

    text = "\n\n".join(block for block in blocks if block.strip())
    return relative_site_links(text, site) + "\n" if text else ""


def _html_card(inner: str) -> str:
    return f"<!--kg-card-begin: html-->\n{_no_blank_lines(inner)}\n" + (
        "<!--kg-card-end: html-->"
    )


def _no_blank_lines(html: str) -> str:
    """Raw HTML that stays one Markdown HTML block (see the module docstring)."""
    html = html.strip("\n")
    if _KEEPS_BLANKS.search(html):
        # TODO: a blank line inside <pre> in a raw block splits it in Markdown;
        # Ghost's editor rarely makes one, so it is left as written for now.
        return html
    return _BLANK_LINES.sub("", html)


def _convert_blocks(html: str) -> list[str]:
    """Each top-level node of a stretch of Ghost HTML, as a Markdown block."""
    soup = BeautifulSoup(html, "html.parser")
    blocks: list[str] = []
    pending: list[Any] = []
    for node in list(soup.contents):
        raw = _raw_block(node)
        if raw is None:
            pending.append(node)
            continue
        blocks.append(_markdown(pending))
        pending = []
        blocks.append(raw)
    blocks.append(_markdown(pending))
    return blocks


def _raw_block(node: Any) -> str | None:
    """The node as a raw HTML block, or None when it has a Markdown form."""
    if isinstance(node, Comment):
        text = str(node).strip()
        if text in _MARKDOWN_MARKERS:
            return ""
        return f"<!--{node}-->"
    if not isinstance(node, Tag):
        return None

    classes = set(node.get("class") or [])
    if classes & _FOOTNOTES:
        return str(node)
    if "kg-card" not in classes:
        return None
    if "kg-image-card" in classes and _plain_image(node):
        return None
    if "kg-code-card" in classes and node.find("figcaption") is None:
        return None
    return _no_blank_lines(str(node))


def _plain_image(figure: Tag) -> bool:
    """An image card Markdown can say: one image, no caption, no link."""
    images = figure.find_all("img")
    return len(images) == 1 and figure.find(["figcaption", "a"]) is None


def _markdown(nodes: list[Any]) -> str:
    if not nodes:
        return ""
    html = "".join(str(node) for node in nodes if not _is_blank(node))
    text = _Converter(**_OPTIONS).convert(html)
    return _tidy(text)


def _is_blank(node: Any) -> bool:
    return isinstance(node, NavigableString) and not str(node).strip()


def _tidy(text: str) -> str:
    """Blocks separated by one blank line, no trailing spaces but hard breaks."""
    text = re.sub(r"\n{3,}", "\n\n", text.strip("\n"))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def relative_site_links(text: str, site: SiteURL) -> str:
    """Link and image targets on the site itself made root-relative.

    Only where the result reads back to the same canonical form: a target that
    is the bare site URL, or text outside a link, stays absolute.
    """
    if not site.base:
        return text

    changed = text
    for base in _bases(site):
        pattern = re.compile(
            r"(\]\(\s*<?|^[ ]{0,3}\[[^\]]+\]:[ \t]*<?|\b(?:href|src)\s*=\s*[\"'])"
            + re.escape(base)
            + r"(?=/)",
            re.MULTILINE,
        )
        changed = pattern.sub(lambda m: m.group(1) + site.subdir, changed)

    if _canonical(changed, site) != _canonical(text, site):
        return text
    return changed


def _bases(site: SiteURL) -> list[str]:
    base = site.base
    other = (
        "http://" + base[len("https://") :]
        if base.startswith("https://")
        else "https://" + base[len("http://") :]
    )
    return [base, other]


def _canonical(text: str, site: SiteURL) -> str:
    return site.absolute_to_placeholder(site.relative_to_placeholder(text))
