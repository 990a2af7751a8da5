"""The local scan of many unchanged files, without and with the hash cache.

Generates a project of N files, then times ``ghostsync.run.read_local`` (what
``plan`` and ``push`` read the files with) three ways: cold (no cache: every
file read and hashed), the run that writes the cache, and warm (the cache
knows every file and the state tracks it, as after a sync). No Ghost is
needed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import corpus
from ghostsync.cache import NS, HashCache
from ghostsync.canonical import SiteURL
from ghostsync.config import load_settings
from ghostsync.run import read_local, scan_fingerprint
from ghostsync.state import Record, State

SITE = SiteURL("http://127.0.0.1:2368/")


def bench_scan(count: int, repeats: int = 3) -> dict[str, Any]:
    """Seconds to read ``count`` unchanged files cold and warm."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus.write_project(root, SITE.url, corpus.make_posts(count))
        _age_files(root)
        settings = load_settings(root, environ={})
        tz = dt.UTC

        state = State(root, "bench")

        def timed(cache: HashCache | None) -> float:
            started = time.perf_counter()
            items, _scan = read_local(settings, SITE, tz, cache, state)
            elapsed = time.perf_counter() - started
            assert len(items) == count
            return elapsed

        mark = scan_fingerprint(settings, SITE, tz)
        cold = timed(None)  # seconds a file: once is enough
        writing = timed(HashCache.load(root, mark))
        _track(state, read_local(settings, SITE, tz)[0])
        warm = []
        for _ in range(repeats):
            started = time.perf_counter()
            cache = HashCache.load(root, mark)
            items, result = read_local(settings, SITE, tz, cache, state)
            warm.append(time.perf_counter() - started)
            assert len(result.cached) == count, "the cache missed files"
        return {
            "files": count,
            "cold": round(cold, 3),
            "writing_cache": round(writing, 3),
            "warm": round(min(warm), 3),
            "warm_runs": [round(w, 3) for w in warm],
        }


def _track(state: State, items: list[Any]) -> None:
    """Records for every file, as after a sync (the cache trusts only those)."""
    for number, item in enumerate(items):
        post = item.post
        state.records[f"id{number}"] = Record(
            f"id{number}",
            post.kind,
            post.path,
            post.slug,
            "",
            item.hash,
            "",
            "",
            "markdown",
        )


def _age_files(root: Path) -> None:
    """Date the files two seconds back, as files not just written are."""
    past = time.time_ns() - 2 * NS
    for top, _dirs, names in os.walk(root / "content"):
        for name in names:
            os.utime(Path(top, name), ns=(past, past))


if __name__ == "__main__":
    import json
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(bench_scan(size)))
