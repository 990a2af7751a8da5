"""Files pull writes: front matter that reads back as written, safe names, HTML."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from ghostsync.body import markdown_card_lexical, render_html
from ghostsync.canonical import SiteURL
from ghostsync.config import Settings
from ghostsync.fields import fields_for
from ghostsync.frontwrite import DELETE, dump_front, edit_front
from ghostsync.htmlmd import markdown_from_html
from ghostsync.planner import LocalItem
from ghostsync.pull import safe_stem
from ghostsync.remote import to_remote
from ghostsync.writeback import edited_text, new_text, pulled

SITE = SiteURL("https://example.com/blog/")
UTC = dt.UTC
NASTY = [
    "No", "yes", "off", "12:30", "1.10", "2024-01-02", "~", "null", "@x", "*x",
    "!x", "%x", "&x", "a: b", "- x", "#x", "[x]", "{x}", " lead", "trail ", "'q'",
    '"dq"', "a\tb", "0o17", "0x1F", "1_000", ".inf", "=", "<<", "|", ">", "?",
    "Ünïcode — ok", "line one\nline two\n", "x # not a comment",
]  # fmt: skip


@pytest.mark.parametrize("value", NASTY)
def test_a_nasty_value_reads_back_as_itself(value):
    text = dump_front({"title": value, "tags": [value, "plain"]})

    assert yaml.safe_load(text) == {"title": value, "tags": [value, "plain"]}


def test_an_edit_keeps_comments_quoting_order_and_unknown_keys():
    old = (
        "# by hand\ntitle: Old   # the title\nstatus: 'draft'\nreviewer: x\n"
        "tags:\n    - a\n    - b\nexcerpt: gone\n"
    )

    new = edit_front(old, {"title": "No", "excerpt": DELETE, "featured": True})

    assert new == (
        "# by hand\ntitle: \"No\"  # the title\nstatus: 'draft'\nreviewer: x\n"
        "tags:\n    - a\n    - b\nfeatured: true\n"
    )


@pytest.mark.parametrize(
    ("slug", "stem"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("/absolute", "absolute"),
        ("..", "untitled"),
        ("a\\b", "a-b"),
        ("con", "con_"),
        ("LPT1.txt", "LPT1.txt_"),
        ("name. ", "name"),
        ("2024-01-02-hello", "_2024-01-02-hello"),
        ("", "untitled"),
        ("x" * 300, "x" * 120),
    ],
)
def test_file_names_from_slugs_are_safe(slug, stem):
    assert safe_stem(slug) == stem


def ghost_post(**changes) -> dict:
    base = "https://example.com/blog"
    post = {
        "id": "64a000000000000000000001",
        "uuid": "u",
        "slug": "every-field",
        "title": "No",
        "status": "published",
        "published_at": "2024-01-02T09:30:00.000Z",
        "updated_at": "2024-01-03T00:00:00.000Z",
        "custom_excerpt": "12:30",
        "featured": True,
        "visibility": "tiers",
        "tiers": [{"slug": "gold", "name": "Gold"}],
        "authors": [
            {"slug": "ann", "email": "ann@example.com"},
            {"slug": "bob", "email": "bob@example.com"},
        ],
        "email_subject": "on",
        "meta_title": "1.10",
        "meta_description": "null",
        "og_title": "2024-01-02",
        "og_description": "@x",
        "twitter_title": "~",
        "twitter_description": "*x",
        "canonical_url": f"{base}/elsewhere/",
        "feature_image": f"{base}/content/images/a.png",
        "feature_image_alt": "!x",
        "feature_image_caption": "yes <b>bold</b>",
        "og_image": "https://cdn.example.org/og.png",
        "twitter_image": None,
        "codeinjection_head": "<script>\n  x = 1\n</script>",
        "codeinjection_foot": None,
        "custom_template": "custom-wide",
        "tags": [
            {"slug": "no", "name": "No"},
            {"slug": "hash-internal", "name": "#internal"},
        ],
        "lexical": markdown_card_lexical(f"See [about]({base}/about/).\n"),
        "html": "",
    }
    return {**post, **changes}


def test_every_field_round_trips_through_a_new_file(tmp_path):
    settings = Settings(root=tmp_path, url=SITE.url)
    remote = to_remote(ghost_post(), "post", SITE, with_body=True)
    post = pulled(remote, SITE, dt.timezone(dt.timedelta(hours=2)))
    path = tmp_path / "content" / "posts" / "every-field.md"

    written = new_text(post, path, "content/posts/every-field.md", settings, SITE, UTC)

    assert written.canonical["fields"] == remote.fields | {"twitter_image": None}
    front = yaml.safe_load(written.text.split("---\n")[1])
    assert front["feature_image"] == "/blog/content/images/a.png"
    assert front["canonical_url"] == "/blog/elsewhere/"
    assert front["date"] == dt.datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
    assert front["tags"] == ["No", "#internal"]
    assert "slug" not in front and "status" in front
    managed = {f.name for f in fields_for("post")}
    assert len(managed - {"slug", "twitter_image", "codeinjection_foot"}) == len(front)
    assert written.post.body == "See [about](/blog/about/).\n"


def test_an_edited_file_changes_only_the_changed_key(tmp_path):
    settings = Settings(root=tmp_path, url=SITE.url)
    remote = to_remote(ghost_post(), "post", SITE, with_body=True)
    path = tmp_path / "content" / "posts" / "every-field.md"
    rel = "content/posts/every-field.md"
    first = new_text(pulled(remote, SITE, UTC), path, rel, settings, SITE, UTC)
    item = LocalItem(first.post, first.canonical, "")

    changed = to_remote(ghost_post(meta_title="Yes"), "post", SITE, with_body=True)
    second = edited_text(
        first.text, item, pulled(changed, SITE, UTC), path, settings, SITE, UTC
    )

    assert second is not None
    old, new = first.text.split("\n"), second.text.split("\n")
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [
        ("meta_title: '1.10'", "meta_title: 'Yes'")
    ]
    same = edited_text(
        first.text, item, pulled(remote, SITE, UTC), path, settings, SITE, UTC
    )
    assert same is None


def test_ghost_html_becomes_markdown_and_cards_stay_html():
    html = (
        '<h2 id="x">Title</h2><p>A <a href="https://example.com/blog/about/">link'
        '</a> and <em>words</em>_ *</p><pre><code class="language-js">a ```\n'
        "</code></pre>"
        '<figure class="kg-card kg-image-card"><img src="https://example.com/blog/'
        'content/images/a.png" class="kg-image" alt="Alt text"></figure>'
        '<figure class="kg-card kg-gallery-card"><div class="kg-gallery-row"></div>'
        "</figure>\n<!--kg-card-begin: html-->\n<div>\n\n<p>x</p>\n</div>\n"
        "<!--kg-card-end: html-->\n<!--members-only--><p>Paid.</p>"
    )

    assert markdown_from_html(html, SITE) == (
        "## Title\n\nA [link](/blog/about/) and *words*\\_ \\*\n\n"
        "````js\na ```\n````\n\n"
        "![Alt text](/blog/content/images/a.png)\n\n"
        '<figure class="kg-card kg-gallery-card"><div class="kg-gallery-row"></div>'
        "</figure>\n\n"
        "<!--kg-card-begin: html-->\n<div>\n<p>x</p>\n</div>\n"
        "<!--kg-card-end: html-->\n\n<!--members-only-->\n\nPaid.\n"
    )


def test_text_that_reads_as_markdown_stays_text():
    html = (
        "<p>1. Not a list</p><p># not a heading</p><p>a &lt;b&gt; tag, [x](y),"
        " `c`</p><p>x<sup>2</sup> H<sub>2</sub>O <u>under</u></p>"
    )

    text = markdown_from_html(html, SITE)

    assert text == (
        "1\\. Not a list\n\n\\# not a heading\n\n"
        "a \\<b\\> tag, \\[x\\](y), \\`c\\`\n\n"
        "x<sup>2</sup> H<sub>2</sub>O <u>under</u>\n"
    )
    assert render_html(text).count("<p>") == 4


def test_footnotes_keep_their_links():
    html = (
        '<p>Text<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>'
        '.</p><hr class="footnotes-sep"><section class="footnotes"><ol><li id="fn1">'
        '<p>Note <a href="#fnref1">↩︎</a></p></li></ol></section>'
    )

    text = markdown_from_html(html, SITE)

    assert 'id="fnref1"' in text and 'id="fn1"' in text
    assert 'href="#fnref1"' in text and 'href="#fn1"' in text
