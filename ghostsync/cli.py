"""The command-line interface: a thin layer over the library API."""

from __future__ import annotations

import click

from ghostsync import __version__


@click.group()
@click.version_option(__version__, prog_name="ghostsync")
def main() -> None:
    """Keep Markdown files and a Ghost site's posts and pages in step."""
