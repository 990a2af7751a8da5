"""``ghostsync local``: a throw-away Ghost on 127.0.0.1 for tests and trials.

The click group :data:`local` is mounted by the main CLI; the same commands run
without it as ``python -m ghostsync.localghost <command>``. The plain functions
(:func:`install`, :func:`start`, :func:`stop`, :func:`status`, :func:`reset`,
:func:`setup`) are what other modules and the test fixture call.

Environment: ``GHOSTSYNC_CACHE_DIR`` (install cache), ``GHOSTSYNC_LOCAL_DATA``
(instance folder), ``GHOSTSYNC_GHOST_VERSION``, ``GHOSTSYNC_NODE_VERSION``,
``GHOSTSYNC_PNPM_VERSION``, ``GHOSTSYNC_START_TIMEOUT``,
``GHOSTSYNC_STOP_TIMEOUT``.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ghostsync.errors import GhostsyncError
from ghostsync.localghost_install import cache_dir, install, is_installed, layout
from ghostsync.localghost_process import (
    Instance,
    Status,
    data_dir,
    read_env,
    reset,
    running_instance,
    start,
    status,
    stop,
)
from ghostsync.localghost_setup import setup

__all__ = [
    "Instance",
    "Status",
    "cache_dir",
    "data_dir",
    "install",
    "is_installed",
    "layout",
    "local",
    "read_env",
    "reset",
    "running_instance",
    "setup",
    "start",
    "status",
    "stop",
]

F = TypeVar("F", bound=Callable[..., Any])

DATA_HELP = (
    "Instance folder (default: $GHOSTSYNC_LOCAL_DATA, else <cache>/instances/default)."
)


def _reports_errors(func: F) -> F:
    """Turn a ghostsync error into one line on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _show_progress()
        try:
            return func(*args, **kwargs)
        except GhostsyncError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(int(err.exit_code))

    return wrapper  # type: ignore[return-value]


class _ClickHandler(logging.Handler):
    """Log lines to whatever stderr click writes to at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _show_progress() -> None:
    logger = logging.getLogger("ghostsync.localghost")
    if not any(isinstance(h, _ClickHandler) for h in logger.handlers):
        handler = _ClickHandler()
        handler.setFormatter(logging.Formatter("[local ghost] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _data_option(func: F) -> F:
    option = click.option(
        "--data",
        "data",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=DATA_HELP,
    )
    return option(func)  # type: ignore[return-value]


@click.group("local")
def local() -> None:
    """Run a local Ghost (SQLite, 127.0.0.1) for tests and trials."""


@local.command("install")
@_reports_errors
def install_command() -> None:
    """Install Node, pnpm and Ghost into the cache (fast when done)."""
    started = time.monotonic()
    app = install()
    click.echo(f"Ghost {layout().ghost_version} in {app}", err=True)
    click.echo(f"install took {time.monotonic() - started:.1f} s", err=True)


@local.command("start")
@click.option(
    "--port",
    type=int,
    default=0,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@_data_option
@_reports_errors
def start_command(port: int, data: Path | None) -> None:
    """Start Ghost in the background and print its URL once it answers."""
    instance = start(port=port, data=data)
    click.echo(instance.url)


@local.command("stop")
@_data_option
@_reports_errors
def stop_command(data: Path | None) -> None:
    """Stop the instance (only the process it started)."""
    if not stop(data):
        click.echo(f"not running ({data_dir(data)})", err=True)


@local.command("status")
@_data_option
@_reports_errors
def status_command(data: Path | None) -> None:
    """Say whether the instance runs, and where."""
    found = status(data)
    if found.running:
        click.echo(f"running pid={found.pid} url={found.url} data={found.data_dir}")
    else:
        click.echo(f"stopped data={found.data_dir}")


@local.command("reset")
@_data_option
@_reports_errors
def reset_command(data: Path | None) -> None:
    """Stop the instance and delete its data (the next start is an empty site)."""
    existed = data_dir(data).exists()
    folder = reset(data)
    click.echo(f"removed {folder}" if existed else f"nothing at {folder}", err=True)


@local.command("setup")
@_data_option
@_reports_errors
def setup_command(data: Path | None) -> None:
    """Create the owner, an integration key and a staff user; print the env file."""
    click.echo(setup(data))


@local.command("env")
@_data_option
@_reports_errors
def env_command(data: Path | None) -> None:
    """Print the path of the env file that setup wrote."""
    path = data_dir(data) / "ghost.env"
    if not read_env(path):
        raise GhostsyncError(f"no {path} yet; run: ghostsync local setup")
    click.echo(path)


if __name__ == "__main__":
    local(prog_name="python -m ghostsync.localghost")
