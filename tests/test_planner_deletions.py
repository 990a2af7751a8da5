"""Planner tests for deletions: --prune, its limits, and --recreate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ghostsync import planner as p
from ghostsync.state import Record, Snapshot

from .test_planner import NOW, local, record, remote


def posts(count: int) -> list[tuple[p.LocalItem, p.RemotePost, Record]]:
    triples = []
    for number in range(count):
        slug = f"post-{number:02}"
        item = local(path=f"content/posts/{slug}.md", slug=slug)
        post = remote(post_id=f"r{number}", slug=slug)
        triples.append((item, post, record(item, post)))
    return triples


def plan(
    triples: list[tuple[p.LocalItem, p.RemotePost, Record]],
    removed: int,
    limits: p.Limits | None = None,
    **options: Any,
) -> list[p.Action]:
    """Plan with the first ``removed`` files gone, guarded by ``limits``."""
    state = Snapshot(records={r.id: r for _i, _p, r in triples})
    inputs = p.Inputs(
        local=[item for item, _post, _rec in triples[removed:]],
        invalid=[],
        remote={post.id: post for _i, post, _r in triples},
        state=state,
        now=NOW,
        **options,
    )
    result = p.plan(inputs)
    return p.guard(result, result.actions, state, limits or p.Limits()).actions


def names(actions: list[p.Action]) -> list[str]:
    return [a.name for a in actions]


def test_without_prune_a_removed_file_is_only_reported():
    actions = plan(posts(4), removed=1)

    assert names(actions)[0] == p.DELETED_LOCAL
    assert actions[0].prune == "" and not actions[0].writes
    assert "'push --prune' deletes it" in actions[0].reason


def published(triples: list) -> list:
    return [(i, replace(post, status="published"), r) for i, post, r in triples]


def test_prune_deletes_or_sets_to_draft():
    [deleted, *_rest] = plan(posts(4), removed=1, prune="delete")
    [drafted, *_rest] = plan(published(posts(4)), removed=1, prune="draft")

    assert (deleted.name, deleted.prune, deleted.writes) == (
        p.DELETED_LOCAL,
        "delete",
        True,
    )
    assert drafted.prune == "draft"


def test_prune_draft_of_a_draft_only_forgets_it():
    [action, *_rest] = plan(posts(4), removed=1, prune="draft")

    assert (action.prune, action.refresh, action.writes) == ("", True, False)


def test_more_than_max_delete_is_refused_unless_yes_or_raised():
    refused = plan(posts(20), removed=6, prune="delete")
    raised = plan(posts(20), removed=6, prune="delete", limits=p.Limits(max_delete=6))
    allowed = plan(posts(20), removed=6, prune="delete", limits=p.Limits(yes=True))

    assert names(refused)[:6] == [p.REFUSE] * 6
    assert "6 deletions exceed max_delete 5" in refused[0].reason
    assert "--max-delete 6" in refused[0].reason
    assert names(raised)[:6] == [p.DELETED_LOCAL] * 6
    assert names(allowed)[:6] == [p.DELETED_LOCAL] * 6


def test_more_than_half_of_a_kind_needs_yes():
    refused = plan(posts(5), removed=3, prune="delete")
    half = plan(posts(6), removed=3, prune="delete")

    assert names(refused)[:3] == [p.REFUSE] * 3
    assert "3 of 5 tracked posts is more than half" in refused[0].reason
    assert names(half)[:3] == [p.DELETED_LOCAL] * 3


def test_every_file_of_a_kind_gone_needs_allow_empty():
    emptied = plan(posts(2), removed=2, prune="delete", limits=p.Limits(yes=True))
    allowed = plan(
        posts(2),
        removed=2,
        prune="delete",
        limits=p.Limits(yes=True, allow_empty=True),
    )

    assert names(emptied) == [p.REFUSE, p.REFUSE]
    assert "every tracked post file is gone" in emptied[0].reason
    assert "--allow-empty" in emptied[0].reason
    assert names(allowed) == [p.DELETED_LOCAL, p.DELETED_LOCAL]


def test_missing_folder_counts_as_emptied():
    triples = posts(4)
    actions = plan(triples, removed=1, prune="delete", missing_dirs=("post",))

    assert actions[0].name == p.REFUSE
    assert "the post folder is missing" in actions[0].reason


def test_removed_file_whose_post_changed_in_ghost_is_a_conflict():
    triples = posts(4)
    item, post, rec = triples[0]
    edited = replace(post, updated_at="t2", canonical={**post.canonical, "body": "x"})
    triples[0] = (item, edited, rec)

    [conflict, *_rest] = plan(triples, removed=1, prune="delete")
    [forced, *_rest] = plan(triples, removed=1, prune="delete", force=True)

    assert conflict.name == p.CONFLICT
    assert (forced.name, forced.prune, forced.overwrite) == (
        p.DELETED_LOCAL,
        "delete",
        True,
    )


def test_recreate_only_edited_files_unless_all():
    item = local(path="content/posts/gone.md", slug="gone")
    post = remote(post_id="r9", slug="gone")
    rec = record(item, post)
    edited = local(path="content/posts/gone.md", slug="gone", title="Edited")
    state = Snapshot(records={rec.id: rec})

    def one(file: p.LocalItem, mode: str) -> p.Action:
        inputs = p.Inputs([file], [], {}, state, now=NOW, recreate=mode)
        [action] = p.plan(inputs).actions
        return action

    assert one(edited, "").name == p.DELETED_REMOTE
    assert "'push --recreate'" in one(edited, "").reason
    assert (one(edited, "edited").name, one(edited, "edited").remote_id) == (
        p.CREATE,
        "",
    )
    assert one(edited, "edited").record == rec
    assert one(item, "edited").name == p.DELETED_REMOTE
    assert one(item, "all").name == p.CREATE


def test_wanted_bodies_include_removed_files_whose_index_moved():
    triples = posts(2)
    item, post, rec = triples[0]
    triples[0] = (item, replace(post, updated_at="t2", canonical=None), rec)
    state = Snapshot(records={r.id: r for _i, _p, r in triples})
    inputs = p.Inputs(
        local=[triples[1][0]],
        invalid=[],
        remote={post.id: post for _i, post, _r in triples},
        state=state,
    )

    assert p.wanted_bodies(inputs) == {"r0"}
