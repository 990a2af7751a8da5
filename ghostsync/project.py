"""Setting up a project folder: ``ghostsync init``."""

from __future__ import annotations

from pathlib import Path

from ghostsync.config import CONFIG_NAME
from ghostsync.errors import ConfigError

CONFIG_TEMPLATE = """\
# ghostsync configuration. Flags override the environment, which overrides this file.

[site]
# The admin URL of your Ghost site (it may have a subdirectory). GHOST_URL overrides it.
url = "{url}"
# Where the Admin API key comes from: an environment variable...
key_env = "GHOST_ADMIN_API_KEY"
# ...or a file outside git (the bare key, or a GHOST_ADMIN_API_KEY= line):
# key_file = "~/.config/ghostsync/my-site.key"

[content]
posts = "content/posts"
pages = "content/pages"
exclude = ["**/_drafts/**", "**/README.md"]
# max_upload_mb = 20       # images, media and files a post refers to

[defaults]
status = "draft"          # or "published"
timezone = ""             # empty: the site's time zone
body_format = "markdown"  # or "html"
tags = []

[push]
max_delete = 5            # push --prune deletes at most this many (--max-delete, --yes)
prune = "delete"          # or "draft": push --prune unpublishes instead

[backups]
keep = 10                 # the newest backup folders always kept...
keep_days = 30            # ...and any younger than this

[watch]
debounce_ms = 300         # quiet time after a save before 'ghostsync watch' pushes
"""

GITIGNORE_LINES = [
    "# ghostsync: per-machine files (the state in .ghostsync/state/ is committed)",
    ".ghostsync/cache/",
    ".ghostsync/journal/",
    ".ghostsync/backups/",
    ".ghostsync/conflicts/",
]


def init_project(root: Path, *, url: str = "", force: bool = False) -> list[str]:
    """Create the config, the content folders and .gitignore lines; say what."""
    done = []
    config = root / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(
            f"{config} already exists", hint="use --force to overwrite it"
        )

    root.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG_TEMPLATE.format(url=url or "https://example.com/"))
    done.append(f"wrote {CONFIG_NAME}")
    for folder in ("content/posts", "content/pages"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        done.append(f"folder {folder}/")
    done.append(_gitignore(root))
    return done


def _gitignore(root: Path) -> str:
    path = root / ".gitignore"
    existing = path.read_text().splitlines() if path.exists() else []
    missing = [line for line in GITIGNORE_LINES if line not in existing]
    if not missing:
        return ".gitignore already ignores ghostsync's own files"

    text = "\n".join(existing + ([""] if existing else []) + missing) + "\n"
    path.write_text(text)
    return "added ghostsync's lines to .gitignore"


def check_site(root: Path) -> str:
    """Connect to the configured site when a key is at hand; init never needs one."""
    from ghostsync.config import load_settings
    from ghostsync.ghost.client import GhostClient

    settings = load_settings(root)
    try:
        key = settings.key()
    except ConfigError as err:
        return f"site not checked yet ({err.message}): {err.hint}"
    client = GhostClient(settings.url, key)
    info = client.site()
    client.check_auth()
    return f"connected to '{info.get('title', '')}' (Ghost {info.get('version', '?')})"
