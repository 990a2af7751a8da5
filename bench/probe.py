"""One measured operation, run in its own process: ``python -m bench.probe OP ROOT``.

Prints one JSON line: requests, bytes received, wall time of the operation,
the process's peak memory (``VmHWM``) and what the run did. Run in a
child process so each figure starts cold and peak memory is the operation's.

Operations: ``plan`` and ``push`` (ghostsync's library API, what the CLI
calls), ``naive`` (per file: GET by slug, then an unconditional PUT, the way
most other tools sync), ``floor`` (only the browse requests a no-op needs, with
the fewest fields, as the lower bound) and ``index`` (the same browse requests
with the fields and tags ghostsync's index needs: the server's share).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpus import KEY_VAR


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("op", choices=list(OPERATIONS))
    parser.add_argument("root", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="naive: files at most")
    parser.add_argument("--jobs", type=int, default=1, help="push: writes in flight")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    client, details = OPERATIONS[args.op](args)
    wall = time.perf_counter() - started

    stats = client.stats
    figures = {
        "op": args.op,
        "requests": stats.requests,
        "bytes": stats.bytes_received,
        "by_method": dict(stats.by_method),
        "wall": round(wall, 4),
        "maxrss_kb": peak_memory_kb(),
        **details,
    }
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


def peak_memory_kb() -> int:
    """This process's peak resident memory since it started.

    ``VmHWM`` belongs to the program, where ``ru_maxrss`` also counts the
    parent's memory that the fork copied before the exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _settings(root: Path) -> Any:
    from ghostsync.config import load_settings

    return load_settings(root, environ=dict(os.environ))


def _client(root: Path) -> Any:
    from ghostsync.ghost.client import GhostClient

    settings = _settings(root)
    return GhostClient(settings.url, os.environ[KEY_VAR])


def run_plan(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from ghostsync.run import connect, make_plan

    client = _client(args.root)
    with connect(_settings(args.root), client) as site:
        result = make_plan(site)
    return client, {"actions": _count_actions(result.plan.actions)}


def run_push(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from ghostsync.run import connect, push

    client = _client(args.root)
    options = {"jobs": args.jobs} if args.jobs > 1 else {}
    with connect(_settings(args.root), client) as site:
        result = push(site, **options)
    failed = [o.message for o in result.outcomes if o.status != "done"]
    return client, {
        "actions": _count_actions(result.plan.actions),
        "writes": sum(client.stats.by_method.get(m, 0) for m in ("POST", "PUT")),
        "failed": failed[:3],
        "jobs": args.jobs,
    }


def _count_actions(actions: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.name] = counts.get(action.name, 0) + 1
    return counts


def run_naive(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Per file: read it, GET the post by slug, PUT it back whatever it holds."""
    import frontmatter

    from ghostsync.body import markdown_card_lexical

    client = _client(args.root)
    files = sorted((args.root / "content" / "posts").glob("*.md"))
    if args.limit:
        files = files[: args.limit]
    for path in files:
        post = frontmatter.load(path)
        found = client.find_by_slug("post", str(post["slug"]), formats=["lexical"])
        if found is None:
            continue
        data = {
            "title": post["title"],
            "lexical": markdown_card_lexical(post.content + "\n"),
            "tags": [{"name": name} for name in post.get("tags", [])],
            "updated_at": found["updated_at"],
        }
        client.update("post", found["id"], data)
    return client, {"files": len(files)}


def run_floor(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The requests a no-op cannot do without: one browse per 100 posts a kind."""
    client = _client(args.root)
    seen = {
        kind: sum(1 for _ in client.browse(kind, fields=["id"]))
        for kind in ("post", "page")
    }
    return client, {"remote": seen}


def run_index(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """ghostsync's remote index alone: the browse requests with its fields."""
    from ghostsync.canonical import SiteURL
    from ghostsync.remote import fetch_index

    client = _client(args.root)
    remote = fetch_index(client, SiteURL(client.admin_url))
    return client, {"remote_posts": len(remote)}


OPERATIONS = {
    "plan": run_plan,
    "push": run_push,
    "naive": run_naive,
    "floor": run_floor,
    "index": run_index,
}

if __name__ == "__main__":
    main()
