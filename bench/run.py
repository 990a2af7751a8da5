"""The benchmark driver: seed a local Ghost, measure ghostsync and the naive way.

For each size N it starts a fresh local Ghost (``ghostsync.localghost``, in a
temporary folder, stopped afterwards), seeds N posts with one ``/db/`` import,
writes the matching files and measures, each in a fresh process:

- the first push of a fresh clone (every post adopted, no write);
- the floor: only the browse requests a no-op needs; and the index: the same
  requests with the fields and tags ghostsync asks for (the server's share);
- a no-op ``plan`` and a no-op ``push``;
- a push of 10 % changed posts and a push of 200 new posts (``--jobs`` 1 and
  the parallel setting);
- the naive way on up to 500 of the posts (GET by slug, unconditional PUT).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import corpus, report
from bench.site import Site, counts, import_export, local_site

ROOT = Path(__file__).resolve().parent.parent
NEW_POSTS = 200
NAIVE_MAX = 500
REPEATS = 3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="ghostsync against the naive way"
    )
    parser.add_argument("--sizes", default="100,1000", help="comma-separated N")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--naive-max", type=int, default=NAIVE_MAX)
    parser.add_argument("--new", type=int, default=NEW_POSTS, help="new posts pushed")
    parser.add_argument("--jobs", type=int, default=4, help="parallel push setting")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--scan", type=int, default=10_000, help="files (0: skip)")
    args = parser.parse_args(argv)

    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    results: dict[str, Any] = {"machine": machine(), "sizes": []}
    results["startup"] = startup()
    if args.scan:
        from bench.scan import bench_scan

        results["scan"] = bench_scan(args.scan)
    for size in sizes:
        results["sizes"].append(bench_size(size, args))
        _print(results)

    results["targets"] = report.targets(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _print(results)


def _print(results: dict[str, Any]) -> None:
    sys.stdout.write(report.render(results) + "\n")
    sys.stdout.flush()


def machine() -> dict[str, Any]:
    """What the figures were measured on, and how busy it was."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": list(os.getloadavg()),
    }


def startup(repeats: int = 5) -> dict[str, Any]:
    """Seconds ``python -m ghostsync --version`` takes, process start to exit."""
    command = [sys.executable, "-m", "ghostsync", "--version"]
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
    return {"version_seconds": round(statistics.median(walls), 3)}


def bench_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement for N = ``size`` on a fresh site."""
    with local_site() as site, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        posts = corpus.make_posts(size)
        seeded = import_export(site, corpus.export(posts, site.version))
        corpus.write_project(root, site.url, posts)
        remote = counts(site)
        probe = _Prober(site, root)

        figures: dict[str, Any] = {
            "n": size,
            "ghost": site.version,
            "remote": remote,
            "seed_seconds": round(seeded, 1),
            "floor_requests": floor_requests(remote),
        }
        figures["first_push"] = probe("push")
        figures["floor"] = probe.median("floor", args.repeats)
        figures["index"] = probe.median("index", args.repeats)
        figures["noop_plan"] = probe.median("plan", args.repeats)
        figures["noop_push"] = probe.median("push", args.repeats)
        for name in ("noop_plan", "noop_push", "first_push", "index"):
            figures[name]["floor"] = figures["floor_requests"]
        figures.update(_writes(root, posts, probe, args, remote))
        naive = min(size, args.naive_max)
        figures["naive"] = probe("naive", "--limit", str(naive))
        figures["load_after"] = list(os.getloadavg())
        return figures


def _writes(
    root: Path,
    posts: list[corpus.Post],
    probe: _Prober,
    args: argparse.Namespace,
    remote: dict[str, int],
) -> dict[str, Any]:
    """Pushes of 10 % changed posts and of new posts, serial and parallel."""
    figures = {}
    for offset, jobs in ((0, 1), (5, args.jobs)):
        changed = [post for post in posts if post.number % 10 == offset]
        for post in changed:
            corpus.edit_post(root, post, f"\nEdited for the benchmark ({jobs}).\n")
        run = probe("push", "--jobs", str(jobs))
        run.update(changed=len(changed), floor=floor_requests(remote) + len(changed))
        figures[f"changed_push_j{jobs}"] = run

    start = len(posts)
    for step, jobs in enumerate((1, args.jobs)):
        fresh = corpus.make_posts(args.new, start + step * args.new, prefix="new")
        for post in fresh:
            corpus.write_post(root, post)
        run = probe("push", "--jobs", str(jobs))
        before = {**remote, "post": remote["post"] + step * args.new}
        run.update(new=len(fresh), floor=floor_requests(before) + len(fresh))
        figures[f"new_push_j{jobs}"] = run
    return figures


def floor_requests(remote: dict[str, int]) -> int:
    """One browse per 100 posts per kind (at least one a kind)."""
    return sum(max(1, math.ceil(count / 100)) for count in remote.values())


class _Prober:
    """Runs ``bench.probe`` in a child process against the benchmark's site."""

    def __init__(self, site: Site, root: Path) -> None:
        self.root = root
        env = {k: v for k, v in os.environ.items() if not k.startswith("GHOST")}
        self.env = {**env, corpus.KEY_VAR: site.key, "PYTHONPATH": str(ROOT)}

    def __call__(self, op: str, *extra: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "bench.probe", op, str(self.root), *extra]
        started = time.perf_counter()
        done = subprocess.run(
            command, env=self.env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        figures["process_wall"] = round(time.perf_counter() - started, 4)
        return figures

    def median(self, op: str, repeats: int) -> dict[str, Any]:
        """The run with the median wall time of ``repeats`` runs."""
        runs = sorted((self(op) for _ in range(repeats)), key=lambda r: r["wall"])
        chosen = runs[len(runs) // 2]
        chosen["walls"] = [run["wall"] for run in runs]
        chosen["wall_median"] = statistics.median(chosen["walls"])
        return chosen
