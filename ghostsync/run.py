"""The library API: read both sides, plan, and apply.

The CLI is a thin layer over these functions; another program can call them
the same way::

    settings = load_settings(Path("."))
    with connect(settings) as site:
        result = push(site, dry_run=True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghostsync import body as body_module
from ghostsync import canonical, source
from ghostsync import fields as fields_module
from ghostsync import planner as p
from ghostsync import refs as localrefs
from ghostsync.apply import Executor, Outcome
from ghostsync.backups import BackupSet, expire
from ghostsync.cache import Entry, HashCache, file_token, fingerprint, stat_key
from ghostsync.canonical import NO_SITE, SiteURL, digest, local_canonical
from ghostsync.config import Settings
from ghostsync.errors import (
    ConfigError,
    ExitCode,
    GhostsyncError,
    InvalidFileError,
    SiteError,
    most_severe,
)
from ghostsync.remote import References, fetch_bodies, fetch_index
from ghostsync.source import LocalPost, LocalScan, scan
from ghostsync.state import State, Upload
from ghostsync.uploads import Uploader, absolute, known_urls


@dataclass
class Site:
    """A connected site: its client, what ``/site/`` says, and its state."""

    settings: Settings
    client: Any
    info: dict[str, Any]
    url: SiteURL
    tz: dt.tzinfo
    state: State
    # Staff users and tiers, read at most once a run, only if a write needs them.
    refs: References | None = None

    def references(self) -> References:
        if self.refs is None:
            self.refs = References(self.client)
        return self.refs

    def executor(
        self,
        post_urls: dict[str, str],
        report: Callable[[Outcome], None],
        jobs: int = 1,
    ) -> Executor:
        """The executor of a run's writes, with its uploader."""
        uploader = Uploader(
            self.client, self.state, self.settings.root, self.url, dict(post_urls)
        )
        return Executor(
            self.client,
            self.state,
            self.settings.root,
            self.url,
            report=report,
            refs=self.references(),
            uploader=uploader,
            jobs=jobs,
        )


@dataclass
class Result:
    """A plan and, after a push, what happened to each of its actions."""

    plan: p.Plan
    scan: LocalScan
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Files a push would upload (or did), each once; a plan makes none
    # (``url`` is empty until it is uploaded).
    uploads: list[Upload] = field(default_factory=list)
    # Ghost's URL of each synced file's post, by path: what links become.
    post_urls: dict[str, str] = field(default_factory=dict)
    # Cache keys of uploads whose URL is gone (``--verify-images``).
    missing: set[str] = field(default_factory=set)

    def exit_code(self, pending_is_error: bool = False) -> ExitCode:
        codes = []
        refused = {p.INVALID, p.REFUSE}
        if self.scan.errors or any(a.name in refused for a in self.plan.actions):
            codes.append(ExitCode.ERROR)
        if any(o.status == "failed" for o in self.outcomes):
            codes.append(ExitCode.ERROR)
        if self.open_conflicts():
            codes.append(ExitCode.CONFLICT)
        if pending_is_error and self.plan.pending_changes:
            codes.append(ExitCode.PENDING)
        return most_severe(codes)

    def open_conflicts(self) -> bool:
        """Whether a conflict is left for the user: planned, met, or a deletion."""
        planned = any(a.name == p.CONFLICT for a in self.plan.actions)
        met = any(o.status == "conflict" for o in self.outcomes)
        return planned or met or any(_edited_but_deleted(a) for a in self.plan.actions)


def _edited_but_deleted(action: p.Action) -> bool:
    """A post deleted in Ghost whose file was edited: a conflict of sorts."""
    if action.name != p.DELETED_REMOTE or action.record is None:
        return False
    return action.local is not None and action.local.hash != action.record.local_hash


@contextmanager
def connect(settings: Settings, client: Any = None) -> Iterator[Site]:
    """Open the site: ``GET /site/``, its time zone, its state (folded on exit)."""
    if client is None:
        from ghostsync.ghost.client import GhostClient

        client = GhostClient(settings.url, settings.key())
    info = client.site()
    check_version(settings.url, info)
    uuid = info.get("site_uuid")
    if not uuid:
        raise SiteError(
            f"{settings.url} answered /site/ without a site_uuid",
            hint="is this the admin URL of a Ghost 5 or 6 site?",
        )

    state = State.open(settings.root, uuid, settings.site_name)
    site = Site(
        settings, client, info, SiteURL(info.get("url", "")), _tz(settings, info), state
    )
    try:
        yield site
    finally:
        state.fold()


# Ghost majors ghostsync works with: the Lexical editor and the Admin API as
# ghostsync uses them (tested on 6.65).
SUPPORTED_MAJORS = (5, 6)


def check_version(url: str, info: dict[str, Any]) -> None:
    """A clear error for a Ghost ghostsync does not support (from ``/site/``)."""
    version = str(info.get("version") or "")
    major = version.split(".")[0]
    if not major.isdigit() or int(major) in SUPPORTED_MAJORS:
        return
    supported = " and ".join(f"{m}.x" for m in SUPPORTED_MAJORS)
    raise SiteError(
        f"{url} runs Ghost {version}; ghostsync supports Ghost {supported}",
        hint="update Ghost"
        if int(major) < SUPPORTED_MAJORS[0]
        else "update ghostsync, or check its releases for this Ghost version",
    )


def _tz(settings: Settings, info: dict[str, Any]) -> dt.tzinfo:
    name = settings.timezone or info.get("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


class _Unread(dict[str, Any]):
    """The canonical payload of a file the hash cache spared from reading.

    Empty, and any lookup is a programming error: a plan that compares or
    sends a post must have read its file (:func:`read_in_full`).
    """

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError(f"the file was not read (cached); no {key!r}")

    def get(self, key: str, default: Any = None) -> Any:
        raise RuntimeError(f"the file was not read (cached); no {key!r}")


UNREAD = _Unread()


def read_local(
    settings: Settings,
    site_url: SiteURL,
    tz: dt.tzinfo,
    cache: HashCache | None = None,
    state: State | None = None,
) -> tuple[list[p.LocalItem], LocalScan]:
    """Every valid file as a planner item, and the scan with its errors.

    With a ``cache`` (and the ``state``), a file is not read when it is
    unchanged since the cache saw it, so are the files it refers to and the
    posts it links to, and the state holds its hash under its path: its item
    carries only the path, kind, slug and hash (``scan.cached`` names it), and
    :func:`read_in_full` reads it when the plan needs more.
    """
    result = scan(settings, tz, cache=cache)
    if cache is not None:
        _reread(settings, tz, result, _stale(settings, result, cache, state))

    posts = {post.path: post for post in result.posts}
    bounds = localrefs.limits(settings, result)
    items, kept = [], []
    for post in result.posts:
        entry = result.cached.get(post.path)
        try:
            item = (
                p.LocalItem(post, UNREAD, entry.hash)
                if entry is not None
                else _full_item(settings, site_url, post, bounds, posts)
            )
        except InvalidFileError as error:
            result.errors.append(error)
            continue
        kept.append(post)
        items.append(item)
    result.posts = kept

    if cache is not None:
        _remember(settings, cache, result, items)
    return items, result


def _full_item(
    settings: Settings,
    site_url: SiteURL,
    post: LocalPost,
    bounds: localrefs.Limits,
    posts: dict[str, LocalPost],
) -> p.LocalItem:
    """The item of a file read in full: references checked, hash computed."""
    post_refs = localrefs.post_refs(post, settings.root, bounds)
    canonical = local_canonical(
        post.kind, post.fields, post.body, post.body_format, site_url
    )
    if post_refs:
        canonical["refs"] = localrefs.canonical_refs(post_refs, posts)
    return p.LocalItem(post, canonical, digest(canonical), refs=post_refs)


def _stale(
    settings: Settings, result: LocalScan, cache: HashCache, state: State | None
) -> set[str]:
    """Cached files that must be read after all.

    One the state does not hold with that hash under that path (it may be
    adopted, moved or matched by ``id:``), or whose referenced files or linked
    posts changed.
    """
    by_path = state.by_path() if state is not None else {}
    posts = {post.path: post for post in result.posts}
    stale = set()
    for rel, entry in result.cached.items():
        record = by_path.get(rel)
        tracked = record is not None and (record.kind, record.local_hash) == (
            entry.kind,
            entry.hash,
        )
        deps_hold = all(
            _holds(settings, cache, posts, path, token) for path, token in entry.deps
        )
        if not tracked or entry.explicit_id or not deps_hold:
            stale.add(rel)
    return stale


def _holds(
    settings: Settings,
    cache: HashCache,
    posts: dict[str, LocalPost],
    path: str,
    token: str,
) -> bool:
    if token.startswith("post:"):
        target = posts.get(path)
        return target is not None and _link_token(target) == token
    if not token or token != file_token(settings.root / path):
        return False
    return int(token.split(":")[1]) < cache.trusted_before


def _link_token(post: LocalPost) -> str:
    return f"post:{post.kind}:{post.slug}:{post.fields.get('status')}"


def _reread(
    settings: Settings, tz: dt.tzinfo, result: LocalScan, paths: set[str]
) -> list[LocalPost]:
    """Read the cached files ``paths`` in full, in place in ``result``."""
    if not paths:
        return []
    fresh = scan(settings, tz, only=paths)
    by_path = {post.path: post for post in fresh.posts}
    result.posts = [
        by_path.get(post.path, post) if post.path in paths else post
        for post in result.posts
        if post.path not in paths or post.path in by_path
    ]
    result.errors += fresh.errors
    result.stats.update(fresh.stats)
    for path in paths:
        result.cached.pop(path, None)
    return fresh.posts


def _remember(
    settings: Settings, cache: HashCache, result: LocalScan, items: list[p.LocalItem]
) -> None:
    """Put every file read in full into the cache and save it."""
    posts = {post.path: post for post in result.posts}
    for item in items:
        stat = result.stats.get(item.path)
        if stat is None or item.path in result.cached:
            continue
        deps = tuple(
            (
                ref.path,
                _link_token(posts[ref.path])
                if ref.endpoint == localrefs.POST
                else file_token(settings.root / ref.path),
            )
            for ref in item.refs
        )
        post = item.post
        mtime_ns, size, inode = stat_key(stat)
        entry = Entry(
            mtime_ns,
            size,
            inode,
            post.kind,
            post.slug,
            post.explicit_id,
            post.body_format,
            item.hash,
            post.warnings,
            str(post.fields.get("status") or ""),
            deps,
        )
        cache.put(item.path, entry)
    cache.keep_only({post.path for post in result.posts})
    cache.save()


def read_in_full(
    site: Site, items: list[p.LocalItem], local_scan: LocalScan, paths: set[str]
) -> list[p.LocalItem]:
    """``items`` with the cached ones among ``paths`` read from their files."""
    settings = site.settings
    fresh = _reread(settings, site.tz, local_scan, paths & set(local_scan.cached))
    if not fresh:
        return items

    posts = {post.path: post for post in local_scan.posts}
    bounds = localrefs.limits(settings, local_scan)
    replaced: dict[str, p.LocalItem] = {}
    for post in fresh:
        try:
            replaced[post.path] = _full_item(settings, site.url, post, bounds, posts)
        except InvalidFileError as error:
            local_scan.errors.append(error)
    local_scan.posts = [
        post
        for post in local_scan.posts
        if post.path not in paths or post.path in replaced
    ]
    present = {post.path for post in local_scan.posts}
    return [replaced.get(item.path, item) for item in items if item.path in present]


def scan_fingerprint(settings: Settings, site_url: SiteURL, tz: dt.tzinfo) -> str:
    """What a cached reading depends on besides the files themselves."""
    readers = [
        Path(module.__file__ or "")
        for module in (source, canonical, fields_module, body_module, localrefs)
    ]
    code = [
        (path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in readers
    ]
    options = {
        name: value
        for name, value in vars(settings).items()
        if name not in ("environ", "key_env", "key_file")
    }
    return fingerprint(options, str(tz), site_url.url, code)


def validate(settings: Settings) -> LocalScan:
    """Read and check every file offline: no key, no request."""
    tz: dt.tzinfo = dt.UTC
    if settings.timezone:
        tz = ZoneInfo(settings.timezone)
    _items, result = read_local(settings, NO_SITE, tz)
    return result


@dataclass(frozen=True)
class Deletions:
    """What a run may delete: ``prune`` on, the limits, and recreations."""

    prune: bool = False
    # pull --prune: remove the files of posts deleted in Ghost.
    prune_files: bool = False
    max_delete: int | None = None  # None: the configured push.max_delete
    yes: bool = False
    allow_empty: bool = False
    recreate: bool = False

    def limits(self, settings: Settings) -> p.Limits:
        most = settings.max_delete if self.max_delete is None else self.max_delete
        return p.Limits(max_delete=most, yes=self.yes, allow_empty=self.allow_empty)


def make_plan(
    site: Site,
    *,
    adopt: bool = False,
    force: bool = False,
    deletions: Deletions = Deletions(),
    verify_images: bool = False,
    send_email: bool = False,
    now: dt.datetime | None = None,
    paths: set[str] | None = None,
    formats: tuple[str, ...] = ("lexical",),
    more_bodies: Callable[[p.Inputs], set[str]] | None = None,
) -> Result:
    """Read both sides and plan; bodies are read only where the plan needs them.

    Deletions beyond the limits are refused among the actions ``paths``
    selects (all when None).

    ``verify_images`` checks that every cached upload the files refer to still
    answers on the site; a post with a missing one is planned as an update.

    ``more_bodies`` names further posts whose bodies a caller needs (pull
    --all: every untracked one), read in ``formats`` with the others.
    """
    now = now or dt.datetime.now(dt.UTC)
    # --verify-images checks every upload a file refers to: every file is read.
    cache = None if verify_images else _cache(site)
    items, local_scan = read_local(site.settings, site.url, site.tz, cache, site.state)
    if paths is not None:  # what a selection names is shown in full (diff)
        named = {rel for rel in local_scan.cached if _named(rel, paths)}
        items = read_in_full(site, items, local_scan, named)
    _check_folders(site, local_scan, deletions.allow_empty)
    remote = fetch_index(site.client, site.url)
    post_urls = _post_urls(site.state, remote)
    missing = _missing_uploads(site, items) if verify_images else set()
    items = [_with_urls(site, item, post_urls, missing) for item in items]
    inputs = p.Inputs(
        local=items,
        invalid=local_scan.errors,
        remote=remote,
        state=site.state.snapshot,
        adopt=adopt,
        force=force,
        now=now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        prune=site.settings.prune if deletions.prune else "",
        recreate=_recreate_mode(deletions, paths),
        prune_files=deletions.prune_files,
        missing_dirs=tuple(local_scan.missing_dirs),
        skipped=frozenset(local_scan.skipped),
        send_email=send_email,
    )

    wanted = p.wanted_bodies(inputs)
    if more_bodies is not None:
        wanted |= more_bodies(inputs)
    if wanted:
        reread = {r.path for r in site.state.records.values() if r.id in wanted}
        reread &= set(local_scan.cached)
        if reread:
            items = read_in_full(site, items, local_scan, reread)
            items = [
                _with_urls(site, item, post_urls, missing)
                if item.path in reread
                else item
                for item in items
            ]
            inputs = replace(inputs, local=items, invalid=local_scan.errors)
        remote = fetch_bodies(site.client, remote, wanted, site.url, formats)
        inputs = replace(inputs, remote=remote)

    plan = _check_references(site, p.plan(inputs))
    plan = _check_links(plan, post_urls, paths)
    selected = [a for a in plan.actions if _selected(a, paths)]
    limits = deletions.limits(site.settings)
    plan = p.guard(plan, selected, inputs.state, limits)
    warnings = [w for post in local_scan.posts for w in post.warnings]
    warnings += [
        w for a in plan.actions if a.writes and a.local for w in a.local.post.fidelity
    ]
    uploads = _planned_uploads(plan, paths, site.state, missing)
    return Result(
        plan,
        local_scan,
        warnings=warnings,
        uploads=uploads,
        post_urls=post_urls,
        missing=missing,
    )


def _cache(site: Site) -> HashCache:
    mark = scan_fingerprint(site.settings, site.url, site.tz)
    return HashCache.load(site.settings.root, mark)


def _check_references(site: Site, plan: p.Plan) -> p.Plan:
    """Posts about to be written whose authors, tiers or newsletter Ghost does
    not know become invalid: Ghost would use the owner or drop the tier
    silently."""
    actions = []
    for action in plan.actions:
        if action.writes and action.local is not None:
            try:
                site.references().check(action.local.post)
                if action.email:
                    site.references().newsletter(action.local.post)
            except InvalidFileError as error:
                reason = error.message + (f" ({error.hint})" if error.hint else "")
                action = replace(action, name=p.INVALID, reason=reason)
        actions.append(action)
    return replace(plan, actions=actions)


def _recreate_mode(deletions: Deletions, paths: set[str] | None) -> str:
    if not deletions.recreate:
        return ""
    return "all" if paths else "edited"


def _check_links(
    plan: p.Plan, post_urls: dict[str, str], paths: set[str] | None
) -> p.Plan:
    """A post about to be written that links to a post Ghost does not have and
    this run does not create (deleted in Ghost, refused) becomes invalid."""
    created = {
        a.path
        for a in plan.actions
        if a.name in (p.CREATE, p.ADOPT) and _selected(a, paths)
    }
    actions = []
    for action in plan.actions:
        if action.writes and action.local is not None:
            lost = [
                ref.path
                for ref in action.local.refs
                if ref.endpoint == localrefs.POST
                and ref.path not in post_urls
                and ref.path not in created
            ]
            if lost:
                reason = (
                    f"links to {', '.join(lost)}, which has no post in Ghost and"
                    " is not created by this run; push it first, or remove the link"
                )
                action = replace(action, name=p.INVALID, reason=reason)
        actions.append(action)
    return replace(plan, actions=actions)


def _post_urls(state: State, remote: dict[str, p.RemotePost]) -> dict[str, str]:
    urls = {}
    for record in state.records.values():
        post = remote.get(record.id)
        if post is not None and post.url:
            urls[record.path] = post.url
    return urls


def _with_urls(
    site: Site, item: p.LocalItem, post_urls: dict[str, str], missing: set[str]
) -> p.LocalItem:
    """``item`` with its payload as sent, when every reference's URL is known."""
    if not item.refs:
        return item
    gone = tuple(
        r.path for r in item.refs if r.endpoint != localrefs.POST and r.key in missing
    )
    urls = known_urls(item, site.state.uploads, post_urls, site.url)
    if urls is None:
        return replace(item, missing=gone)
    post = localrefs.apply_urls(item.post, urls)
    sent = local_canonical(
        post.kind, post.fields, post.body, post.body_format, site.url
    )
    return replace(item, sent=sent, missing=gone)


def _missing_uploads(site: Site, items: list[p.LocalItem]) -> set[str]:
    """Cache keys of the files the posts use whose URL no longer answers."""
    keys = {r.key for item in items for r in item.refs if r.endpoint != localrefs.POST}
    missing = set()
    for key in sorted(keys):
        upload = site.state.uploads.get(key)
        if upload is not None and not site.client.exists(
            absolute(upload.url, site.url)
        ):
            missing.add(key)
    return missing


def check_render(
    site: Site,
    paths: set[str] | None,
    report: Callable[[Any], None] = lambda result: None,
) -> list[Any]:
    """Render files in temporary drafts and compare (``push --check-render``).

    The files named by ``paths``, else the ones a push would create or update.
    Nothing of the posts themselves is written.
    """
    from ghostsync import render_check

    if paths is None:
        plan = make_plan(site).plan
        posts = [a.local.post for a in plan.actions if a.writes and a.local]
    else:
        _items, local_scan = read_local(site.settings, site.url, site.tz)
        posts = [post for post in local_scan.posts if _in(post.path, paths)]
    return render_check.check_all(site.client, posts, report)


def _in(path: str, paths: set[str]) -> bool:
    return any(
        path == selected or path.startswith(selected.rstrip("/") + "/")
        for selected in paths
    )


def _planned_uploads(
    plan: p.Plan, paths: set[str] | None, state: State, missing: set[str]
) -> list[Upload]:
    """The files the plan's writes need that Ghost does not have yet, each once."""
    planned: dict[str, Upload] = {}
    for action in plan.actions:
        if not action.writes or action.local is None or not _selected(action, paths):
            continue
        for ref in action.local.refs:
            if ref.endpoint == localrefs.POST:
                continue
            if ref.key not in state.uploads or ref.key in missing:
                planned.setdefault(ref.key, Upload(ref.key, "", ref.path, ref.size))
    return list(planned.values())


def push(
    site: Site,
    *,
    paths: set[str] | None = None,
    adopt: bool = False,
    force: bool = False,
    deletions: Deletions = Deletions(),
    send_email: bool = False,
    dry_run: bool = False,
    verify_images: bool = False,
    jobs: int = 1,
    report: Callable[[Outcome], None] = lambda outcome: None,
    start: Callable[[int], None] = lambda writes: None,
) -> Result:
    """Plan, then create and update what changed locally (unless ``dry_run``).

    ``start`` is told how many writes are about to be made, ``report`` hears
    the outcome of each action as it finishes. Files are uploaded only for
    the posts being written, and never on a dry run. Up to ``jobs`` writes
    are in flight at once (see :meth:`Executor.run`).
    """
    result = make_plan(
        site,
        adopt=adopt,
        force=force,
        deletions=deletions,
        paths=paths,
        verify_images=verify_images,
        send_email=send_email,
    )
    check_selection(site.settings.root, result.plan, paths)
    if dry_run:
        return result

    for key in sorted(result.missing):
        site.state.forget_upload(key)
    actions = [a for a in result.plan.actions if _selected(a, paths)]
    start(sum(1 for a in actions if a.writes))
    executor = site.executor(result.post_urls, report, jobs=jobs)
    try:
        result.outcomes = executor.run(actions)
    except GhostsyncError:
        site.state.fold()
        raise
    finally:
        expire_backups(site.settings, executor.backups)
        uploaded = executor.uploader.uploaded if executor.uploader else []
        result.uploads = list(uploaded)
    return result


def expire_backups(settings: Settings, backups: BackupSet | None) -> list[str]:
    """After a run that wrote a backup, remove the old ones (``[backups]``)."""
    if backups is None or backups.folder is None:
        return []
    return expire(
        settings.root,
        keep=settings.backups_keep,
        keep_days=settings.backups_keep_days,
        now=backups.now(),
        spare=backups.folder,
    )


def _check_folders(site: Site, local_scan: LocalScan, allow_empty: bool) -> None:
    """A missing content folder with synced posts is a mistake, not deletions."""
    if allow_empty:
        return
    for kind in local_scan.missing_dirs:
        synced = [r for r in site.state.records.values() if r.kind == kind]
        if synced:
            folder = site.settings.content_dirs()[kind]
            raise ConfigError(
                f"the {kind} folder {folder} does not exist, but {len(synced)}"
                f" {kind}s were synced from {synced[0].path.rsplit('/', 1)[0]}/",
                hint="check [content] in ghostsync.toml; if the folder was removed"
                " on purpose, '--allow-empty' plans its posts as removed files",
            )


def check_selection(root: Path, plan: p.Plan, paths: set[str] | None) -> None:
    """A path named that does not exist must be a removed file the plan knows."""
    for selected in sorted(paths or ()):
        if (root / selected).exists():
            continue
        if not any(_selected(a, {selected}) for a in plan.actions):
            raise GhostsyncError(
                f"{selected} is neither a post file nor a content folder, nor a"
                " removed file ghostsync tracked",
                hint="name a post file or a content folder",
            )


def _named(path: str, paths: set[str]) -> bool:
    return any(
        path == selected or path.startswith(selected.rstrip("/") + "/")
        for selected in paths
    )


def _selected(action: p.Action, paths: set[str] | None) -> bool:
    if paths is None:
        return True
    return any(
        path == selected or path.startswith(selected.rstrip("/") + "/")
        for selected in paths
        for path in (action.path, action.moved_from)
        if path
    )
