"""The GitHub Action's steps, run against the real Ghost.

The steps run through :mod:`tests.actionrunner` (see its docstring for how
close to a runner that is, and how ghostsync gets installed without a
registry).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from ghostsync.ghost.client import GhostClient

from .actionrunner import ActionRun, Runner, copy_action

pytestmark = pytest.mark.ghost

KEY_ENV = "BLOG_ADMIN_KEY"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    temp = tmp_path_factory.mktemp("action")
    return Runner(copy_action(temp / "action"), temp)


class Blog:
    """A repository checkout holding a ghostsync project and its posts."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        root.mkdir(parents=True)
        (root / "ghostsync.toml").write_text(f'[site]\nkey_env = "{KEY_ENV}"\n')
        (root / "content" / "posts").mkdir(parents=True)

    def post(self, name: str, title: str, *front: str, body: str = "Hi.\n") -> str:
        rel = f"content/posts/{name}.md"
        lines = [f"title: {title}", f"slug: {self.prefix}{name}", *front]
        text = "---\n" + "\n".join(lines) + "\n---\n" + body
        (self.root / rel).write_text(text)
        return rel


@pytest.fixture
def blog(tmp_path: Path, real_ghost) -> Blog:
    return Blog(tmp_path / "blog", real_ghost.prefix("action"))


def inputs(real_ghost, command: str, **more: str) -> dict[str, str]:
    return {"command": command, "url": real_ghost.url, "key": real_ghost.key, **more}


def remote(real_ghost, prefix: str) -> dict[str, str]:
    """slug → updated_at of every post of this test, in any status."""
    client = GhostClient(real_ghost.url, real_ghost.key)
    found = client.browse(
        "post", fields=["slug", "updated_at"], filter=f"slug:~^'{prefix}'"
    )
    return {post["slug"]: post["updated_at"] for post in found}


def push_counts(run: ActionRun) -> str:
    [line] = [x for x in run.stdout.splitlines() if x.startswith("Push: ")]
    return line


def test_a_push_publishes_and_a_second_run_is_a_no_op(runner, blog, real_ghost):
    blog.post("hello", "Hello from CI")
    blog.post("second", "Second", "status: published")

    first = runner.run(blog.root, inputs(real_ghost, "push"))

    assert first.returncode == 0, first.log
    assert first.outputs == {
        "exit-code": "0",
        "command": "push",
        "state-committed": "false",
    }
    assert "2 created" in push_counts(first)
    published = remote(real_ghost, blog.prefix)
    assert sorted(published) == [f"{blog.prefix}hello", f"{blog.prefix}second"]
    assert "### ghostsync push" in first.summary
    assert "| done | create | post | content/posts/hello.md |" in first.summary
    assert list((blog.root / ".ghostsync" / "state").glob("*.jsonl"))
    assert installed_from_the_checkout(runner)

    second = runner.run(blog.root, inputs(real_ghost, "push"))

    assert second.returncode == 0, second.log
    assert "0 created, 0 updated" in push_counts(second)
    assert remote(real_ghost, blog.prefix) == published
    assert "| done |" not in second.summary


def installed_from_the_checkout(runner: Runner) -> bool:
    python = runner.runner_temp / "ghostsync-venv" / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import ghostsync; print(ghostsync.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ""},
        cwd="/",
    ).stdout.strip()
    return where.startswith(str(runner.runner_temp / "ghostsync-venv"))


def test_a_pr_plan_writes_a_summary_and_nothing_else(runner, blog, real_ghost):
    blog.post("planned", "Planned")
    before = remote(real_ghost, blog.prefix)

    run = runner.run(
        blog.root,
        inputs(real_ghost, "plan"),
        event="pull_request",
        ref="refs/pull/7/merge",
    )

    assert run.returncode == 0, run.log  # pending changes are not a failure
    assert run.outputs["command"] == "plan"
    assert "### ghostsync plan" in run.summary
    assert "| create | post | content/posts/planned.md |" in run.summary
    assert "**Plan: 1 to create," in run.summary
    assert remote(real_ghost, blog.prefix) == before == {}


def test_a_fork_pr_without_a_key_only_validates(runner, blog, real_ghost):
    blog.post("forked", "From a fork")
    fork = {"command": "plan", "key": "", "url": real_ghost.url}

    run = runner.run(blog.root, fork, event="pull_request", ref="refs/pull/8/merge")

    assert run.returncode == 0, run.log
    assert run.outputs["command"] == "validate"
    assert [a["message"] for a in run.annotations("notice")] == [
        "No Admin API key (pull requests from forks get no secrets): "
        "validating the files only."
    ]
    assert "### ghostsync validate" in run.summary
    assert "**1 valid, 0 invalid.**" in run.summary
    assert "ghostsync plan" not in run.summary
    assert remote(real_ghost, blog.prefix) == {}


def test_an_invalid_file_is_annotated_on_its_line_and_fails(runner, blog, real_ghost):
    blog.post("fine", "Fine")
    bad = blog.post("bad", "Bad", "tags: [a]", "featured: perhaps")

    run = runner.run(blog.root, inputs(real_ghost, "push"))

    assert run.returncode == 1, run.log
    assert run.outputs["exit-code"] == "1"
    [error] = run.annotations("error")
    assert error["file"] == bad
    assert error["line"] == "5"
    assert "featured" in error["message"]
    assert f"| – | invalid |  | {bad} |" in run.summary
    assert list(remote(real_ghost, blog.prefix)) == [f"{blog.prefix}fine"]


def test_annotations_name_the_file_from_the_repository_root(runner, tmp_path):
    repo = tmp_path / "repo"
    blog = Blog(repo / "site", "sub-")
    bad = blog.post("bad", "Bad", "featured: perhaps")

    run = runner.run(repo, {"command": "validate", "path": "site"})

    assert run.returncode == 1, run.log
    [error] = run.annotations("error")
    assert error["file"] == f"site/{bad}"


def test_the_key_and_tokens_appear_only_in_their_mask_lines(runner, blog, real_ghost):
    blog.post("secret", "Secret")
    key = real_ghost.key
    secret = key.split(":")[1]
    wrong = key.split(":")[0] + ":" + "0" * 64
    runs = [
        runner.run(blog.root, inputs(real_ghost, "plan")),
        runner.run(blog.root, inputs(real_ghost, "push")),
        runner.run(blog.root, inputs(real_ghost, "push", args="--dry-run")),
        runner.run(blog.root, {**inputs(real_ghost, "push"), "key": wrong}),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0, 5], runs[-1].log
    log = "\n".join(r.log + r.summary + r.env_file for r in runs)

    masks = {
        line.removeprefix("::add-mask::")
        for line in log.splitlines()
        if line.startswith("::add-mask::")
    }
    tokens = masks - {key, secret, wrong, "0" * 64}
    assert {key, secret, wrong, "0" * 64} <= masks
    assert len(tokens) >= 3  # each run signs at least one, in a later second
    for token in tokens:  # real tokens, signed with one of the keys
        kid = jwt.get_unverified_header(token)["kid"]
        assert kid == key.split(":")[0]
    for line in log.splitlines():
        if line.startswith("::add-mask::"):
            continue
        assert secret not in line
        assert "0" * 64 not in line
        assert not JWT.search(line), line


def test_without_its_state_a_push_neither_duplicates_nor_overwrites(
    runner, blog, real_ghost
):
    blog.post("kept", "Kept")
    first = runner.run(
        blog.root, inputs(real_ghost, "push", **{"commit-state": "false"})
    )
    assert first.returncode == 0, first.log
    state = blog.root / ".ghostsync" / "state"
    stale = {p.name: p.read_bytes() for p in state.iterdir()}
    published = remote(real_ghost, blog.prefix)

    shutil.rmtree(state)  # a CI run that did not commit the state back
    missing = runner.run(blog.root, inputs(real_ghost, "push"))

    assert missing.returncode == 0, missing.log
    assert "0 created, 0 updated" in push_counts(missing)
    assert remote(real_ghost, blog.prefix) == published

    blog.post("kept", "Kept, edited")
    edited = runner.run(blog.root, inputs(real_ghost, "push"))
    assert "1 updated" in push_counts(edited)
    published = remote(real_ghost, blog.prefix)
    for name, data in stale.items():  # the state of before the edit
        (state / name).write_bytes(data)
    journal = blog.root / ".ghostsync" / "journal"
    shutil.rmtree(journal, ignore_errors=True)

    again = runner.run(blog.root, inputs(real_ghost, "push"))

    assert again.returncode == 0, again.log
    assert "0 created, 0 updated" in push_counts(again)
    assert remote(real_ghost, blog.prefix) == published


# -- the state committed back -------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.test"]


@pytest.fixture
def checkout(tmp_path: Path, real_ghost) -> Iterator[tuple[Blog, Path]]:
    """A clone of a bare 'origin', holding an html-format blog, on main."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(origin))
    blog = Blog(tmp_path / "work", real_ghost.prefix("action-html"))
    with (blog.root / "ghostsync.toml").open("a") as handle:
        handle.write('\n[defaults]\nbody_format = "html"\n')
    (blog.root / ".gitignore").write_text(".ghostsync/journal/\n.ghostsync/cache/\n")
    blog.post("rich", "Rich", body="Some *html* text.\n")
    git(blog.root, "init", "--quiet", "-b", "main")
    git(blog.root, "remote", "add", "origin", str(origin))
    git(blog.root, "add", ".")
    git(blog.root, *IDENTITY, "commit", "--quiet", "-m", "posts")
    git(blog.root, "push", "--quiet", "origin", "main")
    yield blog, origin


def test_html_state_is_committed_back_and_a_fresh_clone_is_a_no_op(
    runner, checkout, tmp_path, real_ghost
):
    blog, origin = checkout

    run = runner.run(blog.root, inputs(real_ghost, "push"))

    assert run.returncode == 0, run.log
    assert run.outputs["state-committed"] == "true"
    subject = git(origin, "log", "-1", "--format=%s%n%an", "main").splitlines()
    assert subject == ["ghostsync: sync state [skip ci]", "github-actions[bot]"]
    files = git(origin, "show", "--name-only", "--format=", "main").split()
    assert len(files) == 1 and files[0].startswith(".ghostsync/state/")
    published = remote(real_ghost, blog.prefix)

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    again = runner.run(clone, inputs(real_ghost, "push"))

    assert again.returncode == 0, again.log
    assert "0 created, 0 updated" in push_counts(again)
    assert again.outputs["state-committed"] == "false"
    assert remote(real_ghost, blog.prefix) == published


def test_html_without_its_state_refuses_instead_of_duplicating(
    runner, checkout, real_ghost
):
    blog, _origin = checkout
    first = runner.run(
        blog.root, inputs(real_ghost, "push", **{"commit-state": "false"})
    )
    assert first.returncode == 0, first.log
    assert first.outputs["state-committed"] == "false"
    published = remote(real_ghost, blog.prefix)
    shutil.rmtree(blog.root / ".ghostsync" / "state")

    again = runner.run(
        blog.root, inputs(real_ghost, "push", **{"commit-state": "false"})
    )

    assert again.returncode == 1, again.log
    [error] = again.annotations("error")
    assert error["file"] == "content/posts/rich.md"
    assert "--adopt" in error["message"]
    assert remote(real_ghost, blog.prefix) == published


def test_the_state_commit_rebases_onto_a_branch_that_moved(
    runner, checkout, tmp_path, real_ghost
):
    blog, origin = checkout
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    (other / "NOTES.md").write_text("Meanwhile.\n")
    git(other, "add", "NOTES.md")
    git(other, *IDENTITY, "commit", "--quiet", "-m", "meanwhile")
    git(other, "push", "--quiet", "origin", "main")

    run = runner.run(blog.root, inputs(real_ghost, "push"))

    assert run.returncode == 0, run.log
    assert run.outputs["state-committed"] == "true"
    subjects = git(origin, "log", "--format=%s", "main").splitlines()
    assert subjects == ["ghostsync: sync state [skip ci]", "meanwhile", "posts"]


def test_a_refused_state_push_fails_the_job_and_says_why(runner, checkout, real_ghost):
    blog, origin = checkout
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)

    run = runner.run(blog.root, inputs(real_ghost, "push"))

    assert run.returncode == 1
    assert run.outputs == {
        "exit-code": "0",  # the publish itself worked
        "command": "push",
        "state-committed": "false",
    }
    [error] = run.annotations("error")
    assert "permissions: contents: write" in error["message"]
    assert "commit-state: false" in error["message"]
    assert list(remote(real_ghost, blog.prefix)) == [f"{blog.prefix}rich"]
