"""pull and import end to end, against the session's real Ghost."""

from __future__ import annotations

import json
import time

import pytest

from ghostsync import planner as p
from ghostsync.body import markdown_card_lexical
from ghostsync.pull import pull
from ghostsync.run import connect

from .e2e import CountingClient, Project
from .files import png
from .lexical import rich_lexical

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("pull")
    )


@pytest.fixture
def tidy(project):
    """The project; its posts are deleted from Ghost afterwards, so that their
    images do not show in other tests' imports of the whole site."""
    yield project
    client = project.client()
    for post in client.browse("post", fields=["id", "slug"]):
        if post["slug"].startswith(project.prefix):
            client.delete("post", post["id"])


def run_pull(project: Project, client: CountingClient | None = None, **options):
    options.setdefault("select", lambda remote: remote.slug.startswith(project.prefix))
    with connect(project.settings(), client or project.client()) as site:
        return pull(site, **options)


def remote_post(project: Project, slug: str) -> dict:
    post = project.client().find_by_slug(
        "post", slug, formats=["lexical"], include=["tags"]
    )
    assert post is not None
    return post


def edit_in_ghost(project: Project, slug: str, **changes) -> dict:
    post = remote_post(project, slug)
    time.sleep(1.1)  # Ghost's updated_at has one-second resolution
    body = {"updated_at": post["updated_at"], **changes}
    return project.client().update("post", post["id"], body)


def assert_push_writes_nothing(project: Project) -> None:
    counting = project.client()
    result = project.push(client=counting)
    assert counting.writes == []
    mine = [a for a in result.plan.actions if a.slug.startswith(project.prefix)]
    assert {a.name for a in mine} <= {p.UNCHANGED}


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


FILE = """\
---
# written by hand
title: Before
slug: {slug}
tags: [One, "#internal"]
excerpt: 'Kept as it is'
reviewer: someone   # not synced
---

First paragraph with a [link](/about/).

Second paragraph.
"""


def test_edit_in_ghost_is_pulled_with_a_minimal_diff(project):
    slug = project.slug("edited")
    rel = "content/posts/edited.md"
    path = project.write(rel, FILE.format(slug=slug))
    project.push()
    before = path.read_text()

    edit_in_ghost(project, slug, title="After: fixed in Ghost")
    result = run_pull(project)

    assert [o.status for o in result.outcomes] == ["done"]
    after = path.read_text()
    assert diff_lines(before, after) == [
        ("title: Before", "title: 'After: fixed in Ghost'")
    ]
    assert_push_writes_nothing(project)

    post = remote_post(project, slug)
    text = "First paragraph with a [link](/about/).\n\nSecond paragraph, edited.\n"
    edit_in_ghost(project, slug, lexical=markdown_card_lexical(text))
    run_pull(project)

    edited = path.read_text()
    assert edited.split("---\n")[1] == after.split("---\n")[1]  # front matter kept
    assert edited.endswith("\nSecond paragraph, edited.\n")
    assert "[link](/about/)" in edited
    state = next((project.root / ".ghostsync" / "state").glob("*.jsonl")).read_text()
    assert post["id"] in state
    assert_push_writes_nothing(project)


def test_lexical_post_is_pulled_then_pushed_with_zero_writes(project):
    slug = project.slug("lexical")
    client = project.client()
    site_url = client.site()["url"]
    client.create(
        "post",
        {
            "title": "Made in the editor",
            "slug": slug,
            "lexical": rich_lexical(site_url),
        },
    )

    result = run_pull(project, all_posts=True)

    assert [o.status for o in result.outcomes] == ["done"]
    text = (project.root / "content" / "posts" / f"{slug}.md").read_text()
    assert "body_format: html" in text
    assert "## A heading" in text
    assert "- two\n  - nested a\n  - nested b" in text
    assert "```python\ndef f():\n    return 1\n```" in text
    assert "![A dog](https://example.com/dog.png)" in text
    assert "<figcaption>The <b>cat</b> sits</figcaption>" in text
    assert 'src="/content/images/cat.png"' in text
    assert "kg-bookmark-card" in text
    assert "<!--kg-card-begin: html-->\n<table>" in text
    assert "[link](/about/)" in text
    assert_push_writes_nothing(project)
    assert run_pull(project, all_posts=True).outcomes == []


def test_local_edit_is_not_clobbered(project):
    kept = project.post("kept", "Original")
    other = project.post("other", "Other")
    project.push()
    edit_in_ghost(project, project.slug("kept"), title="Changed in Ghost")
    edit_in_ghost(project, project.slug("other"), title="Other, fixed in Ghost")
    project.post("kept", "Changed here")
    mine = (project.root / kept).read_text()

    result = project.cli("pull")

    assert result.exit_code == 3, result.output
    assert f"conflict post {kept}: changed on both sides" in result.output
    assert f"done     post {other}: pulled (title)" in result.output
    assert (project.root / kept).read_text() == mine
    assert "title: Other, fixed in Ghost" in (project.root / other).read_text()
    copy = project.root / ".ghostsync" / "conflicts" / kept
    assert "title: Changed in Ghost" in copy.read_text()
    assert json.loads(copy.with_name("kept.md.json").read_text())["title"] == (
        "Changed in Ghost"
    )
    assert copy.stat().st_mode & 0o777 == 0o600


def test_import_of_150_posts_then_a_rerun_writes_nothing(project):
    client = project.client()
    for number in range(150):
        client.create(
            "post",
            {
                "title": f"Post {number}",
                "slug": project.slug(f"bulk-{number:03}"),
                "lexical": markdown_card_lexical(f"Body of post {number}.\n"),
                "tags": [{"name": "Bulk"}] if number % 2 else [],
            },
        )
    project.write(
        "content/posts/bulk-000.md",
        "---\ntitle: Post 0\nslug: "
        f"{project.slug('bulk-000')}\n---\n\nBody of post 0.\n",
    )
    project.write(
        "content/posts/different.md",
        "---\ntitle: Other words\nslug: "
        f"{project.slug('bulk-001')}\n---\n\nNot the same.\n",
    )

    result = run_pull(project, all_posts=True)

    statuses = [o.status for o in result.outcomes]
    assert statuses.count("done") == 149 and statuses.count("conflict") == 1
    files = list((project.root / "content" / "posts").glob("*.md"))
    assert len(files) == 150  # 148 imported, one adopted, one left as it was
    assert (
        (project.root / "content/posts/different.md")
        .read_text()
        .endswith("Not the same.\n")
    )
    times = {f: f.stat().st_mtime_ns for f in files}

    again = run_pull(project, all_posts=True)
    assert [o.status for o in again.outcomes] == ["conflict"]
    assert {f: f.stat().st_mtime_ns for f in files} == times
    counting = project.client()
    project.push(client=counting)
    assert counting.writes == []


def test_a_slug_read_as_a_date_gets_a_safe_file_name(project):
    slug = f"2024-01-02-{project.prefix}dated"
    project.client().create("post", {"title": "Dated slug", "slug": slug})

    run_pull(project, all_posts=True, select=lambda remote: remote.slug == slug)

    [path] = (project.root / "content" / "posts").glob("*.md")
    assert path.name == f"_{slug}.md"
    assert_push_writes_nothing(project)
    [action] = [a for a in project.plan().plan.actions if a.path.endswith(path.name)]
    assert (action.name, action.slug) == (p.UNCHANGED, slug)


def test_pull_force_takes_ghosts_version_and_backs_the_file_up(project):
    rel = project.post("forced", "Original")
    project.push()
    edit_in_ghost(project, project.slug("forced"), title="Ghost's title")
    project.post("forced", "My title")
    assert run_pull(project).exit_code() == 3

    result = run_pull(project, force=True)

    assert [o.status for o in result.outcomes] == ["done"]
    assert "title: Ghost's title" in (project.root / rel).read_text()
    [backup] = (project.root / ".ghostsync" / "backups").rglob("forced.md")
    assert "title: My title" in backup.read_text()
    assert backup.stat().st_mode & 0o777 == 0o600
    assert not (project.root / ".ghostsync" / "conflicts" / rel).exists()
    assert run_pull(project).outcomes == []
    assert_push_writes_nothing(project)


def test_pull_keeps_a_body_that_sends_what_ghost_holds(tidy):
    project = tidy
    slug = project.slug("wrapped")
    rel = "content/posts/wrapped.md"
    (project.root / "content" / "posts" / "img").mkdir(parents=True)
    (project.root / "content" / "posts" / "img" / "dot.png").write_bytes(png())
    text = (
        f"---\ntitle: Wrapped\nslug: {slug}\nfeature_image: img/dot.png\n---\n\n"
        "A line\nbroken here.\n\n![dot](img/dot.png)\n\n\n"
    )
    path = project.write(rel, text)
    project.push()

    edit_in_ghost(project, slug, featured=True)
    result = run_pull(project)

    assert [o.status for o in result.outcomes] == ["done"]
    after = path.read_text()
    assert after == text.replace("---\n\n", "featured: true\n---\n\n", 1)
    assert_push_writes_nothing(project)


def test_conflict_copy_has_the_local_paths_and_post_links(tidy):
    project = tidy
    (project.root / "content" / "posts" / "img").mkdir(parents=True)
    (project.root / "content" / "posts" / "img" / "dot.png").write_bytes(png())
    body = "See [second](second.md).\n\n![dot](img/dot.png)\n"
    first = project.post("first", "First", body, feature_image="img/dot.png")
    project.post("second", "Second")
    project.push()
    edit_in_ghost(project, project.slug("first"), title="Changed in Ghost")
    project.post("first", "Changed here", body, feature_image="img/dot.png")

    result = run_pull(project)

    assert [o.status for o in result.outcomes] == ["conflict"]
    copy = (project.root / ".ghostsync" / "conflicts" / first).read_text()
    assert "title: Changed in Ghost" in copy
    assert "feature_image: img/dot.png" in copy
    assert copy.endswith("\nSee [second](second.md).\n\n![dot](img/dot.png)\n")


def test_import_maps_links_between_posts_imported_together(project):
    client = project.client()
    first = client.create(
        "post", {"title": "First", "slug": project.slug("first"), "lexical": None}
    )
    second = client.create(
        "post",
        {
            "title": "Second",
            "slug": project.slug("second"),
            "lexical": markdown_card_lexical(f"Back to [first]({first['url']}).\n"),
        },
    )
    edit_in_ghost(
        project,
        project.slug("first"),
        lexical=markdown_card_lexical(f"See [second]({second['url']}).\n"),
    )

    result = run_pull(project, all_posts=True)

    assert [o.status for o in result.outcomes] == ["done", "done"]
    posts = project.root / "content" / "posts"
    first_text = (posts / f"{project.slug('first')}.md").read_text()
    second_text = (posts / f"{project.slug('second')}.md").read_text()
    assert first_text.endswith(f"\nSee [second]({project.slug('second')}.md).\n")
    assert second_text.endswith(f"\nBack to [first]({project.slug('first')}.md).\n")
    assert_push_writes_nothing(project)
