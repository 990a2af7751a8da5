"""The command-line interface: a thin layer over the library API in ``run``.

Every error a user can see is rendered by :func:`render_error`, the one place
that turns the exception tree into text and an exit code.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ghostsync import __version__, ci
from ghostsync.errors import ExitCode, GhostsyncError, InvalidFileError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    """Options shared by every command."""

    project: Path | None
    site: str
    env_file: Path | None
    verbose: int
    quiet: bool
    strict: bool = False

    def settings(self, offline: bool = False) -> Any:
        from ghostsync.config import (
            check_key_file,
            find_root,
            load_settings,
            offline_settings,
            read_env_file,
        )

        environ = dict(os.environ)
        if self.env_file is not None:
            environ = {**read_env_file(self.env_file), **environ}
        root = find_root(self.project or Path.cwd())
        if offline:
            settings = offline_settings(root, environ, site=self.site)
            ci.mask_key(settings)
            return replace(settings, strict=self.strict)
        settings = load_settings(root, site=self.site, environ=environ)
        ci.mask_key(settings)  # before anything is printed
        warning = check_key_file(settings)
        if warning:
            click.echo(f"warning: {warning}", err=True)
        return replace(settings, strict=self.strict)


def render_error(error: BaseException) -> int:
    """Print an error the way a user should see it; return the exit code."""
    ci.annotate_error(error, _project_root())
    if isinstance(error, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return ExitCode.INTERRUPTED
    if not isinstance(error, GhostsyncError):
        click.echo(f"error: unexpected {type(error).__name__}: {error}", err=True)
        click.echo("  run again with -v for details", err=True)
        logging.getLogger("ghostsync").debug("traceback", exc_info=error)
        return ExitCode.ERROR

    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"  fix: {error.hint}", err=True)
    if _wants_json():
        from ghostsync.output import error_json

        dump_json(error_json(error))
    return int(error.exit_code)


def _wants_json() -> bool:
    """Whether the running command was asked for ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.params.get("as_json"))


def _project_root() -> Path | None:
    """The project folder, for annotations on a file; None when unknown."""
    context = click.get_current_context(silent=True)
    obj = context.find_object(Context) if context else None
    if obj is None:
        return None
    from ghostsync.config import find_root

    try:
        return find_root(obj.project or Path.cwd())
    except GhostsyncError:
        return None


def handle_errors(command: F) -> F:
    """Run a command; render any error in one place and exit with its code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
        except (GhostsyncError, KeyboardInterrupt) as error:
            sys.exit(render_error(error))
        except Exception as error:  # noqa: BLE001 - the last line of defence
            sys.exit(render_error(error))
        sys.exit(int(code or 0))

    return wrapper  # type: ignore[return-value]


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when they are run.

    ``ghostsync --version`` and the other commands then never import the
    local Ghost helper (and ``requests``) or the planner just to start.
    """

    lazy = {
        "local": ("ghostsync.localghost", "local"),
        "pull": ("ghostsync.cli_pull", "pull"),
        "sync": ("ghostsync.cli_pull", "sync"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute))
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="ghostsync")
@click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder (default: the nearest folder with ghostsync.toml).",
)
@click.option("--site", default="", help="A named site of [sites.NAME].")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read GHOST_URL and the key variable from this file (outside git).",
)
@click.option("-v", "--verbose", count=True, help="Debug logs (keys redacted).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the summary.")
@click.option(
    "--ci/--no-ci",
    "ci_mode",
    default=None,
    help="GitHub Actions mode: masks, annotations, step summary, no progress bar"
    " (default: on when GITHUB_ACTIONS=true).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Front-matter keys ghostsync does not know are errors, not warnings.",
)
@click.pass_context
def main(
    ctx: click.Context,
    project: Path | None,
    site: str,
    env_file: Path | None,
    verbose: int,
    quiet: bool,
    ci_mode: bool | None,
    strict: bool,
) -> None:
    """Keep Markdown files and a Ghost site's posts and pages in step."""
    ctx.obj = Context(project, site, env_file, verbose, quiet, strict)
    ci.configure(ci_mode)
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger = logging.getLogger("ghostsync")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


@main.command()
@click.pass_obj
@handle_errors
def validate(obj: Context) -> int:
    """Check every file offline: no key, no request."""
    from ghostsync.run import validate as run_validate

    settings = obj.settings(offline=True)
    result = run_validate(settings)
    for post in result.posts:
        for warning in () if obj.quiet else (*post.warnings, *post.fidelity):
            click.echo(f"warning: {warning}", err=True)
    for error in result.errors:
        _echo_invalid(error)

    click.echo(f"{len(result.posts)} valid, {len(result.errors)} invalid")
    ci.report_validate(settings, result)
    return ExitCode.ERROR if result.errors else ExitCode.OK


def _echo_invalid(error: InvalidFileError) -> None:
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"  fix: {error.hint}", err=True)


def _plan_options(command: F) -> F:
    command = click.option(
        "--json", "as_json", is_flag=True, help="Machine-readable output."
    )(command)
    command = click.option(
        "--adopt",
        is_flag=True,
        help="Take over differing posts of the same slug (backed up first).",
    )(command)
    command = click.option(
        "--send-email",
        is_flag=True,
        help="Email posts that set newsletter: when a draft is published.",
    )(command)
    return command


def _deletion_options(command: F) -> F:
    options = [
        click.option(
            "--prune",
            is_flag=True,
            help='Delete (or, with [push] prune = "draft", unpublish) the posts'
            " of removed files, backed up first.",
        ),
        click.option(
            "--max-delete",
            type=click.IntRange(min=0),
            default=None,
            help="At most this many deletions (default: [push] max_delete).",
        ),
        click.option(
            "--yes",
            is_flag=True,
            help="Allow more than --max-delete, or more than half of a kind.",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Allow deletions when a content folder is missing or every"
            " tracked file of a kind is gone.",
        ),
        click.option(
            "--recreate",
            is_flag=True,
            help="Create again the posts deleted in Ghost whose file was edited"
            " (every one among the PATHs named).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _deletions(**flags: Any) -> Any:
    from ghostsync.run import Deletions

    return Deletions(**flags)


@main.command()
@_plan_options
@_deletion_options
@click.option(
    "--exit-code", is_flag=True, help="Exit 4 when there are changes to apply."
)
@click.option(
    "--verify-images",
    is_flag=True,
    help="Check that uploaded files still answer on the site.",
)
@click.pass_obj
@handle_errors
def plan(
    obj: Context,
    as_json: bool,
    adopt: bool,
    send_email: bool,
    exit_code: bool,
    verify_images: bool,
    **deletion_flags: Any,
) -> int:
    """Show what push would change, without changing anything."""
    from ghostsync import output
    from ghostsync.run import connect, make_plan

    settings = obj.settings()
    with connect(settings) as site:
        result = make_plan(
            site,
            adopt=adopt,
            verify_images=verify_images,
            send_email=send_email,
            deletions=_deletions(**deletion_flags),
        )
        output.show_plan(
            result, site, as_json=as_json, verbose=obj.verbose, quiet=obj.quiet
        )
    return result.exit_code(pending_is_error=exit_code)


@main.command()
@_plan_options
@_deletion_options
@click.option(
    "--force", is_flag=True, help="Overwrite edits made in Ghost (backed up)."
)
@click.option("--dry-run", is_flag=True, help="Plan only; write nothing.")
@click.option(
    "--check-render",
    is_flag=True,
    help="Push nothing: render each file in a temporary draft (deleted after)"
    " and list where Ghost's rendering differs from the local one.",
)
@click.option(
    "--verify-images",
    is_flag=True,
    help="Check that uploaded files still answer on the site; upload missing ones.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Writes in flight at once.",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@handle_errors
def push(
    obj: Context,
    as_json: bool,
    adopt: bool,
    send_email: bool,
    force: bool,
    dry_run: bool,
    check_render: bool,
    verify_images: bool,
    jobs: int,
    paths: tuple[Path, ...],
    **deletion_flags: Any,
) -> int:
    """Create and update posts in Ghost from the files that changed."""
    from ghostsync import output
    from ghostsync.run import connect
    from ghostsync.run import push as run_push

    settings = obj.settings()
    selected = _relative_paths(settings.root, paths) if paths else None
    if check_render:
        return _check_render(obj, settings, selected)
    with connect(settings) as site:
        printer = output.OutcomePrinter(as_json=as_json, quiet=obj.quiet)
        try:
            result = run_push(
                site,
                paths=selected,
                adopt=adopt,
                force=force,
                deletions=_deletions(**deletion_flags),
                send_email=send_email,
                dry_run=dry_run,
                verify_images=verify_images,
                jobs=jobs,
                report=printer,
                start=printer.start,
            )
        finally:
            printer.stop()
        output.show_push(
            result,
            site,
            as_json=as_json,
            dry_run=dry_run,
            verbose=obj.verbose,
            quiet=obj.quiet,
        )
    return result.exit_code()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@handle_errors
def diff(obj: Context, as_json: bool, paths: tuple[Path, ...]) -> int:
    """Show, per field and for the body, how files and Ghost differ.

    Without PATHs: every post push would write or that changed in Ghost.
    Lines marked - are Ghost's, + the file's (what push would send).
    """
    from ghostsync import output
    from ghostsync.diff import diff as run_diff
    from ghostsync.run import connect

    settings = obj.settings()
    selected = _relative_paths(settings.root, paths) if paths else None
    with connect(settings) as site:
        result, diffs = run_diff(site, selected)
    output.show_diff(diffs, as_json=as_json)
    return result.exit_code()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
@handle_errors
def resolve(obj: Context, paths: tuple[Path, ...]) -> int:
    """Take hand-merged files as the new base after a conflict.

    Ghost's version at the conflict (in .ghostsync/conflicts/) becomes the
    last-synced one, so the next push sends the file over it.
    """
    from ghostsync.resolve import resolve as run_resolve
    from ghostsync.run import connect

    settings = obj.settings()
    with connect(settings) as site:
        for rel in sorted(_relative_paths(settings.root, paths)):
            done = run_resolve(site, rel)
            click.echo(
                f"resolved {rel}: Ghost's version of {done.updated_at} is the base;"
                " 'ghostsync push' sends the file"
            )
            if done.unchanged:
                click.echo(
                    f"warning: {rel} is as it was when the conflict was found; push"
                    " replaces Ghost's edit with it",
                    err=True,
                )
    return ExitCode.OK


@main.command()
@click.argument("backup", required=False)
@click.argument("entries", nargs=-1)
@click.option(
    "--force",
    is_flag=True,
    help="Replace a post or file that exists with other content (backed up first).",
)
@click.pass_obj
@handle_errors
def restore(
    obj: Context, backup: str | None, entries: tuple[str, ...], force: bool
) -> int:
    """List the backups, or restore one (all of it, or the ENTRIES named).

    An ENTRY is a slug, a file path, a Ghost id or a file of the backup. A
    deleted post is created again; an existing one is replaced only with --force.
    """
    from ghostsync.backups import list_backups
    from ghostsync.restore import find_backup
    from ghostsync.restore import restore as run_restore
    from ghostsync.run import connect

    if backup is None:
        settings = obj.settings(offline=True)
        _list_backups(list_backups(settings.root))
        return ExitCode.OK

    settings = obj.settings()
    with connect(settings) as site:
        done = run_restore(
            site, find_backup(site, backup), entries, force=force, report=_restored
        )
    refused = any(r.status == "refused" for r in done)
    return ExitCode.ERROR if refused else ExitCode.OK


def _list_backups(backups: list[Any]) -> None:
    if not backups:
        click.echo("no backups in .ghostsync/backups/")
        return
    for backup in backups:
        click.echo(f"{backup.name}  ({len(backup.entries)} entries)")
        for entry in backup.entries:
            what = entry.kind if entry.what == "post" else "file"
            where = entry.path or "-"
            reason = f"  ({entry.reason})" if entry.reason else ""
            click.echo(f"  {what:<4} {entry.slug or '-'}  {where}{reason}")


def _restored(restored: Any) -> None:
    entry = restored.entry
    line = f"{restored.status:<9} {entry.slug or entry.path}: {restored.message}"
    if restored.url:
        line += f" → {restored.url}"
    click.echo(line, err=restored.status == "refused")


@main.command()
@click.option(
    "--debounce",
    type=click.IntRange(0, 60_000),
    metavar="MS",
    help="Quiet time after a save before pushing, in milliseconds"
    " (default: [watch] debounce_ms, else 300).",
)
@click.option(
    "--pull-every",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Also run a sync this often: Ghost's changes come into the files"
    " (a post changed on both sides stays a conflict).",
)
@click.pass_obj
@handle_errors
def watch(obj: Context, debounce: int | None, pull_every: int | None) -> int:
    """Push each post a moment after its file is saved, until Ctrl-C."""
    from ghostsync.output import WatchPrinter
    from ghostsync.watch import Watcher, run_in_foreground

    settings = obj.settings()
    with WatchPrinter(quiet=obj.quiet, verbose=obj.verbose) as printer:
        watcher = Watcher(
            settings,
            reload=obj.settings,
            debounce=None if debounce is None else debounce / 1000,
            emit=printer,
            pull_every=pull_every,
        )
        run_in_foreground(watcher)
    return ExitCode.OK


def _check_render(obj: Context, settings: Any, selected: set[str] | None) -> int:
    from ghostsync import output
    from ghostsync.run import check_render, connect

    with connect(settings) as site:
        results = check_render(site, selected, report=output.show_render_check)
    output.render_summary(results)
    return ExitCode.ERROR if any(r.error for r in results) else ExitCode.OK


def _relative_paths(root: Path, paths: tuple[Path, ...]) -> set[str]:
    selected = set()
    for path in paths:
        absolute = path.resolve()  # a removed file may be named, for --prune
        try:
            selected.add(absolute.relative_to(root).as_posix())
        except ValueError:
            raise GhostsyncError(
                f"{path} is outside the project {root}",
                hint="name files inside the project folder",
            ) from None
    return selected


@main.command()
@click.option("--url", default="", help="The admin URL of your Ghost site.")
@click.option("--force", is_flag=True, help="Overwrite an existing ghostsync.toml.")
@click.pass_obj
@handle_errors
def init(obj: Context, url: str, force: bool) -> int:
    """Write a commented ghostsync.toml, the content folders and .gitignore lines."""
    from ghostsync.project import check_site, init_project

    root = (obj.project or Path.cwd()).resolve()
    for line in init_project(root, url=url, force=force):
        click.echo(line)
    if url:
        click.echo(check_site(root))
    return ExitCode.OK


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))
