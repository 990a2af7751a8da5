"""Tests of ``ghostsync local``: install checks, config, process control, setup."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from collections import namedtuple
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghostsync import localghost
from ghostsync import localghost_install as inst
from ghostsync import localghost_process as proc
from ghostsync.errors import ConfigError, GhostsyncError
from ghostsync.localghost_setup import (
    AdminApi,
    read_env,
    seed_from_template,
    urlsafe_token,
    write_env,
)

from .realghost import RealGhost, new_data_dir

SECRET_KEYS = (
    "GHOST_ADMIN_API_KEY",
    "GHOST_CONTENT_API_KEY",
    "GHOST_OWNER_PASSWORD",
    "GHOST_STAFF_PASSWORD",
    "GHOST_STAFF_TOKEN",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("GHOSTSYNC_CACHE_DIR", "XDG_CACHE_HOME", "GHOSTSYNC_LOCAL_DATA"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def local_instance(real_ghost: RealGhost) -> Path:
    if real_ghost.data_dir is None:
        pytest.skip("the session uses an external Ghost (GHOSTSYNC_TEST_URL)")
    return real_ghost.data_dir


def require_install() -> None:
    if not inst.is_installed():
        pytest.skip("the local Ghost is not installed; scripts/test installs it")


# --- where things live ------------------------------------------------------


def test_cache_dir_prefers_explicit_then_xdg_then_home(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("HOME", str(tmp_path / "home"))
    assert inst.cache_dir() == tmp_path / "home" / ".cache" / "ghostsync"

    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert inst.cache_dir() == tmp_path / "xdg" / "ghostsync"

    clean_env.setenv("GHOSTSYNC_CACHE_DIR", str(tmp_path / "mine"))
    assert inst.cache_dir() == tmp_path / "mine"
    assert inst.layout().app_dir == tmp_path / "mine" / "ghost" / "versions" / "6.65.0"


def test_versions_can_be_overridden(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GHOSTSYNC_GHOST_VERSION", "6.70.1")
    clean_env.setenv("GHOSTSYNC_NODE_VERSION", "24.20.0")

    lay = inst.layout()

    assert (lay.ghost_version, lay.node_version) == ("6.70.1", "24.20.0")
    assert lay.app_dir.name == "6.70.1"


def test_data_dir_prefers_argument_then_env_then_cache(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("GHOSTSYNC_CACHE_DIR", str(tmp_path / "cache"))
    assert proc.data_dir() == tmp_path / "cache" / "instances" / "default"

    clean_env.setenv("GHOSTSYNC_LOCAL_DATA", str(tmp_path / "env"))
    assert proc.data_dir() == tmp_path / "env"
    assert proc.data_dir(tmp_path / "arg") == tmp_path / "arg"


# --- install prerequisites -------------------------------------------------


def test_missing_tools_are_named_in_one_line(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("GHOSTSYNC_CACHE_DIR", str(tmp_path))
    present = {"npm", "tar", "gcc"}
    clean_env.setattr(
        inst.shutil, "which", lambda tool: f"/bin/{tool}" if tool in present else None
    )

    with pytest.raises(GhostsyncError) as caught:
        inst.install()

    message = str(caught.value)
    assert "\n" not in message
    assert "make" in message and "C++ compiler" in message
    assert "npm," not in message  # npm is there: not named as missing
    assert not (tmp_path / "ghost" / "node").exists()


def test_low_disk_space_stops_before_any_download(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("GHOSTSYNC_CACHE_DIR", str(tmp_path))
    usage = namedtuple("usage", "total used free")
    clean_env.setattr(inst.shutil, "disk_usage", lambda _: usage(10**10, 0, 3 * 10**8))
    clean_env.setattr(inst, "check_prerequisites", lambda: None)

    def no_download(*args: object, **kwargs: object) -> Path:
        raise AssertionError("downloaded despite the lack of space")

    clean_env.setattr(inst, "_npm_pack", no_download)

    with pytest.raises(GhostsyncError, match=r"only 0\.3 GB free .* about 1\.2 GB"):
        inst.install()


def test_install_is_a_fast_no_op_when_done() -> None:
    require_install()

    started = time.monotonic()
    app = localghost.install()
    elapsed = time.monotonic() - started

    assert (app / "package.json").is_file()
    assert elapsed < 1.0


# --- config ------------------------------------------------------------------


def test_config_keeps_ghost_on_loopback_and_silent(tmp_path: Path) -> None:
    config = proc.ghost_config(tmp_path, 4321)

    assert_quiet_loopback_config(config, tmp_path, 4321)


def assert_quiet_loopback_config(config: dict, data: Path, port: int) -> None:
    assert config["url"] == f"http://127.0.0.1:{port}"
    assert config["server"] == {"host": "127.0.0.1", "port": port}
    assert config["database"]["client"] == "better-sqlite3"
    assert config["database"]["connection"]["filename"].startswith(str(data))
    assert config["mail"]["transport"] == "stub"
    assert config["explore"]["update_url"] == ""
    assert config["updateCheck"]["url"].startswith("http://127.0.0.1:")
    assert config["privacy"]["useTinfoil"] is True
    assert config["security"]["staffDeviceVerification"] is False
    for limit in ("user_login", "global_block"):
        assert config["spam"][limit]["freeRetries"] >= 10_000


# --- env file -----------------------------------------------------------------


def test_env_file_is_private_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "ghost.env"
    old_umask = os.umask(0)
    try:
        write_env(path, {"GHOST_URL": "http://127.0.0.1:1", "X_EXTRA": "1"})
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_env(path) == {"GHOST_URL": "http://127.0.0.1:1", "X_EXTRA": "1"}
    assert path.read_text().splitlines()[0].startswith("GHOST_URL=")


def test_invite_token_uses_ghosts_url_safe_form() -> None:
    assert urlsafe_token("ab+c/d+==") == "ab-c_d-"
    assert urlsafe_token("plain") == "plain"


# --- process control ----------------------------------------------------------


def test_stop_leaves_a_foreign_process_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (tmp_path / "ghost.pid").write_text(f"{sleeper.pid}\n")

        assert localghost.stop(tmp_path) is False
        assert sleeper.poll() is None
        assert not (tmp_path / "ghost.pid").exists()
        assert localghost.status(tmp_path).running is False
    finally:
        sleeper.kill()
        sleeper.wait()


def test_reset_deletes_an_instance_folder(tmp_path: Path) -> None:
    data = tmp_path / "instance"
    (data / "content" / "data").mkdir(parents=True)
    (data / "ghost.log").write_text("log\n")

    localghost.reset(data)

    assert not data.exists()


def test_reset_refuses_a_folder_that_is_not_an_instance(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("mine\n")

    with pytest.raises(GhostsyncError, match="notes.md"):
        localghost.reset(tmp_path)

    assert (tmp_path / "notes.md").exists()


def test_start_refuses_a_port_in_use(tmp_path: Path) -> None:
    require_install()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(ConfigError, match=f"port {port} .* already in use"):
            localghost.start(port=port, data=tmp_path)

        result = CliRunner().invoke(
            localghost.local, ["start", "--port", str(port), "--data", str(tmp_path)]
        )

    assert result.exit_code == 5
    assert result.output.strip().splitlines()[-1].startswith("error: port")
    assert not (tmp_path / "ghost.pid").exists()


def test_start_without_install_says_how_to_install(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("GHOSTSYNC_CACHE_DIR", str(tmp_path / "empty"))

    result = CliRunner().invoke(localghost.local, ["start", "--data", str(tmp_path)])

    assert result.exit_code == 1
    assert "ghostsync local install" in result.output


# --- against the session's Ghost ----------------------------------------------


@pytest.mark.ghost
def test_written_config_makes_no_outgoing_connection(real_ghost: RealGhost) -> None:
    data = local_instance(real_ghost)
    config = json.loads((data / "config.production.json").read_text())

    port = int(real_ghost.url.rsplit(":", 1)[1])
    assert_quiet_loopback_config(config, data, port)


@pytest.mark.ghost
def test_status_reports_the_running_instance(real_ghost: RealGhost) -> None:
    data = local_instance(real_ghost)

    found = localghost.status(data)
    result = CliRunner().invoke(localghost.local, ["status", "--data", str(data)])

    assert found.running and found.url == real_ghost.url
    assert result.exit_code == 0
    assert f"url={real_ghost.url}" in result.output


@pytest.mark.ghost
def test_env_file_is_private_and_complete(real_ghost: RealGhost) -> None:
    local_instance(real_ghost)
    assert real_ghost.env_file is not None

    env = read_env(real_ghost.env_file)

    assert stat.S_IMODE(real_ghost.env_file.stat().st_mode) == 0o600
    assert env["GHOST_URL"] == real_ghost.url
    assert env["GHOST_ADMIN_API_KEY"] == real_ghost.key
    for name in ("GHOST_STAFF_EMAIL", "GHOST_STAFF_SLUG", "GHOST_STAFF_TOKEN"):
        assert env[name]


@pytest.mark.ghost
def test_setup_again_reuses_the_key_and_prints_only_the_path(
    real_ghost: RealGhost,
) -> None:
    data = local_instance(real_ghost)
    assert real_ghost.env_file is not None
    before = read_env(real_ghost.env_file)

    result = CliRunner().invoke(localghost.local, ["setup", "--data", str(data)])
    env = CliRunner().invoke(localghost.local, ["env", "--data", str(data)])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(real_ghost.env_file)
    assert env.stdout.strip() == str(real_ghost.env_file)
    assert read_env(real_ghost.env_file) == before
    for name in SECRET_KEYS:
        assert before[name] not in result.output + env.output


@pytest.mark.ghost
def test_site_has_an_owner_and_a_second_staff_user(real_ghost: RealGhost) -> None:
    local_instance(real_ghost)
    api = AdminApi(real_ghost.url, real_ghost.key)

    users = api.expect(200, "GET", "/users/?include=roles&limit=all")["users"]

    roles = {user["slug"]: user["roles"][0]["name"] for user in users}
    assert roles[real_ghost.staff_slug] == "Editor"
    assert "Owner" in roles.values()
    assert len(users) >= 2


@pytest.mark.ghost
def test_second_instance_starts_and_stops_completely(real_ghost: RealGhost) -> None:
    local_instance(real_ghost)
    data = new_data_dir()
    seed_from_template(data)

    try:
        instance = localghost.start(port=0, data=data)
        assert instance.url != real_ghost.url
        assert proc.probe(instance.url) == 200
        assert localghost.status(data).pid == instance.pid
    finally:
        stopped = localghost.stop(data)
        localghost.reset(data)

    assert stopped is True
    assert proc.group_members(instance.pid) == []
    assert proc.probe(instance.url) is None
    assert not data.exists()
