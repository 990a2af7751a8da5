"""What a user reads: one line per action, a summary last, or JSON.

Lines go to standard output; warnings and errors to standard error. Colour
follows the terminal and ``NO_COLOR`` (rich decides).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ghostsync import ci
from ghostsync import planner as p
from ghostsync.errors import GhostsyncError
from ghostsync.refs import human_size

if TYPE_CHECKING:
    from ghostsync.apply import Outcome
    from ghostsync.run import Result, Site
    from ghostsync.state import Upload
    from ghostsync.watch import Event

JSON_SCHEMA = 1
SYMBOLS = {
    p.CREATE: "+",
    p.UPDATE: "~",
    p.ADOPT: "=",
    p.REFUSE: "x",
    p.CONFLICT: "!",
    p.REMOTE_CHANGED: "<",
    p.DELETED_LOCAL: "-",
    p.DELETED_REMOTE: "-",
    p.INVALID: "x",
    p.UNCHANGED: " ",
}
SUMMARY = [
    (p.CREATE, "to create"),
    (p.UPDATE, "to update"),
    (p.ADOPT, "to adopt"),
    (p.CONFLICT, "conflicts"),
    (p.REMOTE_CHANGED, "changed in Ghost"),
    (p.REFUSE, "refused"),
    (p.INVALID, "invalid"),
    (p.DELETED_LOCAL, "deleted locally"),
    (p.DELETED_REMOTE, "deleted in Ghost"),
    (p.UNCHANGED, "unchanged"),
    (p.REMOTE_ONLY, "only in Ghost"),
]


def direction(action: p.Action) -> str:
    """Which way the action goes: ``push`` (file to Ghost), ``pull`` (Ghost to
    file), ``both`` (a conflict), or ``""`` (nothing moves)."""
    if action.name == p.CONFLICT:
        return "both"
    if action.name in p.WRITES or (action.name == p.DELETED_LOCAL and action.prune):
        return "push"
    if action.name in (p.REMOTE_CHANGED, p.REMOTE_ONLY):
        return "pull"
    if action.name == p.DELETED_REMOTE and action.prune:
        return "pull"
    return ""


def action_line(action: p.Action) -> str:
    """``~ update  push  post  content/posts/a.md  title, body``, with details."""
    where = action.path or f"({action.slug})"
    symbol = SYMBOLS.get(action.name, " ")
    text = f"{symbol} {action.name:<16} {direction(action):<5} {action.kind:<4} {where}"
    details = []
    if action.changes:
        details.append(", ".join(action.changes))
    if action.moved_from:
        details.append(f"moved from {action.moved_from}")
    if action.old_slug:
        details.append(f"slug {action.old_slug} → {action.slug}, the URL changes")
    if action.reason:
        details.append(action.reason)
    if action.note:
        details.append(action.note)
    return text + (f"  ({'; '.join(details)})" if details else "")


COLOURS = {
    p.CREATE: "green",
    p.UPDATE: "yellow",
    p.ADOPT: "cyan",
    p.REMOTE_CHANGED: "cyan",
    p.CONFLICT: "red",
    p.REFUSE: "red",
    p.INVALID: "red",
    p.DELETED_LOCAL: "magenta",
    p.DELETED_REMOTE: "magenta",
}


def use_colour() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def paint(line: str, action_name: str) -> str:
    """An action line in its action's colour, when colour is on."""
    colour = COLOURS.get(action_name)
    if colour is None or not use_colour():
        return line
    return click.style(line, fg=colour)


def summary_line(plan: p.Plan, prefix: str = "Plan") -> str:
    counts = plan.count()
    parts = [f"{counts[name]} {label}" for name, label in SUMMARY if counts.get(name)]
    return f"{prefix}: " + (", ".join(parts) if parts else "nothing to do") + "."


def _shown(action: p.Action, verbose: int) -> bool:
    if action.name == p.REMOTE_ONLY:
        return verbose > 0
    if action.name == p.UNCHANGED:
        return verbose > 0 or bool(action.moved_from)
    return True


def show_plan(
    result: Result, site: Site, *, as_json: bool, verbose: int, quiet: bool
) -> None:
    ci.report_plan(result, site.settings, site.info.get("url", ""))
    if as_json:
        click.echo(json.dumps(plan_json(result, site), indent=2, sort_keys=True))
        return

    _warnings(result, quiet)
    if not quiet:
        for action in result.plan.actions:
            if _shown(action, verbose):
                click.echo(paint(action_line(action), action.name))
        for upload in result.uploads:
            click.echo(upload_line(upload))
    click.echo(summary_line(result.plan) + uploads_summary(result.uploads))


def upload_line(upload: Upload) -> str:
    """``^ upload  images  content/posts/img/a.png  12.3 KB``."""
    endpoint = upload.key.partition(":")[0]
    line = f"^ upload           {endpoint:<6} {upload.path}  {human_size(upload.size)}"
    return line + (f" → {upload.url}" if upload.url else "")


def uploads_summary(uploads: list[Upload], verb: str = "to upload") -> str:
    if not uploads:
        return ""
    total = human_size(sum(u.size for u in uploads))
    files = "file" if len(uploads) == 1 else "files"
    return f" {len(uploads)} {files} {verb} ({total})."


def _warnings(result: Result, quiet: bool = False) -> None:
    """Warnings (not with ``--quiet``), then the files that are invalid."""
    for warning in () if quiet else result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in result.scan.errors:
        click.echo(f"error: {error.message}", err=True)
        if error.hint:
            click.echo(f"  fix: {error.hint}", err=True)


def error_json(error: GhostsyncError) -> dict[str, Any]:
    """A run that stopped on an error, for ``--json`` readers."""
    return {
        "schema": JSON_SCHEMA,
        "error": {
            "kind": type(error).__name__,
            "message": error.message,
            "hint": error.hint or None,
            "exit_code": int(error.exit_code),
        },
    }


def plan_json(result: Result, site: Site) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA,
        "site": site.info.get("url", ""),
        "actions": [_action_json(a) for a in result.plan.actions],
        "summary": result.plan.count(),
        "warnings": result.warnings,
        "outcomes": [_outcome_json(o) for o in result.outcomes],
        "uploads": [_upload_json(u) for u in result.uploads],
    }


def _upload_json(upload: Upload) -> dict[str, Any]:
    endpoint, _, digest = upload.key.partition(":")
    return {
        "path": upload.path,
        "endpoint": endpoint,
        "size": upload.size,
        "sha256": digest.removeprefix("sha256:"),
        "url": upload.url or None,
    }


def _action_json(action: p.Action) -> dict[str, Any]:
    return {
        "action": action.name,
        "direction": direction(action) or None,
        "kind": action.kind,
        "path": action.path or None,
        "slug": action.slug,
        "id": action.remote_id or None,
        "changes": list(action.changes),
        "reason": action.reason,
        "moved_from": action.moved_from or None,
        "old_slug": action.old_slug or None,
        "prune": action.prune or None,
        "email": action.email or None,
        "note": action.note or None,
    }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        **_action_json(outcome.action),
        "status": outcome.status,
        "message": outcome.message,
        "url": outcome.url or None,
    }


def show_render_check(result: Any) -> None:
    """One file of ``push --check-render``: its differences, and the draft."""
    draft = f"temporary draft {result.draft_slug}"
    draft += " created and deleted" if result.deleted else " not created"
    if result.error:
        click.echo(f"error: {result.path}: {result.error} ({draft})", err=True)
        return
    count = len(result.differences)
    if not count:
        click.echo(f"render   {result.path}: same as the local rendering ({draft})")
        return
    noun = "line differs" if count == 1 else "lines differ"
    click.echo(f"render   {result.path}: {count} {noun} ({draft})")
    for line in result.differences:
        click.echo(f"    {line}")


def render_summary(results: list[Any]) -> None:
    differing = sum(1 for r in results if r.differences)
    left = [r.draft_slug for r in results if not r.deleted and r.error]
    text = f"Render check: {len(results)} checked, {differing} with differences"
    text += "; nothing was pushed"
    if any(r.deleted for r in results):
        text += ", every temporary draft was deleted" if not left else ""
    click.echo(text + ".")


class OutcomePrinter:
    """Prints one line as each write finishes; a progress bar on a terminal."""

    # Fewer writes than this finish too fast for a bar to help.
    BAR_FROM = 5

    def __init__(self, *, as_json: bool, quiet: bool, label: str = "pushing") -> None:
        self.as_json = as_json
        self.quiet = quiet
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def start(self, writes: int) -> None:
        quiet = self.as_json or ci.active() or writes < self.BAR_FROM
        if quiet or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(console=Console(stderr=True), transient=True)
        self._task = self._progress.add_task(self.label, total=writes)
        self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, outcome: Outcome) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)
        if self.as_json:
            return
        action = outcome.action
        line = f"{outcome.status:<8} {action.kind:<4} {action.path}: {outcome.message}"
        if outcome.url:
            line += f" → {outcome.url}"
        if outcome.status in ("failed", "conflict"):
            click.echo(line, err=True)
        elif not self.quiet:
            click.echo(line)


def show_push(
    result: Result,
    site: Site,
    *,
    as_json: bool,
    dry_run: bool,
    verbose: int,
    quiet: bool,
) -> None:
    if dry_run:
        show_plan(result, site, as_json=as_json, verbose=verbose, quiet=quiet)
        return
    ci.report_push(result, site.settings, site.info.get("url", ""))
    if as_json:
        click.echo(json.dumps(plan_json(result, site), indent=2, sort_keys=True))
        return

    _warnings(result, quiet)
    reported = {id(o.action) for o in result.outcomes}
    for action in result.plan.actions:
        if id(action) not in reported and _shown(action, verbose):
            click.echo(paint(action_line(action), action.name))
    if verbose:
        for upload in result.uploads:
            click.echo(upload_line(upload))
    click.echo(push_summary(result) + uploads_summary(result.uploads, "uploaded"))


def push_summary(result: Result) -> str:
    done = [o for o in result.outcomes if o.status == "done"]
    created = sum(1 for o in done if o.action.name == p.CREATE)
    updated = sum(1 for o in done if o.action.name == p.UPDATE)
    adopted = sum(1 for o in done if o.action.name == p.ADOPT)
    deleted = sum(1 for o in done if o.action.prune == "delete")
    drafted = sum(1 for o in done if o.action.prune == "draft")
    failed = sum(1 for o in result.outcomes if o.status == "failed")
    conflicts = sum(1 for o in result.outcomes if o.status == "conflict")
    counts = result.plan.count()
    parts = [
        f"{created} created",
        f"{updated} updated",
        f"{adopted} adopted",
        *([f"{deleted} deleted"] if deleted else []),
        *([f"{drafted} set to draft"] if drafted else []),
        f"{conflicts} conflicts",
        f"{failed} failed",
        f"{counts.get(p.INVALID, 0)} invalid",
        f"{counts.get(p.UNCHANGED, 0)} unchanged",
    ]
    return "Push: " + ", ".join(parts) + "."


def show_diff(diffs: list[Any], *, as_json: bool) -> None:
    """Print ``ghostsync diff``: per post, which side moved, fields, body."""
    if as_json:
        data = {"schema": JSON_SCHEMA, "posts": [_diff_json(d) for d in diffs]}
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return

    for post_diff in diffs:
        for line in diff_lines(post_diff):
            click.echo(line)
    if not diffs:
        click.echo("No differences.")


def diff_lines(post_diff: Any) -> list[str]:
    lines = [action_line(post_diff.action)]
    since = _since_text(post_diff.since)
    if since:
        lines.append(f"  since the last sync ({post_diff.since.synced_at}): {since}")
    for name, ghost, file in post_diff.fields:
        lines.append(f"  {name}:")
        lines.append(f"    Ghost: {json.dumps(ghost, ensure_ascii=False)}")
        lines.append(f"    file:  {json.dumps(file, ensure_ascii=False)}")
    if post_diff.note and post_diff.note != post_diff.action.reason:
        lines.append(f"  {post_diff.note}")
    if post_diff.body:
        lines.append("  body:")
        lines += [f"    {line}" for line in post_diff.body]
    if post_diff.action.local is not None and post_diff.same and not post_diff.note:
        lines.append("  no differences")
    return lines


def _since_text(since: Any) -> str:
    if since.file is None:
        return ""
    file = "file changed" if since.file else "file unchanged"
    if since.ghost is None:
        ghost = "Ghost unknown"
    elif not since.ghost:
        ghost = "Ghost unchanged"
    elif since.ghost_fields:
        ghost = "Ghost changed (fields)"
    else:
        ghost = "Ghost changed (body only)"
    return f"{file}, {ghost}"


def _diff_json(post_diff: Any) -> dict[str, Any]:
    since = post_diff.since
    return {
        **_action_json(post_diff.action),
        "since_last_sync": {
            "synced_updated_at": since.synced_at or None,
            "file_changed": since.file,
            "ghost_changed": since.ghost,
            "ghost_fields_changed": since.ghost_fields,
        },
        "fields": {
            name: {"ghost": ghost, "file": file}
            for name, ghost, file in post_diff.fields
        },
        "body_diff": "\n".join(post_diff.body),
        "note": post_diff.note,
    }


class WatchPrinter:
    """What ``watch`` shows: a line per push and per problem.

    On a terminal a status line (rich) sits under the lines and says what the
    watcher is doing; otherwise only plain lines are written, problems to
    standard error. Each line starts with the time.
    """

    def __init__(
        self, *, quiet: bool = False, verbose: int = 0, terminal: bool | None = None
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.terminal = sys.stdout.isatty() if terminal is None else terminal
        self.pushed = 0
        self._status: Any = None
        self._console: Any = None
        self._problems: dict[str, str] = {}
        self._offline = False
        self._last = "starting"

    def __enter__(self) -> WatchPrinter:
        if self.terminal:
            from rich.console import Console

            self._console = Console(highlight=False)
            self._status = self._console.status(self._last)
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, event: Event) -> None:
        self._track(event)
        for text, to_stderr in self._lines(event):
            self._print(text, to_stderr)
        if self._status is not None:
            self._status.update(self.status_text())

    def status_text(self) -> str:
        parts = ["Ghost unreachable, will retry" if self._offline else "watching"]
        parts.append(f"{self.pushed} pushed")
        if self._problems:
            count = len(self._problems)
            parts.append(f"{count} problem{'s' if count > 1 else ''}")
        parts.append(self._last)
        return " · ".join(parts)

    def _track(self, event: Event) -> None:
        from ghostsync import watch as w

        stamp = time.strftime("%H:%M:%S")
        if event.kind == w.PUSHED:
            self.pushed += 1
            self._problems.pop(event.path, None)
            self._last = f"{event.message} {event.path} at {stamp}"
        elif event.kind in (w.PULLED, w.UNCHANGED, w.MOVED, w.DELETED):
            self._problems.pop(event.path, None)
            self._last = f"{event.kind} {event.path} at {stamp}"
        elif event.problem and event.kind != w.OFFLINE:
            self._problems[event.path] = event.message
        self._offline = event.kind == w.OFFLINE or (
            self._offline and event.kind != w.ONLINE
        )

    def _lines(self, event: Event) -> list[tuple[str, bool]]:
        from ghostsync import watch as w

        if event.problem:
            lines = [(f"{_problem_label(event)}: {_located(event)}", True)]
            if event.hint:
                lines.append((f"  fix: {event.hint}", True))
            return lines
        if self.quiet and event.kind != w.PUSHED:
            return []
        text = {
            w.READY: f"watching {event.message} (Ctrl-C stops)",
            w.PUSHED: f"{event.message} {event.post_kind} {event.path}"
            + (f" → {event.url}" if event.url else ""),
            w.PULLED: f"pulled {event.post_kind} {event.path}: {event.message}",
            w.MOVED: f"moved {event.path} ({event.message})",
            w.DELETED: f"deleted {event.path}: {event.message}",
            w.WARNING: f"warning: {event.message}",
            w.NOTICE: f"note: {_located(event)}",
            w.ONLINE: f"{event.message}; pushing what waited",
            w.RELOADED: f"{event.path}: {event.message}",
            w.STOPPED: "stopped; the state is saved",
        }.get(event.kind)
        if event.kind == w.UNCHANGED and self.verbose:
            text = f"unchanged {event.path}: {event.message}"
        if text is None:
            return []
        return [(text, event.kind == w.WARNING)]

    def _print(self, text: str, to_stderr: bool) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}" if text[:1] != " " else text
        if self._console is not None:
            style = "red" if to_stderr and "warning" not in text else None
            self._console.print(line, markup=False, style=style, soft_wrap=True)
        else:
            click.echo(line, err=to_stderr)


def _problem_label(event: Event) -> str:
    return "conflict" if event.kind == "conflict" else "error"


def _located(event: Event) -> str:
    """The message, preceded by its path unless it names it already."""
    if not event.path or event.path in event.message:
        return event.message
    return f"{event.path}: {event.message}"
