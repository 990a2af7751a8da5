"""A throw-away local Ghost for the benchmark, seeded through ``/db/`` import.

The instance lives in a new temporary folder and is stopped and removed at the
end; an instance a user runs is never touched. Posts are seeded with one
``POST /ghost/api/admin/db/`` of a Ghost JSON export, not one request a post.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostsync import localghost
from ghostsync.errors import UnreachableError
from ghostsync.localghost_setup import (
    AdminApi,
    read_env,
    save_template,
    seed_from_template,
)


@dataclass(frozen=True)
class Site:
    """A running local Ghost the benchmark may write to."""

    url: str
    key: str
    version: str
    data: Path
    owner: tuple[str, str]


@contextmanager
def local_site() -> Iterator[Site]:
    """Start a fresh local Ghost in a temporary folder; stop and remove it after."""
    localghost.install()
    data = Path(tempfile.mkdtemp(prefix="ghostsync-bench-"))
    try:
        seeded = seed_from_template(data)
        localghost.start(port=0, data=data)
        env = read_env(localghost.setup(data))
        if not seeded:
            save_template(data)
        api = AdminApi(env["GHOST_URL"], env["GHOST_ADMIN_API_KEY"])
        version = api.expect(200, "GET", "/site/")["site"]["version"]
        owner = (env["GHOST_OWNER_EMAIL"], env["GHOST_OWNER_PASSWORD"])
        yield Site(env["GHOST_URL"], env["GHOST_ADMIN_API_KEY"], version, data, owner)
    finally:
        localghost.stop(data)
        shutil.rmtree(data, ignore_errors=True)


def import_export(site: Site, export: dict[str, Any]) -> float:
    """Import a Ghost JSON export; wait until its posts are in; seconds taken.

    Ghost runs an import as a background job and tags every imported post
    ``#Import <date>``; the tag is deleted afterwards so the posts hold only
    the tags the export gave them.
    """
    api = AdminApi(site.url, site.key)
    expected = _count(api, "posts") + len(export["db"][0]["data"]["posts"])
    timeout = 120 + 0.3 * len(export["db"][0]["data"]["posts"])
    started = time.monotonic()
    _upload(site, export)
    _wait_for(api, expected, started + timeout, site.data / "ghost.log")
    _delete_import_tags(api)
    return time.monotonic() - started


def _upload(site: Site, export: dict[str, Any]) -> None:
    # An integration key may not import (403): the owner's session may.
    owner = AdminApi(site.url)
    owner.login(*site.owner)
    body = json.dumps(export).encode()
    files = {"importfile": ("bench.json", body, "application/json")}
    resp = owner.http.post(f"{site.url}/ghost/api/admin/db/", files=files, timeout=600)
    # No logout: the import job keeps Ghost too busy to answer it in time, and
    # the session dies with the instance.
    if resp.status_code not in (200, 202):
        raise RuntimeError(f"import answered {resp.status_code}: {resp.text[:300]}")


def _count(api: AdminApi, kind: str) -> int:
    body = api.expect(200, "GET", f"/{kind}/?limit=1&fields=id")
    return int(body["meta"]["pagination"]["total"])


def _wait_for(api: AdminApi, expected: int, deadline: float, log: Path) -> None:
    # While the import's transaction holds SQLite, reads may time out (500).
    while _count_or_zero(api) < expected:
        if "site-content-import failed" in log.read_text(errors="replace"):
            raise RuntimeError(f"Ghost's import failed; its log is {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the import did not bring {expected} posts in time")
        time.sleep(0.5)


def _count_or_zero(api: AdminApi) -> int:
    try:
        code, body = api.call("GET", "/posts/?limit=1&fields=id")
    except UnreachableError:  # busy importing
        return 0
    if code != 200:
        return 0
    return int(body["meta"]["pagination"]["total"])


def _delete_import_tags(api: AdminApi) -> None:
    # The tag is attached in the same transaction as the posts.
    tags = api.expect(200, "GET", "/tags/?limit=100&fields=id,name")["tags"]
    for tag in tags:
        if tag["name"].startswith("#Import"):
            api.expect(204, "DELETE", f"/tags/{tag['id']}/")


def counts(site: Site) -> dict[str, int]:
    """How many posts and pages the site has."""
    api = AdminApi(site.url, site.key)
    return {"post": _count(api, "posts"), "page": _count(api, "pages")}
