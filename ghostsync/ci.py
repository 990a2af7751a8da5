"""CI mode for GitHub Actions: masks, annotations and the step summary.

CI mode is on when the runner says so (``GITHUB_ACTIONS=true``) or with the
global flag ``--ci``; ``--no-ci`` turns it off. In CI mode ghostsync

- tells the runner to hide the Admin API key (and its secret half) and every
  token it signs, with ``::add-mask::`` lines, before it prints anything else;
- turns each invalid file, conflict, refusal and failed write into an
  ``::error file=…,line=…::`` annotation on the file;
- appends the plan or the outcome as a Markdown table to
  ``$GITHUB_STEP_SUMMARY``;
- shows no progress bar, and never asks a question.

Workflow commands go to standard error: the runner reads commands from both
streams, and standard output stays clean for ``--json``.

``python -m ghostsync.ci inspect [-C DIR] [--site NAME]`` prints two words for
the Action's script: the environment variable the key is read from, and
``true`` when the repository needs its state committed back (``html`` body
format), else ``false``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ghostsync.errors import GhostAPIError, GhostsyncError, InvalidFileError

if TYPE_CHECKING:
    from ghostsync import planner as p
    from ghostsync.apply import Outcome
    from ghostsync.config import Settings
    from ghostsync.run import Result
    from ghostsync.source import LocalScan

# A step summary is limited to 1 MiB; a table this long is already unreadable.
MAX_ROWS = 500
_MD_SPECIAL = set("\\`*_[]<>|#")


class _Mode:
    """Whether CI mode is on for this invocation, and what was masked."""

    active = False
    masked: set[str] = set()


def configure(flag: bool | None, environ: Mapping[str, str] | None = None) -> bool:
    """Switch CI mode on or off for this invocation; ``flag`` None: the env."""
    env = os.environ if environ is None else environ
    if flag is None:
        flag = env.get("GITHUB_ACTIONS", "").lower() == "true"
    _Mode.active = flag
    _Mode.masked = set()
    if flag:
        _hook_tokens()
    return flag


def active() -> bool:
    """Whether CI mode is on: no progress bar, no question, annotations."""
    return _Mode.active


# -- workflow commands ------------------------------------------------------


def escape_data(text: str) -> str:
    """A command's message, escaped the way the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: also ``:`` and ``,``, which end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: Any) -> str:
    """``::name key=value,…::message`` with every part escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value not in (None, "")
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


def _emit(line: str) -> None:
    click.echo(line, err=True)


def mask(value: str) -> None:
    """Ask the runner to hide ``value`` in the log (once per value)."""
    value = value.strip()
    if not _Mode.active or not value or value in _Mode.masked:
        return
    _Mode.masked.add(value)
    _emit(f"::add-mask::{escape_data(value)}")


def mask_key(settings: Settings) -> None:
    """Mask the Admin API key and its secret half, when there is a key."""
    if not _Mode.active:
        return
    try:
        key = settings.key()
    except GhostsyncError:
        return
    mask(key)
    if ":" in key:
        mask(key.split(":", 1)[1])


def _hook_tokens() -> None:
    from ghostsync.ghost import auth

    auth.on_token(_mask_token)


def _mask_token(token: str) -> None:
    mask(token)


# -- annotations ------------------------------------------------------------


def annotate_invalid(settings: Settings, errors: Iterable[InvalidFileError]) -> None:
    """One ``::error`` per invalid file, on its line when it is known."""
    if not _Mode.active:
        return
    for error in errors:
        _emit(
            command(
                "error",
                _with_hint(error),
                file=_repo_path(settings, error.path),
                line=error.line,
                title="ghostsync: invalid file",
            )
        )


def annotate_result(result: Result, settings: Settings) -> None:
    """Annotate invalid files, conflicts, refusals and failed writes."""
    if not _Mode.active:
        return
    from ghostsync import planner as p

    annotate_invalid(settings, result.scan.errors)
    told = set()
    for outcome in result.outcomes:
        if outcome.status in ("failed", "conflict"):
            told.add(id(outcome.action))
            _annotate_outcome(outcome, settings)
    for action in result.plan.actions:
        if id(action) not in told and action.name in (p.CONFLICT, p.REFUSE):
            title = f"ghostsync: {action.name}"
            text = action.reason or f"{action.name}: {action.kind} {action.slug}"
            _emit(_on_action(action, settings, text, title))


def _annotate_outcome(outcome: Outcome, settings: Settings) -> None:
    text = outcome.message or outcome.status
    if outcome.error is not None and outcome.error.hint:
        text += f" (fix: {outcome.error.hint})"
    title = f"ghostsync: {outcome.action.name} {outcome.status}"
    _emit(_on_action(outcome.action, settings, text, title))


def _on_action(action: p.Action, settings: Settings, text: str, title: str) -> str:
    path = action.path or action.moved_from
    where = _repo_path(settings, path) if path else ""
    return command("error", text, file=where, title=title)


def annotate_error(error: BaseException, settings_root: Path | None = None) -> None:
    """The error that ended a run, on its file when it names one."""
    if not _Mode.active or isinstance(error, KeyboardInterrupt):
        return
    if not isinstance(error, GhostsyncError):
        _emit(command("error", f"unexpected {type(error).__name__}", title="ghostsync"))
        return
    path = ""
    line = None
    if isinstance(error, InvalidFileError):
        path, line = error.path, error.line
    elif isinstance(error, GhostAPIError):
        path = error.path
    where = _join(settings_root, path) if path else ""
    _emit(command("error", _with_hint(error), file=where, line=line, title="ghostsync"))


def _with_hint(error: GhostsyncError) -> str:
    return f"{error.message} (fix: {error.hint})" if error.hint else error.message


def _repo_path(settings: Settings, rel: str) -> str:
    return _join(settings.root, rel)


def _join(root: Path | None, rel: str) -> str:
    """A project-relative path made relative to the repository (the workspace).

    Annotations name files from the repository root; the project may be a
    sub-folder of it (the Action's ``path`` input).
    """
    workspace = os.environ.get("GITHUB_WORKSPACE", "")
    if root is None or not workspace:
        return rel
    try:
        prefix = root.resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return rel
    return (prefix / rel).as_posix() if prefix.parts else rel


# -- the step summary -------------------------------------------------------


def write_summary(markdown: str) -> None:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` (CI mode only)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not _Mode.active or not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n\n")


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    text = " ".join(str(text).split())
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows[:MAX_ROWS]:
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more (see the log).")
    return "\n".join(lines)


def report_plan(result: Result, settings: Settings, site_url: str) -> None:
    """Annotations and a summary for ``plan`` (and ``push --dry-run``)."""
    if not _Mode.active:
        return
    from ghostsync import output

    annotate_result(result, settings)
    rows = [_action_row(a, settings) for a in result.plan.actions if _listed(a)]
    parts = [f"### ghostsync plan · {cell(site_url)}", ""]
    if rows:
        parts += [table(["action", "kind", "file", "details"], rows), ""]
    line = output.summary_line(result.plan) + output.uploads_summary(result.uploads)
    parts.append(f"**{cell(line)}**")
    write_summary("\n".join(parts))


def report_push(result: Result, settings: Settings, site_url: str) -> None:
    """Annotations and a summary of what a push did."""
    if not _Mode.active:
        return
    from ghostsync import output

    annotate_result(result, settings)
    done = {id(o.action) for o in result.outcomes}
    rows = [_outcome_row(o, settings) for o in result.outcomes]
    rows += [
        ["–", *_action_row(a, settings)]
        for a in result.plan.actions
        if id(a) not in done and _listed(a)
    ]
    parts = [f"### ghostsync push · {cell(site_url)}", ""]
    if rows:
        parts += [table(["result", "action", "kind", "file", "details"], rows), ""]
    uploaded = output.uploads_summary(result.uploads, "uploaded")
    parts.append(f"**{cell(output.push_summary(result) + uploaded)}**")
    write_summary("\n".join(parts))


def report_validate(settings: Settings, scan: LocalScan) -> None:
    """Annotations and a summary for ``validate``."""
    if not _Mode.active:
        return
    annotate_invalid(settings, scan.errors)
    rows = [
        [_repo_path(settings, e.path), str(e.line or ""), _with_hint(e)]
        for e in scan.errors
    ]
    parts = ["### ghostsync validate", ""]
    if rows:
        parts += [table(["file", "line", "problem"], rows), ""]
    summary = f"{len(scan.posts)} valid, {len(scan.errors)} invalid"
    parts.append(f"**{summary}.**")
    write_summary("\n".join(parts))


def _listed(action: p.Action) -> bool:
    from ghostsync import planner as p

    return action.name not in (p.UNCHANGED, p.REMOTE_ONLY) or bool(action.moved_from)


def _where(action: p.Action, settings: Settings) -> str:
    return _repo_path(settings, action.path) if action.path else f"({action.slug})"


def _action_row(action: p.Action, settings: Settings) -> list[str]:
    details = list(action.changes)
    if action.old_slug:
        details.append(f"slug {action.old_slug} → {action.slug}, the URL changes")
    if action.reason:
        details.append(action.reason)
    return [action.name, action.kind, _where(action, settings), "; ".join(details)]


def _outcome_row(outcome: Outcome, settings: Settings) -> list[str]:
    action = outcome.action
    text = outcome.message + (f" → {outcome.url}" if outcome.url else "")
    return [outcome.status, action.name, action.kind, _where(action, settings), text]


# -- what the Action's script asks ------------------------------------------


def inspect(settings: Settings) -> tuple[str, bool]:
    """The key's environment variable, and whether the state must be committed.

    The state is needed when a post is synced in ``html`` body format: the
    config's default or a file's ``body_format``. Without it, equality of an
    ``html`` post is known only through the state (design: body formats).
    """
    from ghostsync.run import validate

    if settings.body_format == "html":
        return settings.key_env, True
    scan = validate(settings)
    return settings.key_env, any(post.body_format == "html" for post in scan.posts)


@click.group()
def _cli() -> None:
    """Helpers for the GitHub Action's script."""


@_cli.command("inspect")
@click.option("-C", "--project", type=click.Path(path_type=Path), default=".")
@click.option("--site", default="")
def _inspect_command(project: Path, site: str) -> None:
    """Print KEY_ENV and true|false (commit the state); defaults on a bad config."""
    from ghostsync.config import DEFAULT_KEY_ENV, find_root, load_settings

    env = dict(os.environ)
    env.setdefault("GHOST_URL", "http://127.0.0.1/")
    try:
        settings = load_settings(find_root(project), site=site, environ=env)
        key_env, needed = inspect(settings)
    except GhostsyncError:
        # The command itself will report the configuration error properly.
        key_env, needed = DEFAULT_KEY_ENV, False
    click.echo(f"{key_env} {'true' if needed else 'false'}")


if __name__ == "__main__":
    _cli()
