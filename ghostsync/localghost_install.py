"""Install a local Ghost (SQLite) for tests and trials, into the user's cache.

Everything comes from the npm registry: Node from the ``node-linux-<arch>``
package (binary and headers), Ghost from its release tarball, pnpm at the
version the release pins in ``packageManager``. Native modules such as
better-sqlite3 are compiled locally against that Node's headers.

Layout under ``<cache>/ghost``::

    node/                 Node (bin/node, include/node)
    tools/                pnpm
    versions/<version>/   the Ghost release and its node_modules
    .pnpm-store/          pnpm's content-addressed store
    install.log           output of the last dependency install

Each step checks its own result first, so a second run (or a run after an
interrupted one) only does what is missing, and a finished install is seen
from a marker file in a few milliseconds.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ghostsync.errors import ConfigError, GhostsyncError

log = logging.getLogger("ghostsync.localghost")

DEFAULT_GHOST_VERSION = "6.65.0"
DEFAULT_NODE_VERSION = "22.23.5"
NEEDED_BYTES = 1_200_000_000
MARKER_NAME = ".ghostsync-installed"
SQLITE_CHECK = (
    "const D = require('better-sqlite3');new D(':memory:').prepare('select 1').get();"
)


@dataclass(frozen=True)
class Layout:
    """Where one Ghost version and its tools live in the cache."""

    root: Path
    ghost_version: str
    node_version: str

    @property
    def node_dir(self) -> Path:
        return self.root / "node"

    @property
    def node_bin(self) -> Path:
        return self.node_dir / "bin" / "node"

    @property
    def tools_dir(self) -> Path:
        return self.root / "tools"

    @property
    def pnpm_bin(self) -> Path:
        return self.tools_dir / "node_modules" / ".bin" / "pnpm"

    @property
    def app_dir(self) -> Path:
        return self.root / "versions" / self.ghost_version

    @property
    def store_dir(self) -> Path:
        return self.root / ".pnpm-store"

    @property
    def install_log(self) -> Path:
        return self.root / "install.log"

    @property
    def marker(self) -> Path:
        return self.app_dir / MARKER_NAME


def cache_dir() -> Path:
    """The ghostsync cache: ``$GHOSTSYNC_CACHE_DIR``, else the XDG cache folder."""
    explicit = os.environ.get("GHOSTSYNC_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()

    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ghostsync"


def layout() -> Layout:
    """The install layout for the versions chosen by the environment."""
    ghost = os.environ.get("GHOSTSYNC_GHOST_VERSION") or DEFAULT_GHOST_VERSION
    node = os.environ.get("GHOSTSYNC_NODE_VERSION") or DEFAULT_NODE_VERSION
    return Layout(cache_dir() / "ghost", ghost, node)


def is_installed(lay: Layout | None = None) -> bool:
    """Whether the marker of a finished install matches the chosen versions."""
    lay = lay or layout()
    try:
        recorded = json.loads(lay.marker.read_text())
    except (OSError, ValueError):
        return False

    wanted = {"ghost": lay.ghost_version, "node": lay.node_version}
    pnpm = os.environ.get("GHOSTSYNC_PNPM_VERSION")
    if pnpm:
        wanted["pnpm"] = pnpm
    same = all(recorded.get(k) == v for k, v in wanted.items())
    return same and lay.node_bin.is_file()


def install() -> Path:
    """Install Node, pnpm and Ghost into the cache if needed; return the app dir."""
    lay = layout()
    if is_installed(lay):
        log.info("Ghost %s is installed in %s", lay.ghost_version, lay.app_dir)
        return lay.app_dir

    lay.root.mkdir(parents=True, exist_ok=True)
    with _install_lock(lay.root):
        if is_installed(lay):
            return lay.app_dir
        started = time.monotonic()
        _install_steps(lay)
        elapsed = time.monotonic() - started
    log.info("installed Ghost %s in %.0f s", lay.ghost_version, elapsed)
    return lay.app_dir


def _install_steps(lay: Layout) -> None:
    check_prerequisites()

    if _needs_download(lay):
        check_disk_space(lay.root)
    _ensure_node(lay)

    _ensure_app(lay)

    pnpm_version = _ensure_pnpm(lay)

    _install_dependencies(lay)

    _check_sqlite(lay)

    record = {
        "ghost": lay.ghost_version,
        "node": lay.node_version,
        "pnpm": pnpm_version,
    }
    lay.marker.write_text(json.dumps(record) + "\n")


def _needs_download(lay: Layout) -> bool:
    modules = lay.app_dir / "node_modules" / ".modules.yaml"
    return not (_node_ok(lay) and _app_extracted(lay) and modules.is_file())


@contextmanager
def _install_lock(root: Path) -> Iterator[None]:
    with open(root / ".install.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_prerequisites() -> None:
    """Fail with one line naming every missing tool the install needs."""
    wanted = {
        "npm": ["npm"],
        "make": ["make"],
        "a C++ compiler (g++)": ["g++", "c++", "clang++"],
        "a C compiler (gcc)": ["gcc", "cc", "clang"],
        "tar": ["tar"],
    }
    missing = [name for name, tools in wanted.items() if not _which_any(tools)]
    if missing:
        raise GhostsyncError(
            f"missing {', '.join(missing)}: the local Ghost needs npm to download "
            "packages and a C/C++ toolchain to build better-sqlite3; install them "
            "(Debian: apt-get install npm build-essential) and run install again"
        )

    if platform.system() != "Linux":
        raise GhostsyncError(
            "the local Ghost installs the Linux build of Node only; "
            "run it on Linux or point GHOSTSYNC_TEST_URL at a running Ghost"
        )


def _which_any(tools: list[str]) -> bool:
    return any(shutil.which(tool) for tool in tools)


def check_disk_space(root: Path, needed: int = NEEDED_BYTES) -> None:
    """Fail before any download when the cache's disk has too little room."""
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent

    free = shutil.disk_usage(existing).free
    if free < needed:
        raise GhostsyncError(
            f"only {free / 1e9:.1f} GB free for {root}; the local Ghost needs about "
            f"{needed / 1e9:.1f} GB: free some space or set GHOSTSYNC_CACHE_DIR "
            "to a folder on a larger disk"
        )


def node_arch() -> str:
    """The suffix of the npm package that carries Node for this machine."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
    if machine not in arch:
        raise GhostsyncError(
            f"no Node package for the {machine} architecture on the npm registry; "
            "use a running Ghost through GHOSTSYNC_TEST_URL instead"
        )
    return arch[machine]


def tool_env(lay: Layout) -> dict[str, str]:
    """The environment for Node, pnpm and node-gyp: our Node first on PATH."""
    env = dict(os.environ)
    path = [str(lay.node_dir / "bin"), str(lay.pnpm_bin.parent), env.get("PATH", "")]
    env["PATH"] = os.pathsep.join(path)

    # A user's ~/.npmrc may point node-gyp at another Node's headers.
    env["npm_config_nodedir"] = str(lay.node_dir)
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    env["npm_config_audit"] = "false"
    if not shutil.which("python3"):
        env.setdefault("npm_config_python", sys.executable)
    return env


def _node_ok(lay: Layout) -> bool:
    headers = lay.node_dir / "include" / "node" / "node.h"
    if not (lay.node_bin.is_file() and headers.is_file()):
        return False

    meta = _read_json(lay.node_dir / "package.json")
    return meta.get("version") == lay.node_version


def _ensure_node(lay: Layout) -> None:
    if _node_ok(lay):
        return

    log.info("downloading node-linux-%s@%s", node_arch(), lay.node_version)
    package = f"node-linux-{node_arch()}@{lay.node_version}"
    with tempfile.TemporaryDirectory(dir=lay.root, prefix=".dl-") as tmp:
        tarball = _npm_pack(package, Path(tmp), lay)
        staging = Path(tmp) / "node"
        _extract(tarball, staging)
        shutil.rmtree(lay.node_dir, ignore_errors=True)
        staging.rename(lay.node_dir)

    if not _node_ok(lay):
        raise GhostsyncError(
            f"the package {package} has no usable Node binary and headers; "
            "choose another version with GHOSTSYNC_NODE_VERSION"
        )


def _app_extracted(lay: Layout) -> bool:
    meta = _read_json(lay.app_dir / "package.json")
    lockfile = lay.app_dir / "pnpm-lock.yaml"
    return meta.get("version") == lay.ghost_version and lockfile.is_file()


def _ensure_app(lay: Layout) -> None:
    if _app_extracted(lay):
        return

    log.info("downloading ghost@%s", lay.ghost_version)
    lay.app_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lay.root, prefix=".dl-") as tmp:
        tarball = _npm_pack(f"ghost@{lay.ghost_version}", Path(tmp), lay)
        staging = Path(tmp) / "app"
        _extract(tarball, staging)
        shutil.rmtree(lay.app_dir, ignore_errors=True)
        staging.rename(lay.app_dir)

    if not _app_extracted(lay):
        raise GhostsyncError(
            f"ghost@{lay.ghost_version} has no pnpm-lock.yaml; this installer "
            "supports Ghost 6 releases: set GHOSTSYNC_GHOST_VERSION to one"
        )


def pinned_pnpm_version(lay: Layout) -> str:
    """The pnpm version to use: the override, else the release's packageManager."""
    override = os.environ.get("GHOSTSYNC_PNPM_VERSION")
    if override:
        return override

    manager = str(_read_json(lay.app_dir / "package.json").get("packageManager", ""))
    name, _, version = manager.partition("@")
    if name != "pnpm" or not version:
        raise ConfigError(
            f"Ghost {lay.ghost_version} does not pin a pnpm version in its "
            "package.json; set GHOSTSYNC_PNPM_VERSION"
        )
    return version.split("+", 1)[0]


def _ensure_pnpm(lay: Layout) -> str:
    version = pinned_pnpm_version(lay)
    installed = _read_json(lay.tools_dir / "node_modules" / "pnpm" / "package.json")
    if installed.get("version") == version and lay.pnpm_bin.exists():
        return version

    log.info("installing pnpm@%s", version)
    lay.tools_dir.mkdir(parents=True, exist_ok=True)
    cmd = ["npm", "install", "--no-save", "--silent", "--prefix", str(lay.tools_dir)]
    _run([*cmd, f"pnpm@{version}"], lay, what=f"installing pnpm@{version}")
    return version


def _install_dependencies(lay: Layout) -> None:
    log.info("installing Ghost's dependencies with pnpm (compiles native modules)")
    cmd = [
        str(lay.pnpm_bin),
        "install",
        "--prod",
        "--frozen-lockfile",
        f"--store-dir={lay.store_dir}",
        "--reporter=append-only",
    ]
    _run_logged(cmd, lay)


def _check_sqlite(lay: Layout) -> None:
    if _sqlite_loads(lay):
        return

    # A Node of another ABI than the one the modules were built for: rebuild.
    log.info("better-sqlite3 does not load; rebuilding native modules")
    _run_logged([str(lay.pnpm_bin), "rebuild", "--prod"], lay)
    if not _sqlite_loads(lay):
        raise GhostsyncError(
            f"better-sqlite3 does not load in Node {lay.node_version}; "
            f"see {lay.install_log}, then remove {lay.app_dir} and install again"
        )


def _sqlite_loads(lay: Layout) -> bool:
    result = subprocess.run(
        [str(lay.node_bin), "-e", SQLITE_CHECK],
        cwd=lay.app_dir,
        env=tool_env(lay),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _npm_pack(package: str, dest: Path, lay: Layout) -> Path:
    before = set(dest.glob("*.tgz"))
    cmd = ["npm", "pack", "--silent", "--pack-destination", str(dest), package]
    _run(cmd, lay, what=f"downloading {package}", cwd=dest)

    made = sorted(set(dest.glob("*.tgz")) - before)
    if len(made) != 1:
        raise GhostsyncError(f"npm pack {package} left no tarball in {dest}")
    return made[0]


def _extract(tarball: Path, dest: Path) -> None:
    dest.mkdir(parents=True)
    cmd = ["tar", "-xzf", str(tarball), "-C", str(dest), "--strip-components=1"]
    result = subprocess.run([*cmd, "--no-same-owner"], check=False)
    if result.returncode != 0:
        raise GhostsyncError(
            f"could not unpack {tarball.name} into {dest}; check the free space "
            "and remove the folder to retry"
        )
    tarball.unlink()


def _run(cmd: list[str], lay: Layout, *, what: str, cwd: Path | None = None) -> None:
    result = subprocess.run(
        cmd,
        cwd=cwd or lay.root,
        env=tool_env(lay),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        last = lines[-1] if lines else f"exit code {result.returncode}"
        raise GhostsyncError(
            f"{what} failed: {last}; check that the npm registry is reachable"
        )


def _run_logged(cmd: list[str], lay: Layout) -> None:
    env = tool_env(lay)
    env.update({"CI": "true", "NODE_ENV": "production"})
    with open(lay.install_log, "w") as out:
        result = subprocess.run(
            cmd,
            cwd=lay.app_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )

    if result.returncode != 0:
        for line in _tail(lay.install_log, 25):
            log.error("%s", line)
        raise GhostsyncError(
            f"{Path(cmd[0]).name} {cmd[1]} failed in {lay.app_dir}; "
            f"the full log is {lay.install_log}"
        )


def _tail(path: Path, count: int) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-count:]
    except OSError:
        return []


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
