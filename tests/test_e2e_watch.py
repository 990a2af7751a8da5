"""watch end to end, against the session's real Ghost.

The watcher runs in a thread (in a subprocess for Ctrl-C) and the tests wait
on its events and on markers in the content Ghost returns, with generous
bounded timeouts; nothing here waits on a sleep alone. The debounce is one
second so that two writes 100 ms apart stay in one quiet period even on a
loaded machine.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ghostsync import planner as p
from ghostsync import watch as w
from ghostsync.errors import UnreachableError
from ghostsync.state import State

from .e2e import CountingClient, Project, mine
from .test_watch import atomic_save, delete_and_recreate, vim_save

pytestmark = pytest.mark.ghost

TIMEOUT = 90.0
DEBOUNCE = 1.0


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("watch")
    )


class Running:
    """A watcher in a thread, its events in a queue and a log."""

    def __init__(self, project: Project, client: Any = None, **options: Any) -> None:
        self.project = project
        self.client = client or project.client()
        self.events: queue.Queue[w.Event] = queue.Queue()
        self.log: list[w.Event] = []
        self.watcher = w.Watcher(
            project.settings(),
            reload=project.settings,
            client=lambda settings: self.client,
            emit=self.events.put,
            **{"debounce": DEBOUNCE, **options},
        )
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._barriers = 0

    def _run(self) -> None:
        try:
            self.watcher.run()
        except BaseException as error:  # noqa: BLE001 - reported by stop()
            self.failure.append(error)

    def __enter__(self) -> Running:
        self.thread.start()
        self.wait(w.READY)
        self.log.clear()  # the first push is not what the tests look at
        return self

    def __exit__(self, *exc: object) -> None:
        self.watcher.stop()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the watcher did not stop"
        assert not self.failure, self.failure

    def wait(self, kind: str, path: str = "", timeout: float = TIMEOUT) -> w.Event:
        """The next event of ``kind`` (for ``path``, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                event = self.events.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no {kind} {path} within {timeout:g} s; saw {self.log}"
                ) from None
            self.log.append(event)
            if event.kind == kind and (not path or event.path == path):
                return event

    def barrier(self) -> None:
        """Wait until every earlier save has been handled.

        A save that changes nothing Ghost shows is planned and reported as
        unchanged; the worker handles saves in order, so once that is
        reported everything saved before it has been too.
        """
        self._barriers += 1
        rel = self.project.post(
            "barrier", "Barrier", "Barrier.\n", note=f"'{self._barriers}'"
        )
        self.wait(w.UNCHANGED, rel)

    def kinds(self, path: str) -> list[str]:
        return [e.kind for e in self.log if e.path == path and e.kind != w.IDLE]


def remote(project: Project, name: str) -> dict:
    post = project.client().find_by_slug(
        "post", project.slug(name), formats=["lexical"], include=["tags"]
    )
    assert post is not None
    return post


def body(post: dict) -> str:
    [card] = json.loads(post["lexical"])["root"]["children"]
    return card["markdown"]


def post_text(project: Project, name: str, marker: str, **front: Any) -> str:
    lines = ["---", "title: Watched", f"slug: {project.slug(name)}"]
    lines += [f"{key}: {value}" for key, value in front.items()]
    return "\n".join([*lines, "---", f"Marker {marker}.", ""])


def updates(client: CountingClient, post_id: str) -> int:
    return client.writes.count(("update", post_id))


def start(project: Project, *names: str, **options: Any) -> Running:
    """Files for ``names`` and the barrier, pushed by the watcher's first run."""
    for name in names:
        project.write(f"content/posts/{name}.md", post_text(project, name, "zero"))
    project.post("barrier", "Barrier", "Barrier.\n")
    running = Running(project, **options)
    return running


def test_two_writes_100_ms_apart_give_one_push_of_the_second(project):
    path = project.root / "content/posts/quick.md"
    with start(project, "quick") as running:
        post_id = remote(project, "quick")["id"]

        path.write_text(post_text(project, "quick", "first"))
        time.sleep(0.1)  # the gap under test, not a wait for the watcher
        path.write_text(post_text(project, "quick", "second"))
        pushed = running.wait(w.PUSHED, "content/posts/quick.md")
        after_push = body(remote(project, "quick"))
        running.barrier()

    assert pushed.message == "updated"
    assert pushed.url.startswith(project.url.rstrip("/"))
    assert after_push == "Marker second.\n"
    assert updates(running.client, post_id) == 1


@pytest.mark.parametrize("save", [atomic_save, vim_save, delete_and_recreate])
def test_editor_save_styles_are_each_picked_up_once(project, save):
    path = project.root / "content/posts/styled.md"
    with start(project, "styled") as running:
        post_id = remote(project, "styled")["id"]

        save(path, post_text(project, "styled", save.__name__))
        running.wait(w.PUSHED, "content/posts/styled.md")
        running.barrier()

    assert body(remote(project, "styled")) == f"Marker {save.__name__}.\n"
    assert updates(running.client, post_id) == 1
    assert w.DELETED not in running.kinds("content/posts/styled.md")


@pytest.mark.skipif(not Path("/usr/bin/vim").exists(), reason="vim is not here")
def test_a_real_vim_save_is_picked_up_once(project):
    path = project.root / "content/posts/vimmed.md"
    with start(project, "vimmed") as running:
        post_id = remote(project, "vimmed")["id"]

        subprocess.run(
            ["vim", "-u", "NONE", "-i", "NONE", "-N", "-Es", "+%s/zero/vim/", "+wq"]
            + [str(path)],
            check=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        running.wait(w.PUSHED, "content/posts/vimmed.md")
        running.barrier()

    assert body(remote(project, "vimmed")) == "Marker vim.\n"
    assert updates(running.client, post_id) == 1


class BlockingClient(CountingClient):
    """Holds the first update armed until the test releases it."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.armed = False
        self.inside = threading.Event()
        self.release = threading.Event()
        self.collisions = 0

    def update(self, kind: str, post_id: str, post: dict, **options: Any) -> dict:
        if self.armed:
            self.armed = False
            self.inside.set()
            assert self.release.wait(TIMEOUT)
        try:
            return super().update(kind, post_id, post, **options)
        except Exception as error:
            if getattr(error, "status", None) == 409:
                self.collisions += 1
            raise


def test_saves_during_a_write_wait_and_send_the_newest_without_a_409(project):
    path = project.root / "content/posts/rapid.md"
    client = BlockingClient(project.client()._client)
    with start(project, "rapid", client=client) as running:
        post_id = remote(project, "rapid")["id"]

        client.armed = True
        path.write_text(post_text(project, "rapid", "one"))
        assert client.inside.wait(TIMEOUT), "the first write never started"
        for marker in ("two", "three", "four"):
            path.write_text(post_text(project, "rapid", marker))
        client.release.set()
        first = running.wait(w.PUSHED, "content/posts/rapid.md")
        second = running.wait(w.PUSHED, "content/posts/rapid.md")
        running.barrier()

    assert (first.message, second.message) == ("updated", "updated")
    assert body(remote(project, "rapid")) == "Marker four.\n"
    assert updates(client, post_id) == 2
    assert client.collisions == 0
    assert not [e for e in running.log if e.problem]


def test_an_invalid_save_is_shown_once_and_the_next_valid_one_goes_through(project):
    path = project.root / "content/posts/broken.md"
    rel = "content/posts/broken.md"
    with start(project, "broken") as running:
        path.write_text("---\ntitle: 12:30\n---\nOne.\n")
        invalid = running.wait(w.INVALID, rel)
        path.write_text("---\ntitle: 12:30\n---\nTwo.\n")
        running.barrier()
        assert running.kinds(rel).count(w.INVALID) == 1

        path.write_text(post_text(project, "broken", "fixed"))
        running.wait(w.PUSHED, rel)

    assert invalid.message.startswith(f"{rel}:2: ")
    assert invalid.hint
    assert body(remote(project, "broken")) == "Marker fixed.\n"


def test_a_save_that_changes_nothing_ghost_shows_writes_nothing(project):
    path = project.root / "content/posts/same.md"
    with start(project, "same") as running:
        post_id = remote(project, "same")["id"]

        path.write_text(post_text(project, "same", "zero", my_note="'not synced'"))
        running.wait(w.UNCHANGED, "content/posts/same.md")

    assert updates(running.client, post_id) == 0


def test_a_deleted_file_is_reported_and_its_post_kept(project):
    path = project.root / "content/posts/gone.md"
    with start(project, "gone") as running:
        post_id = remote(project, "gone")["id"]

        path.unlink()
        deleted = running.wait(w.DELETED, "content/posts/gone.md")

    assert "stays in Ghost" in deleted.message
    assert remote(project, "gone")["id"] == post_id
    assert not any(kind == "delete" for kind, _ in running.client.writes)


def test_a_conflict_is_shown_once_and_its_copy_causes_nothing(project):
    path = project.root / "content/posts/both.md"
    rel = "content/posts/both.md"
    with start(project, "both") as running:
        post = remote(project, "both")
        time.sleep(1.1)  # Ghost's updated_at has one-second resolution
        project.client().update(
            "post", post["id"], {"updated_at": post["updated_at"], "title": "Ghost"}
        )

        path.write_text(post_text(project, "both", "local"))
        conflict = running.wait(w.CONFLICT, rel)
        running.barrier()

    assert "push --force" in conflict.message
    assert (project.root / ".ghostsync/conflicts" / f"{rel}.json").exists()
    assert running.kinds(rel) == [w.CONFLICT]
    assert remote(project, "both")["title"] == "Ghost"


def test_a_file_ghostsync_wrote_causes_nothing(project):
    path = project.root / "content/posts/pulled.md"
    with start(project, "pulled") as running:
        post_id = remote(project, "pulled")["id"]
        text = post_text(project, "pulled", "from Ghost").encode()

        running.watcher.wrote("content/posts/pulled.md", text)
        path.write_bytes(text)
        running.barrier()

    assert running.kinds("content/posts/pulled.md") == []
    assert updates(running.client, post_id) == 0


def test_a_config_change_reloads_and_a_bad_one_is_reported(project):
    config = project.root / "ghostsync.toml"
    rel = "content/posts/configured.md"
    good = config.read_text() + '\n[defaults]\ntags = ["watched"]\n'
    with start(project, "configured") as running:
        atomic_save(config, good)
        running.wait(w.RELOADED, "ghostsync.toml")
        running.wait(w.PUSHED, rel)
        tags = [t["name"] for t in remote(project, "configured")["tags"]]

        config.write_text(good + "[watch]\ndebounce = 5\n")
        error = running.wait(w.ERROR, "ghostsync.toml")
        path = project.root / rel
        path.write_text(post_text(project, "configured", "still watching"))
        running.wait(w.PUSHED, rel)

    assert tags == ["watched"]
    assert "watch.debounce" in error.message
    assert "debounce_ms" in error.hint
    assert body(remote(project, "configured")) == "Marker still watching.\n"


class FlakyClient:
    """A client that answers like an unreachable Ghost while ``down`` is set."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.down = threading.Event()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down.is_set():
                raise UnreachableError("cannot reach http://127.0.0.1 (refused)")
            return attribute(*args, **kwargs)

        return call


def test_ghost_unreachable_is_shown_once_and_the_save_goes_when_it_is_back(project):
    path = project.root / "content/posts/later.md"
    client = FlakyClient(project.client())
    with start(project, "later", client=client, retry_every=0.2) as running:
        client.down.set()
        path.write_text(post_text(project, "later", "while down"))
        running.wait(w.OFFLINE)
        path.write_text(post_text(project, "later", "latest"))
        for _ in range(3):  # a few retries fail while Ghost stays down
            running.wait(w.IDLE)
        client.down.clear()
        running.wait(w.ONLINE)
        running.wait(w.PUSHED, "content/posts/later.md")

    assert [e.kind for e in running.log].count(w.OFFLINE) == 1
    assert body(remote(project, "later")) == "Marker latest.\n"


def watch_process(project: Project, *args: str) -> subprocess.Popen:
    # The test runner may ignore SIGINT (a background job does); the CLI
    # under test gets Python's own handler, as from a terminal.
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
        " from ghostsync.cli import main; sys.argv[0] = 'ghostsync'; main()"
    )
    env = {**os.environ, **project.env, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", code, "-C", str(project.root), "watch", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class Lines:
    """The lines a process prints, read in a thread."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        stream = process.stdout

        def read() -> None:
            for line in stream:
                self.queue.put(line)

        threading.Thread(target=read, daemon=True).start()

    def wait(self, test: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if test(line):
                return line
        raise AssertionError(f"no such line within {TIMEOUT:g} s; saw {self.seen}")


def test_sigint_stops_cleanly_with_a_consistent_state(project):
    rel = project.write(
        "content/posts/signal.md", post_text(project, "signal", "zero")
    ).relative_to(project.root)
    path = project.root / rel
    process = watch_process(project, "--debounce", "200")
    lines = Lines(process)
    try:
        lines.wait(lambda line: "watching" in line)
        path.write_text(post_text(project, "signal", "one"))
        lines.wait(lambda line: "updated post" in line)
        path.write_text(post_text(project, "signal", "two"))
        process.send_signal(signal.SIGINT)
        code = process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    lines.wait(lambda line: "stopped" in line)

    assert code == 0
    assert not list((project.root / ".ghostsync/journal").glob("*"))
    post = remote(project, "signal")
    [record] = [
        r
        for r in State.open(project.root, _site_uuid(project)).records.values()
        if r.path == rel.as_posix()
    ]
    assert record.id == post["id"]
    assert record.updated_at == post["updated_at"]
    # The second save went out before the stop or waits for the next push:
    # either way no conflict, and a push brings Ghost up to date.
    assert [a.name for a in mine(project.plan(), project.prefix)] in (
        [p.UNCHANGED],
        [p.UPDATE],
    )
    project.push()
    assert body(remote(project, "signal")) == "Marker two.\n"


def _site_uuid(project: Project) -> str:
    return project.client().site()["site_uuid"]


def test_a_pull_run_beside_watch_is_read_before_the_next_plan(project):
    rel = "content/posts/beside.md"
    project.write(rel, post_text(project, "beside", "zero", body_format="html"))
    with start(project) as running:
        post = remote(project, "beside")
        time.sleep(1.1)  # Ghost's updated_at has one-second resolution
        project.client().update(
            "post", post["id"], {"updated_at": post["updated_at"], "title": "Ghost"}
        )

        pulled = project.cli("pull")
        running.barrier()

    assert pulled.exit_code == 0, pulled.output
    assert "title: Ghost" in (project.root / rel).read_text()
    assert w.CONFLICT not in running.kinds(rel)
    assert any("state file changed" in e.message for e in running.log)
    assert remote(project, "beside")["title"] == "Ghost"


def test_pull_every_brings_ghost_edits_into_the_file_and_pushes_nothing(project):
    rel = "content/posts/fromghost.md"
    with start(project, "fromghost", pull_every=1.0) as running:
        post = remote(project, "fromghost")
        time.sleep(1.1)  # Ghost's updated_at has one-second resolution
        project.client().update(
            "post", post["id"], {"updated_at": post["updated_at"], "title": "Retitled"}
        )
        pulled = running.wait(w.PULLED, rel)
        running.barrier()

    assert "title: Retitled" in (project.root / rel).read_text()
    assert "title" in pulled.message
    assert running.kinds(rel) == [w.PULLED]
    assert updates(running.client, post["id"]) == 0
