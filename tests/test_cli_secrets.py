"""A whole CLI run at -v, with a 401, a 422 and a 500, never shows a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .fakeghost import FakeGhost


def run_cli(
    project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ghostsync", "-v", "-C", str(project), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def make_project(root: Path, url: str) -> Path:
    (root / "ghostsync.toml").write_text(f'[site]\nurl = "{url}"\n')
    posts = root / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "one.md").write_text("---\ntitle: One\n---\nFirst.\n")
    (posts / "two.md").write_text("---\ntitle: Two\n---\nSecond.\n")
    return root


def test_no_key_or_token_in_any_output(fake_ghost: FakeGhost, tmp_path: Path) -> None:
    project = make_project(tmp_path, fake_ghost.url)
    good = {"GHOST_ADMIN_API_KEY": fake_ghost.key}
    wrong_secret = fake_ghost.key.split(":")[0] + ":" + "0" * 64
    fake_ghost.inject("status", method="POST", path="posts", status=422, times=1)
    fake_ghost.inject("status", method="POST", path="posts", status=500, times=1)

    runs = [
        run_cli(project, good, "push"),
        run_cli(project, good, "push"),
        run_cli(project, {"GHOST_ADMIN_API_KEY": wrong_secret}, "plan"),
    ]

    assert runs[0].returncode == 1  # the 422 failed one post; the other was created
    assert "Validation" in runs[0].stderr or "422" in runs[0].stderr
    assert runs[1].returncode == 0, runs[1].stderr  # the 500 was verified, then retried
    assert len(fake_ghost.posts) == 2
    assert runs[2].returncode == 5  # the 401
    assert "401" in runs[2].stderr or "key" in runs[2].stderr.lower()
    output = "\n".join(r.stdout + r.stderr for r in runs)
    tokens = {
        r.headers.get("Authorization", "").removeprefix("Ghost ")
        for r in fake_ghost.requests
    } - {""}
    assert tokens
    for secret in (fake_ghost.key, fake_ghost.secret, *tokens):
        assert secret not in output
    assert "GET /ghost/api/admin/posts/" in output  # -v did log the requests
    state_files = list((project / ".ghostsync").rglob("*"))
    for path in state_files:
        if path.is_file():
            text = path.read_text()
            assert fake_ghost.secret not in text
            assert not any(token in text for token in tokens)
