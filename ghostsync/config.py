"""Settings: ``ghostsync.toml`` resolved once, flags over environment over file.

The resolved :class:`Settings` is the only place the rest of the code reads
configuration from. The Admin API key is never stored in it: :meth:`Settings.key`
reads it on demand from the environment variable or the key file the
configuration names.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghostsync.errors import ConfigError

CONFIG_NAME = "ghostsync.toml"
DEFAULT_KEY_ENV = "GHOST_ADMIN_API_KEY"
BODY_FORMATS = ("markdown", "html")
STATUSES = ("draft", "published")
# Ghost-CLI's nginx accepts request bodies up to 50 MB; stay well below it.
DEFAULT_MAX_UPLOAD_MB = 20

# Every key the file may hold, by table; used to name the nearest valid key.
SCHEMA: dict[str, set[str]] = {
    "site": {"url", "key_env", "key_file"},
    "content": {"posts", "pages", "exclude", "max_upload_mb"},
    "defaults": {"status", "timezone", "body_format", "tags"},
    "push": {"max_delete", "prune"},
    "backups": {"keep", "keep_days"},
    "watch": {"debounce_ms"},
}
SITE_KEYS = SCHEMA["site"]


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved from flags, environment and file."""

    root: Path
    url: str
    site_name: str = ""
    key_env: str = DEFAULT_KEY_ENV
    key_file: Path | None = None
    posts_dir: str = "content/posts"
    pages_dir: str = "content/pages"
    exclude: tuple[str, ...] = ("**/_drafts/**", "**/README.md")
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    default_status: str = "draft"
    timezone: str = ""
    body_format: str = "markdown"
    default_tags: tuple[str, ...] = ()
    max_delete: int = 5
    prune: str = "delete"
    backups_keep: int = 10
    backups_keep_days: int = 30
    watch_debounce_ms: int = 300
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    # --strict: a front-matter key outside the managed set is an error.
    strict: bool = False

    @property
    def ghostsync_dir(self) -> Path:
        return self.root / ".ghostsync"

    def content_dirs(self) -> dict[str, Path]:
        """The folder of each kind, absolute."""
        return {"post": self.root / self.posts_dir, "page": self.root / self.pages_dir}

    def key(self) -> str:
        """The Admin API key, from the key file or the environment variable."""
        if self.key_file is not None:
            return _read_key_file(self.key_file, self.key_env)

        value = self.environ.get(self.key_env, "").strip()
        if not value:
            raise ConfigError(
                f"no Admin API key: the environment variable {self.key_env} is not set",
                hint=f"export {self.key_env}=<id>:<secret> (Ghost Admin → Settings"
                " → Integrations), or set key_file in ghostsync.toml to a file"
                " outside git",
            )
        return value


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``ghostsync.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder

    raise ConfigError(
        f"no {CONFIG_NAME} in {start} or any folder above it",
        hint="run 'ghostsync init' in the folder that holds your content",
    )


def load_settings(
    root: Path,
    *,
    site: str = "",
    url: str = "",
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read ``root/ghostsync.toml`` and resolve it with ``environ`` and flags."""
    env = dict(os.environ if environ is None else environ)
    data = _read_toml(root / CONFIG_NAME)
    _check_keys(data)
    _check_types(data)

    site_table = _site_table(data, site)
    # A site chosen by name keeps its own URL: --site production must never
    # follow a GHOST_URL that a local preview's env file exported.
    named_url = data.get("sites", {}).get(site, {}).get("url", "") if site else ""
    resolved_url = (
        url or named_url or env.get("GHOST_URL", "") or site_table.get("url", "")
    )
    if not resolved_url:
        raise ConfigError(
            "no site URL: set [site] url in ghostsync.toml or GHOST_URL",
            hint='e.g. url = "https://example.com/" (the admin URL of your Ghost)',
        )

    content = data.get("content", {})
    defaults = data.get("defaults", {})
    push = data.get("push", {})
    backups = data.get("backups", {})
    watch = data.get("watch", {})
    key_file = site_table.get("key_file")
    settings = Settings(
        root=root,
        url=resolved_url,
        site_name=site,
        key_env=site_table.get("key_env", DEFAULT_KEY_ENV),
        key_file=_resolve(root, key_file) if key_file else None,
        posts_dir=content.get("posts", "content/posts"),
        pages_dir=content.get("pages", "content/pages"),
        exclude=tuple(content.get("exclude", Settings.exclude)),
        max_upload_mb=content.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB),
        default_status=defaults.get("status", "draft"),
        timezone=defaults.get("timezone", ""),
        body_format=defaults.get("body_format", "markdown"),
        default_tags=tuple(defaults.get("tags", ())),
        max_delete=push.get("max_delete", 5),
        prune=push.get("prune", "delete"),
        backups_keep=backups.get("keep", 10),
        backups_keep_days=backups.get("keep_days", 30),
        watch_debounce_ms=watch.get("debounce_ms", Settings.watch_debounce_ms),
        environ=env,
    )
    _check_values(settings)
    return settings


def offline_settings(
    root: Path, environ: Mapping[str, str] | None = None, site: str = ""
) -> Settings:
    """Settings for commands that need no site (``validate``): URL may be absent.

    A named site is still checked, so a typo in ``--site`` fails here too.
    """
    env = dict(os.environ if environ is None else environ)
    env.setdefault("GHOST_URL", "http://127.0.0.1/")
    return load_settings(root, site=site, environ=env)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist", hint="run 'ghostsync init' to create it"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def _check_keys(data: dict[str, Any]) -> None:
    tables = {*SCHEMA, "sites"}
    for name, value in data.items():
        if name not in tables:
            _unknown(name, tables, "table")
        if name == "sites":
            for site_name, table in value.items():
                _check_table(f"sites.{site_name}", table, SITE_KEYS)
        else:
            _check_table(name, value, SCHEMA[name])


def _check_table(name: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] in ghostsync.toml must be a table")
    for key in table:
        if key not in allowed:
            _unknown(f"{name}.{key}", {f"{name}.{k}" for k in allowed}, "key")


def _unknown(name: str, valid: set[str], what: str) -> None:
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.5)
    hint = (
        f"did you mean '{close[0]}'?" if close else f"valid: {', '.join(sorted(valid))}"
    )
    raise ConfigError(f"unknown {what} '{name}' in ghostsync.toml", hint=hint)


def _site_table(data: dict[str, Any], site: str) -> dict[str, Any]:
    if not site:
        return dict(data.get("site", {}))

    sites = data.get("sites", {})
    if site not in sites:
        known = ", ".join(sorted(sites)) or "none"
        raise ConfigError(
            f"no site named '{site}' in ghostsync.toml (known: {known})",
            hint=f"add a [sites.{site}] table with url and key_env",
        )
    return {**data.get("site", {}), **sites[site]}


TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "url": (str, "text"),
    "key_env": (str, "text"),
    "key_file": (str, "text"),
    "posts": (str, "a folder, as text"),
    "pages": (str, "a folder, as text"),
    "exclude": (list, "a list of glob patterns"),
    "status": (str, "text"),
    "timezone": (str, "text"),
    "body_format": (str, "text"),
    "tags": (list, "a list of tag names"),
    "max_delete": (int, "a whole number"),
    "max_upload_mb": ((int, float), "a number of megabytes"),
    "prune": (str, "text"),
    "keep": (int, "a whole number"),
    "keep_days": (int, "a whole number"),
    "debounce_ms": (int, "a whole number of milliseconds"),
}


def _check_types(data: dict[str, Any]) -> None:
    tables = [(name, t) for name, t in data.items() if name != "sites"]
    tables += [(f"sites.{n}", t) for n, t in data.get("sites", {}).items()]
    for table_name, table in tables:
        for key, value in table.items():
            expected, words = TYPES[key]
            items_ok = not isinstance(value, list) or all(
                isinstance(item, str) and item for item in value
            )
            wrong_bool = isinstance(value, bool) and expected is not bool
            if not isinstance(value, expected) or not items_ok or wrong_bool:
                raise ConfigError(
                    f"{table_name}.{key} in ghostsync.toml is {value!r}",
                    hint=f"it must be {words}",
                )


def _check_values(settings: Settings) -> None:
    if settings.body_format not in BODY_FORMATS:
        raise ConfigError(
            f"defaults.body_format is '{settings.body_format}'",
            hint="use 'markdown' or 'html'",
        )
    if settings.default_status not in STATUSES:
        raise ConfigError(
            f"defaults.status is '{settings.default_status}'",
            hint="use 'draft' or 'published'",
        )
    if settings.prune not in ("delete", "draft"):
        raise ConfigError(
            f"push.prune is '{settings.prune}'", hint="use 'delete' or 'draft'"
        )
    if not isinstance(settings.max_delete, int) or settings.max_delete < 0:
        raise ConfigError("push.max_delete must be a whole number ≥ 0")
    if settings.backups_keep < 1 or settings.backups_keep_days < 0:
        raise ConfigError(
            "backups.keep must be ≥ 1 and backups.keep_days ≥ 0",
            hint="e.g. keep = 10 (folders) and keep_days = 30",
        )
    if isinstance(settings.max_upload_mb, bool) or settings.max_upload_mb <= 0:
        raise ConfigError("content.max_upload_mb must be a number above 0")
    if not 0 <= settings.watch_debounce_ms <= 60_000:
        raise ConfigError(
            f"watch.debounce_ms is {settings.watch_debounce_ms}",
            hint="use a whole number of milliseconds from 0 to 60000 (default 300)",
        )
    if settings.timezone:
        _check_timezone(settings.timezone)


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"defaults.timezone '{name}' is not a known time zone",
            hint="use an IANA name such as 'Europe/Berlin', or leave it empty",
        ) from None


def _resolve(root: Path, value: str) -> Path:
    return (root / Path(value).expanduser()).resolve()


def _read_key_file(path: Path, key_env: str) -> str:
    """A key file holds the bare key, or ``NAME=value`` lines like an env file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read key_file {path}: {error.strerror}") from None

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    pairs = dict(line.split("=", 1) for line in lines if "=" in line)
    value = pairs.get(key_env) or (lines[0] if lines and "=" not in lines[0] else "")
    if not value:
        raise ConfigError(
            f"key_file {path} holds no key",
            hint=f"put the key alone in the file, or a line {key_env}=<key>",
        )
    return value.strip()


def check_key_file(settings: Settings) -> str:
    """A warning when ``key_file`` lies inside the project root ('' when outside).

    ConfigError when git says it does not ignore the file: the key would be
    committed with the next ``git add``.
    """
    if settings.key_file is None:
        return ""
    path = settings.key_file.resolve()
    root = settings.root.resolve()
    if not path.is_relative_to(root):
        return ""

    rel = path.relative_to(root).as_posix()
    fix = (
        "move it outside the project (e.g. ~/.config/ghostsync/site.key) and"
        " point key_file in ghostsync.toml at it"
    )
    ignored = _git_ignores(root, rel)
    if ignored is False:
        raise ConfigError(
            f"key_file {rel} lies inside the project and git does not ignore it:"
            " the Admin API key would be committed",
            hint=f"{fix} (or at least add {rel} to .gitignore)",
        )
    how = "git ignores it" if ignored else "git cannot tell whether it is ignored"
    return f"key_file {rel} lies inside the project root ({how}): {fix}"


def _git_ignores(root: Path, rel: str) -> bool | None:
    """What ``git check-ignore`` says of ``rel``; None outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "--", rel],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {0: True, 1: False}.get(done.returncode)


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file (blank lines and ``#`` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read env file {path}: {error.strerror}") from None

    pairs = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            pairs[name.strip().removeprefix("export ").strip()] = value.strip()
    return pairs
