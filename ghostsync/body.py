"""Body formats: how the Markdown body of a post travels to Ghost and back.

A post's ``body_format`` is one of two:

``markdown`` (the default)
    The body is sent as Lexical holding exactly one Markdown card
    (:func:`markdown_card_lexical`) and read back as that card's text
    (:func:`markdown_from_lexical`), so nothing is lost either way. Ghost renders
    the card with markdown-it in ``breaks`` mode, where a single newline inside a
    paragraph becomes ``<br>``; CommonMark reads it as a space. So before sending,
    :func:`join_soft_breaks` joins the soft line breaks of paragraphs, and Ghost
    shows the text the way every CommonMark renderer does.

``html``
    The body is rendered here (:func:`render_html`) and sent with ``?source=html``.
    Ghost converts that HTML into native Lexical nodes and drops what it does not
    know, so raw HTML blocks, tables and footnotes are wrapped in Ghost HTML cards,
    which keep their HTML as written. :func:`fidelity_warnings` names what else
    the conversion loses or changes, line by line.

Everything here is pure: text in, text out. Line endings: :func:`join_soft_breaks`
returns LF text whatever it is given (CRLF and a lone CR become LF, as markdown-it
reads them); the other functions accept either because markdown-it normalises
them the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import newline as newline_rule
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

BODY_FORMATS = ("markdown", "html")

CARD_BEGIN = "<!--kg-card-begin: html-->"
CARD_END = "<!--kg-card-end: html-->"
MEMBERS_ONLY = "<!--members-only-->"

# Token meta key: where a break's newline was in its inline content, and whether
# the break swallowed a trailing space.
_BREAK = "ghostsync_break"

# Block tokens that put a top-level block into an HTML card.
_CARD_TOKENS = {"html_block", "table_open", "footnote_block_open", "footnote_ref"}

# Where a top-level block goes in html format.
_NATIVE, _CARD, _AS_IS = "native", "card", "as is"
_USER_CARD_BEGIN = "<!--kg-card-begin:"
_USER_CARD_END = "<!--kg-card-end:"

# HTML elements without an end tag, for the depth of a raw HTML scan.
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}  # fmt: skip

# What Ghost's HTML→Lexical converter does, as seen with the one in Ghost 6.65.
# Inline tags it keeps, with the attributes it keeps:
_KEPT_INLINE = {
    "a": {"href", "rel"},
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "s": set(),
    "u": set(),
    "code": set(),
    "sub": set(),
    "sup": set(),
    "br": set(),
}
# Inline tags it drops with their content (others it unwraps to their text):
_DROPPED_INLINE = {"script", "style", "video", "audio"}

_MOVES_OUT = "moves its list item out of the list, to just after it"
_SPLITS = "of its own, splitting the text"
_TASK = "task list checkbox {} shows as literal text in Ghost"

# What the converter does to a block inside a blockquote or a list item:
_IN_QUOTE = {
    "blockquote_open": "nested blockquote is merged into the outer quote's text",
    "bullet_list_open": "list inside a blockquote is flattened into the quote's text",
    "ordered_list_open": "list inside a blockquote is flattened into the quote's text",
    "fence": "code block inside a blockquote is dropped",
    "code_block": "code block inside a blockquote is dropped",
    "heading_open": "heading inside a blockquote becomes plain quote text",
    "hr": "horizontal rule inside a blockquote is dropped",
}
_IN_ITEM = {
    "blockquote_open": f"blockquote inside a list item {_MOVES_OUT}",
    "fence": f"code block inside a list item {_MOVES_OUT}",
    "code_block": f"code block inside a list item {_MOVES_OUT}",
    "heading_open": f"heading inside a list item {_MOVES_OUT}",
    "hr": f"horizontal rule inside a list item {_MOVES_OUT}",
}


# --- Lexical -----------------------------------------------------------------


def markdown_card_lexical(markdown: str) -> str:
    """Ghost Lexical, as a JSON string, holding ``markdown`` as its one Markdown card.

    An empty body is still one card, with empty text. Ghost renders every Lexical
    document it saves, and Lexical refuses a root without children ("the editor
    state is empty", which Ghost answers with 422 "Invalid lexical structure"),
    whereas an empty Markdown card renders as nothing. Checked with the Lexical
    renderer shipped in Ghost 6.65.
    """
    card = {"type": "markdown", "version": 1, "markdown": markdown}
    root = {
        "children": [card],
        "direction": None,
        "format": "",
        "indent": 0,
        "type": "root",
        "version": 1,
    }
    return json.dumps({"root": root}, separators=(",", ":"), ensure_ascii=False)


def markdown_from_lexical(lexical: str | None) -> str | None:
    """The Markdown of a Ghost post when its Lexical is exactly one Markdown card.

    An empty root gives ``""``. Empty paragraphs after the card are ignored:
    Ghost's editor adds one when it saves such a post, and it shows nothing.
    Anything else (a post written in Ghost's editor, a card next to other
    nodes, invalid JSON, no Lexical) gives ``None``.
    """
    root = _lexical_root(lexical)
    if root is None:
        return None

    children = root.get("children")
    if children == []:
        return ""
    if not isinstance(children, list) or not children:
        return None
    if not all(_empty_paragraph(node) for node in children[1:]):
        return None
    return _card_text(children[0])


def _empty_paragraph(node: object) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "paragraph"
        and not node.get("children")
    )


def _lexical_root(lexical: str | None) -> dict[str, object] | None:
    if not lexical:
        return None
    try:
        document = json.loads(lexical)
    except ValueError:
        return None

    root = document.get("root") if isinstance(document, dict) else None
    return root if isinstance(root, dict) else None


def _card_text(node: object) -> str | None:
    if not isinstance(node, dict) or node.get("type") != "markdown":
        return None
    text = node.get("markdown", "")
    return text if isinstance(text, str) else None


# --- Soft line breaks --------------------------------------------------------


def join_soft_breaks(markdown: str) -> str:
    """``markdown`` with the soft line breaks of its paragraphs joined into spaces.

    Which source lines continue a paragraph comes from markdown-it's tokens: a
    paragraph (or a setext heading's text) knows its lines, and its inline
    children say which line ends are soft breaks. A continuation line is moved to
    the end of the line before it, without its container prefix (``>`` or list
    indentation) and leading blanks, after a space; the trailing space the break
    swallowed, if any, goes. Hard breaks, code, tables, HTML blocks, headings'
    underlines and everything outside paragraphs stay as they are.

    The result is LF text, renders to the same HTML as the input with its soft
    breaks read as spaces, and joining it again changes nothing. Two rare cases
    keep that so: a line that is only a list marker (``+`` after a hard break)
    gets a backslash, so the text joined to it does not start a list; and a join
    that would still change the block structure (a joined line becoming a table
    header over a delimiter row) is left out.
    """
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    blocks = _merges_by_block(text, lines)
    if not blocks:
        return text

    merged = {line: merge for merges in blocks for line, merge in merges.items()}
    joined = _apply_merges(lines, merged)
    if _skeleton(joined) == _skeleton(text):
        return joined
    return _apply_merges(lines, _safe_merges(text, lines, blocks))


class _Merge(NamedTuple):
    """A continuation line joined to the line before it."""

    strip: bool  # drop the space that line ends with
    rest: str  # the continuation's text, without prefix and leading blanks
    escape: int | None  # where a backslash keeps that line's lone marker literal


_Merges = dict[int, _Merge]  # by the continuation's line number


def _recording_newline(state: StateInline, silent: bool) -> bool:
    """markdown-it's newline rule, noting what each break it makes was."""
    start = state.pos
    swallows = state.pending.endswith(" ")
    pushed = len(state.tokens)
    if not newline_rule(state, silent):
        return False

    if len(state.tokens) > pushed:
        state.tokens[-1].meta[_BREAK] = (start, swallows)
    return True


@cache
def _block_parser() -> MarkdownIt:
    """The parser that finds paragraphs, with the block syntax Ghost's card knows."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin, inline=False)
    md.inline.ruler.at("newline", _recording_newline)
    return md


def _merges_by_block(text: str, lines: list[str]) -> list[_Merges]:
    """The merges of each paragraph (or setext heading) with soft breaks."""
    tokens = _block_parser().parse(text)
    found = []
    for index, token in enumerate(tokens):
        first, count = _text_lines(token)
        if count < 2:
            continue

        merges = _block_merges(tokens[index + 1], first, count, lines)
        if merges:
            found.append(merges)
    return found


def _text_lines(token: Token) -> tuple[int, int]:
    """First line and number of lines of the inline text a block token opens."""
    if token.map is None:
        return 0, 0

    start, end = token.map
    if token.type == "paragraph_open":
        return start, end - start
    if token.type == "heading_open" and token.markup in ("=", "-"):
        return start, end - start - 1
    return start, 0


def _block_merges(inline: Token, first: int, count: int, lines: list[str]) -> _Merges:
    content_lines = inline.content.split("\n")
    lead = _lead(content_lines, lines[first : first + count])
    if lead is None:
        return {}

    start = first + lead
    merges = {}
    for child in inline.children or []:
        if child.type != "softbreak" or _BREAK not in child.meta:
            continue

        position, swallows = child.meta[_BREAK]
        offset = inline.content.count("\n", 0, position) + 1
        last = offset == len(content_lines) - 1
        rest = _continuation(lines[start + offset], content_lines[offset], last)
        if rest is None:
            return {}

        escape = _marker_escape(lines[start + offset - 1], content_lines[offset - 1])
        merges[start + offset] = _Merge(swallows, rest, escape)
    return merges


def _lead(content_lines: list[str], block_lines: list[str]) -> int | None:
    """How many lines of the block come before its inline text, if that is sure.

    markdown-it trims the text, so lines of only Unicode spaces (no-break
    spaces, say) at either end of a block are not part of it.
    """
    spare = len(block_lines) - len(content_lines)
    fits = [n for n in range(spare + 1) if _fits(content_lines, block_lines[n:])]
    return fits[0] if len(fits) == 1 else None


def _fits(content_lines: list[str], source_lines: list[str]) -> bool:
    window = source_lines[: len(content_lines)]
    pairs = enumerate(zip(window, content_lines, strict=True))
    last = len(content_lines) - 1
    return all(
        _continuation(source, text, number == last) is not None
        for number, (source, text) in pairs
    )


def _continuation(source: str, content_line: str, last: bool) -> str | None:
    """The part of a source line that follows a soft break, or None if unsure."""
    text = content_line.lstrip(" \t")
    scope = source.rstrip(MD_TRIM_CHARS) if last else source
    if not scope.endswith(text):
        return None
    return source[len(scope) - len(text) :]


def _marker_escape(source: str, content_line: str) -> int | None:
    """Where to escape a line that is only a list marker, before text joins it.

    After a hard break, a line such as ``+`` or ``1.`` continues the paragraph
    (an empty list item cannot interrupt one); with text after it, it would
    start a list. A backslash before the marker's last character keeps it text.
    """
    text = content_line.strip(" \t")
    number, end = text[:-1], text[-1:]
    ordered = end in (".", ")") and 0 < len(number) < 10 and number.isascii()
    if text not in ("-", "+", "*") and not (ordered and number.isdigit()):
        return None
    return len(source) - len(content_line.lstrip(" \t")) + len(text) - 1


def _apply_merges(lines: list[str], merges: _Merges) -> str:
    out: list[str] = []
    for number, line in enumerate(lines):
        merge = merges.get(number)
        if merge is None:
            out.append(line)
            continue

        previous = out[-1]
        if merge.escape is not None and number - 1 not in merges:
            previous = f"{previous[: merge.escape]}\\{previous[merge.escape :]}"
        if merge.strip:
            previous = previous[:-1]
        out[-1] = f"{previous} {merge.rest}"
    return "\n".join(out)


def _skeleton(text: str) -> list[tuple[str, str, bool]]:
    """The block structure of ``text``: what joining must never change."""
    tokens = _block_parser().parse(text)
    return [(t.type, t.markup, t.hidden) for t in tokens if t.type != "inline"]


def _safe_merges(text: str, lines: list[str], blocks: list[_Merges]) -> _Merges:
    """The merges that keep the block structure: whole blocks, else one by one."""
    reference = _skeleton(text)
    accepted: _Merges = {}
    for merges in blocks:
        if _skeleton(_apply_merges(lines, accepted | merges)) == reference:
            accepted |= merges
            continue

        for line, merge in merges.items():
            trial = accepted | {line: merge}
            if _skeleton(_apply_merges(lines, trial)) == reference:
                accepted = trial
    return accepted


# --- HTML --------------------------------------------------------------------


@cache
def _html_parser() -> MarkdownIt:
    """CommonMark with raw HTML, tables, strikethrough and footnotes."""
    options = {"html": True, "linkify": False, "typographer": False}
    md = MarkdownIt("commonmark", options).enable(["table", "strikethrough"])
    return md.use(footnote_plugin)


def render_html(markdown: str) -> str:
    """The HTML ghostsync sends with ``?source=html`` for a Markdown body.

    Each top-level block that holds a raw HTML block, a table or a footnote
    (reference or definition list) is wrapped in a Ghost HTML card, so Ghost keeps
    its HTML verbatim: its converter would drop the raw HTML, and the ``id``
    attributes footnote links jump to. Everything else is left to become native
    Ghost nodes. A raw ``<!--members-only-->`` line stays unwrapped: Ghost turns
    it into its paywall card. Raw HTML already marked as a Ghost card is kept
    as written.
    """
    md = _html_parser()
    env: dict[str, object] = {}
    tokens = md.parse(markdown, env)
    parts = []
    for group, placement in _placements(tokens):
        html = md.renderer.render(group, md.options, env)
        parts.append(_html_card(html) if placement == _CARD else html)
    return "".join(parts)


def _top_level_groups(tokens: list[Token]) -> Iterator[list[Token]]:
    """The tokens of each top-level block, from its opening to its closing."""
    group: list[Token] = []
    depth = 0
    for token in tokens:
        group.append(token)
        depth += token.nesting
        if depth == 0:
            yield group
            group = []
    if group:
        yield group


def _placements(tokens: list[Token]) -> Iterator[tuple[list[Token], str]]:
    """Each top-level block with where it goes: native nodes, a card, or as is.

    Raw HTML the writer already marked as a Ghost card (markdown-it reads the
    begin comment, the content and the end comment as separate HTML blocks) and
    the members-only marker pass through as they are.
    """
    in_user_card = False
    for group in _top_level_groups(tokens):
        first = group[0]
        if first.type != "html_block":
            wrap = any(token.type in _CARD_TOKENS for token in _walk(group))
            yield group, _CARD if wrap else _NATIVE
            continue

        text = first.content.strip()
        if text.startswith(_USER_CARD_BEGIN):
            in_user_card = _USER_CARD_END not in text
            yield group, _AS_IS
        elif in_user_card or text == MEMBERS_ONLY:
            in_user_card = in_user_card and _USER_CARD_END not in text
            yield group, _AS_IS
        else:
            yield group, _CARD


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _html_card(html: str) -> str:
    if not html.endswith("\n"):
        html += "\n"
    return f"{CARD_BEGIN}\n{html}{CARD_END}\n"


# --- Fidelity warnings -------------------------------------------------------


def fidelity_warnings(
    markdown: str, body_format: str, *, first_line: int = 1
) -> list[str]:
    """What Ghost will lose or change of this body in ``body_format``, by line.

    ``first_line`` is the file line number of the body's first line (the body
    follows the front matter). ``markdown`` loses nothing: only task lists are
    named, whose checkboxes Ghost shows as literal ``[ ]`` text in either format.
    ``html`` also names what Ghost's HTML→Lexical conversion changes outside the
    HTML cards: blocks inside quotes and list items, images inside links, quotes
    or list items, link titles, and inline HTML tags, attributes and comments.
    """
    if body_format not in BODY_FORMATS:
        raise ValueError(f"unknown body format {body_format!r}")

    tokens = _html_parser().parse(markdown, {})
    found = list(_task_lists(tokens))
    if body_format == "html":
        found += _html_losses(tokens)

    found.sort(key=lambda item: item[0])
    unique = dict.fromkeys(found)
    return [f"line {line + first_line}: {text}" for line, text in unique]


def _line(token: Token) -> int:
    return token.map[0] if token.map else 0


def _task_lists(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    for index, token in enumerate(tokens[:-2]):
        if token.type != "list_item_open" or tokens[index + 1].type != "paragraph_open":
            continue

        text = tokens[index + 2].content
        if text[:3] in ("[ ]", "[x]", "[X]") and text[3:4] in ("", " ", "\t"):
            yield _line(token), _TASK.format(text[:3])


def _html_losses(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    for group, placement in _placements(tokens):
        if placement == _AS_IS:
            continue
        losses = _card_losses(group) if placement == _CARD else _native_losses(group)
        for line, text in losses:
            yield line, f"{text} in html format"


def _card_losses(group: list[Token]) -> Iterator[tuple[int, str]]:
    """HTML cards keep their elements; comments between them are dropped."""
    first = group[0]
    if first.type != "html_block":
        return

    scan = _scan_html(first.content)
    if any(kind == "comment" and depth == 0 for kind, _, _, depth in scan.events):
        yield _line(first), "HTML comment outside any element is dropped"


@dataclass
class _Container:
    kind: str
    paragraphs: int = 0


def _native_losses(group: list[Token]) -> Iterator[tuple[int, str]]:
    """What the converter changes in a block that becomes native Ghost nodes."""
    stack: list[_Container] = []
    for token in group:
        if token.type in ("blockquote_close", "list_item_close"):
            stack.pop()
            continue

        inner = stack[-1] if stack else None
        if token.type == "inline":
            yield from _inline_losses(token, inner.kind if inner else "")
            continue

        if inner is not None:
            yield from _block_loss(token, inner)
        if token.type == "blockquote_open":
            stack.append(_Container("quote"))
        elif token.type == "list_item_open":
            stack.append(_Container("item"))


def _block_loss(token: Token, inner: _Container) -> Iterator[tuple[int, str]]:
    if token.type == "paragraph_open":
        inner.paragraphs += 1
        if inner.kind == "item" and inner.paragraphs == 2:
            yield _line(token), "paragraphs of one list item run together"
        return

    losses = _IN_QUOTE if inner.kind == "quote" else _IN_ITEM
    if token.type in losses:
        yield _line(token), losses[token.type]


def _inline_losses(inline: Token, container: str) -> Iterator[tuple[int, str]]:
    children = inline.children or []
    lone_image = _is_lone_image(children)
    line = _line(inline)
    in_link = 0
    for child in children:
        if child.type == "link_open":
            in_link += 1
            if child.attrGet("title"):
                yield line, "link title is dropped"
        elif child.type == "link_close":
            in_link -= 1
        elif child.type == "image":
            yield from _image_loss(line, container, in_link > 0, lone_image)
        elif child.type == "html_inline":
            yield from _html_inline_loss(line, child.content, container, in_link > 0)
        line += child.content.count("\n") + (child.type in ("softbreak", "hardbreak"))


def _is_lone_image(children: list[Token]) -> bool:
    """Whether the text is one image (which becomes an image card as it is)."""
    kept = [c for c in children if c.type != "text" or c.content.strip()]
    return len(kept) == 1 and kept[0].type == "image"


def _image_loss(
    line: int, container: str, in_link: bool, lone: bool
) -> Iterator[tuple[int, str]]:
    if in_link:
        yield line, "image inside a link is dropped"
    elif container == "quote":
        yield line, "image inside a blockquote is dropped"
    elif container == "item":
        yield line, f"image inside a list item {_MOVES_OUT}"
    elif not lone:
        yield line, f"image inside text becomes an image card {_SPLITS}"


def _html_inline_loss(
    line: int, html: str, container: str, in_link: bool
) -> Iterator[tuple[int, str]]:
    scan = _scan_html(html)
    if not scan.events:
        return

    kind, tag, attributes, _ = scan.events[0]
    if kind == "comment":
        yield line, "inline HTML comment is dropped"
    elif tag in _DROPPED_INLINE:
        yield line, f"inline <{tag}> is dropped"
    elif tag == "iframe":
        yield line, f"inline <iframe> becomes an embed card {_SPLITS}"
    elif tag == "img":
        yield from _image_loss(line, container, in_link, lone=False)
    elif tag not in _KEPT_INLINE:
        yield line, f"inline <{tag}> is removed, keeping only its text"
    elif dropped := sorted(set(attributes) - _KEPT_INLINE[tag]):
        yield line, f"inline <{tag}> loses its attributes ({', '.join(dropped)})"


class _HtmlScan(HTMLParser):
    """Start tags and comments of an HTML fragment, with their nesting depth."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, str, list[str], int]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, [name for name, _ in attrs], self.depth))
        if tag not in _VOID_TAGS:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, [name for name, _ in attrs], self.depth))

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment", "", [], self.depth))


def _scan_html(html: str) -> _HtmlScan:
    scan = _HtmlScan()
    scan.feed(html)
    scan.close()
    return scan
