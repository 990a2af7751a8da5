"""``ghostsync pull`` (Ghost's side into the files; ``--all`` imports a site) and
``ghostsync sync`` (both ways at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ghostsync import planner as p
from ghostsync.cli import Context, dump_json, handle_errors
from ghostsync.output import action_line
from ghostsync.refs import human_size

if TYPE_CHECKING:
    from ghostsync.pull import PullResult
    from ghostsync.pullrefs import Download
    from ghostsync.run import Result

# What sync reports without doing anything about it.
REPORTED = {p.REFUSE, p.INVALID, p.DELETED_LOCAL, p.DELETED_REMOTE}


@click.command()
@click.option(
    "--all",
    "all_posts",
    is_flag=True,
    help="Also write posts and pages no file stands for (import a site).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Take Ghost's version of posts changed on both sides (files backed up).",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Remove the files of posts deleted in Ghost (backed up first).",
)
@click.option(
    "--max-delete",
    type=click.IntRange(min=0),
    default=None,
    help="At most this many removals (default: [push] max_delete).",
)
@click.option(
    "--yes", is_flag=True, help="Allow more than --max-delete, or half a kind."
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Allow removals when every tracked post of a kind is gone from Ghost.",
)
@click.option("--dry-run", is_flag=True, help="Plan only; write nothing.")
@click.option(
    "--no-images",
    is_flag=True,
    help="Leave the site's images as URLs instead of downloading them.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def pull(
    obj: Context,
    all_posts: bool,
    force: bool,
    prune: bool,
    max_delete: int | None,
    yes: bool,
    allow_empty: bool,
    dry_run: bool,
    no_images: bool,
    as_json: bool,
) -> int:
    """Write the files of posts that changed in Ghost since the last sync."""
    from ghostsync import output
    from ghostsync.pull import pull as run_pull
    from ghostsync.run import Deletions, connect

    settings = obj.settings()
    with connect(settings) as site:
        printer = output.OutcomePrinter(
            as_json=as_json, quiet=obj.quiet, label="pulling"
        )
        try:
            result = run_pull(
                site,
                all_posts=all_posts,
                force=force,
                deletions=Deletions(
                    prune_files=prune,
                    max_delete=max_delete,
                    yes=yes,
                    allow_empty=allow_empty,
                ),
                dry_run=dry_run,
                images=not no_images,
                report=printer,
                start=printer.start,
                announce=lambda downloads: _announce(downloads, as_json),
            )
        finally:
            printer.stop()
        if as_json:
            dump_json(_with_downloads(output.plan_json(result, site), result))
        elif dry_run:
            output.show_plan(
                result, site, as_json=False, verbose=obj.verbose, quiet=obj.quiet
            )
            _announce(result.downloads, False, "would download")
        else:
            show_pull(result, all_posts=all_posts)
    return int(result.exit_code())


def _announce(downloads: list[Download], as_json: bool, verb: str = "") -> None:
    """The images about to be downloaded, and their total size, first."""
    if not downloads or as_json:
        return
    total = human_size(sum(d.size for d in downloads))
    files = "image" if len(downloads) == 1 else "images"
    verb = verb or "downloading"
    click.echo(f"{verb} {len(downloads)} {files} ({total}) beside their posts")


def _with_downloads(data: dict[str, Any], result: PullResult) -> dict[str, Any]:
    data["downloads"] = [{"url": d.url, "size": d.size} for d in result.downloads]
    return data


def _problems(result: Result) -> None:
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in result.scan.errors:
        click.echo(f"error: {error.message}", err=True)
        if error.hint:
            click.echo(f"  fix: {error.hint}", err=True)


def show_pull(result: PullResult, *, all_posts: bool) -> None:
    """Warnings, what pull left for push, and the summary."""
    _problems(result)

    counts = result.plan.count()
    local = counts.get(p.UPDATE, 0) + counts.get(p.CREATE, 0)
    if local:
        click.echo(f"{local} files changed here; 'ghostsync push' sends them")
    for action in result.plan.actions:
        if action.guarded:
            click.echo(action_line(action), err=True)
    gone = [a for a in result.plan.actions if a.name == p.DELETED_REMOTE]
    kept = sum(1 for a in gone if not a.prune and not a.guarded)
    if kept:
        click.echo(
            f"{kept} files of posts deleted in Ghost; 'ghostsync pull --prune'"
            " removes them (backed up first)"
        )
    only = counts.get(p.REMOTE_ONLY, 0)
    if only and not all_posts:
        click.echo(f"{only} posts only in Ghost; 'ghostsync pull --all' writes them")
    click.echo(pull_summary(result))


def pull_summary(result: PullResult) -> str:
    done = [o for o in result.outcomes if o.status == "done"]
    by_name = {
        name: sum(1 for o in done if o.action.name in names)
        for name, names in (
            ("pulled", {p.REMOTE_CHANGED, p.CONFLICT}),
            ("imported", {p.REMOTE_ONLY}),
            ("adopted", {p.ADOPT, p.REFUSE}),
            ("removed", {p.DELETED_REMOTE}),
        )
    }
    conflicts = sum(1 for o in result.outcomes if o.status == "conflict")
    failed = sum(1 for o in result.outcomes if o.status == "failed")
    unchanged = result.plan.count().get(p.UNCHANGED, 0)
    parts = [f"{count} {name}" for name, count in by_name.items()]
    parts += [f"{conflicts} conflicts", f"{failed} failed", f"{unchanged} unchanged"]
    return "Pull: " + ", ".join(parts) + "."


@click.command()
@click.option(
    "--prefer",
    type=click.Choice(["local", "remote"]),
    default=None,
    help="Settle posts changed on both sides: keep the file (local) or Ghost's"
    " version (remote); what is overwritten is backed up.",
)
@click.option(
    "--no-images",
    is_flag=True,
    help="Do not download the site's images of pulled posts beside them.",
)
@click.option("--dry-run", is_flag=True, help="Plan only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@handle_errors
def sync(
    obj: Context, prefer: str | None, no_images: bool, dry_run: bool, as_json: bool
) -> int:
    """Push what changed in the files and pull what changed in Ghost."""
    from ghostsync import output
    from ghostsync.run import connect
    from ghostsync.sync import sync as run_sync

    settings = obj.settings()
    with connect(settings) as site:
        printer = output.OutcomePrinter(
            as_json=as_json, quiet=obj.quiet, label="syncing"
        )
        try:
            result = run_sync(
                site,
                prefer=prefer or "",
                dry_run=dry_run,
                images=not no_images,
                report=printer,
                start=printer.start,
            )
        finally:
            printer.stop()
        if as_json:
            dump_json(output.plan_json(result, site))
        elif dry_run:
            output.show_plan(
                result, site, as_json=False, verbose=obj.verbose, quiet=obj.quiet
            )
        else:
            show_sync(result)
    return int(result.exit_code())


def show_sync(result: Result) -> None:
    """Warnings, what sync reports without doing, and the summary."""
    _problems(result)
    reported = {id(o.action) for o in result.outcomes}
    for action in result.plan.actions:
        if id(action) not in reported and action.name in REPORTED:
            click.echo(action_line(action))
    only = result.plan.count().get(p.REMOTE_ONLY, 0)
    if only:
        click.echo(f"{only} posts only in Ghost; 'ghostsync pull --all' writes them")
    click.echo(sync_summary(result))


def sync_summary(result: Result) -> str:
    done = [o for o in result.outcomes if o.status == "done"]
    pushed = sum(1 for o in done if o.action.name in p.WRITES)
    pulled = sum(1 for o in done if o.action.name in (p.REMOTE_CHANGED, p.CONFLICT))
    conflicts = sum(1 for o in result.outcomes if o.status == "conflict")
    failed = sum(1 for o in result.outcomes if o.status == "failed")
    unchanged = result.plan.count().get(p.UNCHANGED, 0)
    parts = [
        f"{pushed} pushed",
        f"{pulled} pulled",
        f"{conflicts} conflicts",
        f"{failed} failed",
        f"{unchanged} unchanged",
    ]
    return "Sync: " + ", ".join(parts) + "."
