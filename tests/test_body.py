"""Tests of the body formats: Markdown cards, soft line breaks, HTML, warnings."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ghostsync.body import (
    fidelity_warnings,
    join_soft_breaks,
    markdown_card_lexical,
    markdown_from_lexical,
    render_html,
)

# --- join_soft_breaks --------------------------------------------------------

JOINS = [
    ("paragraph", "one\ntwo\nthree\n", "one two three\n"),
    ("no final newline", "one\ntwo", "one two"),
    ("one trailing space", "one \ntwo\n", "one two\n"),
    ("leading blanks", "one\n   two\n", "one two\n"),
    ("trailing tab kept", "one\t\ntwo\n", "one\t two\n"),
    ("hard break spaces", "one  \ntwo\n", "one  \ntwo\n"),
    ("hard then soft", "one   \ntwo\nthree\n", "one   \ntwo three\n"),
    ("hard break backslash", "one\\\ntwo\n", "one\\\ntwo\n"),
    ("bullet list", "- one\n  two\n- three\n", "- one two\n- three\n"),
    ("ordered list", "1. one\n   two\n2. three\n", "1. one two\n2. three\n"),
    ("nested list", "- a\n  b\n  - c\n    d\n", "- a b\n  - c d\n"),
    ("lazy list line", "- one\ntwo\n", "- one two\n"),
    (
        "loose list item",
        "- one\n  two\n\n  three\n  four\n",
        "- one two\n\n  three four\n",
    ),
    ("blockquote", "> one\n> two\n", "> one two\n"),
    ("lazy quote line", "> one\ntwo\n> three\n", "> one two three\n"),
    ("quote after tab", ">\tone\n>\ttwo\n", ">\tone two\n"),
    ("nested quote", "> > one\n> two\n", "> > one two\n"),
    ("list in quote", "> - a\n>   b\n", "> - a b\n"),
    ("fenced code", "```\none\ntwo\n```\n", "```\none\ntwo\n```\n"),
    ("indented code", "    one\n    two\n", "    one\n    two\n"),
    ("indent continues para", "para\n    not code\n", "para not code\n"),
    ("table", "| a | b |\n|---|---|\n| 1 | 2 |\n", "| a | b |\n|---|---|\n| 1 | 2 |\n"),
    ("html block", "<div>\none\ntwo\n</div>\n", "<div>\none\ntwo\n</div>\n"),
    ("atx heading", "# Head\none\ntwo\n", "# Head\none two\n"),
    ("setext heading", "Title\n=====\n", "Title\n=====\n"),
    ("two-line setext", "Title\nmore\n---\n", "Title more\n---\n"),
    (
        "reference definition",
        '[a]: /url\n"title"\none\ntwo\n',
        '[a]: /url\n"title"\none two\n',
    ),
    ("code span over lines", "a `b\nc` d\n", "a `b\nc` d\n"),
    ("link text over lines", "[one\ntwo](/u)\n", "[one two](/u)\n"),
    ("image alt over lines", "![one\ntwo](i.png)\n", "![one\ntwo](i.png)\n"),
    (
        "inline html over lines",
        'a <span\nclass="x">b</span>\n',
        'a <span\nclass="x">b</span>\n',
    ),
    (
        "footnote definition",
        "x[^1]\ny\n\n[^1]: one\n    two\n",
        "x[^1] y\n\n[^1]: one two\n",
    ),
    ("crlf", "one\r\ntwo\r\n\r\nthree\r\n", "one two\n\nthree\n"),
    ("lone cr", "one\rtwo", "one two"),
    ("unicode", "héllo\n✓ wörld\n", "héllo ✓ wörld\n"),
    ("escaped space before break", "a\\ \nb\n", "a\\  b\n"),
    ("no-break space line", "a\n\u00a0\nb\n", "a \u00a0 b\n"),
    ("no-break space first line", "\u00a0\na\nb\n", "\u00a0\na b\n"),
    # After a hard break "+" alone continues the paragraph; "+ b" would not.
    ("lone marker after hard break", "a  \n+\nb\n", "a  \n\\+ b\n"),
    ("lone number after hard break", "a  \n1.\nb\n", "a  \n1\\. b\n"),
    ("empty", "", ""),
    # Joining would make "a | b" a table header over the delimiter row.
    ("would become a table", "a\n| b  \n--|--\n", "a\n| b  \n--|--\n"),
]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [case[1:] for case in JOINS],
    ids=[case[0] for case in JOINS],
)
def test_join_soft_breaks(markdown: str, expected: str) -> None:
    assert join_soft_breaks(markdown) == expected


@pytest.mark.parametrize("markdown", [case[1] for case in JOINS])
def test_join_soft_breaks_is_idempotent(markdown: str) -> None:
    once = join_soft_breaks(markdown)

    assert join_soft_breaks(once) == once


def _commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


PLAIN = _commonmark()
SPACES = _commonmark()
SPACES.add_render_rule("softbreak", lambda *args: " ")

# Words of generated paragraphs. No "|": a line joined to a pipe can become a
# table header, and that one break is then left alone (see "would become a table").
WORDS = [
    "foo", "bar", "é", "*em*", "**strong**", "_u_", "x*", "*y", "`code`", "`a",
    "b`", "[l](/u)", "[ref]", "![i](p.png)", "<span>", "</span>", "&amp;", "\\*",
    "\\", "~~s~~", "#", "##", "1.", "2)", "-", "+", ">", "=", "---", "===", "<b>",
    "\u00a0",
]  # fmt: skip
ENDINGS = ["", "", "", " ", "  ", "\\", "\t"]
INDENTS = ["", "", " ", "  ", "   ", "    ", "\t"]


@st.composite
def _line(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
    indent = draw(st.sampled_from(INDENTS))
    return indent + " ".join(words) + draw(st.sampled_from(ENDINGS))


_paragraph = st.lists(_line(), min_size=1, max_size=4)


@st.composite
def _quote(draw: st.DrawFn, inner: list[str]) -> list[str]:
    lazy = draw(st.lists(st.booleans(), min_size=len(inner), max_size=len(inner)))
    return [line if lazy[n] and n else "> " + line for n, line in enumerate(inner)]


@st.composite
def _item(draw: st.DrawFn, inner: list[str]) -> list[str]:
    marker = draw(st.sampled_from(["- ", "* ", "1. "]))
    pad = " " * len(marker)
    lazy = draw(st.lists(st.booleans(), min_size=len(inner), max_size=len(inner)))
    rest = [line if lazy[n] else pad + line for n, line in enumerate(inner[1:], 1)]
    return [marker + inner[0], *rest]


_block = st.recursive(
    _paragraph,
    lambda inner: inner.flatmap(_quote) | inner.flatmap(_item),
    max_leaves=3,
)
_fixed = st.sampled_from(
    [
        ["```", "code", "  more", "```"],
        ["    indented", "    code"],
        ["| a | b |", "|---|---|", "| 1 | 2 |"],
        ["<div>", "html", "block", "</div>"],
        ["Title", "====="],
        ["# Heading"],
        ["[ref]: /target"],
    ]
)


@st.composite
def _document(draw: st.DrawFn) -> str:
    text = ""
    for block in draw(st.lists(_block | _fixed, min_size=1, max_size=4)):
        text += "\n".join(block) + draw(st.sampled_from(["\n", "\n\n"]))
    return text


@settings(max_examples=200, deadline=None)
@given(_document())
def test_joined_text_renders_like_soft_breaks_as_spaces(markdown: str) -> None:
    """No soft break is left, and the HTML is what CommonMark made of the input."""
    joined = join_soft_breaks(markdown)

    assert PLAIN.render(joined) == SPACES.render(markdown)
    assert join_soft_breaks(joined) == joined


# --- Lexical -----------------------------------------------------------------


def test_markdown_card_lexical_exact_shape() -> None:
    expected = (
        '{"root":{"children":[{"type":"markdown","version":1,'
        '"markdown":"# Hi\\n\\nBody ✓"}],"direction":null,"format":"",'
        '"indent":0,"type":"root","version":1}}'
    )

    assert markdown_card_lexical("# Hi\n\nBody ✓") == expected


def test_empty_body_is_one_empty_card() -> None:
    document = json.loads(markdown_card_lexical(""))

    assert document["root"]["children"] == [
        {"type": "markdown", "version": 1, "markdown": ""}
    ]


@pytest.mark.parametrize(
    "markdown",
    ["", "plain", "héllo — 日本語 😀\n", 'quotes "x" and \\ back', "a\nb\r\n\t"],
)
def test_markdown_card_round_trip(markdown: str) -> None:
    assert markdown_from_lexical(markdown_card_lexical(markdown)) == markdown


def _root(*children: object) -> str:
    return json.dumps({"root": {"children": list(children), "type": "root"}})


CARD = {"type": "markdown", "version": 1, "markdown": "text"}
PARAGRAPH = {"type": "paragraph", "version": 1, "children": []}

FROM_LEXICAL = [
    ("none", None, None),
    ("empty string", "", None),
    ("invalid json", "{not json", None),
    ("json list", "[]", None),
    ("no root", '{"foo": 1}', None),
    ("root not an object", '{"root": []}', None),
    ("empty root", _root(), ""),
    ("one card", _root(CARD), "text"),
    ("card without version", _root({"type": "markdown", "markdown": "x"}), "x"),
    ("card without text", _root({"type": "markdown"}), ""),
    ("text not a string", _root({"type": "markdown", "markdown": 3}), None),
    ("card and an empty paragraph", _root(CARD, PARAGRAPH), CARD["markdown"]),
    ("card and a paragraph", _root(CARD, {**PARAGRAPH, "children": [CARD]}), None),
    ("two cards", _root(CARD, CARD), None),
    ("editor post", _root(PARAGRAPH), None),
]


@pytest.mark.parametrize(
    ("lexical", "expected"),
    [case[1:] for case in FROM_LEXICAL],
    ids=[case[0] for case in FROM_LEXICAL],
)
def test_markdown_from_lexical(lexical: str | None, expected: str | None) -> None:
    assert markdown_from_lexical(lexical) == expected


# --- render_html -------------------------------------------------------------

BEGIN = "<!--kg-card-begin: html-->\n"
END = "<!--kg-card-end: html-->\n"

TABLE_HTML = (
    "<table>\n<thead>\n<tr>\n<th>a</th>\n"
    '<th style="text-align:right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
    '<td>1</td>\n<td style="text-align:right">2</td>\n</tr>\n</tbody>\n</table>\n'
)
FOOTNOTE_REF = (
    '<p>Claim.<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup></p>\n'
)
FOOTNOTE_LIST = (
    '<hr class="footnotes-sep" />\n<section class="footnotes">\n'
    '<ol class="footnotes-list">\n<li id="fn1" class="footnote-item"><p>Note. '
    '<a href="#fnref1" class="footnote-backref">↩︎</a></p>\n</li>\n</ol>\n'
    "</section>\n"
)

RENDERS = [
    ("paragraph stays native", "Hello *world*\n", "<p>Hello <em>world</em></p>\n"),
    ("soft break kept", "one\ntwo\n", "<p>one\ntwo</p>\n"),
    (
        "heading, list, code native",
        "# H\n\n- a\n\n```py\nx\n```\n",
        '<h1>H</h1>\n<ul>\n<li>a</li>\n</ul>\n<pre><code class="language-py">x\n'
        "</code></pre>\n",
    ),
    (
        "table in a card",
        "| a | b |\n|---|--:|\n| 1 | 2 |\n",
        BEGIN + TABLE_HTML + END,
    ),
    (
        "raw html block in a card",
        'Text\n\n<div class="x">\nraw\n</div>\n',
        "<p>Text</p>\n" + BEGIN + '<div class="x">\nraw\n</div>\n' + END,
    ),
    (
        "footnotes in cards",
        "Claim.[^1]\n\n[^1]: Note.\n",
        BEGIN + FOOTNOTE_REF + END + BEGIN + FOOTNOTE_LIST + END,
    ),
    (
        "whole quote around a table",
        "> | a |\n> |---|\n",
        BEGIN + "<blockquote>\n<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n"
        "</thead>\n</table>\n</blockquote>\n" + END,
    ),
    (
        "members-only marker",
        "Free\n\n<!--members-only-->\n\nPaid\n",
        "<p>Free</p>\n<!--members-only-->\n<p>Paid</p>\n",
    ),
    (
        "writer's own card",
        "<!--kg-card-begin: html-->\n<p>x</p>\n<!--kg-card-end: html-->\n",
        "<!--kg-card-begin: html-->\n<p>x</p>\n<!--kg-card-end: html-->\n",
    ),
    ("empty body", "", ""),
]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [case[1:] for case in RENDERS],
    ids=[case[0] for case in RENDERS],
)
def test_render_html(markdown: str, expected: str) -> None:
    assert render_html(markdown) == expected


def test_every_footnote_link_has_its_target_inside_a_card() -> None:
    html = render_html("A[^a] and B[^b] and C^[inline].\n\n[^a]: x\n[^b]: y\n")
    outside = [part.split(BEGIN)[0] for part in html.split(END)]

    assert outside == ["", "", ""]
    for number in ("1", "2", "3"):
        assert f'href="#fn{number}"' in html and f'id="fn{number}"' in html
        assert f'href="#fnref{number}"' in html and f'id="fnref{number}"' in html


# --- fidelity_warnings -------------------------------------------------------

WARNINGS = [
    ("simple post", "# T\n\nText *em*.\n\n- a\n- b\n", "html", []),
    ("markdown keeps html", "<script>x</script>\n\n> > q\n", "markdown", []),
    (
        "task list in any format",
        "- [ ] todo\n- [x] done\n",
        "markdown",
        [
            "line 1: task list checkbox [ ] shows as literal text in Ghost",
            "line 2: task list checkbox [x] shows as literal text in Ghost",
        ],
    ),
    (
        "nested blockquote",
        "Intro\n\n> outer\n>\n> > inner\n",
        "html",
        [
            "line 5: nested blockquote is merged into the outer quote's text"
            " in html format"
        ],
    ),
    (
        "code in a quote",
        "> ```\n> x\n> ```\n",
        "html",
        ["line 1: code block inside a blockquote is dropped in html format"],
    ),
    (
        "code in a list item",
        "- a\n\n      code\n",
        "html",
        [
            "line 3: code block inside a list item moves its list item out of"
            " the list, to just after it in html format"
        ],
    ),
    (
        "two paragraphs in an item",
        "- a\n\n  b\n",
        "html",
        ["line 3: paragraphs of one list item run together in html format"],
    ),
    (
        "inline html",
        'a <span style="c">b</span>\nc <b class="k">d</b> <script>e</script>\n',
        "html",
        [
            "line 1: inline <span> is removed, keeping only its text in html format",
            "line 2: inline <b> loses its attributes (class) in html format",
            "line 2: inline <script> is dropped in html format",
        ],
    ),
    (
        "images",
        "[![i](a.png)](/u)\n\ntext ![i](b.png)\n\n![i](c.png)\n",
        "html",
        [
            "line 1: image inside a link is dropped in html format",
            "line 3: image inside text becomes an image card of its own,"
            " splitting the text in html format",
        ],
    ),
    (
        "image in a quote, iframe in text",
        "> ![i](a.png)\n\nsee <iframe src='x'></iframe>\n",
        "html",
        [
            "line 1: image inside a blockquote is dropped in html format",
            "line 3: inline <iframe> becomes an embed card of its own,"
            " splitting the text in html format",
        ],
    ),
    (
        "link title",
        'see [x](/u "title")\n',
        "html",
        ["line 1: link title is dropped in html format"],
    ),
    (
        "comment block",
        "<!-- note -->\n",
        "html",
        ["line 1: HTML comment outside any element is dropped in html format"],
    ),
    (
        "cards keep what they hold",
        "| a |\n|---|\n| <span style='c'>x</span> |\n\n<div><p>y</p></div>\n",
        "html",
        [],
    ),
]


@pytest.mark.parametrize(
    ("markdown", "body_format", "expected"),
    [case[1:] for case in WARNINGS],
    ids=[case[0] for case in WARNINGS],
)
def test_fidelity_warnings(
    markdown: str, body_format: str, expected: list[str]
) -> None:
    assert fidelity_warnings(markdown, body_format) == expected


def test_fidelity_warnings_count_from_the_first_body_line() -> None:
    warnings = fidelity_warnings("text\n\n> > q\n", "html", first_line=12)

    assert warnings == [
        "line 14: nested blockquote is merged into the outer quote's text"
        " in html format"
    ]


def test_fidelity_warnings_refuse_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="body format"):
        fidelity_warnings("x", "mobiledoc")


def test_an_empty_paragraph_the_editor_adds_after_the_card_is_ignored():
    card = json.loads(markdown_card_lexical("Text\n"))
    empty = {
        "children": [],
        "direction": None,
        "format": "",
        "indent": 0,
        "type": "paragraph",
        "version": 1,
    }
    card["root"]["children"].append(empty)

    assert markdown_from_lexical(json.dumps(card)) == "Text\n"

    card["root"]["children"].append({**empty, "children": [{"type": "text"}]})
    assert markdown_from_lexical(json.dumps(card)) is None
