"""Scheduling and email end to end, against the real Ghost.

No mail leaves the local Ghost: it has no bulk-mail provider and no members,
so an email Ghost records for a post goes to nobody (``email_count`` 0).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from ghostsync import planner as p
from ghostsync.state import State

from .e2e import Project, mine

pytestmark = pytest.mark.ghost

NEWSLETTER = "default-newsletter"


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("publish")
    )


@pytest.fixture
def mail_safe(real_ghost) -> None:
    """Email tests run only on the local Ghost: it has no members, no mailer."""
    if real_ghost.external:
        pytest.skip("never email through a Ghost this test session did not set up")


def read_back(project: Project, name: str) -> dict:
    post = project.client().find_by_slug(
        "post", project.slug(name), include=["email", "newsletter"]
    )
    assert post is not None
    return post


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def state_records(project: Project) -> dict:
    settings = project.settings()
    client = project.client()
    uuid = client.site()["site_uuid"]
    return {r.path: r for r in State.open(settings.root, uuid).records.values()}


def test_email_is_sent_only_with_the_flag_on_a_new_post(project, mail_safe):
    project.post("news", "News", status="published", newsletter=NEWSLETTER)

    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.output
    assert "not emailed without --send-email" in planned.output

    pushed = project.cli("push", "--send-email")
    assert pushed.exit_code == 0, pushed.output
    assert f"emailed to newsletter '{NEWSLETTER}'" in pushed.output

    post = read_back(project, "news")
    assert post["status"] == "published"
    assert post["newsletter"]["slug"] == NEWSLETTER
    assert post["email"] is not None
    assert post["email"]["recipient_filter"] == "all"
    assert post["email"]["email_count"] == 0  # no members: nobody is mailed
    assert state_records(project)["content/posts/news.md"].emailed

    again = project.cli("push", "--send-email")
    assert again.exit_code == 0, again.output
    assert "emailed" not in again.output


def test_without_the_flag_a_post_is_published_without_email(project):
    project.post("quiet", "Quiet", status="published", newsletter=NEWSLETTER)
    result = project.push()
    [outcome] = result.outcomes
    assert outcome.status == "done"

    post = read_back(project, "quiet")
    assert post["status"] == "published"
    assert post["email"] is None
    assert not state_records(project)["content/posts/quiet.md"].emailed


def test_a_draft_published_later_is_emailed_with_a_segment(project, mail_safe):
    project.post("later", "Later", newsletter=NEWSLETTER, email_segment="status:free")
    project.push()
    assert read_back(project, "later")["email"] is None

    project.post(
        "later",
        "Later",
        status="published",
        newsletter=NEWSLETTER,
        email_segment="status:free",
    )
    result = project.push(send_email=True)
    [outcome] = result.outcomes
    assert outcome.action.email == NEWSLETTER, outcome
    post = read_back(project, "later")
    assert post["email"]["recipient_filter"] == "status:free"


def test_a_back_dated_post_is_never_emailed(project, mail_safe):
    project.post(
        "old",
        "Old news",
        status="published",
        date="2020-01-01",
        newsletter=NEWSLETTER,
    )
    result = project.plan(send_email=True)
    [action] = mine(result, project.prefix)
    assert action.name == p.CREATE and not action.email
    assert "back-dated" in action.note

    project.push(send_email=True)
    assert read_back(project, "old")["email"] is None


def test_an_unknown_newsletter_is_an_error_before_any_write(project):
    project.post("nope", "Nope", status="published", newsletter="no-such-letter")
    result = project.plan(send_email=True)
    [action] = mine(result, project.prefix)
    assert action.name == p.INVALID
    assert "'newsletter' names no active newsletter 'no-such-letter'" in action.reason


def test_a_scheduled_post_published_by_ghost_is_no_conflict(project):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    project.post("soon", "Soon", status="published", date=iso(when))
    project.post("future", "Far future", status="published", date="2099-01-01")
    project.push()
    assert read_back(project, "soon")["status"] == "scheduled"
    assert read_back(project, "future")["status"] == "scheduled"

    # Ghost's scheduler publishes it: wait on the status, bounded.
    deadline = time.monotonic() + 120
    while read_back(project, "soon")["status"] != "published":
        assert time.monotonic() < deadline, "Ghost did not publish the post"
        time.sleep(1)

    result = project.push()
    assert [a.name for a in mine(result, project.prefix)] == [p.UNCHANGED] * 2
    record = state_records(project)["content/posts/soon.md"]
    assert record.updated_at == read_back(project, "soon")["updated_at"]


def test_a_published_post_moved_into_the_future_is_an_error(project):
    project.post("live", "Live", status="published", date="2024-01-01")
    project.push()
    project.post("live", "Live", status="published", date="2099-01-01")
    result = project.plan()
    [action] = mine(result, project.prefix)
    assert action.name == p.INVALID
    assert "set status: draft first" in action.reason
