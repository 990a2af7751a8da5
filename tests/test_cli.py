"""The CLI's own behaviour: init, validate, and exit code 5 for site problems."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghostsync.cli import main


def invoke(root: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["-C", str(root), *args], env=env or {})


def test_init_writes_config_folders_and_gitignore(tmp_path):
    (tmp_path / ".gitignore").write_text("node_modules/\n")

    result = invoke(tmp_path, "init")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "ghostsync.toml").read_text().startswith("# ghostsync")
    assert (tmp_path / "content" / "posts").is_dir()
    ignored = (tmp_path / ".gitignore").read_text().splitlines()
    assert ignored[0] == "node_modules/"
    assert ".ghostsync/cache/" in ignored and ".ghostsync/backups/" in ignored
    assert invoke(tmp_path, "init").exit_code == 5  # never overwrites silently


def test_validate_needs_no_key_and_reports_bad_files(tmp_path):
    invoke(tmp_path, "init")
    (tmp_path / "content/posts/ok.md").write_text("# Fine\n")
    (tmp_path / "content/posts/bad.md").write_text("---\ntitle: 12:30\n---\n")

    result = invoke(tmp_path, "validate")

    assert result.exit_code == 1
    assert "content/posts/bad.md:2" in result.output
    assert "1 valid, 1 invalid" in result.output


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "key", "words"),
    [
        ("example.com", None, "https://"),
        ("http://example.com/", None, "http://"),
        (f"http://127.0.0.1:{unused_port()}/", None, "127.0.0.1"),
        ("http://127.0.0.1:9/", secrets.token_hex(13), "Content API key"),
        ("http://127.0.0.1:9/", "not-a-key", "Admin API key"),
    ],
)
def test_site_and_key_problems_exit_5_with_a_clear_message(tmp_path, url, key, words):
    invoke(tmp_path, "init")
    key = key or f"{secrets.token_hex(12)}:{secrets.token_hex(32)}"

    result = invoke(
        tmp_path, "plan", env={"GHOST_URL": url, "GHOST_ADMIN_API_KEY": key}
    )

    assert result.exit_code == 5, result.output
    assert words in result.output
    assert key not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("suffix", ["ghost/", "blog/"])
def test_a_url_with_no_admin_api_exits_5_and_says_which_url(
    tmp_path, fake_ghost, suffix
):
    invoke(tmp_path, "init")
    env = {"GHOST_URL": fake_ghost.url + suffix, "GHOST_ADMIN_API_KEY": fake_ghost.key}

    result = invoke(tmp_path, "plan", env=env)

    assert result.exit_code == 5, result.output
    assert f"no Ghost Admin API at {fake_ghost.url}{suffix}" in result.output
    hint = "Drop the trailing /ghost/" if suffix == "ghost/" else "address of a Ghost"
    assert hint in result.output


def test_json_output_names_a_fatal_error_on_stdout(tmp_path):
    invoke(tmp_path, "init")
    env = {"GHOST_URL": f"http://127.0.0.1:{unused_port()}/"}
    env["GHOST_ADMIN_API_KEY"] = f"{secrets.token_hex(12)}:{secrets.token_hex(32)}"

    result = CliRunner().invoke(main, ["-C", str(tmp_path), "plan", "--json"], env=env)

    assert result.exit_code == 5
    document = json.loads(result.stdout)
    assert document["schema"] == 1
    assert document["error"]["exit_code"] == 5
    assert "127.0.0.1" in document["error"]["message"]


def test_validate_checks_the_named_site_exists(tmp_path):
    invoke(tmp_path, "init")

    result = invoke(tmp_path, "--site", "prodution", "validate")

    assert result.exit_code == 5
    assert "prodution" in result.output


def test_init_with_a_url_needs_no_key_and_says_what_it_wrote(tmp_path):
    result = invoke(tmp_path, "init", "--url", "https://example.com/")

    assert result.exit_code == 0, result.output
    assert "wrote ghostsync.toml" in result.output
    assert "folder content/posts/" in result.output
    assert "export GHOST_ADMIN_API_KEY=" in result.output
    assert 'url = "https://example.com/"' in (tmp_path / "ghostsync.toml").read_text()


def key_file_project(root: Path, url: str, key: str, where: str) -> Path:
    root.mkdir()
    (root / "ghostsync.toml").write_text(
        f'[site]\nurl = "{url}"\nkey_file = "{where}"\n'
    )
    (root / "content" / "posts").mkdir(parents=True)
    key_path = root / where
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_text(key + "\n")
    return root


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_a_key_file_inside_the_project_is_warned_about_once(tmp_path, fake_ghost):
    outside = key_file_project(
        tmp_path / "a", fake_ghost.url, fake_ghost.key, "../a.key"
    )
    assert "key_file" not in invoke(outside, "plan").output

    root = key_file_project(tmp_path / "b", fake_ghost.url, fake_ghost.key, "site.key")
    result = invoke(root, "plan")

    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning: key_file site.key lies inside") == 1
    assert "move it outside the project" in result.stderr
    assert fake_ghost.key.rpartition(":")[2] not in result.output

    git(root, "init", "-q")
    (root / ".gitignore").write_text("site.key\n")
    assert "(git ignores it)" in invoke(root, "plan").stderr


def test_a_key_file_git_would_commit_is_refused(tmp_path, fake_ghost):
    root = key_file_project(tmp_path / "b", fake_ghost.url, fake_ghost.key, "k/s.key")
    git(root, "init", "-q")

    result = invoke(root, "push")

    assert result.exit_code == 5, result.output
    assert "key_file k/s.key lies inside the project and git does not ignore" in (
        result.output
    )
    assert "add k/s.key to .gitignore" in result.output
    assert fake_ghost.key.rpartition(":")[2] not in result.output
