"""Pull: Ghost's side written into the Markdown files, and import (``--all``).

Pull carries out the pull side of the same three-way plan push uses:

- ``remote-changed`` (Ghost moved, the file did not): the file is rewritten
  (:mod:`ghostsync.writeback` keeps its front matter where nothing changed);
- ``conflict`` (both moved): the file stays; what pull would have written goes
  to ``.ghostsync/conflicts/<path>`` with Ghost's JSON beside it, and the run
  goes on. ``--force`` writes Ghost's version after backing the file up;
- ``remote-only`` (a post no file stands for): written only with ``--all``,
  which imports a site. Plain pull touches only tracked posts;
- an untracked file with a remote post's slug is adopted when it already says
  what pull would write, and otherwise reported (``--force`` replaces it);
- ``deleted-remotely`` (the post is gone from Ghost): the file stays unless
  ``--prune``, which backs it up and removes it, within the same limits as
  ``push --prune`` (``--max-delete``, half a kind, an emptied side).

Bodies are read only for the posts pulled. Every file is written atomically
(a temporary file in the same folder, then a rename) and never outside the
project root. The state then holds both hashes, so a ``push`` right after a
pull writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ghostsync import planner as p
from ghostsync.apply import Executor, Outcome, conflict_path
from ghostsync.backups import write_private
from ghostsync.canonical import changed_fields, digest
from ghostsync.errors import ExitCode, GhostsyncError, NotFoundError, most_severe
from ghostsync.pullrefs import Download, Localizer
from ghostsync.run import (
    Deletions,
    Result,
    Site,
    expire_backups,
    make_plan,
    read_local,
)
from ghostsync.source import DATE_PREFIX
from ghostsync.state import Record
from ghostsync.writeback import Pulled, Written, edited_text, new_text, pulled

FORMATS = ("lexical", "html")
# Names Windows reserves whatever the extension.
RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{name}{number}" for name in ("com", "lpt") for number in range(1, 10)
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s]+")
MAX_STEM = 120


class PathError(GhostsyncError):
    """A file pull would write lies outside the project root."""


@dataclass
class PullResult(Result):
    """A pull's plan and outcomes; its exit code counts only what pull does."""

    # Images of the pulled posts to download beside them (sizes from HEAD).
    downloads: list[Download] = field(default_factory=list)

    def exit_code(self, pending_is_error: bool = False) -> ExitCode:
        codes = []
        if self.scan.errors or any(o.status == "failed" for o in self.outcomes):
            codes.append(ExitCode.ERROR)
        if any(a.guarded for a in self.plan.actions):
            codes.append(ExitCode.ERROR)
        if any(o.status == "conflict" for o in self.outcomes):
            codes.append(ExitCode.CONFLICT)
        return most_severe(codes)


def pull(
    site: Site,
    *,
    all_posts: bool = False,
    force: bool = False,
    deletions: Deletions | None = None,
    dry_run: bool = False,
    select: Callable[[p.RemotePost], bool] = lambda remote: True,
    images: bool = True,
    report: Callable[[Outcome], None] = lambda outcome: None,
    start: Callable[[int], None] = lambda writes: None,
    announce: Callable[[list[Download]], None] = lambda downloads: None,
) -> PullResult:
    """Plan, then write the files Ghost's side changed (unless ``dry_run``).

    ``all_posts`` also writes posts no file stands for (import), those
    ``select`` accepts; ``force`` replaces files changed on both sides, after
    a backup; ``deletions.prune_files`` removes the files of posts deleted in
    Ghost, after a backup.
    ``images`` downloads the site's images of the pulled posts beside
    them; ``announce`` hears what will be downloaded, before it is.
    """

    def untracked(inputs: p.Inputs) -> set[str]:
        tracked = set(inputs.state.records)
        return {
            post_id
            for post_id, remote in inputs.remote.items()
            if post_id not in tracked and remote.status != "sent" and select(remote)
        }

    planned = make_plan(
        site,
        formats=FORMATS,
        more_bodies=untracked if all_posts else None,
        deletions=deletions or Deletions(),
    )
    result = PullResult(planned.plan, planned.scan, warnings=planned.warnings)
    if all_posts:
        result.plan.actions = [
            a
            for a in result.plan.actions
            if a.name != p.REMOTE_ONLY or (a.remote and select(a.remote))
        ]
    localizer = Localizer(site, planned.post_urls, download=images)
    puller = Puller(
        site, all_posts=all_posts, force=force, report=report, localizer=localizer
    )
    actions = result.plan.actions
    readable = [a for a in actions if puller.writes(a) and has_body(a)]
    result.downloads = localizer.survey([puller.pulled(a) for a in readable])
    if dry_run:
        return result

    announce(result.downloads)
    start(sum(1 for a in actions if puller.writes(a)))
    try:
        result.outcomes = puller.run(actions)
    finally:
        site.state.fold()
        expire_backups(site.settings, puller.executor.backups)
    return result


@dataclass
class Puller:
    """Writes the pull side of a plan and keeps the state in step."""

    site: Site
    all_posts: bool = False
    force: bool = False
    report: Callable[[Outcome], None] = lambda outcome: None
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    claimed: set[Path] = field(default_factory=set)
    recorded: set[str] = field(default_factory=set)
    localizer: Localizer | None = None
    # The file each post imported in this run gets, by remote id.
    planned: dict[str, Path] = field(default_factory=dict)
    in_sync: bool = False  # conflicts then advise 'sync --prefer'

    def __post_init__(self) -> None:
        self.root = self.site.settings.root.resolve()
        self.executor = Executor(
            self.site.client, self.site.state, self.site.settings.root, self.site.url
        )

    def writes(self, action: p.Action) -> bool:
        """Whether ``action`` may write a file in this run."""
        if action.name in (p.REMOTE_CHANGED, p.ADOPT):
            return True
        if action.name == p.CONFLICT:
            return self.force
        if action.name == p.DELETED_REMOTE:
            return bool(action.prune)
        return self.all_posts and action.name in (p.REMOTE_ONLY, p.REFUSE)

    def run(self, actions: list[p.Action]) -> list[Outcome]:
        self._plan_imports(actions)
        outcomes = []
        for action in actions:
            outcome = self.apply(action)
            if outcome is not None:
                outcomes.append(outcome)
                self.report(outcome)
        self._rehash()
        return outcomes

    def _plan_imports(self, actions: list[p.Action]) -> None:
        """The files of the posts this run imports, known before any is
        written, so that links between them become links between files."""
        for action in actions:
            if not (self.writes(action) and action.name == p.REMOTE_ONLY):
                continue
            if not has_body(action):
                continue
            remote = _remote(action)
            post = self.pulled(action)
            own_folder = self.localizer is not None and self.localizer.folder_for(post)
            target = self._new_path(remote.kind, remote.slug, own_folder)
            self.planned[remote.id] = target
            if self.localizer is not None and remote.url:
                rel = target.relative_to(self.root).as_posix()
                self.localizer.add_post(remote.url, rel)

    def _rehash(self) -> None:
        """The local hashes of the files written, as a push will compute them.

        A file's hash may take in what its references point to (images, other
        posts), which only a read of the whole content tree knows.
        """
        if not self.recorded:
            return
        settings, site = self.site.settings, self.site
        items, _scan = read_local(settings, site.url, site.tz)
        by_path = {record.path: record for record in site.state.records.values()}
        for item in items:
            record = by_path.get(item.path)
            if item.path in self.recorded and record and record.local_hash != item.hash:
                site.state.put(replace(record, local_hash=item.hash))

    def apply(self, action: p.Action) -> Outcome | None:
        """Carry out one action; a problem fails that post only."""
        try:
            return self._dispatch(action)
        except (GhostsyncError, OSError) as error:
            message = str(error)
            hint = getattr(error, "hint", "")
            return Outcome(action, "failed", message + (f" ({hint})" if hint else ""))

    def _dispatch(self, action: p.Action) -> Outcome | None:
        if action.name == p.REMOTE_CHANGED:
            return self._update(action, "pulled")
        if action.name == p.CONFLICT and action.local is None:
            return self.executor.apply(action)  # removed here, changed in Ghost
        if action.name == p.CONFLICT:
            return self._conflict(action)
        if action.name == p.ADOPT and not action.changes:
            return self._adopt(action, _local(action).post.path, "adopted")
        if action.name == p.REFUSE and self.all_posts and action.remote is not None:
            return self._existing(action)
        if action.name == p.DELETED_REMOTE and action.prune:
            return self._remove(action)
        if action.name == p.REMOTE_ONLY and self.all_posts:
            if _remote(action).canonical is None:
                return Outcome(action, "skipped", "email-only post; not imported")
            return self._import(action)
        if action.refresh:
            self.executor.apply(action)
        return None

    # --- the actions -------------------------------------------------------

    def _edited(
        self, action: p.Action, item: p.LocalItem, target: Path
    ) -> Written | None:
        """The file's text with Ghost's version written in; None if unchanged."""
        post = self._pulled(action, item.path)
        old = target.read_bytes().decode("utf-8")
        return edited_text(
            old,
            item,
            post,
            target,
            self.site.settings,
            self.site.url,
            self.site.tz,
            keep_body=same_body(action),
        )

    def _update(self, action: p.Action, verb: str) -> Outcome:
        item = _local(action)
        target = self._inside(self.root / item.path)
        written = self._edited(action, item, target)
        if written is not None:
            _write_atomic(target, written.text)
        self._record(action, item.path, written, item)
        if written is None:
            return Outcome(action, "done", f"{verb} (the file already said it)")
        changes = changed_fields(item.canonical, written.canonical)
        return Outcome(action, "done", f"{verb} ({', '.join(changes) or 'format'})")

    def _conflict(self, action: p.Action) -> Outcome:
        if self.force:
            backup = self._backup_file(action)
            outcome = self._update(action, "--force: Ghost's version written")
            return Outcome(
                action, outcome.status, f"{outcome.message}; yours in {backup}"
            )

        # The executor saves Ghost's JSON with what 'resolve' needs.
        self.executor.apply(action)
        saved = self._save_markdown_copy(action)
        take, keep = (
            ("'sync --prefer remote'", "'sync --prefer local'")
            if self.in_sync
            else ("'pull --force'", "'push --force'")
        )
        synced = action.record.updated_at if action.record else "?"
        remote = _remote(action)
        return Outcome(
            action,
            "conflict",
            f"changed on both sides (last synced {synced},"
            f" Ghost now {remote.updated_at}); the file is kept, Ghost's version is"
            f" in {saved} (and .json); {take} takes Ghost's (yours is"
            f" backed up), {keep} keeps yours, or merge by hand and run"
            f" 'ghostsync resolve {action.path}'",
        )

    def _existing(self, action: p.Action) -> Outcome:
        """An untracked file with a remote post's slug: adopt it if it matches."""
        item = _local(action)
        target = self._inside(self.root / item.path)
        written = self._edited(action, item, target)
        if written is None:
            return self._adopt(action, item.path, "adopted (same content)")
        if self.force:
            backup = self._backup_file(action)
            _write_atomic(target, written.text)
            self._record(action, item.path, written, item)
            return Outcome(action, "done", f"--force: replaced; yours in {backup}")

        saved = self._save_markdown_copy(action)
        raw = json.dumps(_remote(action).raw or {}, indent=2, sort_keys=True)
        write_private(self.root / (saved + ".json"), raw + "\n")
        return Outcome(
            action,
            "conflict",
            f"a file with slug '{item.post.slug}' exists and differs from Ghost's"
            f" {action.kind}; not overwritten; Ghost's version is in {saved};"
            " 'pull --all --force' replaces the file (backed up first)",
        )

    def _remove(self, action: p.Action) -> Outcome:
        """The file of a post deleted in Ghost: backed up, then removed."""
        item, record = _local(action), action.record
        assert record is not None
        try:  # the index said it is gone; a direct read must agree
            self.site.client.read(action.kind, record.id)
        except NotFoundError:
            pass
        else:
            return Outcome(action, "skipped", "the post is still in Ghost; kept")

        target = self._inside(self.root / item.path)
        backups = self.executor.backups
        assert backups is not None
        saved = backups.save_file(
            item.path,
            target.read_bytes(),
            kind=item.post.kind,
            reason="pull --prune: the post was deleted in Ghost",
        )
        target.unlink()
        self.site.state.forget(record.id)
        conflict_path(self.root, item.path).unlink(missing_ok=True)
        message = f"file removed (deleted in Ghost); backup: {backups.relative(saved)}"
        return Outcome(action, "done", message)

    def _adopt(self, action: p.Action, path: str, verb: str) -> Outcome:
        self._record(action, path, None, _local(action))
        return Outcome(action, "done", verb, url=_remote(action).url)

    def _import(self, action: p.Action) -> Outcome:
        remote = _remote(action)
        target = self.planned.get(remote.id)
        if target is None:
            post = self.pulled(action)
            own = self.localizer is not None and self.localizer.folder_for(post)
            target = self._new_path(remote.kind, remote.slug, own)
        rel = target.relative_to(self.root).as_posix()
        post = self._pulled(action, rel)
        written = new_text(
            post, target, rel, self.site.settings, self.site.url, self.site.tz
        )
        _write_atomic(target, written.text, new=True)
        self._record(action, rel, written, None)
        return Outcome(replace(action, path=rel), "done", "imported", url=remote.url)

    # --- helpers -----------------------------------------------------------

    def pulled(self, action: p.Action) -> Pulled:
        """What the file of ``action`` must say, with Ghost's URLs."""
        return pulled(_remote(action), self.site.url, self.site.tz)

    def _pulled(
        self, action: p.Action, rel: str | None = None, fetch: bool = True
    ) -> Pulled:
        """What the file ``rel`` must say: known URLs as local paths."""
        post = self.pulled(action)
        if rel is None or self.localizer is None:
            return post
        current = action.local.post.body if action.local is not None else ""
        return self.localizer.localize(post, rel, current, fetch=fetch)

    def _record(
        self,
        action: p.Action,
        path: str,
        written: Written | None,
        item: p.LocalItem | None,
    ) -> None:
        remote = _remote(action)
        if written is not None:
            local_hash, body_format = (
                digest(written.canonical),
                written.post.body_format,
            )
        else:
            assert item is not None
            local_hash, body_format = item.hash, item.post.body_format
        previous = self.site.state.records.get(remote.id)
        conflicts = self.root / ".ghostsync" / "conflicts"
        conflict_path(self.root, path).unlink(missing_ok=True)
        (conflicts / path).unlink(missing_ok=True)
        self.recorded.add(path)
        self.site.state.put(
            Record(
                id=remote.id,
                kind=remote.kind,
                path=path,
                slug=remote.slug,
                updated_at=remote.updated_at,
                local_hash=local_hash,
                remote_hash=remote.hash or "",
                meta_hash=remote.meta_hash,
                body_format=body_format,
                emailed=previous.emailed if previous else False,
            )
        )

    def _new_path(self, kind: str, slug: str, own_folder: bool = False) -> Path:
        """A free file for a new post: ``<slug>.md``, or ``<slug>/index.md``
        when it brings images along."""
        folder = self.site.settings.content_dirs()[kind]
        stem = safe_stem(slug)
        for number in range(1, 1000):
            name = stem if number == 1 else f"{stem}-{number}"
            path = folder / name / "index.md" if own_folder else folder / f"{name}.md"
            target = self._inside(path)
            if not target.exists() and target not in self.claimed:
                self.claimed.add(target)
                return target
        raise PathError(f"no free file name for {kind} '{slug}' in {folder}")

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            linked = resolved != Path(os.path.abspath(path))
            named = f"{path}, a link to {resolved}," if linked else str(path)
            raise PathError(
                f"{named} lies outside the project {self.root}; not written",
                hint="check the content folders and the state's paths",
            )
        return resolved

    def _save_markdown_copy(self, action: p.Action) -> str:
        """What pull would write, under .ghostsync/conflicts/ (never beside it)."""
        item = _local(action)
        target = self._inside(self.root / ".ghostsync" / "conflicts" / item.path)
        post = self._pulled(action, item.path, fetch=False)
        settings, site, tz = self.site.settings, self.site.url, self.site.tz
        try:
            text = new_text(post, target, item.path, settings, site, tz).text
        except GhostsyncError:
            text = post.body
        write_private(target, text)
        return target.relative_to(self.root).as_posix()

    def _backup_file(self, action: p.Action) -> str:
        """The local file, saved in this run's backup folder before a --force."""
        item = _local(action)
        source = self._inside(self.root / item.path)
        backups = self.executor.backups
        assert backups is not None
        saved = backups.save_file(
            item.path,
            source.read_bytes(),
            kind=item.post.kind,
            reason="pull --force: replaced by Ghost's version",
        )
        return backups.relative(saved)


def safe_stem(slug: str) -> str:
    """A file name (without ``.md``) for a slug, safe on common file systems.

    No separators or control characters, no leading dots (so never ``..``),
    no trailing dots or spaces, not a reserved Windows name, not read as a
    ``YYYY-MM-DD-`` date prefix, and short enough for any file system.
    """
    text = unicodedata.normalize("NFC", slug)
    text = _UNSAFE.sub("-", text).strip("-. ")
    text = text.encode("utf-8")[:MAX_STEM].decode("utf-8", "ignore").rstrip("-. ")
    if not text:
        return "untitled"
    if text.split(".")[0].lower() in RESERVED:
        text += "_"
    if DATE_PREFIX.match(text):
        text = "_" + text
    return text


def has_body(action: p.Action) -> bool:
    remote = action.remote
    return (
        remote is not None and remote.raw is not None and remote.canonical is not None
    )


def same_body(action: p.Action) -> bool:
    """Whether the file's body already sends what Ghost holds.

    Compared on canonical forms (soft breaks joined, images and post links as
    their Ghost URLs), so pull keeps such a body byte for byte.
    """
    local = action.local.comparable if action.local is not None else None
    remote = action.remote.canonical if action.remote is not None else None
    if local is None or remote is None:
        return False
    keys = ("body", "body_format")
    return all(local[key] == remote[key] for key in keys)


def _local(action: p.Action) -> p.LocalItem:
    assert action.local is not None
    return action.local


def _remote(action: p.Action) -> p.RemotePost:
    assert action.remote is not None
    return action.remote


def _write_atomic(path: Path, text: str, new: bool = False) -> None:
    """Write ``path`` through a temporary file in its folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o644 if new or not path.exists() else path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ghostsync-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
