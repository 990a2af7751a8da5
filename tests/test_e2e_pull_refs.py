"""Pull and local references: Ghost URLs back to paths, images downloaded."""

from __future__ import annotations

import re

import pytest

from ghostsync.body import markdown_card_lexical

from .e2e import Project
from .files import png
from .test_e2e_pull import assert_push_writes_nothing, edit_in_ghost, run_pull

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("pullref")
    )


def upload(project: Project, name: str, data: bytes) -> str:
    path = project.root.parent / name
    path.write_bytes(data)
    return project.client().upload("images", path)["url"]


def test_import_downloads_images_beside_the_post_and_push_uploads_nothing(project):
    body_png, cover_png = png((10, 20, 30)), png((40, 50, 60))
    body_url = upload(project, "in body.png", body_png)
    cover_url = upload(project, "cover.png", cover_png)
    slug = project.slug("hosted")
    project.client().create(
        "post",
        {
            "title": "Hosted",
            "slug": slug,
            "feature_image": cover_url,
            "lexical": markdown_card_lexical(f"Look: ![x]({body_url}?w=1)\n"),
        },
    )

    printed = project.cli("pull", "--all", "--dry-run")
    # The shared Ghost also holds other tests' images: at least these two.
    counted = re.search(r"would download (\d+) images \(", printed.output)
    assert counted and int(counted.group(1)) >= 2, printed.output
    result = run_pull(project, all_posts=True)

    assert [o.status for o in result.outcomes] == ["done"], result.outcomes
    assert sum(d.size for d in result.downloads) >= 2
    folder = project.root / "content" / "posts" / slug
    text = (folder / "index.md").read_text()
    assert "Look: ![x](in-body.png?w=1)" in text
    assert "feature_image: cover.png" in text
    assert (folder / "in-body.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "cover.png").read_bytes().startswith(b"\x89PNG")
    assert_push_writes_nothing(project)


def test_html_post_images_come_back_as_files_and_push_writes_nothing(project):
    url = upload(project, "card.png", png((70, 80, 90)))
    slug = project.slug("editor")
    project.client().create(
        "post",
        {"title": "Editor", "slug": slug, "html": f'<p>Hi.</p><img src="{url}">'},
        source_html=True,
    )

    run_pull(project, all_posts=True)

    text = (project.root / "content/posts" / slug / "index.md").read_text()
    assert "](card.png)" in text and "body_format: html" in text
    assert_push_writes_nothing(project)


def test_pulled_edit_keeps_local_paths_and_links(project):
    project.write("content/posts/img/a b.png", png((1, 1, 1)))
    project.post("target", "Target")
    path = project.post(
        "source", "Source", "![a](<img/a b.png>) and [t](target.md#x)\n"
    )
    project.push()
    edit_in_ghost(project, project.slug("source"), title="Retitled in Ghost")

    result = run_pull(project)

    assert [o.status for o in result.outcomes] == ["done"], result.outcomes
    text = (project.root / path).read_text()
    assert "title: Retitled in Ghost" in text
    assert text.endswith("\n![a](<img/a b.png>) and [t](target.md#x)\n")
    assert_push_writes_nothing(project)


def test_no_images_leaves_the_urls(project):
    url = upload(project, "kept.png", png((5, 5, 5)))
    slug = project.slug("urls")
    project.client().create(
        "post",
        {
            "title": "Urls",
            "slug": slug,
            "lexical": markdown_card_lexical(f"![k]({url})\n"),
        },
    )

    run_pull(project, all_posts=True, images=False)

    text = (project.root / "content/posts" / f"{slug}.md").read_text()
    assert "](/content/images/" in text
    assert not (project.root / "content/posts" / slug).exists()
