"""Start, watch and stop one local Ghost instance on 127.0.0.1.

An instance is a data folder (``--data``, ``$GHOSTSYNC_LOCAL_DATA``, else
``<cache>/instances/default``) holding::

    current -> <cache>/ghost/versions/<version>   (Ghost finds its root here)
    config.production.json                      rewritten at every start
    content/                                    SQLite DB, images, themes
    ghost.pid  ghost.port  ghost.log  ghost.env

Ghost runs in its own session and process group, so ``stop`` can end it and
anything it spawned, and it only ever signals a process whose command line and
working folder show it is the Ghost of that data folder. The env file that
setup writes is private (0600 from its creation) and its ``GHOST_URL`` follows
the port of each start.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostsync.errors import ConfigError, GhostsyncError, SiteError
from ghostsync.localghost_install import Layout, cache_dir, is_installed, layout
from ghostsync.localghost_install import tool_env as _tool_env

log = logging.getLogger("ghostsync.localghost")

HOST = "127.0.0.1"
READY_PATH = "/ghost/api/admin/site/"
ENTRY = "current/index.js"
CONTENT_DIRS = (
    "data",
    "images",
    "media",
    "files",
    "logs",
    "settings",
    "public",
    "adapters",
    "themes",
)
INSTANCE_NAMES = {
    "current",
    "config.production.json",
    "content",
    "ghost.pid",
    "ghost.port",
    "ghost.log",
    "ghost.env",
}
ENV_KEYS = (
    "GHOST_URL",
    "GHOST_ADMIN_API_KEY",
    "GHOST_CONTENT_API_KEY",
    "GHOST_OWNER_EMAIL",
    "GHOST_OWNER_PASSWORD",
    "GHOST_STAFF_EMAIL",
    "GHOST_STAFF_PASSWORD",
    "GHOST_STAFF_SLUG",
    "GHOST_STAFF_TOKEN",
)
# express-brute settings loose enough for a test suite that logs in often.
RELAXED_LIMIT = {"minWait": 1, "maxWait": 2, "lifetime": 1, "freeRetries": 100000}
SPAM_LIMITS = (
    "user_login",
    "user_reset",
    "user_verification",
    "send_verification_code",
    "global_reset",
    "global_block",
    "private_block",
    "content_api_key",
    "member_login",
    "otc_verification",
    "otc_verification_enumeration",
)


@dataclass(frozen=True)
class Instance:
    """A running local Ghost."""

    data_dir: Path
    url: str
    port: int
    pid: int

    @property
    def env_file(self) -> Path:
        return self.data_dir / "ghost.env"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "ghost.log"


@dataclass(frozen=True)
class Status:
    """What ``status`` found in a data folder."""

    data_dir: Path
    running: bool
    pid: int | None = None
    url: str | None = None


def data_dir(data: Path | str | None = None) -> Path:
    """The instance folder: the argument, ``$GHOSTSYNC_LOCAL_DATA``, the default."""
    chosen = data or os.environ.get("GHOSTSYNC_LOCAL_DATA")
    if chosen:
        return Path(chosen).expanduser().absolute()
    return cache_dir() / "instances" / "default"


def ghost_config(data: Path, port: int) -> dict[str, Any]:
    """The production config of a local instance: loopback only, nothing sent."""
    url = f"http://{HOST}:{port}"
    return {
        "url": url,
        "server": {"host": HOST, "port": port},
        "database": {
            "client": "better-sqlite3",
            "connection": {"filename": str(data / "content" / "data" / "ghost.db")},
        },
        "paths": {"contentPath": str(data / "content")},
        "mail": {"transport": "stub", "from": "noreply@example.com"},
        "logging": {"level": "info", "transports": ["stdout"]},
        "privacy": {"useTinfoil": True},
        "explore": {"update_url": ""},
        "updateCheck": {"url": f"http://{HOST}:9/"},
        "security": {"staffDeviceVerification": False},
        "spam": {name: dict(RELAXED_LIMIT) for name in SPAM_LIMITS},
    }


def start(port: int = 0, data: Path | str | None = None) -> Instance:
    """Start Ghost in the background and wait until its Admin API answers."""
    folder = data_dir(data)
    running = _running(folder)
    if running:
        if port not in (0, running.port):
            log.warning("already running on port %s, not %s", running.port, port)
        log.info("already running (pid %s)", running.pid)
        return running

    lay = layout()
    _require_installed(lay)
    port = _choose_port(port)

    _prepare_folder(folder, lay, port)

    started = time.monotonic()
    pid = _spawn(folder, lay)
    instance = Instance(folder, f"http://{HOST}:{port}", port, pid)
    _wait_ready(instance)
    log.info("ready in %.1f s (pid %s)", time.monotonic() - started, pid)

    _refresh_env_url(instance)
    return instance


def _refresh_env_url(instance: Instance) -> None:
    # A restart may pick another port: keep a set-up env file pointing at it.
    saved = read_env(instance.env_file)
    if saved and saved.get("GHOST_URL") != instance.url:
        write_env(instance.env_file, {**saved, "GHOST_URL": instance.url})


def stop(data: Path | str | None = None) -> bool:
    """Stop the instance of ``data``; False when nothing of ours was running."""
    folder = data_dir(data)
    pid = _owned_pid(folder)
    if pid is None:
        _pid_file(folder).unlink(missing_ok=True)
        return False

    _end_group(pid)
    _pid_file(folder).unlink(missing_ok=True)
    log.info("stopped Ghost (pid %s)", pid)
    return True


def status(data: Path | str | None = None) -> Status:
    """Whether the instance of ``data`` runs, with its pid and URL."""
    folder = data_dir(data)
    running = _running(folder)
    if not running:
        return Status(folder, False)
    return Status(folder, True, running.pid, running.url)


def running_instance(data: Path | str | None = None) -> Instance:
    """The running instance of ``data``, or an error saying how to start it."""
    folder = data_dir(data)
    running = _running(folder)
    if not running:
        where = "" if folder == data_dir() else f" --data {folder}"
        raise SiteError(
            f"no local Ghost runs for {folder}; "
            f"start it with: ghostsync local start{where}"
        )
    return running


def reset(data: Path | str | None = None) -> Path:
    """Stop the instance and delete its data folder (the site starts empty)."""
    folder = data_dir(data)
    stop(folder)

    if folder.exists():
        _check_deletable(folder)
        shutil.rmtree(folder)
    return folder


def _require_installed(lay: Layout) -> None:
    if not is_installed(lay):
        raise GhostsyncError(
            f"Ghost {lay.ghost_version} is not installed in {lay.root}; "
            "run: ghostsync local install"
        )


def _choose_port(port: int) -> int:
    if port < 0 or port > 65535:
        raise ConfigError(f"port {port} is out of range; give 1-65535, or 0 for any")

    if port == 0:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            return int(sock.getsockname()[1])

    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            raise ConfigError(
                f"port {port} on {HOST} is already in use; "
                "choose another with --port, or --port 0 for a free one"
            ) from None
    return port


def _prepare_folder(folder: Path, lay: Layout, port: int) -> None:
    content = folder / "content"
    for name in CONTENT_DIRS:
        (content / name).mkdir(parents=True, exist_ok=True)

    themes = lay.app_dir / "content" / "themes"
    for theme in themes.iterdir():
        target = content / "themes" / theme.name
        if theme.is_dir() and not target.exists():
            shutil.copytree(theme, target, symlinks=True)

    link = folder / "current"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(lay.app_dir)

    config = json.dumps(ghost_config(folder, port), indent=2) + "\n"
    (folder / "config.production.json").write_text(config)
    (folder / "ghost.port").write_text(f"{port}\n")


def _spawn(folder: Path, lay: Layout) -> int:
    env = _tool_env(lay)
    env["NODE_ENV"] = "production"
    log.info("starting Ghost %s (log: %s)", lay.ghost_version, folder / "ghost.log")

    with open(folder / "ghost.log", "ab") as out:
        proc = subprocess.Popen(
            [str(lay.node_bin), ENTRY],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _pid_file(folder).write_text(f"{proc.pid}\n")
    return proc.pid


def _wait_ready(instance: Instance) -> None:
    timeout = float(os.environ.get("GHOSTSYNC_START_TIMEOUT", "180"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(instance.pid):
            _pid_file(instance.data_dir).unlink(missing_ok=True)
            _log_tail(instance.log_file)
            raise SiteError(f"Ghost exited while starting; see {instance.log_file}")
        if probe(instance.url) == 200:
            return
        time.sleep(0.25)

    _log_tail(instance.log_file)
    stop(instance.data_dir)
    raise SiteError(
        f"Ghost did not answer within {timeout:.0f} s and was stopped; "
        f"see {instance.log_file} (GHOSTSYNC_START_TIMEOUT sets the wait)"
    )


def probe(url: str, path: str = READY_PATH) -> int | None:
    """The HTTP status of ``GET url+path``, or None when nothing answers."""
    host, _, port = url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _running(folder: Path) -> Instance | None:
    pid = _owned_pid(folder)
    if pid is None:
        return None

    try:
        port = int((folder / "ghost.port").read_text().strip())
    except (OSError, ValueError):
        return None
    return Instance(folder, f"http://{HOST}:{port}", port, pid)


def _pid_file(folder: Path) -> Path:
    return folder / "ghost.pid"


def _owned_pid(folder: Path) -> int | None:
    """The pid in the pid file if it is this folder's Ghost, else None."""
    try:
        pid = int(_pid_file(folder).read_text().strip())
    except (OSError, ValueError):
        return None

    if not _alive(pid):
        return None
    proc = Path("/proc") / str(pid)
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        cwd = (proc / "cwd").resolve()
    except OSError:
        return None

    is_ghost = ENTRY.encode() in cmdline
    return pid if is_ghost and cwd == folder.resolve() else None


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child is reaped and counts as gone)."""
    _reap(pid)
    state = _proc_stat(pid)
    return state is not None and state[0] != "Z"


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """State letter and process group of ``pid`` from /proc, or None."""
    try:
        raw = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return fields[0], int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == pgid:
            _reap(pid)
        stat = _proc_stat(pid)
        if stat and stat[1] == pgid and stat[0] != "Z":
            members.append(pid)
    return members


def _end_group(pgid: int) -> None:
    grace = float(os.environ.get("GHOSTSYNC_STOP_TIMEOUT", "20"))
    _signal_group(pgid, signal.SIGTERM)
    if _wait_group_gone(pgid, grace):
        return

    log.warning("Ghost (pid %s) ignored SIGTERM for %.0f s; killing it", pgid, grace)
    _signal_group(pgid, signal.SIGKILL)
    if not _wait_group_gone(pgid, 10):
        raise GhostsyncError(
            f"processes of Ghost's group {pgid} survived SIGKILL: {group_members(pgid)}"
        )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.1)
    return not group_members(pgid)


def _check_deletable(folder: Path) -> None:
    unknown = sorted(p.name for p in folder.iterdir() if p.name not in INSTANCE_NAMES)
    if unknown:
        raise GhostsyncError(
            f"{folder} holds files a local Ghost does not make ({', '.join(unknown)}); "
            "not deleting it: remove it by hand if it is an old instance"
        )


def _log_tail(path: Path, count: int = 20) -> None:
    try:
        lines = path.read_text(errors="replace").splitlines()[-count:]
    except OSError:
        return
    for line in lines:
        log.error("%s", line)


def read_env(path: Path) -> dict[str, str]:
    """The ``KEY=value`` lines of an env file (empty when it does not exist)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}

    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def write_env(path: Path, values: dict[str, str]) -> None:
    """Replace ``path`` with ``values``; the file is 0600 before any byte is in."""
    ordered = [name for name in ENV_KEYS if name in values]
    ordered += sorted(name for name in values if name not in ENV_KEYS)
    text = "".join(f"{name}={values[name]}\n" for name in ordered)

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(tmp, path)
