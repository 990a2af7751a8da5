"""CI mode: workflow-command escaping, masks, annotations and the summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ghostsync import ci
from ghostsync.cli import main

from .actionrunner import unescape


def test_messages_escape_percent_cr_and_lf() -> None:
    text = "100% done\r\nnext: a, b"
    assert ci.escape_data(text) == "100%25 done%0D%0Anext: a, b"
    assert unescape(ci.escape_data(text)) == text


def test_properties_also_escape_colon_and_comma() -> None:
    value = "content/posts/a:b,c%.md"
    assert ci.escape_property(value) == "content/posts/a%3Ab%2Cc%25.md"
    line = ci.command("error", "bad: value, here", file=value, line=3, title="")
    assert line == "::error file=content/posts/a%3Ab%2Cc%25.md,line=3::bad: value, here"


def test_a_command_without_properties() -> None:
    assert ci.command("notice", "a\nb") == "::notice::a%0Ab"


def test_cells_cannot_break_the_table() -> None:
    assert ci.cell("a | b\nc *d* `e`") == "a \\| b c \\*d\\* \\`e\\`"


def test_mode_follows_the_flag_then_the_environment() -> None:
    assert ci.configure(None, {"GITHUB_ACTIONS": "true"}) is True
    assert ci.configure(False, {"GITHUB_ACTIONS": "true"}) is False
    assert ci.configure(True, {}) is True
    assert ci.configure(None, {}) is False


def project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ghostsync.toml").write_text("[site]\n")
    posts = root / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "good.md").write_text("---\ntitle: Good\n---\nBody.\n")
    (posts / "bad, no: 1.md").write_text("---\ntitle: Fine\nfeatured: maybe\n---\n")
    return root


def test_validate_in_ci_mode_masks_annotates_and_summarises(tmp_path: Path) -> None:
    root = project(tmp_path / "repo" / "blog")
    summary = tmp_path / "summary.md"
    key = "ab" * 12 + ":" + "cd" * 32
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(tmp_path / "repo"),
        "GHOST_ADMIN_API_KEY": key,
    }

    result = CliRunner().invoke(main, ["-C", str(root), "validate"], env=env)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:2] == [f"::add-mask::{key}", f"::add-mask::{'cd' * 32}"]
    [error] = [line for line in lines if line.startswith("::error")]
    assert error.startswith(
        "::error file=blog/content/posts/bad%2C no%3A 1.md,line=3,"
        "title=ghostsync%3A invalid file::"
    )
    assert "featured" in error
    text = summary.read_text()
    assert "### ghostsync validate" in text
    assert "| blog/content/posts/bad, no: 1.md | 3 |" in text
    assert "**1 valid, 1 invalid.**" in text


def test_no_ci_flag_keeps_plain_output(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = {"GITHUB_ACTIONS": "true", "GHOST_ADMIN_API_KEY": "ab" * 12 + ":" + "cd" * 32}

    result = CliRunner().invoke(main, ["--no-ci", "-C", str(root), "validate"], env=env)

    assert result.exit_code == 1
    assert "::" not in result.output


def test_every_token_sent_is_masked(fake_ghost, tmp_path: Path) -> None:
    """The fake Ghost records the tokens it received: each was masked."""
    root = tmp_path
    (root / "ghostsync.toml").write_text(f'[site]\nurl = "{fake_ghost.url}"\n')
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "posts" / "one.md").write_text("---\ntitle: One\n---\nHi.\n")
    env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GHOST_ADMIN_API_KEY": fake_ghost.key,
    }

    run = subprocess.run(
        [sys.executable, "-m", "ghostsync", "-C", str(root), "push"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    sent = {
        r.headers.get("Authorization", "").removeprefix("Ghost ")
        for r in fake_ghost.requests
    } - {""}
    masked = [
        line.removeprefix("::add-mask::")
        for line in run.stderr.splitlines()
        if line.startswith("::add-mask::")
    ]
    assert masked[:2] == [fake_ghost.key, fake_ghost.secret]
    assert sent and sent <= set(masked)
    for line in (run.stdout + run.stderr).splitlines():
        if not line.startswith("::add-mask::"):
            assert fake_ghost.secret not in line
            assert not any(token in line for token in sent)


def test_no_progress_bar_in_ci_mode(monkeypatch) -> None:
    from ghostsync.output import OutcomePrinter

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    ci.configure(True, {})
    quiet = OutcomePrinter(as_json=False, quiet=False)
    quiet.start(50)
    ci.configure(False, {})
    shown = OutcomePrinter(as_json=False, quiet=False)
    shown.start(50)
    shown.stop()

    assert quiet._progress is None
    assert shown._progress is None  # stopped
    assert shown._task is not None  # but it was started
