"""The README documents every command, option, front-matter field and config key.

The commands and options come from the click tree, so a command or flag added
later without a word in the README fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ghostsync.cli import main
from ghostsync.config import SCHEMA
from ghostsync.errors import ExitCode
from ghostsync.fields import ALIASES, FIELDS, INSTRUCTIONS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def commands(
    group: click.Command = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        # Through list_commands: a lazy group loads its commands only here.
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None, name
            yield from commands(command, (*path, name))


COMMANDS = [path for path, command in commands() if path and path != ("local",)]
OPTIONS = sorted(
    {
        (" ".join(path), opt)
        for path, command in commands()
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    }
)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_is_in_the_readme(path):
    assert f"`ghostsync {' '.join(path)}" in README


@pytest.mark.parametrize(("command", "option"), OPTIONS)
def test_every_option_is_in_the_readme(command, option):
    pattern = rf"(?<![\w-]){re.escape(option)}(?![\w-])"
    assert re.search(pattern, README), f"{command} {option}"


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_is_in_the_front_matter_table(name):
    alias = {v: k for k, v in ALIASES.items()}.get(name, name)
    assert f"| `{alias}` | `{name}` |" in README


@pytest.mark.parametrize("name", sorted(INSTRUCTIONS))
def test_every_instruction_is_in_the_readme(name):
    assert f"| `{name}` |" in README


@pytest.mark.parametrize(
    ("table", "key"), sorted((t, k) for t, keys in SCHEMA.items() for k in keys)
)
def test_every_config_key_is_in_the_readme(table, key):
    assert f"[{table}]" in README
    assert re.search(rf"^{key} = ", README, re.M), f"[{table}] {key}"


@pytest.mark.parametrize("code", [int(code) for code in ExitCode])
def test_every_exit_code_is_in_the_readme(code):
    assert f"| {code} |" in README


def test_the_supported_ghost_versions_are_in_the_readme():
    assert "## Supported Ghost versions" in README
    assert "Ghost 5.x and 6.x" in README
