"""Where ghostsync reads and writes, and the modes of what it writes.

Nothing outside the project root is written (the run below gets its own HOME
and TMPDIR to prove it), nothing outside the content root is read or uploaded
(symlinks included), and backups and conflict copies are 0600 while the
committed state is an ordinary file.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ghostsync.cli import main

from .fakeghost import FakeGhost
from .fakeproject import KEY_VAR, FakeProject

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def uploads(fake: FakeGhost) -> list[str]:
    return [r.path for r in fake.requests if "/upload" in r.path]


def test_a_symlinked_post_from_outside_the_content_root_is_not_read(
    tmp_path, fake_ghost
):
    outside = tmp_path / "private" / "diary.md"
    outside.parent.mkdir()
    outside.write_text("---\ntitle: Diary\n---\nNot for the blog.\n")
    project = FakeProject(tmp_path / "blog", fake_ghost)
    (project.root / "content/posts/diary.md").symlink_to(outside)
    project.write("open", "Open", "For the blog.\n")

    result = project.push()

    [error] = result.scan.errors
    assert error.path == "content/posts/diary.md"
    assert "outside the content folders" in error.message
    assert f"a link to {outside}" in error.message
    assert "copy diary.md into the content folder" in error.hint
    assert [post["title"] for post in fake_ghost.posts.values()] == ["Open"]
    assert not any(b"Not for the blog" in r.body for r in fake_ghost.requests)


def test_a_linked_folder_outside_the_content_root_is_not_walked(tmp_path, fake_ghost):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "note.md").write_text("---\ntitle: Elsewhere\n---\nx\n")
    project = FakeProject(tmp_path / "blog", fake_ghost)
    (project.root / "content/posts/more").symlink_to(outside)

    result = project.push()

    [error] = result.scan.errors
    assert result.scan.posts == []
    assert error.path == "content/posts/more"
    assert f"a link to {outside}, a folder outside the content" in error.message
    assert fake_ghost.posts == {}


def test_images_outside_the_content_root_are_never_uploaded(tmp_path, fake_ghost):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    project = FakeProject(tmp_path / "blog", fake_ghost)
    (project.root / "content/posts/img").mkdir()
    (project.root / "content/posts/img/linked.png").symlink_to(secret)
    (project.root / "ghostsync.png").write_bytes(PNG)  # in the project, not content
    project.write("dots", "Dots", "![a](../../ghostsync.png)\n")
    project.write("link", "Link", "![b](img/linked.png)\n")
    project.write("field", "Field", "x\n", feature_image="../../../secret.png")
    project.write("fine", "Fine", "No images.\n")

    result = project.push()

    errors = {error.path: error.message for error in result.scan.errors}
    assert sorted(errors) == [
        "content/posts/dots.md",
        "content/posts/field.md",
        "content/posts/link.md",
    ]
    assert all("outside the content root" in m for m in errors.values())
    assert uploads(fake_ghost) == []
    assert [post["title"] for post in fake_ghost.posts.values()] == ["Fine"]
    assert result.exit_code() == 1


def test_nothing_is_written_outside_the_project_root(tmp_path, fake_ghost):
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    project = FakeProject(tmp_path / "blog", fake_ghost)
    project.write("a", "A", "First.\n")
    project.write("b", "B", "First.\n")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TMPDIR": str(temp),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GHOST_URL": fake_ghost.url,
        KEY_VAR: fake_ghost.key,
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "ghostsync", "-C", str(project.root), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    assert cli("push").returncode == 0
    for post in list(fake_ghost.posts.values()):
        fake_ghost.edit("post", post["id"], title=f"{post['title']} in Ghost")
    project.write("a", "A", "Second.\n")
    assert cli("push").returncode == 3  # a: conflict, b: changed in Ghost
    ghostsync = project.root / ".ghostsync"
    [conflict] = (ghostsync / "conflicts").rglob("*.json")
    assert mode(conflict) == 0o600
    assert cli("push", "--force").returncode == 0

    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog", "home", "tmp"]
    assert list(home.rglob("*")) == [] and list(temp.rglob("*")) == []

    backups = [p for p in (ghostsync / "backups").rglob("*") if p.is_file()]
    assert backups
    for private in backups:
        assert mode(private) == 0o600, private
    [state] = (ghostsync / "state").iterdir()
    assert mode(state) == 0o644  # committed with the content: an ordinary file


def test_validate_reads_no_key_and_writes_nothing(tmp_path, fake_ghost):
    project = FakeProject(tmp_path / "blog", fake_ghost)
    project.write("a", "A", "x\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    result = CliRunner().invoke(main, ["-C", str(project.root), "validate"], env={})

    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert fake_ghost.requests == []


def test_a_pulled_slug_that_tries_to_escape_stays_in_the_content_folder(
    tmp_path, fake_ghost
):
    project = FakeProject(tmp_path / "blog", fake_ghost)
    project.write("seed", "Seed", "x\n")
    project.push()
    [seed] = fake_ghost.posts.values()
    hostile = ["../../escape", "..", "/etc/passwd", "a/../../b", "..\\\\win", "nul"]
    for n, slug in enumerate(hostile):
        post = dict(seed, id=f"{n:024x}", slug=slug, title=f"Hostile {n}")
        fake_ghost.posts[post["id"]] = post

    result = project.pull(all_posts=True)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog"]
    posts = project.root / "content" / "posts"
    written = list(project.root.rglob("*.md"))
    assert all(p.parent == posts for p in written), written
    assert all(".." not in p.name and not p.name.startswith(".") for p in written)
    statuses = [o.status for o in result.outcomes]
    assert len(statuses) == len(hostile)  # each imported inside, or refused
    assert set(statuses) <= {"done", "failed"}
    assert len(written) == 1 + statuses.count("done")


def test_pull_never_writes_through_a_link_out_of_the_content_root(tmp_path, fake_ghost):
    project = FakeProject(tmp_path / "blog", fake_ghost)
    project.write("a", "A", "x\n")
    project.push()
    outside = tmp_path / "outside.md"
    outside.write_text("mine\n")
    path = project.root / "content/posts/a.md"
    path.unlink()
    path.symlink_to(outside)
    [post] = fake_ghost.posts.values()
    fake_ghost.edit("post", post["id"], title="Edited in Ghost")

    result = project.pull()

    assert outside.read_text() == "mine\n"
    assert path.is_symlink()
    [action] = result.plan.actions
    assert f"content/posts/a.md is a link to {outside}" in action.reason
