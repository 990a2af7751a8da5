"""Every managed field, authors and tiers, end to end against the real Ghost."""

from __future__ import annotations

import shutil
import time

import pytest

from ghostsync import planner as p

from .e2e import Project, mine

pytestmark = pytest.mark.ghost

INCLUDE = ["tags", "authors", "tiers"]


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    if real_ghost.staff_slug is None:
        pytest.skip("needs the local Ghost's owner and staff user")
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("fields")
    )


def read_back(project: Project, name: str, kind: str = "post") -> dict:
    post = project.client().find_by_slug(kind, project.slug(name), include=INCLUDE)
    assert post is not None
    return post


def paid_tier(project: Project) -> dict:
    tiers = project.client().browse_resource("tiers", filter="type:paid")
    return next(iter(tiers))


def names(result, prefix) -> list[str]:
    return [a.name for a in mine(result, prefix)]


def front(values: dict) -> str:
    lines = [f"{key}: {value}" for key, value in values.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def test_every_field_round_trips_and_plans_nothing_after(project, real_ghost):
    tier = paid_tier(project)
    post_fields = {
        "title": "Every field",
        "slug": project.slug("every"),
        "status": "published",
        "date": "2024-05-01T09:30:00Z",
        "tags": '[News, "#internal"]',
        "authors": f"[{real_ghost.staff_slug}, {real_ghost.owner_email}]",
        "excerpt": "The excerpt.",
        "feature_image": "https://images.example.com/cover.jpg",
        "feature_image_alt": "A cover",
        "feature_image_caption": "The <em>caption</em>",
        "featured": "true",
        "visibility": "tiers",
        "tiers": f"['{tier['name']}']",
        "meta_title": "Meta title",
        "meta_description": "Meta description",
        "og_title": "OG title",
        "og_description": "OG description",
        "og_image": "https://images.example.com/og.jpg",
        "twitter_title": "Twitter title",
        "twitter_description": "Twitter description",
        "twitter_image": "https://images.example.com/tw.jpg",
        "canonical_url": "https://elsewhere.example.com/every/",
        "codeinjection_head": "'<style>.x{}</style>'",
        "codeinjection_foot": "'<script>var x;</script>'",
        "custom_template": "custom-wide",
        "email_subject": "Subject line",
    }
    project.write("content/posts/every.md", front(post_fields) + "Body.\n")
    page_fields = {
        "title": "A page",
        "slug": project.slug("page"),
        "visibility": "members",
        "show_title_and_feature_image": "false",
    }
    project.write("content/pages/page.md", front(page_fields) + "Page body.\n")

    first = project.push()
    assert {o.status for o in first.outcomes} == {"done"}, first.outcomes

    post = read_back(project, "every")
    expected = {
        "title": "Every field",
        "status": "published",
        "published_at": "2024-05-01T09:30:00.000Z",
        "custom_excerpt": "The excerpt.",
        "feature_image": "https://images.example.com/cover.jpg",
        "feature_image_alt": "A cover",
        "feature_image_caption": "The <em>caption</em>",
        "featured": True,
        "visibility": "tiers",
        "meta_title": "Meta title",
        "meta_description": "Meta description",
        "og_title": "OG title",
        "og_description": "OG description",
        "og_image": "https://images.example.com/og.jpg",
        "twitter_title": "Twitter title",
        "twitter_description": "Twitter description",
        "twitter_image": "https://images.example.com/tw.jpg",
        "canonical_url": "https://elsewhere.example.com/every/",
        "codeinjection_head": "<style>.x{}</style>",
        "codeinjection_foot": "<script>var x;</script>",
        "custom_template": "custom-wide",
        "email_subject": "Subject line",
    }
    assert {name: post[name] for name in expected} == expected
    assert [t["slug"] for t in post["tags"]] == ["news", "hash-internal"]
    assert [a["slug"] for a in post["authors"]] == [real_ghost.staff_slug, "olivia"]
    assert [t["id"] for t in post["tiers"]] == [tier["id"]]

    page = read_back(project, "page", "page")
    assert page["show_title_and_feature_image"] is False
    assert page["visibility"] == "members"

    counting = project.client()
    again = project.push(client=counting)
    assert counting.writes == []
    assert set(names(again, project.prefix)) == {p.UNCHANGED}


def test_authors_by_email_match_ghosts_slugs_without_the_state(project, real_ghost):
    project.post(
        "by-email", "By email", authors=f"[{real_ghost.staff_email}]", featured="true"
    )
    assert [o.status for o in project.push().outcomes] == ["done"]
    assert [a["slug"] for a in read_back(project, "by-email")["authors"]] == [
        real_ghost.staff_slug
    ]

    # A clone whose state was never committed: the post is recognised as the
    # same, not refused as a different post of that slug.
    shutil.rmtree(project.root / ".ghostsync" / "state")
    result = project.plan()
    [action] = mine(result, project.prefix)
    assert action.name == p.ADOPT and not action.changes, action


def test_an_unknown_author_is_an_error_for_that_post_only(project):
    project.post("ghost-writer", "Nobody", authors="[nobody@example.com]")
    project.post("fine", "Fine")

    planned = project.cli("plan")
    assert planned.exit_code == 1, planned.output
    assert "content/posts/ghost-writer.md:4: 'authors' names no staff user" in (
        planned.output
    )
    assert "'nobody@example.com'" in planned.output

    pushed = project.cli("push")
    assert pushed.exit_code == 1, pushed.output
    client = project.client()
    assert client.find_by_slug("post", project.slug("ghost-writer")) is None
    assert client.find_by_slug("post", project.slug("fine")) is not None


def test_an_unknown_or_free_tier_is_an_error(project):
    project.post("free", "Free", visibility="tiers", tiers="[free]")
    result = project.plan()
    [action] = mine(result, project.prefix)
    assert action.name == p.INVALID
    assert "'tiers' names no active paid tier 'free'" in action.reason


def test_authors_or_tiers_edited_in_ghost_are_a_remote_change(project, real_ghost):
    tier = paid_tier(project)
    project.post(
        "relations",
        "Relations",
        authors=f"[{real_ghost.staff_slug}]",
        visibility="tiers",
        tiers=f"[{tier['slug']}]",
    )
    project.post("owned", "Owned")
    project.push()

    client = project.client()
    for name, change in (
        ("relations", {"authors": [{"slug": "olivia"}]}),
        ("owned", {"authors": [{"slug": real_ghost.staff_slug}]}),
    ):
        post = read_back(project, name)
        time.sleep(1.1)  # one-second updated_at: keep the edit apart
        client.update("post", post["id"], {"updated_at": post["updated_at"], **change})

    # A file that names authors manages them: Ghost's edit is a remote change.
    # A file that does not leaves them to Ghost: nothing to push, and the
    # author chosen in Ghost stays.
    result = project.push()
    assert names(result, project.prefix) == [p.UNCHANGED, p.REMOTE_CHANGED]
    assert [a["slug"] for a in read_back(project, "relations")["authors"]] == ["olivia"]
    assert [a["slug"] for a in read_back(project, "owned")["authors"]] == [
        real_ghost.staff_slug
    ]


def test_members_access_edited_in_ghost_is_a_remote_change(project):
    tier = paid_tier(project)
    project.post("tiered", "Tiered", visibility="tiers", tiers=f"[{tier['slug']}]")
    project.push()

    post = read_back(project, "tiered")
    time.sleep(1.1)
    project.client().update(
        "post", post["id"], {"updated_at": post["updated_at"], "visibility": "paid"}
    )
    assert names(project.plan(), project.prefix) == [p.REMOTE_CHANGED]
