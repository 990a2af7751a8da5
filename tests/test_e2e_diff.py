"""``ghostsync diff`` on the real Ghost: fields, body, and which side moved."""

from __future__ import annotations

import json

import pytest

from ghostsync.body import markdown_card_lexical

from .e2e import Project
from .files import png
from .test_e2e_pull import tidy  # noqa: F401 (a fixture)
from .test_e2e_push import edit_in_ghost

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("diff")
    )


def test_diff_of_a_conflict_shows_fields_body_and_both_sides_moved(project):
    path = project.post("both", "Original", "Line one.\nLine two.\n\nEnd.\n")
    project.push()
    edit_in_ghost(project, "both", title="Title from Ghost")
    project.post("both", "Original", "Line one.\n\nEnd, edited here.\n")

    result = project.cli("diff")

    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("! conflict") and path in line for line in lines)
    assert "file changed, Ghost changed (fields)" in result.output
    assert '    Ghost: "Title from Ghost"' in lines
    assert '    file:  "Original"' in lines
    assert "    -Line one. Line two." in lines  # as sent: the soft break joined
    assert "    +End, edited here." in lines


def test_diff_of_a_body_edit_in_ghost_and_json(project):
    path = project.post("remote", "Stays", "Old body.\n")
    project.push()
    edit_in_ghost(project, "remote", lexical=markdown_card_lexical("New body.\n"))

    result = project.cli("diff", "--json", str(project.root / path))

    assert result.exit_code == 0, result.output
    [post] = json.loads(result.output)["posts"]
    assert post["action"] == "remote-changed" and post["fields"] == {}
    assert post["since_last_sync"]["file_changed"] is False
    assert post["since_last_sync"]["ghost_changed"] is True
    assert post["since_last_sync"]["ghost_fields_changed"] is False
    assert "-New body." in post["body_diff"] and "+Old body." in post["body_diff"]


def test_diff_of_an_unchanged_path_and_of_an_html_post(project):
    same = project.post("same", "Same")
    html = project.post("html", "HTML", "A *b*.\n", body_format="html")
    project.push()
    project.post("html", "HTML", "A *c*.\n", body_format="html")

    unchanged = project.cli("diff", str(project.root / same))
    changed = project.cli("diff")

    assert unchanged.exit_code == 0 and "no differences" in unchanged.output
    assert "the body is compared as HTML" in changed.output
    assert "    +<p>A <em>c</em>.</p>" in changed.output.splitlines()
    assert html in changed.output and same not in changed.output


def test_diff_of_a_path_that_does_not_exist(project):
    result = project.cli("diff", str(project.root / "content/posts/nope.md"))

    assert result.exit_code == 1
    assert "content/posts/nope.md is neither a post file" in result.output


def with_image(project: Project, name: str, body: str) -> str:
    """A post with a feature image and a body image, both local files."""
    (project.root / "content" / "posts" / "img").mkdir(parents=True, exist_ok=True)
    (project.root / "content" / "posts" / "img" / "dot.png").write_bytes(png())
    body += "\n![dot](img/dot.png)\n"
    return project.post(name, name.title(), body, feature_image="img/dot.png")


@pytest.mark.usefixtures("tidy")
def test_diff_of_an_in_sync_post_with_images_shows_no_differences(project):
    path = with_image(project, "pictured", "A line\nbroken here.\n")
    project.push()

    result = project.cli("diff", str(project.root / path))

    assert result.exit_code == 0, result.output
    assert "no differences" in result.output
    assert "__GHOST_URL__" not in result.output and "img/dot.png" not in result.output


@pytest.mark.usefixtures("tidy")
def test_plan_names_the_body_of_a_post_with_images(project):
    path = with_image(project, "covered", "Old text.\n")
    project.push()
    with_image(project, "covered", "New text.\n")

    text = project.cli("plan")
    data = json.loads(project.cli("plan", "--json").output)

    assert f"post {path}  (body)" in text.output, text.output
    [action] = [a for a in data["actions"] if a["path"] == path]
    assert action["changes"] == ["body"]
