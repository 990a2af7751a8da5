"""The state file and its journal: crash safety, merges, schema."""

from __future__ import annotations

import pytest

from ghostsync.crashpoint import VARIABLE, crash_point
from ghostsync.errors import StateError
from ghostsync.state import Pending, Record, State

UUID = "site-uuid-1"


def record(post_id: str, path: str = "content/posts/a.md") -> Record:
    return Record(post_id, "post", path, "a", "t1", "lh", "rh", "mh", "markdown")


def test_records_survive_a_crash_through_the_journal(tmp_path):
    state = State.open(tmp_path, UUID)
    state.put(record("b"))
    state.put(record("a", "content/posts/b.md"))
    state.close()  # the run dies here: no fold

    again = State.open(tmp_path, UUID)

    assert set(again.records) == {"a", "b"}
    assert not again.journal_path.exists()


def test_state_file_is_sorted_one_record_per_line_with_a_schema(tmp_path):
    state = State.open(tmp_path, UUID)
    state.put(record("b"))
    state.put(record("a", "content/posts/b.md"))
    state.fold()

    lines = state.path.read_text().splitlines()

    assert lines[0] == '{"schema": 1, "site_uuid": "site-uuid-1"}'
    assert [line.split('"id": "')[1][0] for line in lines[1:]] == ["a", "b"]


def test_pending_create_is_kept_until_its_record_lands(tmp_path):
    state = State.open(tmp_path, UUID)
    state.add_pending(Pending("content/posts/a.md", "post", "a", "lh", "t0"))
    state.close()

    again = State.open(tmp_path, UUID)
    assert "content/posts/a.md" in again.snapshot.pending

    again.put(record("x"))
    again.fold()
    assert State.open(tmp_path, UUID).snapshot.pending == {}


def test_torn_last_journal_line_is_ignored(tmp_path):
    state = State.open(tmp_path, UUID)
    state.put(record("a"))
    state.close()
    with state.journal_path.open("a") as journal:
        journal.write('{"op": "put", "rec')

    assert set(State.open(tmp_path, UUID).records) == {"a"}


def test_merge_conflict_markers_are_a_clear_error(tmp_path):
    state = State.open(tmp_path, UUID)
    state.put(record("a"))
    state.fold()
    text = state.path.read_text()
    state.path.write_text("<<<<<<< HEAD\n" + text + "=======\n>>>>>>> other\n")

    with pytest.raises(StateError, match="merge conflict"):
        State.open(tmp_path, UUID)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / ".ghostsync" / "state" / f"{UUID}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"schema": 99, "site_uuid": "x"}\n')

    with pytest.raises(StateError, match="newer ghostsync"):
        State.open(tmp_path, UUID)


def test_other_sites_have_their_own_file(tmp_path):
    State.open(tmp_path, UUID).put(record("a"))
    other = State.open(tmp_path, "another-site")

    assert other.records == {}


def test_crash_point_is_inert_unless_asked_for_exactly(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    crash_point("created")
    for value in ("", "created", "created:x", "created:-1", "fold:0", ":0", "x:0:0"):
        monkeypatch.setenv(VARIABLE, value)
        crash_point("created")  # still alive: none of these names this pass


def test_a_killed_fold_leaves_no_temporary_file_in_the_state_folder(tmp_path):
    state = State(tmp_path, "site")
    state.put(record("1"))
    leftover = state.journal_path.parent / ".site.abc123.tmp"
    leftover.write_text("half a state")

    state.fold()

    assert [p.name for p in state.path.parent.iterdir()] == ["site.jsonl"]
    assert not leftover.exists()
