"""Writing front matter: new blocks, and edits that keep everything else.

ghostsync reads front matter with PyYAML (YAML 1.1), where ``No``, ``yes``,
``12:30``, ``1.10``, ``2024-01-02``, ``~`` and ``null`` are not text, and a
leading ``@``, ``*``, ``!`` or ``%`` is not even valid. ruamel.yaml writes
YAML 1.2, which quotes fewer of those. So every block written here is read
back with PyYAML, and a value that does not come back as itself is written
again double-quoted; a value that still differs is an error, never written.

Edits go through ruamel.yaml's round trip: comments, quoting, key order,
indentation and keys ghostsync does not know stay as they were; only the keys
named change.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ghostsync.errors import GhostsyncError

# The value of a change that removes the key.
DELETE = object()


class FrontMatterError(GhostsyncError):
    """A value cannot be written so that it reads back as itself."""


def _yaml(indent: int = 2, dash_offset: int = 0) -> YAML:
    writer = YAML()
    writer.preserve_quotes = True
    writer.width = 4096
    writer.indent(mapping=indent, sequence=indent, offset=dash_offset)
    return writer


def dump_front(values: Mapping[str, Any]) -> str:
    """A new front-matter block (without the ``---`` lines) for ``values``."""
    data = CommentedMap()
    for key, value in values.items():
        data[key] = _styled(value)
    return _checked(_yaml(), data, values)


def edit_front(text: str, changes: Mapping[str, Any]) -> str:
    """``text`` (a front-matter block) with only the keys of ``changes`` edited.

    A change to :data:`DELETE` removes the key; a new key goes last.
    """
    if not text.strip():
        return dump_front({k: v for k, v in changes.items() if v is not DELETE})

    data, indent, offset = load_yaml_guess_indent(text)
    writer = _yaml(indent or 2, offset or 0)
    data = writer.load(text)
    intended = {}
    for key, value in changes.items():
        if value is DELETE:
            data.pop(key, None)
            continue
        data[key] = _styled(value)
        intended[key] = value
    return _checked(writer, data, intended)


def _styled(value: Any) -> Any:
    """A value as ruamel should write it: multi-line text as a literal block."""
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return LiteralScalarString(value)
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_styled(item) for item in value)
        seq.fa.set_flow_style()
        return seq
    return value


def _checked(writer: YAML, data: CommentedMap, intended: Mapping[str, Any]) -> str:
    """Dump ``data``; quote what PyYAML reads back otherwise; refuse the rest."""
    text = _dump(writer, data)
    wrong = _misread(text, intended)
    for key in wrong:
        data[key] = _quoted(intended[key])
    if wrong:
        text = _dump(writer, data)
    still = _misread(text, intended)
    if still:
        raise FrontMatterError(
            f"cannot write {', '.join(still)} so that it reads back unchanged",
            hint="report this value; the file was not written",
        )
    return text


def _quoted(value: Any) -> Any:
    if isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_quoted(item) for item in value)
        seq.fa.set_flow_style()
        return seq
    return value


def _dump(writer: YAML, data: CommentedMap) -> str:
    out = io.StringIO()
    writer.dump(data, out)
    return out.getvalue()


def _misread(text: str, intended: Mapping[str, Any]) -> list[str]:
    """Keys whose value PyYAML reads back differently from ``intended``."""
    try:
        parsed = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return list(intended)
    return [key for key, value in intended.items() if not _same(parsed.get(key), value)]


def _same(read: Any, value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return (
            isinstance(read, dt.datetime)
            and read.tzinfo is not None
            and (read == value)
        )
    if isinstance(value, list | tuple):
        return (
            isinstance(read, list)
            and len(read) == len(value)
            and all(_same(r, v) for r, v in zip(read, value, strict=True))
        )
    return type(read) is type(value) and read == value
