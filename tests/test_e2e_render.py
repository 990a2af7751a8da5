"""Fidelity warnings and ``push --check-render``, against the real Ghost."""

from __future__ import annotations

import pytest

from ghostsync.render_check import SLUG_PREFIX

from .e2e import Project

pytestmark = pytest.mark.ghost

TASKS = "Before.\n\n- [ ] write it\n- [x] check it\n"


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("render")
    )


def leftover_drafts(project: Project) -> list[str]:
    posts = project.client().browse("post", fields=["id", "slug"])
    return [post["slug"] for post in posts if post["slug"].startswith(SLUG_PREFIX)]


def test_plan_warns_what_each_format_loses(project):
    project.post("tasks", "Tasks", TASKS)
    project.post("quotes", "Quotes", "> outer\n>\n> > inner\n", body_format="html")

    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.output
    assert (
        "warning: content/posts/tasks.md:7: task list checkbox [ ] shows as literal"
        " text in Ghost" in planned.output
    )
    assert (
        "warning: content/posts/quotes.md:8: nested blockquote is merged into the"
        " outer quote's text in html format" in planned.output
    )

    project.cli("push")
    again = project.cli("plan")
    assert "warning" not in again.output  # only posts about to be written


def test_check_render_reports_the_task_list_and_leaves_no_draft(project):
    project.post("tasks", "Tasks", TASKS)

    checked = project.cli("push", "--check-render")
    assert checked.exit_code == 0, checked.output
    assert "render   content/posts/tasks.md: 4 lines differ" in checked.output
    assert "created and deleted" in checked.output
    assert "local: li: [checkbox  ] write it" not in checked.output
    assert "local: li: [checkbox ] write it" in checked.output
    assert "Ghost: li: [ ] write it" in checked.output
    assert "Ghost: li: [x] check it" in checked.output
    assert "nothing was pushed" in checked.output

    assert leftover_drafts(project) == []
    client = project.client()
    assert client.find_by_slug("post", project.slug("tasks")) is None


def test_check_render_of_a_faithful_post_finds_nothing(project):
    body = "A *table*:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^n]\n\n[^n]: Note.\n"
    rel = project.post("plain", "Plain", body)

    checked = project.cli("push", "--check-render", str(project.root / rel))
    assert checked.exit_code == 0, checked.output
    assert "same as the local rendering" in checked.output
    assert leftover_drafts(project) == []
