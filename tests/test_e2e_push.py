"""plan and push end to end, against the session's real Ghost."""

from __future__ import annotations

import json
import time

import pytest

from ghostsync import planner as p
from ghostsync.state import State

from .e2e import CountingClient, Project, mine

pytestmark = pytest.mark.ghost


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("push")
    )


def names(result, prefix) -> list[str]:
    return [a.name for a in mine(result, prefix)]


def remote_post(project: Project, name: str, kind: str = "post") -> dict:
    client = project.client()
    post = client.find_by_slug(
        kind, project.slug(name), formats=["lexical"], include=["tags"]
    )
    assert post is not None
    return post


def card_text(post: dict) -> str:
    [card] = json.loads(post["lexical"])["root"]["children"]
    return card["markdown"]


def edit_in_ghost(project: Project, name: str, **changes) -> dict:
    post = remote_post(project, name)
    time.sleep(1.1)  # Ghost's updated_at has one-second resolution
    body = {"updated_at": post["updated_at"], **changes}
    return project.client().update("post", post["id"], body)


def test_create_update_and_a_second_push_writes_nothing(project):
    project.post("hello", "Hello", "First line\nsame paragraph.\n\nSecond.\n")

    first = project.push()
    assert [o.status for o in first.outcomes] == ["done"]
    post = remote_post(project, "hello")
    assert post["title"] == "Hello"
    assert card_text(post) == "First line same paragraph.\n\nSecond.\n"

    project.post("hello", "Hello, world")
    second = project.push()
    assert [o.action.name for o in second.outcomes] == [p.UPDATE]
    assert remote_post(project, "hello")["title"] == "Hello, world"

    counting = project.client()
    third = project.push(client=counting)
    assert counting.writes == []
    assert names(third, project.prefix) == [p.UNCHANGED]


def test_cli_plan_push_and_exit_codes(project):
    project.post("cli", "Via the CLI")

    planned = project.cli("plan", "--exit-code")
    assert planned.exit_code == 4, planned.output
    assert "+ create" in planned.output

    pushed = project.cli("push")
    assert pushed.exit_code == 0, pushed.output
    assert "created" in pushed.output

    again = project.cli("plan", "--json", "--exit-code")
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["schema"] == 1
    ours = [a for a in data["actions"] if a["path"]]
    assert [a["action"] for a in ours] == [p.UNCHANGED]


def test_conflict_keeps_the_edit_made_in_ghost(project):
    path = project.post("conflict", "Original")
    project.push()
    edit_in_ghost(project, "conflict", title="Fixed in Ghost")
    project.post("conflict", "Changed locally")

    result = project.push()

    assert result.exit_code() == 3
    assert remote_post(project, "conflict")["title"] == "Fixed in Ghost"
    saved = project.root / ".ghostsync" / "conflicts" / (path + ".json")
    assert json.loads(saved.read_text())["title"] == "Fixed in Ghost"

    forced = project.cli("push", "--force")
    assert forced.exit_code == 0, forced.output
    assert remote_post(project, "conflict")["title"] == "Changed locally"
    [backup] = (project.root / ".ghostsync" / "backups").rglob("post-*.json")
    assert "Fixed in Ghost" in backup.read_text()
    shown = backup.relative_to(project.root).as_posix()
    assert f"Ghost's version backed up: {shown}" in forced.output


def test_tags_only_edit_in_ghost_is_a_remote_change(project):
    project.post("tagged", "Tagged", tags="[one]")
    project.push()
    before = remote_post(project, "tagged")

    after = edit_in_ghost(project, "tagged", tags=[{"name": "two"}])

    assert after["updated_at"] == before["updated_at"]  # Ghost does not move it
    assert names(project.plan(), project.prefix) == [p.REMOTE_CHANGED]
    project.post("tagged", "Tagged and edited", tags="[one]")
    assert names(project.plan(), project.prefix) == [p.CONFLICT]


def test_remote_round_trip_edit_is_retried_after_the_409(project):
    project.post("retry", "Stable")
    project.push()
    edit_in_ghost(project, "retry", title="Briefly different")
    edit_in_ghost(project, "retry", title="Stable")  # content as synced, newer date

    project.post("retry", "Stable", body="New body.\n")
    result = project.push()

    assert [o.status for o in result.outcomes] == ["done"]
    assert "re-read" in result.outcomes[0].message
    assert card_text(remote_post(project, "retry")) == "New body.\n"


def test_lost_create_is_adopted_not_duplicated(project):
    project.post("lost", "Lost response")

    class DiesAfterCreate(CountingClient):
        def create(self, kind, post, **options):
            super().create(kind, post, **options)
            raise KeyboardInterrupt  # the process died before the state write

    with pytest.raises(KeyboardInterrupt):
        project.push(client=DiesAfterCreate(project.client()._client))

    result = project.push()

    assert [a.name for a in mine(result, project.prefix)] == [p.ADOPT]
    client = project.client()
    assert client.find_by_slug("post", project.slug("lost")) is not None
    assert client.find_by_slug("post", project.slug("lost") + "-2") is None
    assert names(project.plan(), project.prefix) == [p.UNCHANGED]


def test_stale_state_equal_to_the_files_is_no_conflict(project):
    project.post("stale", "Version one")
    project.push()
    state = State.open(project.root, project.client().site()["site_uuid"])
    old = state.path.read_text()

    project.post("stale", "Version two")
    project.push()
    state.path.write_text(old)  # a CI run that did not commit its state

    result = project.plan()
    [action] = mine(result, project.prefix)
    assert (action.name, action.refresh) == (p.UNCHANGED, True)
    project.push()
    [again] = mine(project.plan(), project.prefix)
    assert (again.name, again.refresh) == (p.UNCHANGED, False)


def test_adopt_identical_and_refuse_different_untracked_posts(project, tmp_path):
    project.post("same", "Same everywhere")
    project.post("differs", "Local version")
    project.push()

    other = Project(tmp_path / "other", project.url, project.key, project.prefix)
    other.post("same", "Same everywhere")
    other.post("differs", "Another version")

    result = other.plan()
    by_slug = {a.slug: a.name for a in mine(result, project.prefix)}
    assert by_slug[project.slug("same")] == p.ADOPT
    assert by_slug[project.slug("differs")] == p.REFUSE

    adopted = other.push(adopt=True)
    assert {o.status for o in adopted.outcomes} == {"done"}
    assert remote_post(project, "differs")["title"] == "Another version"


def test_moved_file_and_renamed_slug(project):
    project.post("move-me", "Moving")
    project.push()
    old = project.root / "content/posts/move-me.md"
    new = project.root / "content/posts/2024/move-me.md"
    new.parent.mkdir()
    old.rename(new)

    [moved] = mine(project.plan(), project.prefix)
    assert (moved.name, moved.moved_from) == (p.UNCHANGED, "content/posts/move-me.md")
    project.push()

    text = new.read_text().replace(project.slug("move-me"), project.slug("moved"))
    new.write_text(text)
    [renamed] = mine(project.plan(), project.prefix)
    assert (renamed.name, renamed.old_slug) == (p.UPDATE, project.slug("move-me"))
    project.push()
    assert remote_post(project, "moved")["title"] == "Moving"


def test_pages_and_html_body_format(project):
    project.write(
        "content/pages/about.md",
        f"---\ntitle: About\nslug: {project.slug('about')}\n---\n| a | b |\n|---|---|\n"
        "| 1 | 2 |\n",
    )
    project.post("html", "In HTML", "Para with **bold**.\n", body_format="html")

    result = project.push()

    assert {o.status for o in result.outcomes} == {"done"}
    page = remote_post(project, "about", kind="page")
    assert "| 1 | 2 |" in card_text(page)
    html_post = remote_post(project, "html")
    assert "bold" in html_post["lexical"] and '"markdown"' not in html_post["lexical"]
    assert names(project.plan(), project.prefix) == [p.UNCHANGED, p.UNCHANGED]


def test_invalid_file_among_valid_ones(project):
    project.post("valid", "Valid")
    project.write("content/posts/broken.md", "---\ntitle: No\n---\nText\n")

    result = project.cli("push")

    assert result.exit_code == 1
    assert "content/posts/broken.md:2" in result.output
    assert remote_post(project, "valid")["title"] == "Valid"


def test_bom_crlf_file_and_fresh_clone_plan_nothing(project, tmp_path):
    text = f"---\r\ntitle: Windows\r\nslug: {project.slug('crlf')}\r\n---\r\nA\r\nB\r\n"
    project.write("content/posts/crlf.md", b"\xef\xbb\xbf" + text.encode())
    project.push()
    assert card_text(remote_post(project, "crlf")) == "A B\n"

    clone = project.clone(tmp_path / "clone")
    counting = clone.client()
    result = clone.push(client=counting)
    assert counting.writes == []
    assert names(result, project.prefix) == [p.UNCHANGED]


def test_no_state_at_all_adopts_identical_posts(project, tmp_path):
    project.post("nostate", "No state")
    project.push()
    clone = project.clone(tmp_path / "clone")
    for state_file in (clone.root / ".ghostsync" / "state").iterdir():
        state_file.unlink()

    [action] = mine(clone.plan(), project.prefix)

    assert action.name == p.ADOPT
    assert action.changes == ()
