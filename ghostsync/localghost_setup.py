"""Set up a running local Ghost: owner, integration key, a second staff user.

The results go to ``<instance>/ghost.env`` (mode 0600 from its creation):

    GHOST_URL, GHOST_ADMIN_API_KEY, GHOST_CONTENT_API_KEY,
    GHOST_OWNER_EMAIL, GHOST_OWNER_PASSWORD,
    GHOST_STAFF_EMAIL, GHOST_STAFF_PASSWORD, GHOST_STAFF_SLUG, GHOST_STAFF_TOKEN

An Admin API key cannot create users, so the staff user is invited with the
owner's session and the invite is accepted with its token, read from the
instance's own SQLite file (Ghost keeps it there and only mails it otherwise).
Its staff access token comes from its own session: Ghost hands a user's token
to that user only.

A set-up database can be kept as a template in the cache, so a new instance
starts from it instead of running the migrations and this setup again.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from ghostsync.errors import GhostsyncError, SiteError, UnreachableError
from ghostsync.ghost.auth import AdminKey, make_token
from ghostsync.localghost_install import cache_dir, layout
from ghostsync.localghost_process import (
    ENV_KEYS,
    Instance,
    data_dir,
    read_env,
    running_instance,
    write_env,
)

log = logging.getLogger("ghostsync.localghost")

OWNER_EMAIL = "owner@example.com"
OWNER_NAME = "Olivia Owner"
STAFF_EMAIL = "staff@example.com"
STAFF_NAME = "Sam Staff"
STAFF_ROLE = "Editor"
SITE_TITLE = "Ghostsync Local"
INTEGRATION = "ghostsync"
TEMPLATE_FORMAT = 1


class AdminApi:
    """A small JSON caller for the Admin API: cookie session or Admin API key."""

    def __init__(self, url: str, key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: never through a proxy
        self.http.headers["Origin"] = self.url

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one request; the status and the decoded JSON body (or None)."""
        headers = {}
        if self.key:
            headers["Authorization"] = f"Ghost {admin_token(self.key)}"

        target = f"{self.url}/ghost/api/admin{path}"
        try:
            resp = self.http.request(
                method, target, json=body, headers=headers, timeout=60
            )
        except requests.RequestException as err:
            raise UnreachableError(
                f"cannot reach the local Ghost at {self.url} ({type(err).__name__}); "
                "check that it runs: ghostsync local status"
            ) from None
        return resp.status_code, _json(resp)

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        """Like :meth:`call`, raising unless Ghost answers ``status``."""
        code, data = self.call(method, path, body)
        if code != status:
            raise SiteError(
                f"{method} {path} on the local Ghost answered {code}: "
                f"{_ghost_message(data)}"
            )
        return data

    def login(self, email: str, password: str) -> None:
        """Start a staff session (a cookie) for ``email``."""
        body = {"username": email, "password": password}
        code, data = self.call("POST", "/session/", body)
        if code != 201:
            raise SiteError(
                f"signing in as {email} failed ({code}: {_ghost_message(data)}); "
                "if the saved password is stale, run: ghostsync local reset"
            )

    def logout(self) -> None:
        """End the session, if any."""
        self.call("DELETE", "/session/")


def admin_token(key: str) -> str:
    """A short-lived JWT for an Admin API key or staff token (``id:secret``)."""
    return make_token(AdminKey.parse(key), time.time())


def key_works(url: str, key: str | None) -> bool:
    """Whether ``key`` can browse posts on the site at ``url``."""
    if not key or ":" not in key:
        return False
    try:
        code, _ = AdminApi(url, key).call("GET", "/posts/?limit=1&fields=id")
    except (UnreachableError, ValueError):
        return False
    return code == 200


def setup(data: Path | str | None = None) -> Path:
    """Make sure the running instance is set up; return its env file path."""
    instance = running_instance(data)
    saved = read_env(instance.env_file)
    started = time.monotonic()

    if _saved_setup_works(instance.url, saved):
        if saved.get("GHOST_URL") != instance.url:
            write_env(instance.env_file, {**saved, "GHOST_URL": instance.url})
        log.info("already set up; the saved keys work")
        return instance.env_file

    values = _full_setup(instance, saved)
    write_env(instance.env_file, values)
    log.info("set up in %.1f s", time.monotonic() - started)
    return instance.env_file


def _saved_setup_works(url: str, saved: dict[str, str]) -> bool:
    if any(not saved.get(name) for name in ENV_KEYS[1:]):
        return False

    admin = key_works(url, saved["GHOST_ADMIN_API_KEY"])
    return admin and key_works(url, saved["GHOST_STAFF_TOKEN"])


def _full_setup(instance: Instance, saved: dict[str, str]) -> dict[str, str]:
    values = {**saved, "GHOST_URL": instance.url}
    owner = AdminApi(instance.url)
    _ensure_owner(owner, values, instance.env_file)

    owner.login(values["GHOST_OWNER_EMAIL"], values["GHOST_OWNER_PASSWORD"])
    values.update(_integration_keys(owner))

    _ensure_staff(owner, values, instance)
    owner.logout()

    staff = AdminApi(instance.url)
    staff.login(values["GHOST_STAFF_EMAIL"], values["GHOST_STAFF_PASSWORD"])
    values["GHOST_STAFF_TOKEN"] = _staff_token(staff)
    staff.logout()

    _verify(instance.url, values)
    return values


def _ensure_owner(api: AdminApi, values: dict[str, str], env_file: Path) -> None:
    state = api.expect(200, "GET", "/authentication/setup/")
    if state["setup"][0]["status"]:
        if not values.get("GHOST_OWNER_PASSWORD"):
            raise GhostsyncError(
                f"the local Ghost is set up but {env_file} has no owner password; "
                "start over with: ghostsync local reset"
            )
        return

    values.setdefault("GHOST_OWNER_EMAIL", OWNER_EMAIL)
    values["GHOST_OWNER_PASSWORD"] = new_password()
    write_env(env_file, values)  # saved first, so a failure below can be retried

    owner = {
        "name": OWNER_NAME,
        "email": values["GHOST_OWNER_EMAIL"],
        "password": values["GHOST_OWNER_PASSWORD"],
        "blogTitle": SITE_TITLE,
    }
    api.expect(201, "POST", "/authentication/setup/", {"setup": [owner]})
    log.info("owner created: %s", values["GHOST_OWNER_EMAIL"])


def _integration_keys(api: AdminApi) -> dict[str, str]:
    found = api.expect(200, "GET", "/integrations/?include=api_keys&limit=all")
    ours = [
        item
        for item in found["integrations"]
        if item["name"] == INTEGRATION and item["type"] == "custom"
    ]
    if ours:
        integration = ours[0]
    else:
        body = {"integrations": [{"name": INTEGRATION}]}
        made = api.expect(201, "POST", "/integrations/?include=api_keys", body)
        integration = made["integrations"][0]
        log.info("integration created: %s", INTEGRATION)

    keys = {key["type"]: key for key in integration["api_keys"]}
    return {
        "GHOST_ADMIN_API_KEY": _full_key(keys["admin"]),
        "GHOST_CONTENT_API_KEY": keys["content"]["secret"],
    }


def _full_key(api_key: dict[str, str]) -> str:
    # Ghost 6 already returns an admin secret as "id:secret".
    secret = api_key["secret"]
    return secret if ":" in secret else f"{api_key['id']}:{secret}"


def _ensure_staff(api: AdminApi, values: dict[str, str], instance: Instance) -> None:
    email = values.setdefault("GHOST_STAFF_EMAIL", STAFF_EMAIL)
    path = f"/users/email/{quote(email)}/"
    code, found = api.call("GET", path)
    if code != 200:
        _invite_staff(api, values, instance)
        found = api.expect(200, "GET", path)
    elif not values.get("GHOST_STAFF_PASSWORD"):
        raise GhostsyncError(
            f"the staff user {email} exists but {instance.env_file} has no "
            "password for it; start over with: ghostsync local reset"
        )
    values["GHOST_STAFF_SLUG"] = found["users"][0]["slug"]


def _invite_staff(api: AdminApi, values: dict[str, str], instance: Instance) -> None:
    values["GHOST_STAFF_PASSWORD"] = new_password()
    write_env(instance.env_file, values)

    invite = {"email": values["GHOST_STAFF_EMAIL"], "role_id": _role_id(api)}
    made = api.expect(201, "POST", "/invites/", {"invites": [invite]})

    db = instance.data_dir / "content" / "data" / "ghost.db"
    token = invite_token(db, made["invites"][0]["id"])
    accept = {
        "token": token,
        "email": values["GHOST_STAFF_EMAIL"],
        "name": STAFF_NAME,
        "password": values["GHOST_STAFF_PASSWORD"],
    }
    api.expect(200, "POST", "/authentication/invitation/", {"invitation": [accept]})
    log.info("staff user created: %s (%s)", values["GHOST_STAFF_EMAIL"], STAFF_ROLE)


def _role_id(api: AdminApi) -> str:
    roles = api.expect(200, "GET", "/roles/?permissions=assign")["roles"]
    for role in roles:
        if role["name"] == STAFF_ROLE:
            return str(role["id"])
    raise SiteError(f"the local Ghost has no assignable {STAFF_ROLE} role")


def invite_token(db: Path, invite_id: str) -> str:
    """The invite's token as an accept request carries it (URL-safe base64)."""
    uri = f"{db.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        row = conn.execute(
            "SELECT token FROM invites WHERE id = ?", (invite_id,)
        ).fetchone()

    if row is None:
        raise SiteError(f"the invite {invite_id} is not in {db}")
    return urlsafe_token(str(row[0]))


def urlsafe_token(token: str) -> str:
    """Ghost's URL-safe form of a base64 token: ``-``/``_``, no padding."""
    return token.replace("+", "-").replace("/", "_").rstrip("=")


def _staff_token(api: AdminApi) -> str:
    found = api.expect(200, "GET", "/users/me/token/")
    return _full_key(found["apiKey"])


def _verify(url: str, values: dict[str, str]) -> None:
    for name in ("GHOST_ADMIN_API_KEY", "GHOST_STAFF_TOKEN"):
        if not key_works(url, values[name]):
            raise SiteError(f"the new {name} is refused by the local Ghost at {url}")


def new_password() -> str:
    """A password Ghost accepts (long, varied, without ``ghost``/``password``)."""
    return f"gs-{secrets.token_hex(16)}"


def template_dir() -> Path:
    """Where a set-up database for new instances is kept."""
    name = f"ghost-{layout().ghost_version}-{TEMPLATE_FORMAT}"
    return cache_dir() / "templates" / name


def save_template(data: Path | str | None = None) -> Path:
    """Keep the set-up database and env file of ``data`` as the template."""
    folder = data_dir(data)
    target = template_dir()
    target.parent.mkdir(parents=True, exist_ok=True)

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
    try:
        _backup_db(folder / "content" / "data" / "ghost.db", staging / "ghost.db")
        write_env(staging / "ghost.env", read_env(folder / "ghost.env"))
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except OSError:
        log.info("the template was not saved (another run may have saved it)")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _backup_db(source: Path, dest: Path) -> None:
    # The backup API gives a consistent copy while Ghost keeps the file open.
    uri = f"{source.resolve().as_uri()}?mode=ro"
    source_db = closing(sqlite3.connect(uri, uri=True, timeout=10))
    with source_db as src, closing(sqlite3.connect(dest)) as out:
        src.backup(out)
    os.chmod(dest, 0o600)


def seed_from_template(data: Path | str | None = None) -> bool:
    """Give a new instance folder the template's database; False if none."""
    folder = data_dir(data)
    source = template_dir()
    db = folder / "content" / "data" / "ghost.db"
    ready = (source / "ghost.db").is_file() and (source / "ghost.env").is_file()
    if not ready or db.exists():
        return False

    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "ghost.db", db)
    os.chmod(db, 0o600)
    write_env(folder / "ghost.env", read_env(source / "ghost.env"))
    return True


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _ghost_message(data: Any) -> str:
    try:
        error = data["errors"][0]
    except (KeyError, IndexError, TypeError):
        return "no error details"
    context = error.get("context")
    return f"{error.get('message')}" + (f" ({context})" if context else "")
