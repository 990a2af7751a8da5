"""A throw-away ghostsync project wired to the session's real Ghost."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ghostsync.cli import main
from ghostsync.config import Settings, load_settings
from ghostsync.ghost.client import GhostClient
from ghostsync.run import Result, connect, make_plan, push

KEY_VAR = "GHOSTSYNC_E2E_KEY"


class CountingClient:
    """A real client that counts the writes made through it."""

    def __init__(self, client: GhostClient) -> None:
        self._client = client
        self.writes: list[tuple[str, str]] = []

    def create(self, kind: str, post: dict[str, Any], **options: Any) -> dict:
        self.writes.append(("create", post.get("slug", "")))
        return self._client.create(kind, post, **options)

    def update(self, kind: str, post_id: str, post: dict, **options: Any) -> dict:
        self.writes.append(("update", post_id))
        return self._client.update(kind, post_id, post, **options)

    def upload(self, endpoint: str, path: Path, **options: Any) -> dict:
        self.writes.append(("upload", f"{endpoint}:{path.name}"))
        return self._client.upload(endpoint, path, **options)

    @property
    def uploads(self) -> list[str]:
        return [what for verb, what in self.writes if verb == "upload"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass
class Project:
    """Files in a temporary folder, synced to the real Ghost under a slug prefix."""

    root: Path
    url: str
    key: str = field(repr=False)
    prefix: str
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.env = {"GHOST_URL": self.url, KEY_VAR: self.key}
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "ghostsync.toml").write_text(
            f'[site]\nurl = "{self.url}"\nkey_env = "{KEY_VAR}"\n'
        )
        (self.root / "content" / "posts").mkdir(parents=True, exist_ok=True)
        (self.root / "content" / "pages").mkdir(parents=True, exist_ok=True)

    def slug(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def post(
        self, name: str, title: str, body: str = "Body text.\n", **front: Any
    ) -> str:
        """Write ``content/posts/<name>.md`` with the prefixed slug; its path."""
        lines = [f"title: {title}", f"slug: {self.slug(name)}"]
        lines += [f"{key}: {value}" for key, value in front.items()]
        rel = f"content/posts/{name}.md"
        self.write(rel, "---\n" + "\n".join(lines) + "\n---\n" + body)
        return rel

    def settings(self) -> Settings:
        return load_settings(self.root, environ=self.env)

    def client(self) -> CountingClient:
        return CountingClient(GhostClient(self.url, self.key))

    def plan(self, **options: Any) -> Result:
        with connect(self.settings(), self.client()) as site:
            return make_plan(site, **options)

    def push(self, client: CountingClient | None = None, **options: Any) -> Result:
        with connect(self.settings(), client or self.client()) as site:
            return push(site, **options)

    def cli(self, *args: str) -> Any:
        runner = CliRunner()
        return runner.invoke(main, ["-C", str(self.root), *args], env=self.env)

    def clone(self, target: Path) -> Project:
        """A copy as a fresh clone would have it: files and state, no cache."""
        shutil.copytree(
            self.root,
            target,
            ignore=shutil.ignore_patterns("cache", "journal", "backups", "conflicts"),
        )
        return Project(target, self.url, self.key, self.prefix)


def mine(result: Result, prefix: str) -> list[Any]:
    """The actions of a plan that concern this test's posts."""
    return [
        a
        for a in result.plan.actions
        if a.slug.startswith(prefix) or (a.path and a.path.startswith("content/"))
    ]
