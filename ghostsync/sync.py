"""Sync: both ways in one run, from one three-way plan.

What changed only in the files is pushed (creates, updates, adoptions), what
changed only in Ghost is pulled into the files, and a post changed on both
sides is a conflict: the file and Ghost stay as they are, Ghost's version is
saved under ``.ghostsync/conflicts/`` and the run goes on with the other posts
(exit 3). ``prefer="local"`` settles conflicts the way ``push --force`` does
(Ghost's version backed up, then overwritten); ``prefer="remote"`` the way
``pull --force`` does (the file backed up, then rewritten).

Like plain ``pull``, sync writes files only for tracked posts: posts only in
Ghost are reported (``pull --all`` imports them), and deletions on either side
are reported only (``push --prune``, ``pull --prune``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ghostsync import planner as p
from ghostsync.apply import Outcome
from ghostsync.errors import GhostsyncError
from ghostsync.pull import FORMATS, Puller, has_body
from ghostsync.pullrefs import Localizer
from ghostsync.run import Result, Site, _edited_but_deleted, expire_backups, make_plan

PREFER = ("local", "remote")
# The actions the pull side carries out; the push side takes the others.
PULL_SIDE = {p.REMOTE_CHANGED, p.CONFLICT}


@dataclass
class SyncResult(Result):
    """A sync's plan and outcomes; conflicts count only when left open."""

    def open_conflicts(self) -> bool:
        met = any(o.status == "conflict" for o in self.outcomes)
        return met or any(_edited_but_deleted(a) for a in self.plan.actions)


def sync(
    site: Site,
    *,
    prefer: str = "",
    dry_run: bool = False,
    images: bool = True,
    report: Callable[[Outcome], None] = lambda outcome: None,
    start: Callable[[int], None] = lambda writes: None,
) -> SyncResult:
    """Plan once, then push the local side and pull the remote side.

    ``images`` downloads the site's images of the posts pulled beside them,
    as ``pull`` does.
    """
    if prefer and prefer not in PREFER:
        raise ValueError(f"prefer must be one of {PREFER}, not {prefer!r}")
    planned = make_plan(site, force=prefer == "local", formats=FORMATS)
    result = SyncResult(
        planned.plan,
        planned.scan,
        warnings=planned.warnings,
        uploads=planned.uploads,
        post_urls=planned.post_urls,
        missing=planned.missing,
    )
    if dry_run:
        return result

    pushing = [a for a in result.plan.actions if a.name not in PULL_SIDE]
    pulling = [a for a in result.plan.actions if a.name in PULL_SIDE]
    localizer = Localizer(site, planned.post_urls, download=images)
    puller = Puller(
        site,
        force=prefer == "remote",
        report=report,
        localizer=localizer,
        in_sync=True,
    )
    readable = [a for a in pulling if puller.writes(a) and has_body(a)]
    localizer.survey([puller.pulled(a) for a in readable])
    start(sum(1 for a in pushing if a.writes) + sum(puller.writes(a) for a in pulling))
    executor = site.executor(result.post_urls, report)
    try:
        result.outcomes = executor.run(pushing) + puller.run(pulling)
    except GhostsyncError:
        site.state.fold()
        raise
    finally:
        expire_backups(site.settings, executor.backups)
        expire_backups(site.settings, puller.executor.backups)
    return result
