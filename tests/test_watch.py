"""The watcher's parts that need no Ghost: which paths count, the debounce,
editors' save styles seen through the native observer, the polling fallback
and the printed lines."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from watchdog.observers.polling import PollingObserver

from ghostsync import watch as w
from ghostsync.config import load_settings
from ghostsync.output import WatchPrinter

TIMEOUT = 30.0


@pytest.fixture
def settings(tmp_path):
    root = tmp_path / "blog"
    (root / "content" / "posts" / "_drafts").mkdir(parents=True)
    (root / "content" / "pages").mkdir(parents=True)
    (root / "ghostsync.toml").write_text('[site]\nurl = "http://127.0.0.1:9/"\n')
    return load_settings(root.resolve(), environ={})


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("content/posts/a.md", "content/posts/a.md"),
        ("content/posts/2025/b.md", "content/posts/2025/b.md"),
        ("content/pages/about.md", "content/pages/about.md"),
        ("ghostsync.toml", w.CONFIG_KEY),
        ("content/posts/.a.md.swp", None),  # vim's swap file
        ("content/posts/a.md~", None),  # vim's and emacs's backup
        ("content/posts/4913", None),  # vim's write test
        ("content/posts/.#a.md", None),  # emacs's lock link
        ("content/posts/a.md.tmp.1234", None),  # a temporary file to rename
        ("content/posts/_drafts/c.md", None),  # excluded by the config
        ("content/posts/README.md", None),
        ("notes/d.md", None),  # outside the content folders
        (".ghostsync/state/x.jsonl", None),
        (".ghostsync/conflicts/content/posts/a.md.json", None),
        ("ghostsync.toml~", None),
    ],
)
def test_scope_keeps_posts_and_the_config_only(settings, rel, expected):
    scope = w.Scope.of(settings)

    assert scope.classify(str(settings.root / rel)) == expected


def test_scope_ignores_ghostsync_files_when_content_is_the_root(settings):
    (settings.root / "ghostsync.toml").write_text(
        '[site]\nurl = "http://127.0.0.1:9/"\n[content]\nposts = "."\n'
    )
    scope = w.Scope.of(load_settings(settings.root, environ={}))

    assert scope.classify(str(settings.root / "a.md")) == "a.md"
    assert scope.classify(str(settings.root / ".ghostsync/cache/x.md")) is None


def test_inbox_hands_out_a_batch_after_a_quiet_period():
    inbox = w.Inbox()
    inbox.add("a.md")
    inbox.add("b.md")
    inbox.add("a.md")

    batch = inbox.take(quiet=0.05, timeout=TIMEOUT)

    assert batch is not None
    assert batch.paths == {"a.md", "b.md"} and not batch.config
    assert inbox.take(quiet=0.05, timeout=0.01) is None  # nothing left


def test_inbox_waits_while_changes_keep_coming():
    inbox = w.Inbox()
    stop = threading.Event()
    taken: list[w.Batch | None] = []
    adds = 0

    def keep_adding() -> None:
        nonlocal adds
        while not stop.is_set():
            inbox.add("a.md")
            adds += 1
            time.sleep(0.01)

    writer = threading.Thread(target=keep_adding)
    writer.start()
    reader = threading.Thread(target=lambda: taken.append(inbox.take(quiet=0.5)))
    reader.start()
    deadline = time.monotonic() + TIMEOUT
    while adds < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    still_waiting = reader.is_alive()
    stop.set()
    writer.join()
    reader.join(TIMEOUT)

    assert adds >= 20
    # 20 adds 10 ms apart take at least 0.2 s, in which a quiet period of
    # 0.5 s never passed, so the reader was still waiting.
    assert still_waiting
    assert taken and taken[0] is not None and taken[0].paths == {"a.md"}


def test_inbox_close_wakes_a_waiting_take():
    inbox = w.Inbox()
    result: list[w.Batch | None] = ["not yet"]  # type: ignore[list-item]
    reader = threading.Thread(target=lambda: result.__setitem__(0, inbox.take(0.1)))
    reader.start()
    inbox.close()
    reader.join(TIMEOUT)

    assert not reader.is_alive() and result[0] is None


class Collector:
    """Feeds a Watcher-like target from a real observer into an inbox."""

    def __init__(self, settings) -> None:
        self.scope = w.Scope.of(settings)
        self.inbox = w.Inbox()

    def noticed(self, path: str) -> None:
        rel = self.scope.classify(path)
        if rel == w.CONFIG_KEY:
            self.inbox.config_changed()
        elif rel is not None:
            self.inbox.add(rel)


def observe(settings, collector, observer=None):
    from watchdog.observers import Observer

    observer = observer or Observer()
    handler = w._Handler(collector)  # type: ignore[arg-type]
    observer.schedule(handler, str(settings.root), recursive=True)
    observer.start()
    return observer


def vim_save(path: Path, text: str) -> None:
    """What vim does on :w with its defaults (writebackup, backupcopy=auto)."""
    folder = path.parent
    swap = folder / f".{path.name}.swp"
    swap.write_bytes(b"swap")
    probe = folder / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    backup = folder / f"{path.name}~"
    os.rename(path, backup)
    with path.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    backup.unlink()
    swap.unlink()


def atomic_save(path: Path, text: str) -> None:
    """A temporary file beside the post, renamed over it."""
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temp.write_text(text)
    os.replace(temp, path)


def delete_and_recreate(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text)


@pytest.mark.parametrize("save", [vim_save, atomic_save, delete_and_recreate])
def test_each_save_style_gives_one_batch_with_the_post_only(settings, save):
    post = settings.root / "content/posts/a.md"
    post.write_text("---\ntitle: A\n---\nOne.\n")
    collector = Collector(settings)
    observer = observe(settings, collector)
    try:
        save(post, "---\ntitle: A\n---\nTwo.\n")
        batch = collector.inbox.take(quiet=0.3, timeout=TIMEOUT)
    finally:
        observer.stop()
        observer.join()

    assert batch is not None
    assert batch.paths == {"content/posts/a.md"}
    assert post.read_text().endswith("Two.\n")


def test_the_config_file_is_seen_and_ghostsync_files_are_not(settings):
    collector = Collector(settings)
    observer = observe(settings, collector)
    try:
        private = settings.root / ".ghostsync" / "state"
        private.mkdir(parents=True)
        (private / "x.jsonl").write_text("{}\n")
        atomic_save(settings.root / "ghostsync.toml", "[site]\nurl = 'x'\n")
        batch = collector.inbox.take(quiet=0.3, timeout=TIMEOUT)
    finally:
        observer.stop()
        observer.join()

    assert batch is not None
    assert batch.config and batch.paths == set()


def test_polling_takes_over_with_a_notice_when_inotify_fails(settings, monkeypatch):
    class Broken:
        def __init__(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(w, "Observer", Broken)
    events: list[w.Event] = []
    watcher = w.Watcher(settings, emit=events.append)

    observer = watcher._observe()
    try:
        assert isinstance(observer, PollingObserver)
    finally:
        observer.stop()
        observer.join()
    [notice] = events
    assert notice.kind == w.NOTICE
    assert "inotify watch limit reached" in notice.message
    assert "polling" in notice.message


def test_printer_plain_lines(capsys):
    printer = WatchPrinter(terminal=False)
    with printer:
        printer(w.Event(w.READY, message="content/posts, content/pages"))
        printer(
            w.Event(
                w.PUSHED,
                "content/posts/a.md",
                "updated",
                url="http://x/a/",
                post_kind="post",
            )
        )
        printer(w.Event(w.UNCHANGED, "content/posts/a.md", "no change"))
        printer(
            w.Event(w.INVALID, "content/posts/b.md", "content/posts/b.md:2: bad", "fix")
        )
        printer(w.Event(w.CONFLICT, "content/posts/c.md", "changed on both sides"))

    out, err = capsys.readouterr()
    lines = [line.split(" ", 1)[1] for line in out.splitlines()]
    assert lines == [
        "watching content/posts, content/pages (Ctrl-C stops)",
        "updated post content/posts/a.md → http://x/a/",
    ]
    problems = [
        line if line.startswith(" ") else line.split(" ", 1)[1]
        for line in err.splitlines()
    ]
    assert problems == [
        "error: content/posts/b.md:2: bad",
        "  fix: fix",
        "conflict: content/posts/c.md: changed on both sides",
    ]
    assert printer.status_text().startswith("watching · 1 pushed · 2 problems")
