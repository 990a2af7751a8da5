"""Table-driven tests of the planner: one row per situation it must classify."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ghostsync import planner as p
from ghostsync.canonical import digest
from ghostsync.errors import InvalidFileError
from ghostsync.source import LocalPost
from ghostsync.state import Pending, Record, Snapshot

NOW = "2026-06-01T12:00:00.000Z"


def canonical(title: str = "Hello", body: str = "Text\n", **fields: Any) -> dict:
    values = {"title": title, "slug": fields.pop("slug", "hello"), "status": "draft"}
    values.update(fields)
    return {"kind": "post", "fields": values, "body_format": "markdown", "body": body}


def local(path: str = "content/posts/hello.md", **kwargs: Any) -> p.LocalItem:
    canon = canonical(**kwargs)
    post = LocalPost(
        path=path,
        kind="post",
        slug=canon["fields"]["slug"],
        fields=canon["fields"],
        body=canon["body"],
        body_format="markdown",
    )
    return p.LocalItem(post, canon, digest(canon))


def remote(post_id: str = "r1", updated_at: str = "t1", **kwargs: Any) -> p.RemotePost:
    canon = canonical(**kwargs)
    return p.RemotePost(
        id=post_id,
        kind="post",
        slug=canon["fields"]["slug"],
        updated_at=updated_at,
        status="draft",
        fields=canon["fields"],
        created_at="2026-06-01T11:59:00.000Z",
        canonical=canon,
    )


def index_only(post: p.RemotePost) -> p.RemotePost:
    return replace(post, canonical=None)


def record(item: p.LocalItem, post: p.RemotePost, **changes: Any) -> Record:
    base = Record(
        id=post.id,
        kind="post",
        path=item.path,
        slug=item.post.slug,
        updated_at=post.updated_at,
        local_hash=item.hash,
        remote_hash=post.hash or "",
        meta_hash=post.meta_hash,
        body_format="markdown",
    )
    return replace(base, **changes)


def run(
    items: list[p.LocalItem],
    posts: list[p.RemotePost],
    records: list[Record],
    pending: list[Pending] = (),  # type: ignore[assignment]
    invalid: list[InvalidFileError] = (),  # type: ignore[assignment]
    **options: Any,
) -> list[p.Action]:
    snapshot = Snapshot(
        records={r.id: r for r in records}, pending={x.path: x for x in pending}
    )
    inputs = p.Inputs(
        local=items,
        invalid=list(invalid),
        remote={post.id: post for post in posts},
        state=snapshot,
        now=NOW,
        **options,
    )
    return p.plan(inputs).actions


def names(actions: list[p.Action]) -> list[str]:
    return [a.name for a in actions]


SYNCED = local()
SYNCED_REMOTE = remote()
EDITED = local(title="Hello again")
EDITED_REMOTE = remote(updated_at="t2", body="Edited in Ghost\n")


@pytest.mark.parametrize(
    ("items", "posts", "records", "expected"),
    [
        pytest.param([SYNCED], [], [], [p.CREATE], id="new file"),
        pytest.param(
            [SYNCED],
            [index_only(SYNCED_REMOTE)],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.UNCHANGED],
            id="nothing changed",
        ),
        pytest.param(
            [EDITED],
            [index_only(SYNCED_REMOTE)],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.UPDATE],
            id="edited locally",
        ),
        pytest.param(
            [SYNCED],
            [EDITED_REMOTE],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.REMOTE_CHANGED],
            id="edited in Ghost",
        ),
        pytest.param(
            [EDITED],
            [EDITED_REMOTE],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.CONFLICT],
            id="edited on both sides",
        ),
        pytest.param(
            [EDITED],
            [remote(updated_at="t2", title="Hello again")],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.UNCHANGED],
            id="both sides made the same edit",
        ),
        pytest.param(
            [SYNCED],
            [remote(updated_at="t9")],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.UNCHANGED],
            id="updated_at moved but content did not",
        ),
        pytest.param(
            [SYNCED],
            [index_only(remote(tags=["news"]))],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.REMOTE_CHANGED],
            id="tags-only edit in Ghost with the same updated_at",
        ),
        pytest.param(
            [SYNCED], [SYNCED_REMOTE], [], [p.ADOPT], id="identical untracked post"
        ),
        pytest.param(
            [EDITED], [SYNCED_REMOTE], [], [p.REFUSE], id="different untracked post"
        ),
        pytest.param(
            [SYNCED],
            [],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.DELETED_REMOTE],
            id="deleted in Ghost",
        ),
        pytest.param(
            [],
            [index_only(SYNCED_REMOTE)],
            [record(SYNCED, SYNCED_REMOTE)],
            [p.DELETED_LOCAL],
            id="file removed",
        ),
        pytest.param(
            [], [index_only(SYNCED_REMOTE)], [], [p.REMOTE_ONLY], id="only in Ghost"
        ),
    ],
)
def test_classifies(items, posts, records, expected):
    assert names(run(items, posts, records)) == expected


def test_stale_state_equal_to_remote_is_refreshed_not_a_conflict():
    old = record(SYNCED, SYNCED_REMOTE, local_hash="old", remote_hash="old")
    now_remote = remote(updated_at="t5", title="Hello again")

    [action] = run([EDITED], [now_remote], [old])

    assert action.name == p.UNCHANGED
    assert action.refresh


def test_force_turns_a_conflict_into_an_overwriting_update():
    [action] = run(
        [EDITED], [EDITED_REMOTE], [record(SYNCED, SYNCED_REMOTE)], force=True
    )

    assert action.name == p.UPDATE
    assert action.overwrite
    assert "title" in action.changes and "body" in action.changes


def test_adopt_flag_takes_over_a_different_post():
    [action] = run([EDITED], [SYNCED_REMOTE], [], adopt=True)

    assert action.name == p.ADOPT
    assert action.overwrite
    assert action.changes == ("title",)


def test_lost_create_is_adopted_through_the_pending_line():
    pending = Pending(
        EDITED.path, "post", "hello", EDITED.hash, at="2026-06-01T11:00:00.000Z"
    )
    different = index_only(SYNCED_REMOTE)

    [action] = run([EDITED], [different], [], pending=[pending])

    assert action.name == p.ADOPT
    assert not action.changes
    assert "cut short" in action.reason


def test_pending_line_newer_than_the_post_does_not_adopt():
    late = Pending(
        EDITED.path, "post", "hello", EDITED.hash, at="2026-06-01T11:59:30.000Z"
    )

    [action] = run([EDITED], [index_only(SYNCED_REMOTE)], [], pending=[late])

    assert action.name == p.REFUSE


def test_moved_file_keeps_its_post():
    moved = local(path="content/posts/2024/hello.md")

    [action] = run(
        [moved], [index_only(SYNCED_REMOTE)], [record(SYNCED, SYNCED_REMOTE)]
    )

    assert action.name == p.UNCHANGED
    assert action.moved_from == "content/posts/hello.md"
    assert action.refresh


def test_renamed_slug_is_an_update_that_shows_the_slug_change():
    renamed = local(slug="greeting")

    [action] = run(
        [renamed], [index_only(SYNCED_REMOTE)], [record(SYNCED, SYNCED_REMOTE)]
    )

    assert action.name == p.UPDATE
    assert action.old_slug == "hello"
    assert action.remote_id == "r1"


def test_renamed_file_with_new_slug_is_found_by_hash():
    renamed = local(path="content/posts/other-name.md", slug="other-name")
    tracked = record(SYNCED, SYNCED_REMOTE)

    [action] = run([renamed], [index_only(SYNCED_REMOTE)], [tracked])

    assert (action.name, action.remote_id) == (p.UPDATE, "r1")
    assert action.moved_from == "content/posts/hello.md"
    assert action.old_slug == "hello"


def test_invalid_file_is_reported_and_its_post_not_deleted():
    error = InvalidFileError("bad", path=SYNCED.path, field="title")

    actions = run(
        [],
        [index_only(SYNCED_REMOTE)],
        [record(SYNCED, SYNCED_REMOTE)],
        invalid=[error],
    )

    assert names(actions) == [p.INVALID]


def test_published_post_moved_into_the_future_is_refused():
    future = local(status="published", published_at="2027-01-01T00:00:00.000Z")
    published = replace(index_only(SYNCED_REMOTE), status="published")

    [action] = run([future], [published], [record(SYNCED, SYNCED_REMOTE)])

    assert action.name == p.INVALID
    assert "status: draft first" in action.reason


def test_wanted_bodies_only_for_moved_index_entries_and_adopt_candidates():
    tracked = record(SYNCED, SYNCED_REMOTE)
    quiet = index_only(SYNCED_REMOTE)
    other_file = local(path="content/posts/b.md", slug="b")
    candidate = index_only(remote("r2", slug="b"))
    stranger = index_only(remote("r3", slug="c"))
    inputs = p.Inputs(
        local=[SYNCED, other_file],
        invalid=[],
        remote={x.id: x for x in (quiet, candidate, stranger)},
        state=Snapshot(records={tracked.id: tracked}),
    )

    assert p.wanted_bodies(inputs) == {"r2"}

    moved = replace(quiet, updated_at="t7")
    inputs = replace(inputs, remote={**inputs.remote, "r1": moved})
    assert p.wanted_bodies(inputs) == {"r1", "r2"}


def test_pending_changes_ignores_unchanged_and_remote_only():
    quiet = p.Plan(
        [p.Action(p.UNCHANGED, "post", "a"), p.Action(p.REMOTE_ONLY, "post", "b")]
    )
    busy = p.Plan([p.Action(p.CREATE, "post", "a")])

    assert not quiet.pending_changes
    assert busy.pending_changes


def test_a_copied_file_with_the_same_id_never_takes_the_post_over():
    original = local()
    copy = local(path="content/posts/copy.md", slug="copy")
    copy = replace(copy, post=replace(copy.post, explicit_id="r1"))
    tracked = record(original, SYNCED_REMOTE)

    actions = run([original, copy], [index_only(SYNCED_REMOTE)], [tracked])

    by_path = {a.path: a.name for a in actions}
    assert by_path == {original.path: p.UNCHANGED, copy.path: p.INVALID}
