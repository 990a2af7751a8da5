"""Save → new content readable through the Admin API, with ``ghostsync watch``.

    python bench/watch_latency.py [--saves 50] [--debounce 300]

Runs the watcher in a thread on a throw-away project with one post, then saves
the post ``--saves`` times. Each save writes a new marker into the body and
times, from just after the write, until a read of the post through the Admin
API returns that marker (``updated_at`` has one-second resolution, so the
content is what is compared). The next save starts once the previous one is
readable. Prints the median, p95, minimum and maximum, and the part of it the
watcher accounts for (save → its "pushed" event), as text and as one JSON line.

The Ghost is the one named by ``GHOSTSYNC_TEST_URL`` and ``GHOSTSYNC_TEST_KEY``
when both are set; otherwise a local Ghost is started from the install cache
(``python -m ghostsync.localghost install`` first) and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ghostsync import localghost
from ghostsync import watch as w
from ghostsync.config import load_settings
from ghostsync.ghost.client import GhostClient

KEY_VAR = "GHOSTSYNC_BENCH_KEY"
TIMEOUT = 120.0
POLL = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--debounce", type=int, default=300, help="milliseconds")
    args = parser.parse_args()

    with ghost() as (url, key), tempfile.TemporaryDirectory() as folder:
        figures = measure(Path(folder), url, key, args.saves, args.debounce)
    report(figures, args)
    return 0


@contextmanager
def ghost() -> Iterator[tuple[str, str]]:
    url = os.environ.get("GHOSTSYNC_TEST_URL", "")
    key = os.environ.get("GHOSTSYNC_TEST_KEY", "")
    if url and key:
        yield url, key
        return

    localghost.install()
    data = Path(tempfile.mkdtemp(prefix="ghostsync-bench-"))
    try:
        localghost.start(port=0, data=data)
        env = localghost.read_env(localghost.setup(data))
        yield env["GHOST_URL"], env["GHOST_ADMIN_API_KEY"]
    finally:
        localghost.stop(data)
        shutil.rmtree(data, ignore_errors=True)


def measure(root: Path, url: str, key: str, saves: int, debounce: int) -> dict:
    slug = f"bench-watch-{secrets.token_hex(3)}"
    path = root / "content" / "posts" / "bench.md"
    path.parent.mkdir(parents=True)
    (root / "content" / "pages").mkdir()
    (root / "ghostsync.toml").write_text(
        f'[site]\nurl = "{url}"\nkey_env = "{KEY_VAR}"\n'
    )
    path.write_text(text(slug, "start"))

    client = GhostClient(url, key)
    events: queue.Queue[tuple[float, w.Event]] = queue.Queue()
    settings = load_settings(root.resolve(), environ={KEY_VAR: key})
    watcher = w.Watcher(
        settings,
        debounce=debounce / 1000,
        emit=lambda event: events.put((time.monotonic(), event)),
    )
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_for(events, w.READY)
        post_id = client.find_by_slug("post", slug)["id"]
        try:
            return timed_saves(path, slug, client, post_id, events, saves)
        finally:
            client.delete("post", post_id)
    finally:
        watcher.stop()
        thread.join(TIMEOUT)


def timed_saves(path, slug, client, post_id, events, saves) -> dict:
    readable, pushed = [], []
    for number in range(saves):
        marker = f"marker-{number}-{secrets.token_hex(4)}"
        path.write_text(text(slug, marker))
        saved = time.monotonic()
        deadline = saved + TIMEOUT
        while (
            marker not in client.read("post", post_id, formats=["lexical"])["lexical"]
        ):
            if time.monotonic() > deadline:
                raise SystemExit(f"save {number} not readable after {TIMEOUT:g} s")
            time.sleep(POLL)
        readable.append(time.monotonic() - saved)
        pushed.append(wait_for(events, w.PUSHED) - saved)
    return {"readable": readable, "pushed": pushed}


def wait_for(events: queue.Queue, kind: str) -> float:
    deadline = time.monotonic() + TIMEOUT
    while True:
        at, event = events.get(timeout=max(deadline - time.monotonic(), 0.01))
        if event.problem:
            raise SystemExit(f"watch reported: {event.message}")
        if event.kind == kind:
            return at


def text(slug: str, marker: str) -> str:
    return f"---\ntitle: Watch latency\nslug: {slug}\n---\nSaved {marker}.\n"


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "median_ms": round(statistics.median(ordered) * 1000),
        "p95_ms": round(p95 * 1000),
        "min_ms": round(ordered[0] * 1000),
        "max_ms": round(ordered[-1] * 1000),
    }


def report(figures: dict, args: argparse.Namespace) -> None:
    readable = summary(figures["readable"])
    pushed = summary(figures["pushed"])
    print(
        f"watch latency over {args.saves} saves, debounce {args.debounce} ms"
        f" ({platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()})"
    )
    for name, values in (("save → readable", readable), ("save → pushed", pushed)):
        print(
            f"  {name:<16} median {values['median_ms']} ms, p95 {values['p95_ms']}"
            f" ms (min {values['min_ms']}, max {values['max_ms']})"
        )
    line = {"saves": args.saves, "debounce_ms": args.debounce}
    print(json.dumps({**line, "readable": readable, "pushed": pushed}))


if __name__ == "__main__":
    sys.exit(main())
