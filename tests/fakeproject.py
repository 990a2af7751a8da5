"""A ghostsync project wired to a fake Ghost, and the checks that a run held.

The fault matrix, the crash tests and the property tests all ask the same
questions after a run: does the site equal the files, does any post exist
twice, did a remote edit survive, does the state parse and match the site.
They live here once.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ghostsync.config import Settings, load_settings
from ghostsync.ghost.client import ClientOptions, GhostClient
from ghostsync.run import Result, connect, make_plan, push
from ghostsync.state import State

from .fakeghost import FakeGhost

KEY_VAR = "GHOSTSYNC_FAKE_KEY"
READ_TIMEOUT = 0.2
SITE_UUID = "00000000-0000-4000-8000-00000000fa4e"


def fast_options(slept: list[float] | None = None) -> ClientOptions:
    """Zero backoff, a recording sleep and a short read timeout."""
    record = slept if slept is not None else []
    return ClientOptions(
        connect_timeout=1.0,
        read_timeout=READ_TIMEOUT,
        backoff_factor=0,
        sleep=record.append,
    )


@dataclass
class FakeProject:
    """Files in a folder, pushed to a fake Ghost with fast client options."""

    root: Path
    fake: FakeGhost
    slept: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "ghostsync.toml").write_text(
            f'[site]\nurl = "{self.fake.url}"\nkey_env = "{KEY_VAR}"\n'
        )
        for kind in ("posts", "pages"):
            (self.root / "content" / kind).mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        return {"GHOST_URL": self.fake.url, KEY_VAR: self.fake.key}

    def settings(self) -> Settings:
        return load_settings(self.root, environ=self.env)

    def client(self) -> GhostClient:
        return GhostClient(self.fake.url, self.fake.key, fast_options(self.slept))

    def write(self, name: str, title: str, body: str, **front: Any) -> str:
        """Write ``content/posts/<name>.md``; its project-relative path."""
        lines = [f"title: {json.dumps(title)}", f"slug: {name}"]
        lines += [f"{key}: {json.dumps(value)}" for key, value in front.items()]
        rel = f"content/posts/{name}.md"
        text = "---\n" + "\n".join(lines) + "\n---\n" + body
        (self.root / rel).write_text(text, encoding="utf-8")
        return rel

    def remove(self, name: str) -> None:
        (self.root / f"content/posts/{name}.md").unlink()

    def push(self, **options: Any) -> Result:
        with connect(self.settings(), self.client()) as site:
            return push(site, **options)

    def pull(self, **options: Any) -> Any:
        from ghostsync.pull import pull

        with connect(self.settings(), self.client()) as site:
            return pull(site, **options)

    def sync(self, **options: Any) -> Any:
        from ghostsync.sync import sync

        with connect(self.settings(), self.client()) as site:
            return sync(site, **options)

    def plan(self) -> Result:
        with connect(self.settings(), self.client()) as site:
            return make_plan(site)

    def state(self) -> State:
        return State.open(self.root, SITE_UUID)


def snapshot(fake: FakeGhost) -> dict[str, Any]:
    """The fake's content, to start other fakes from."""
    with fake.lock:
        return {
            "posts": copy.deepcopy(fake.posts),
            "pages": copy.deepcopy(fake.pages),
            "tags": copy.deepcopy(fake.tags),
            "next_id": len(fake.posts) + len(fake.pages) + len(fake.tags) + 1000,
        }


def restore(fake: FakeGhost, saved: dict[str, Any]) -> None:
    """Make ``fake`` hold ``saved`` again, with no faults and no requests."""
    with fake.lock:
        fake.posts = copy.deepcopy(saved["posts"])
        fake.pages = copy.deepcopy(saved["pages"])
        fake.tags = copy.deepcopy(saved["tags"])
        fake.faults = []
        fake.requests = []
        fake._ids = itertools.count(saved["next_id"])


def copy_project(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("cache"))


# -- the checks --------------------------------------------------------------


def front_title(path: Path) -> str:
    """The title in a file's front matter (written by a test or by pull)."""
    front = path.read_text(encoding="utf-8").split("---\n")[1]
    return str(yaml.safe_load(front)["title"])


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def card_text(post: dict[str, Any]) -> str:
    """The Markdown of a post's one Markdown card (what ghostsync sends)."""
    lexical = json.loads(post.get("lexical") or "{}")
    cards = [
        node.get("markdown", "")
        for node in lexical.get("root", {}).get("children", [])
        if node.get("type") == "markdown"
    ]
    return "\n".join(cards)


def assert_no_duplicates(fake: FakeGhost) -> None:
    slugs = Counter(post["slug"] for post in fake.posts.values())
    twice = {slug: n for slug, n in slugs.items() if n > 1}
    assert not twice, f"posts exist twice: {twice}"


def assert_site_equals_files(
    project: FakeProject, remote_wins: dict[str, str] | None = None
) -> None:
    """Every file has exactly one post with its title and body, and no more.

    ``remote_wins`` maps slugs whose remote edit must survive to the title
    the editor gave them in Ghost.
    """
    remote_wins = remote_wins or {}
    fake = project.fake
    by_slug = {post["slug"]: post for post in fake.posts.values()}
    files = sorted((project.root / "content" / "posts").glob("*.md"))
    assert sorted(by_slug) == sorted(f.stem for f in files)

    for file in files:
        post = by_slug[file.stem]
        if file.stem in remote_wins:
            assert post["title"] == remote_wins[file.stem], "remote edit lost"
            continue
        assert post["title"] == front_title(file), file.name
        assert card_text(post).strip() == body_of(file).strip(), file.name


def assert_state_matches_site(
    project: FakeProject, stale: set[str] | None = None
) -> None:
    """The state parses, covers every file once, and holds Ghost's timestamps.

    ``stale`` names slugs whose remote edit was not taken in (their records
    keep the last synced ``updated_at``, which is the point).
    """
    stale = stale or set()
    state = project.state()
    fake = project.fake
    files = {
        f"content/posts/{f.name}"
        for f in (project.root / "content" / "posts").glob("*.md")
    }
    paths = Counter(record.path for record in state.records.values())
    assert set(paths) == files
    assert max(paths.values(), default=1) == 1
    assert not state.snapshot.pending, "a pending create was left behind"

    for record in state.records.values():
        assert record.id in fake.posts, f"{record.path}: its post is gone"
        post = fake.posts[record.id]
        assert record.slug == post["slug"]
        if post["slug"] not in stale:
            assert record.updated_at == post["updated_at"], record.path
