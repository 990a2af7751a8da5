"""Failures seen in the wild, each as the input that caused it and the right result.

Every test carries its own input and is named after the kind of fault. Files
are read offline where the fault is in reading; where the fault is in what
reaches Ghost, the push goes to the fake Ghost and the test reads the request
the fake received.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from ghostsync import planner as p
from ghostsync.canonical import NO_SITE
from ghostsync.cli import main
from ghostsync.config import load_settings
from ghostsync.errors import ConfigError
from ghostsync.ghost.auth import AdminKey
from ghostsync.ghost.client import normalise_admin_url
from ghostsync.run import read_local
from ghostsync.source import LocalScan, scan

from .fakeghost import FakeGhost
from .fakeproject import FakeProject, card_text

UTC = dt.UTC


# -- helpers ------------------------------------------------------------------


def project_with(root: Path, files: dict[str, str | bytes], config: str = "") -> Path:
    """A project folder with ``files`` under content/ and an offline config."""
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "ghostsync.toml").write_text(
        '[site]\nurl = "http://127.0.0.1:9/"\nkey_env = "NO_KEY_NEEDED"\n' + config
    )
    for rel, text in files.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return root


def read(root: Path, tz: dt.tzinfo = UTC) -> LocalScan:
    return scan(load_settings(root, environ={}), tz)


def one_error(result: LocalScan) -> str:
    [error] = result.errors
    return f"{error.message} | fix: {error.hint}"


def warnings(result: LocalScan) -> list[str]:
    return [w for post in result.posts for w in post.warnings]


def sent(fake: FakeGhost, method: str = "POST") -> list[tuple[dict, dict]]:
    """The query and the post of each write the fake received."""
    found = []
    for request in fake.requests:
        if request.method == method and request.body:
            body = json.loads(request.body)
            found.append((request.query, body.get("posts", body.get("pages"))[0]))
    return found


@pytest.fixture
def fake_project(tmp_path, fake_ghost) -> FakeProject:
    return FakeProject(tmp_path / "blog", fake_ghost)


def write(project: FakeProject, name: str, text: str) -> None:
    path = project.root / "content" / "posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- conflict -----------------------------------------------------------------


def test_stale_updated_at_retries_when_only_the_timestamp_moved(fake_project):
    fake = fake_project.fake
    write(fake_project, "hello.md", "---\ntitle: Hello\n---\nFirst version.\n")
    fake_project.push()
    [post] = fake.posts.values()
    synced_at = post["updated_at"]
    fake.edit("post", post["id"])  # a re-render: updated_at moves, nothing else

    write(fake_project, "hello.md", "---\ntitle: Hello again\n---\nSecond version.\n")
    result = fake_project.push()

    assert [o.status for o in result.outcomes] == ["done"]
    assert fake.posts[post["id"]]["title"] == "Hello again"
    [(_, first), (_, retry)] = sent(fake, "PUT")
    assert first["updated_at"] == synced_at  # the exact string Ghost last gave
    assert retry["updated_at"] != first["updated_at"]  # the one read after the 409


def test_stale_updated_at_is_a_conflict_when_an_editor_changed_the_post(fake_project):
    fake = fake_project.fake
    write(fake_project, "hello.md", "---\ntitle: Hello\n---\nFirst version.\n")
    fake_project.push()
    [post] = fake.posts.values()
    edited = fake.edit("post", post["id"], title="Editor's title")

    write(fake_project, "hello.md", "---\ntitle: Hello again\n---\nSecond version.\n")
    result = fake_project.push()

    [outcome] = result.outcomes
    assert outcome.status == "conflict"
    assert edited["updated_at"] in outcome.message
    assert "push --force" in outcome.message
    assert fake.posts[post["id"]]["title"] == "Editor's title"
    assert "Hello again" in (fake_project.root / "content/posts/hello.md").read_text()
    assert result.exit_code() == 3


def test_push_force_overwrites_an_editor_change_after_backing_it_up(fake_project):
    fake = fake_project.fake
    write(fake_project, "hello.md", "---\ntitle: Hello\n---\nFirst version.\n")
    fake_project.push()
    [post] = fake.posts.values()
    fake.edit("post", post["id"], title="Editor's title")

    result = fake_project.push(force=True)

    [outcome] = result.outcomes
    assert outcome.status == "done"
    assert "overwritten" in outcome.action.reason
    assert fake.posts[post["id"]]["title"] == "Hello"
    [backup] = (fake_project.root / ".ghostsync" / "backups").rglob("*.json")
    assert "Editor's title" in backup.read_text()
    assert backup.stat().st_mode & 0o777 == 0o600


def test_re_sync_after_a_move_updates_instead_of_duplicating(fake_project):
    fake = fake_project.fake
    write(fake_project, "a.md", "---\ntitle: A\nslug: a\n---\nBody.\n")
    fake_project.push()
    (fake_project.root / "content/posts/a.md").unlink()
    write(fake_project, "2024/a.md", "---\ntitle: A, edited\nslug: a\n---\nBody.\n")

    second = fake_project.push()
    third = fake_project.push()

    assert [o.action.name for o in second.outcomes] == [p.UPDATE]
    assert [r.method for r in fake.writes()] == ["POST", "PUT"]
    assert third.outcomes == []
    assert [post["title"] for post in fake.posts.values()] == ["A, edited"]


def test_an_empty_create_answer_is_an_error_not_a_success(fake_project):
    fake = fake_project.fake
    write(fake_project, "a.md", "---\ntitle: A\n---\nBody.\n")
    fake.inject("status", method="POST", status=201, body={"posts": []})

    result = fake_project.push()

    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert result.exit_code() == 1


# -- auth and config ----------------------------------------------------------


def test_admin_token_has_the_claims_ghost_checks(fake_project):
    write(fake_project, "a.md", "---\ntitle: A\n---\nBody.\n")
    fake_project.push()
    request = next(r for r in fake_project.fake.requests if r.method == "POST")
    header = request.headers["Authorization"]
    assert header.startswith("Ghost ey") and "b'" not in header
    token = header.removeprefix("Ghost ")
    assert "=" not in token  # unpadded base64url

    key_id, secret = fake_project.fake.key.split(":")
    assert jwt.get_unverified_header(token) == {
        "alg": "HS256",
        "typ": "JWT",
        "kid": key_id,
    }
    claims = jwt.decode(
        token, bytes.fromhex(secret), algorithms=["HS256"], audience="/admin/"
    )
    assert claims["exp"] - claims["iat"] <= 300
    assert abs(claims["iat"] - time.time()) < 60


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://blog.example.test/ghost/api/admin/", "https://blog.example.test/"),
        ("https://blog.example.test/blog/", "https://blog.example.test/blog/"),
    ],
)
def test_admin_url_pasted_as_the_api_root_is_cut_back(url, expected):
    assert normalise_admin_url(url) == expected


def test_admin_url_without_a_scheme_says_how_to_write_it():
    with pytest.raises(ConfigError, match="https://blog.example.test"):
        normalise_admin_url("blog.example.test")


def test_content_api_key_in_place_of_the_admin_key_is_named():
    with pytest.raises(ConfigError, match="Content API key") as caught:
        AdminKey.parse("0123456789abcdef0123456789")
    assert "0123456789abcdef" not in str(caught.value)


def test_admin_key_with_a_trailing_newline_from_a_secret_store_works():
    key = f"{'ab' * 12}:{'cd' * 32}\n"
    assert AdminKey.parse(key).id == "ab" * 12


# -- validation ---------------------------------------------------------------


def test_values_over_ghost_limits_are_all_listed_before_any_request(tmp_path):
    long_tag = "t" * 192
    root = project_with(
        tmp_path,
        {
            "posts/long.md": (
                f"---\ntitle: {'A' * 256}\nexcerpt: {'b' * 301}\n"
                f"meta_description: {'c' * 501}\nfeature_image_alt: {'d' * 192}\n"
                f"tags: [{long_tag}]\n---\nBody.\n"
            ),
            "posts/limits.md": (
                f"---\ntitle: {'😀' * 255}\nexcerpt: {'b' * 300}\n"
                f"meta_description: {'c' * 500}\nfeature_image_alt: {'d' * 191}\n"
                f"tags: [{'t' * 191}]\n---\nBody.\n"
            ),
        },
    )

    result = read(root)

    message = one_error(result)
    assert message.startswith("content/posts/long.md")
    for field, size in [
        ("title", 256),
        ("excerpt", 301),
        ("meta_description", 501),
        ("feature_image_alt", 192),
    ]:
        assert f"'{field}' is {size} characters" in message
    assert "tag of 192 characters" in message
    assert [post.path for post in result.posts] == ["content/posts/limits.md"]


def test_slugs_ghost_keeps_for_itself_are_refused(tmp_path):
    root = project_with(
        tmp_path, {"posts/feed.md": "---\ntitle: Feed\nslug: rss\n---\nBody.\n"}
    )

    message = one_error(read(root))

    assert message.startswith("content/posts/feed.md:3:")
    assert "'rss'" in message and "slug:" in message


def test_a_long_file_name_gives_a_slug_within_ghost_limit(tmp_path):
    name = "-".join(["word"] * 46)  # 229 characters
    root = project_with(tmp_path, {f"posts/{name}.md": "---\ntitle: Long\n---\nx\n"})

    [post] = read(root).posts

    assert len(post.slug) <= 191
    assert name.startswith(post.slug) and not post.slug.endswith("-")


def test_slug_taken_by_an_untracked_remote_post_is_not_bumped(fake_project):
    fake = fake_project.fake
    owner = fake.posts
    other = FakeProject(fake_project.root.parent / "other", fake)
    write(
        other, "launch.md", "---\ntitle: Someone else's\nslug: launch-notes\n---\nx\n"
    )
    other.push()
    write(fake_project, "launch.md", "---\ntitle: Mine\nslug: launch-notes\n---\ny\n")

    result = fake_project.push()

    assert [a.name for a in result.plan.actions] == [p.REFUSE]
    assert "--adopt" in result.plan.actions[0].reason
    assert [post["slug"] for post in owner.values()] == ["launch-notes"]
    assert result.exit_code() == 1


def test_tags_written_as_one_comma_separated_text_are_split(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/trip.md": "---\ntitle: Trip report\ntags: travel, notes\n---\nB\n",
            "posts/odd.md": "---\ntitle: Odd\ntags: [travel, 12, null]\n---\nB\n",
        },
    )

    result = read(root)

    [post] = result.posts
    assert post.fields["tags"] == ["travel", "notes"]
    assert any("tags: [a, b]" in w for w in warnings(result))
    assert one_error(result).startswith("content/posts/odd.md:3: 'tags' holds 12")


def test_a_page_and_a_post_may_share_a_slug(fake_project):
    fake = fake_project.fake
    write(fake_project, "about.md", "---\ntitle: About the post\nslug: about\n---\nx\n")
    fake_project.push()
    page = fake_project.root / "content/pages/about.md"
    page.write_text("---\ntitle: About\ntype: page\nslug: about\n---\nWho we are.\n")

    result = fake_project.push()

    assert [(a.kind, a.name) for a in result.plan.actions if a.writes] == [
        ("page", p.CREATE)
    ]
    assert [b["title"] for _, b in sent(fake)] == ["About the post", "About"]
    assert [pg["slug"] for pg in fake.pages.values()] == ["about"]
    assert [po["title"] for po in fake.posts.values()] == ["About the post"]
    assert any("type" in w for w in result.warnings)


def test_misspelled_or_wrongly_cased_keys_are_named_and_never_sent(fake_project):
    write(
        fake_project,
        "launch.md",
        "---\nTitle: Launch\nfeatured_image: img/cover.png\nStatus: published\n"
        "tag: release\nexcerpt: Short summary\n---\nBody.\n",
    )

    result = fake_project.push()

    said = " ".join(result.warnings)
    for wrong, right in [
        ("Title", "title"),
        ("featured_image", "feature_image"),
        ("Status", "status"),
        ("tag", "tags"),
    ]:
        assert f"'{wrong}' is not synced; did you mean '{right}'?" in said
    [(_, post)] = sent(fake_project.fake)
    assert "featured_image" not in post and "Status" not in post
    assert post["custom_excerpt"] == "Short summary"
    assert post["status"] == "draft"


# -- YAML and dates -----------------------------------------------------------


def test_unquoted_yaml_dates_become_ghost_timestamps(fake_project):
    write(
        fake_project,
        "dates.md",
        "---\ntitle: Dates\ndate: 2024-01-01\n---\nBody.\n",
    )
    write(
        fake_project,
        "naive.md",
        "---\ntitle: Naive\ndate: 2024-01-02 09:30:00\n---\nBody.\n",
    )
    write(
        fake_project,
        "both.md",
        "---\ntitle: Both\ndate: 2024-01-01\n"
        'published_at: "2024-01-03T08:00:00+01:00"\n---\nBody.\n',
    )

    result = fake_project.push()

    dates = {post["title"]: post["published_at"] for _, post in sent(fake_project.fake)}
    assert dates == {
        "Dates": "2024-01-01T00:00:00.000Z",
        "Naive": "2024-01-02T09:30:00.000Z",
        "Both": "2024-01-03T07:00:00.000Z",
    }
    assert any("published_at" in w and "both.md:3" in w for w in result.warnings)
    assert len(fake_project.state().records) == 3  # no TypeError writing it


def test_date_only_and_naive_dates_are_read_in_the_configured_zone(
    tmp_path, monkeypatch
):
    files = {
        "posts/a.md": "---\ntitle: A\ndate: 2025-01-01\n---\nx\n",
        "posts/b.md": "---\ntitle: B\ndate: 2025-01-01 00:30\n---\nx\n",
        "posts/c.md": "---\ntitle: C\ndate: 2025-01-01T00:30:00+09:00\n---\nx\n",
    }
    root = project_with(tmp_path, files, '[defaults]\ntimezone = "Europe/Berlin"\n')
    seen = []
    for zone in ("UTC", "Asia/Tokyo"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        settings = load_settings(root, environ={})
        from zoneinfo import ZoneInfo

        posts = scan(settings, ZoneInfo(settings.timezone)).posts
        seen.append({post.slug: post.fields["published_at"] for post in posts})
    monkeypatch.delenv("TZ")
    time.tzset()

    assert (
        seen[0]
        == seen[1]
        == {
            "a": "2024-12-31T23:00:00.000Z",
            "b": "2024-12-31T23:30:00.000Z",
            "c": "2024-12-31T15:30:00.000Z",
        }
    )


def test_future_date_schedules_and_past_date_back_dates(fake_project):
    now = dt.datetime.now(UTC)
    for name, moment in [
        ("later", now + dt.timedelta(days=3)),
        ("soon", now + dt.timedelta(seconds=90)),
        ("earlier", now - dt.timedelta(days=1)),
    ]:
        stamp = moment.replace(microsecond=0).isoformat()
        write(
            fake_project,
            f"{name}.md",
            f"---\ntitle: {name}\nstatus: published\ndate: {stamp}\n---\nx\n",
        )

    fake_project.push()
    again = fake_project.push()

    statuses = {post["title"]: post["status"] for _, post in sent(fake_project.fake)}
    assert statuses == {
        "later": "scheduled",
        "soon": "scheduled",
        "earlier": "published",
    }
    assert again.outcomes == []  # an unchanged scheduled post is not written again


def test_byte_order_mark_and_crlf_do_not_hide_the_front_matter(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/bom.md": b"\xef\xbb\xbf---\r\ntitle: Windows note\r\ntags: [win]"
            b"\r\n---\r\nBody line\r\n",
            "posts/lf.md": "---\ntitle: Windows note\ntags: [win]\n---\nBody line\n",
            "posts/eof.md": "---\ntitle: Windows note\ntags: [win]\n---",
        },
    )

    items, result = read_local(load_settings(root, environ={}), NO_SITE, UTC)

    assert result.errors == []
    by_slug = {item.post.slug: item for item in items}
    for item in by_slug.values():
        assert item.post.fields["title"] == "Windows note"
        assert item.post.fields["tags"] == ["win"]
    assert by_slug["bom"].post.body == "Body line\n" == by_slug["lf"].post.body
    assert by_slug["eof"].post.body == ""
    bom, lf = by_slug["bom"].canonical, by_slug["lf"].canonical
    assert bom["fields"] == {**lf["fields"], "slug": "bom"}  # CRLF changes no hash
    assert {**bom, "fields": {}} == {**lf, "fields": {}}


def test_toml_front_matter_is_read_not_published(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/hugo.md": '+++\ntitle = "Hugo post"\ndate = 2024-02-01\n+++\nBody',
            "posts/broken.md": '+++\ntitle = "Hugo\n+++\nBody',
        },
    )

    result = read(root)

    [post] = result.posts
    assert post.fields["title"] == "Hugo post"
    assert post.fields["published_at"] == "2024-02-01T00:00:00.000Z"
    assert post.body == "Body\n"
    assert one_error(result).startswith("content/posts/broken.md: the front matter")


def test_empty_front_matter_and_horizontal_rules_keep_the_text(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/empty.md": "---\n---\n# Heading title\n\nBody only",
            "posts/rules.md": "Intro\n\n---\n\nMiddle\n\n---\n\nEnd",
        },
    )

    result = read(root)

    by_slug = {post.slug: post for post in result.posts}
    assert by_slug["empty"].fields["title"] == "Heading title"
    assert by_slug["empty"].body == "Body only\n"
    assert by_slug["rules"].body == "Intro\n\n---\n\nMiddle\n\n---\n\nEnd\n"
    assert any("rules.md: no title" in w for w in warnings(result))


def test_tab_indented_yaml_names_the_line_and_the_fix(tmp_path):
    root = project_with(
        tmp_path, {"posts/tab.md": "---\ntitle: T\nimage:\n\tsrc: a.png\n---\nBody"}
    )

    message = one_error(read(root))

    assert message.startswith("content/posts/tab.md:4:")
    assert "YAML forbids tabs for indentation" in message


@pytest.mark.parametrize(
    ("value", "shown"), [("No", "boolean"), ("12:30", "number"), ("1.10", "number")]
)
def test_yaml_values_read_as_another_type_are_errors_with_a_quote_hint(
    tmp_path, value, shown
):
    root = project_with(tmp_path, {"posts/t.md": f"---\ntitle: {value}\n---\nx\n"})

    message = one_error(read(root))

    assert message.startswith("content/posts/t.md:2:")
    assert shown in message and f'title: "{value}"' in message


# -- bodies -------------------------------------------------------------------


EMBEDS = """---
title: Embeds
body_format: html
---
Intro paragraph.

<iframe src="https://www.youtube-nocookie.com/embed/abc123" width="560"></iframe>

<div class="note" data-kind="info"><p>Custom block</p></div>

<script src="https://widgets.example.org/w.js" async></script>
"""


def test_raw_html_blocks_reach_ghost_inside_html_cards(fake_project):
    write(fake_project, "embeds.md", EMBEDS)

    fake_project.push()

    [(query, post)] = sent(fake_project.fake)
    assert query["source"] == ["html"]  # a URL parameter, not in the body
    assert "source" not in post and "mobiledoc" not in post
    html = post["html"]
    for block in ("<iframe", '<div class="note" data-kind="info">', "<script"):
        before = html[: html.index(block)]
        assert before.rfind("<!--kg-card-begin: html-->") > before.rfind(
            "<!--kg-card-end: html-->"
        ), block


def test_markdown_bodies_reach_ghost_byte_for_byte_in_one_card(fake_project):
    body = (
        "- Install\n  - macOS: `brew install tool`\n- Configure\n\n"
        "  Set the URL first.\n\n"
        "| Ghost | Max |\n|:------|----:|\n| 5.x | all |\n\n"
        '```python\ndef greet(name):\n\n    return f"<b>{name}</b>"\n```\n\n'
        "```\nno language\n\ttab-indented line\n```\n\n"
        "First claim.[^a]\n\n[^a]: Source. A primary one.\n"
    )
    write(fake_project, "mixed.md", f"---\ntitle: Mixed\n---\n{body}")

    fake_project.push()

    [(_, post)] = sent(fake_project.fake)
    assert "mobiledoc" not in post and "html" not in post
    [stored] = fake_project.fake.posts.values()
    assert card_text(stored) == body


def test_tables_code_and_footnotes_in_html_format_keep_their_markup(fake_project):
    body = (
        "| Ghost | Max |\n|:------|----:|\n| 5.x | all |\n\n"
        '```python\nx = "<b>"\n```\n\n'
        "Claim.[^a]\n\n[^a]: Source.\n"
    )
    write(fake_project, "t.md", f"---\ntitle: T\nbody_format: html\n---\n{body}")

    fake_project.push()

    [(_, post)] = sent(fake_project.fake)
    html = post["html"]
    assert '<th style="text-align:right">Max</th>' in html
    assert '<pre><code class="language-python">x = &quot;&lt;b&gt;&quot;' in html
    assert html.count("<!--kg-card-begin: html-->") >= 3  # table, claim, notes
    assert 'id="fn1"' in html or 'id="fn-1"' in html or "footnote" in html


def test_obsidian_links_and_callouts_are_warned_about(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/notes.md": "---\ntitle: Notes\n---\nSee [[Gear List|my kit]].\n",
            "posts/callout.md": "---\ntitle: C\n---\n> [!warning] Prices\n> Vary.\n",
            "posts/code.md": "---\ntitle: Code\n---\n```\n[[not a link]]\n```\n",
        },
    )

    said = warnings(read(root))

    assert [w.split(":")[0] for w in said] == [
        "content/posts/callout.md",
        "content/posts/notes.md",
    ]
    assert all("Obsidian" in w for w in said)


# -- images -------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_missing_or_escaping_images_fail_that_post_only(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/img/chart.png": PNG,
            "posts/trip.md": "---\ntitle: Trip\n---\n![Chart](img/chart.png)\n\n"
            "![Missing](img/nope.png)\n",
            "posts/out.md": "---\ntitle: Out\n---\n![x](../../../etc/x.png)\n",
            "posts/ok.md": "---\ntitle: Ok\n---\n![Chart](<img/chart.png>)\n",
        },
    )

    result = CliRunner().invoke(main, ["-C", str(root), "validate"])

    assert result.exit_code == 1
    assert "content/posts/trip.md:6: the reference 'img/nope.png' does not exist" in (
        result.output
    )
    assert "content/posts/out.md:4:" in result.output
    assert "outside the content root" in result.output
    assert "1 valid, 2 invalid" in result.output


def test_image_types_ghost_refuses_are_named_before_upload(tmp_path):
    root = project_with(
        tmp_path,
        {
            "posts/img/IMG_0001.HEIC": b"\0\0\0\x18ftypheic",
            "posts/heic.md": "---\ntitle: H\n---\n![](img/IMG_0001.HEIC)\n",
            "posts/img/fake.png": b"this is a text file",
            "posts/fake.md": "---\ntitle: F\n---\nText.\n\n![](img/fake.png)\n",
            "posts/img/photo.PNG": PNG,
            "posts/upper.md": "---\ntitle: U\n---\n![](img/photo.PNG)\n",
        },
    )

    result = CliRunner().invoke(main, ["-C", str(root), "validate"])

    assert result.exit_code == 1
    assert "content/posts/heic.md:4:" in result.output
    assert "not an image type Ghost accepts" in result.output
    assert "content/posts/fake.md:6:" in result.output
    assert "is named .png but does not hold a png image" in result.output
    assert "1 valid, 2 invalid" in result.output


# -- remote side --------------------------------------------------------------


def test_every_page_of_a_long_listing_is_read(fake_project):
    fake = fake_project.fake
    for n in range(237):
        write(fake_project, f"p{n:03d}.md", f"---\ntitle: P{n}\n---\nx\n")
    fake_project.push()

    result = fake_project.plan()

    assert len(fake.posts) == 237
    assert {a.name for a in result.plan.actions} == {p.UNCHANGED}
    limits = {r.param("limit") for r in fake.requests if r.method == "GET"}
    assert "all" not in limits


def test_a_post_deleted_in_ghost_is_not_silently_created_again(fake_project):
    fake = fake_project.fake
    write(fake_project, "old.md", "---\ntitle: Old\n---\nx\n")
    fake_project.push()
    fake.posts.clear()
    write(fake_project, "old.md", "---\ntitle: Old, edited\n---\nx\n")

    result = fake_project.push()

    [action] = result.plan.actions
    assert action.name == p.DELETED_REMOTE
    assert "--recreate" in action.reason
    assert [r.method for r in fake.writes()] == ["POST"]  # only the first push
    assert (fake_project.root / "content/posts/old.md").exists()


def test_no_email_leaves_without_the_send_email_flag(fake_project):
    write(
        fake_project,
        "weekly.md",
        "---\ntitle: Weekly 42\nstatus: published\nnewsletter: weekly\n"
        'email_segment: "status:-free"\n---\nThis week.\n',
    )

    fake_project.push()

    for request in fake_project.fake.writes():
        assert "newsletter" not in request.query
        assert "email_segment" not in request.query
        assert b"newsletter" not in request.body


def test_external_canonical_url_is_sent_unchanged(fake_project):
    url = "https://original.example.org/essay/"
    write(
        fake_project, "essay.md", f"---\ntitle: Essay\ncanonical_url: {url}\n---\nx\n"
    )

    fake_project.push()
    again = fake_project.push()

    [(_, post)] = sent(fake_project.fake)
    assert post["canonical_url"] == url
    assert again.outcomes == []


# -- secrets ------------------------------------------------------------------


def test_key_and_tokens_never_reach_the_output_even_on_errors(fake_project):
    fake = fake_project.fake
    write(fake_project, "a.md", "---\ntitle: A\n---\nx\n")
    write(fake_project, "b.md", "---\ntitle: B\n---\nx\n")
    fake.inject("status", method="POST", status=500, times=20)

    result = CliRunner().invoke(
        main, ["-C", str(fake_project.root), "-v", "push"], env=fake_project.env
    )

    tokens = [
        r.headers.get("Authorization", "").removeprefix("Ghost ") for r in fake.requests
    ]
    key_id, secret = fake.key.split(":")
    text = result.output + str(result.exception or "")
    assert result.exit_code == 1
    for secret_text in [secret, fake.key, *filter(None, tokens)]:
        assert secret_text not in text
    assert secret[:16] not in text
