"""Email and scheduling decisions, and the instructions that steer them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from ghostsync import planner as p
from ghostsync.config import load_settings
from ghostsync.run import validate
from ghostsync.source import scan

from .test_planner import local, record, remote, run


def emailing(newsletter: str = "weekly", **fields) -> p.LocalItem:
    item = local(status="published", **fields)
    post = replace(item.post, newsletter=newsletter, email_segment="all")
    return replace(item, post=post)


def test_a_new_published_post_is_emailed_only_with_the_flag():
    [quiet] = run([emailing()], [], [])
    assert quiet.name == p.CREATE and not quiet.email
    assert "not emailed without --send-email" in quiet.note

    [sent] = run([emailing()], [], [], send_email=True)
    assert sent.email == "weekly" and sent.email_segment == "all"


def test_a_draft_being_published_is_emailed_once():
    draft = remote(title="Old")
    item = emailing()
    [action] = run([item], [draft], [record(local(), draft)], send_email=True)
    assert action.name == p.UPDATE and action.email == "weekly"

    emailed = record(local(), draft, emailed=True)
    [again] = run([item], [draft], [emailed], send_email=True)
    assert again.name == p.UPDATE and not again.email


def test_an_already_published_post_is_not_emailed():
    live = replace(remote(title="Old", status="published"), status="published")
    [action] = run([emailing()], [live], [record(local(), live)], send_email=True)
    assert action.name == p.UPDATE and not action.email and not action.note


@pytest.mark.parametrize(
    ("date", "emailed"),
    [("2026-05-01T00:00:00.000Z", False), ("2026-06-01T06:00:00.000Z", True)],
)
def test_a_back_dated_post_is_never_emailed(date, emailed):
    [action] = run([emailing(published_at=date)], [], [], send_email=True)
    assert bool(action.email) is emailed
    if not emailed:
        assert action.note == "not emailed: back-dated (2026-05-01)"


def test_a_post_sent_as_email_only_is_read_only():
    sent = replace(remote(title="Old"), status="sent")
    [action] = run([local(title="New")], [sent], [record(local(), sent)])
    assert action.name == p.INVALID
    assert "read-only" in action.reason


def test_a_tracked_file_that_says_sync_false_is_left_alone():
    post = remote()
    item = local()
    actions = run([], [post], [record(item, post)], skipped=frozenset([item.path]))
    assert actions == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ghostsync.toml").write_text('[site]\nurl = "http://127.0.0.1:9/"\n')
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "pages").mkdir(parents=True)
    return tmp_path


def read(project: Path, front: str, kind: str = "posts"):
    path = project / "content" / kind / "a.md"
    path.write_text(f"---\ntitle: A\n{front}\n---\nBody.\n", encoding="utf-8")
    return scan(load_settings(project, environ={}), dt.UTC)


def test_instructions_are_read_and_never_part_of_the_fields(project):
    result = read(project, "newsletter: weekly\nemail_segment: status:free")
    [post] = result.posts
    assert (post.newsletter, post.email_segment) == ("weekly", "status:free")
    assert "newsletter" not in post.fields and not post.warnings


@pytest.mark.parametrize(
    ("front", "kind", "field"),
    [
        ("newsletter: weekly", "pages", "newsletter"),
        ("email_segment: all", "posts", "email_segment"),
        ("newsletter: 12", "posts", "newsletter"),
        ("sync: 'no'", "posts", "sync"),
    ],
)
def test_bad_instructions_are_errors(project, front, kind, field):
    result = read(project, front, kind)
    [error] = result.errors
    assert error.field == field


def test_sync_false_leaves_the_file_out(project):
    result = read(project, "sync: false\ntitle_typo: x")
    assert result.posts == [] and result.errors == []
    assert result.skipped == ["content/posts/a.md"]


def test_fidelity_warnings_name_the_file_line(project):
    body = "# Title\n\nText.\n\n- [ ] a task\n"
    path = project / "content" / "posts" / "t.md"
    path.write_text("---\nslug: t\n---\n" + body, encoding="utf-8")
    [post] = scan(load_settings(project, environ={}), dt.UTC).posts
    assert post.fidelity == (
        "content/posts/t.md:8: task list checkbox [ ] shows as literal text in Ghost",
    )


def test_footnote_definitions_are_not_file_references(project):
    body = "Text[^n]\n\n[^n]: Note.\n"
    path = project / "content" / "posts" / "f.md"
    path.write_text("---\ntitle: F\n---\n" + body, encoding="utf-8")
    result = validate(load_settings(project, environ={}))
    assert [e.message for e in result.errors] == [] and len(result.posts) == 1
