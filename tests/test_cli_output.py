"""--strict, --quiet, NO_COLOR and the supported Ghost versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ghostsync import output
from ghostsync import planner as p
from ghostsync.cli import main

from .fakeproject import KEY_VAR


def invoke(root: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["-C", str(root), *args], env=env or {})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    invoke(tmp_path, "init")
    (tmp_path / "content/posts/a.md").write_text("---\ntitle: A\ntitel: B\n---\nx\n")
    return tmp_path


def test_unknown_keys_warn_and_strict_makes_them_errors(project):
    lenient = invoke(project, "validate")
    assert lenient.exit_code == 0, lenient.output
    assert "content/posts/a.md:3: 'titel' is not synced; did you mean 'title'?" in (
        lenient.output
    )

    strict = invoke(project, "--strict", "validate")
    assert strict.exit_code == 1, strict.output
    assert "error: content/posts/a.md:3: 'titel' is not synced" in strict.output
    assert "(--strict)" in strict.output


def test_quiet_leaves_out_warnings_but_not_errors(project):
    (project / "content/posts/b.md").write_text("---\ntitle: 12:30\n---\n")
    quiet = invoke(project, "-q", "validate")
    assert "warning" not in quiet.output
    assert "error: content/posts/b.md:2" in quiet.output


def test_no_color_and_a_pipe_keep_lines_plain(monkeypatch):
    line = "+ create post a.md"
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert output.paint(line, p.CREATE) != line
    assert "\x1b[32m" in output.paint(line, p.CREATE)

    monkeypatch.setenv("NO_COLOR", "1")
    assert output.paint(line, p.CREATE) == line


@pytest.mark.parametrize(("version", "code"), [("4.48", 5), ("7.0", 5), ("5.2", 0)])
def test_unsupported_ghost_versions_are_refused_clearly(
    tmp_path, fake_ghost, version, code
):
    fake_ghost.version = version
    (tmp_path / "ghostsync.toml").write_text(
        f'[site]\nurl = "{fake_ghost.url}"\nkey_env = "{KEY_VAR}"\n'
    )
    (tmp_path / "content/posts").mkdir(parents=True)
    (tmp_path / "content/pages").mkdir(parents=True)

    result = invoke(tmp_path, "plan", env={KEY_VAR: fake_ghost.key})
    assert result.exit_code == code, result.output
    if code:
        assert f"runs Ghost {version}; ghostsync supports Ghost 5.x and 6.x" in (
            result.output
        )


def test_a_named_site_has_its_own_state_file_even_with_a_shared_uuid(tmp_path):
    from ghostsync.state import State

    default = State.open(tmp_path, "uuid-1")
    named = State.open(tmp_path, "uuid-1", "production")
    assert default.path.name == "uuid-1.jsonl"
    assert named.path.name == "production.uuid-1.jsonl"
    assert named.journal_path.name == "production.uuid-1.jsonl"


def test_a_named_site_keeps_its_url_whatever_ghost_url_says(tmp_path):
    from ghostsync.config import load_settings

    (tmp_path / "ghostsync.toml").write_text(
        '[site]\nurl = "https://a.example.com/"\n'
        '[sites.production]\nurl = "https://b.example.com/"\n'
    )
    env = {"GHOST_URL": "http://127.0.0.1:2368/"}
    assert load_settings(tmp_path, environ=env).url == "http://127.0.0.1:2368/"
    named = load_settings(tmp_path, site="production", environ=env)
    assert named.url == "https://b.example.com/"
