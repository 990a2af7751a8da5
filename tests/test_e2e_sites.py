"""Two named sites synced from one repository, each with its own state.

A second Ghost is started for this module (from the set-up template, a few
seconds), so ``[sites.staging]`` and ``[sites.production]`` are two real sites.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghostsync import localghost
from ghostsync.cli import main

from .realghost import RealGhost, _start_and_set_up, new_data_dir

pytestmark = pytest.mark.ghost


@pytest.fixture(scope="module")
def second_ghost(real_ghost: RealGhost) -> Iterator[RealGhost]:
    if real_ghost.external:
        pytest.skip("a second Ghost is started only beside the local test Ghost")
    data = new_data_dir()
    try:
        yield _start_and_set_up(data)
    finally:
        localghost.stop(data)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def repo(tmp_path, real_ghost, second_ghost) -> tuple[Path, dict, str]:
    root = tmp_path / "blog"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "pages").mkdir(parents=True)
    (root / "ghostsync.toml").write_text(
        "[site]\n"
        f'url = "{real_ghost.url}"\nkey_env = "STAGING_KEY"\n\n'
        "[sites.staging]\n"
        f'url = "{real_ghost.url}"\nkey_env = "STAGING_KEY"\n\n'
        "[sites.production]\n"
        f'url = "{second_ghost.url}"\nkey_env = "PRODUCTION_KEY"\n'
    )
    # GHOST_URL points elsewhere: a named site must not follow it.
    env = {
        "STAGING_KEY": real_ghost.key,
        "PRODUCTION_KEY": second_ghost.key,
        "GHOST_URL": "http://127.0.0.1:9/",
    }
    return root, env, real_ghost.prefix("sites")


def run(root: Path, env: dict, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args], env=env)


def write_post(root: Path, slug: str, title: str) -> None:
    text = f"---\ntitle: {title}\nslug: {slug}\n---\nBody.\n"
    (root / "content" / "posts" / "a.md").write_text(text)


def states(root: Path) -> dict[str, str]:
    folder = root / ".ghostsync" / "state"
    return {path.stem: path.read_text() for path in sorted(folder.glob("*.jsonl"))}


def test_two_named_sites_keep_their_own_state(repo):
    root, env, prefix = repo
    write_post(root, prefix + "a", "First title")

    staging = run(root, env, "--site", "staging", "push")
    assert staging.exit_code == 0, staging.output
    assert len(states(root)) == 1

    production = run(root, env, "--site", "production", "push")
    assert production.exit_code == 0, production.output
    both = states(root)
    assert len(both) == 2  # one state per site uuid
    ids = [text.splitlines()[1] for text in both.values()]
    assert ids[0] != ids[1]

    # An edit pushed to staging leaves production's state alone, and
    # production still plans the update.
    write_post(root, prefix + "a", "Second title")
    assert run(root, env, "--site", "staging", "push").exit_code == 0
    after = states(root)
    changed = [uuid for uuid in both if both[uuid] != after[uuid]]
    assert len(changed) == 1

    planned = run(root, env, "--site", "production", "plan")
    assert "1 to update" in planned.output, planned.output
    staging_plan = run(root, env, "--site", "staging", "plan").output
    assert "1 unchanged" in staging_plan and "to update" not in staging_plan
