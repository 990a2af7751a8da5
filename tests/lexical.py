"""A post as Ghost's editor writes it: Lexical with native nodes and cards."""

import json


def t(text, fmt=0):
    return {
        "detail": 0,
        "format": fmt,
        "mode": "normal",
        "style": "",
        "text": text,
        "type": "extended-text",
        "version": 1,
    }


def block(type_, children, **kw):
    return {
        "children": children,
        "direction": "ltr",
        "format": "",
        "indent": 0,
        "type": type_,
        "version": 1,
        **kw,
    }


def li(children, value=1):
    return block("listitem", children, value=value)


def rich_lexical(site: str) -> str:
    """Headings, nested lists, code, a table, images, a bookmark and cards."""
    kids = [
        block("heading", [t("A heading")], tag="h2"),
        block(
            "paragraph",
            [
                t("Some "),
                t("bold", 1),
                t(" and "),
                t("code", 16),
                t(" and a "),
                block(
                    "link",
                    [t("link")],
                    url=site + "about/",
                    rel=None,
                    target=None,
                    title=None,
                ),
                t("."),
            ],
        ),
        block(
            "list",
            [
                li([t("one")], 1),
                li([t("two")], 2),
                li(
                    [
                        block(
                            "list",
                            [li([t("nested a")], 1), li([t("nested b")], 2)],
                            listType="bullet",
                            start=1,
                            tag="ul",
                        )
                    ],
                    3,
                ),
            ],
            listType="bullet",
            start=1,
            tag="ul",
        ),
        block(
            "list",
            [li([t("first")], 1), li([t("second")], 2)],
            listType="number",
            start=1,
            tag="ol",
        ),
        {
            "type": "codeblock",
            "version": 1,
            "code": "def f():\n    return 1\n",
            "language": "python",
            "caption": "",
        },
        {
            "type": "image",
            "version": 1,
            "src": site + "content/images/cat.png",
            "width": None,
            "height": None,
            "title": "",
            "alt": "A cat",
            "caption": "The <b>cat</b> sits",
            "cardWidth": "regular",
            "href": "",
        },
        {
            "type": "image",
            "version": 1,
            "src": "https://example.com/dog.png",
            "width": None,
            "height": None,
            "title": "",
            "alt": "A dog",
            "caption": "",
            "cardWidth": "regular",
            "href": "",
        },
        {
            "type": "bookmark",
            "version": 1,
            "url": "https://example.com/page",
            "metadata": {
                "icon": "",
                "title": "Example page",
                "description": "A description",
                "author": "",
                "publisher": "Example",
                "thumbnail": "",
            },
            "caption": "",
        },
        {
            "type": "html",
            "version": 1,
            "html": "<table>\n<tr><th>A</th><th>B</th></tr>\n\n"
            "<tr><td>1</td><td>2</td></tr>\n</table>",
        },
        {
            "type": "callout",
            "version": 1,
            "calloutText": "<p>Note this</p>",
            "calloutEmoji": "💡",
            "backgroundColor": "grey",
        },
        {
            "type": "button",
            "version": 1,
            "buttonText": "Go",
            "alignment": "center",
            "buttonUrl": "https://example.com/go",
        },
        {
            "type": "embed",
            "version": 1,
            "url": "https://www.youtube.com/watch?v=abc",
            "embedType": "video",
            "html": '<iframe src="https://www.youtube.com/embed/abc"></iframe>',
            "metadata": {},
            "caption": "",
        },
        block("quote", [t("A quote")]),
        {"type": "horizontalrule", "version": 1},
        block("paragraph", [t("The end.")]),
    ]
    return json.dumps({"root": block("root", kids)})
