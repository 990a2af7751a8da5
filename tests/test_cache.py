"""The hash cache: unchanged files are not read again, and nothing else is trusted."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import time
from pathlib import Path

import pytest

from ghostsync.cache import NS, HashCache
from ghostsync.canonical import SiteURL
from ghostsync.config import load_settings
from ghostsync.run import read_local, scan_fingerprint
from ghostsync.state import Record, State

SITE = SiteURL("http://127.0.0.1:9/")
POST = "---\ntitle: {title}\ntags: [News]\n---\n\nBody of {title}.\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ghostsync.toml").write_text('[site]\nurl = "http://127.0.0.1:9/"\n')
    (tmp_path / "content" / "pages").mkdir(parents=True)
    for name in ("a", "b", "c"):
        write(tmp_path, name, name.upper())
    return tmp_path


def write(root: Path, name: str, title: str, age: float = 5.0) -> Path:
    """Write a post file dated ``age`` seconds back."""
    path = root / "content" / "posts" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POST.format(title=title), encoding="utf-8")
    past = time.time_ns() - int(age * NS)
    os.utime(path, ns=(past, past))
    return path


def read(root: Path, cache: bool = True):
    """Read the files as a plan does, with a state that tracks each as it is."""
    settings = load_settings(root, environ={})
    mark = scan_fingerprint(settings, SITE, dt.UTC)
    loaded = HashCache.load(root, mark) if cache else None
    return read_local(settings, SITE, dt.UTC, loaded, tracked(root))


def tracked(root: Path) -> State:
    """A state holding every file under its current hash, as after a push."""
    state = State(root, "site")
    items, _scan = read_local(load_settings(root, environ={}), SITE, dt.UTC)
    for number, item in enumerate(items):
        post = item.post
        state.records[f"id{number}"] = Record(
            f"id{number}", post.kind, post.path, post.slug, "", item.hash, "", "", ""
        )
    return state


def hashes(items) -> dict[str, str]:
    return {item.path: item.hash for item in items}


def test_a_second_scan_reads_no_unchanged_file_and_gets_the_same_hashes(project):
    first, first_scan = read(project)
    second, second_scan = read(project)

    assert first_scan.cached == {}
    assert set(second_scan.cached) == {f"content/posts/{n}.md" for n in "abc"}
    assert hashes(second) == hashes(first)
    assert [item.post.slug for item in second] == ["a", "b", "c"]


def test_an_edited_file_is_read_again(project):
    read(project)
    write(project, "b", "Bee")

    items, result = read(project)

    assert "content/posts/b.md" not in result.cached
    assert (
        hashes(items)["content/posts/b.md"]
        == hashes(read(project, False)[0])["content/posts/b.md"]
    )
    [item] = [i for i in items if i.path == "content/posts/b.md"]
    assert item.post.fields["title"] == "Bee"


def test_same_size_and_time_but_another_inode_is_read_again(project):
    read(project)
    path = project / "content" / "posts" / "a.md"
    before = path.stat()
    replacement = path.with_suffix(".tmp")
    replacement.write_text(POST.format(title="Z"), encoding="utf-8")
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)

    items, result = read(project)

    assert "content/posts/a.md" not in result.cached
    [item] = [i for i in items if i.path == "content/posts/a.md"]
    assert item.post.fields["title"] == "Z"


def test_a_file_modified_in_the_second_the_cache_was_written_is_not_trusted(project):
    # A timestamp at or after the cache's own second (git's racy case): a
    # second edit within the clock's resolution would leave the stat as it was.
    path = write(project, "a", "A", age=-3)
    read(project)
    cache = json.loads((project / ".ghostsync/cache/files.json").read_text())
    mtime = cache["entries"]["content/posts/a.md"][0]
    assert mtime // NS >= cache["written_ns"] // NS

    path.write_text(POST.format(title="Q"), encoding="utf-8")  # same size
    os.utime(path, ns=(mtime, mtime))
    items, result = read(project)

    assert "content/posts/a.md" not in result.cached
    [item] = [i for i in items if i.path == "content/posts/a.md"]
    assert item.post.fields["title"] == "Q"


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        '{"format": 1}',
        '{"format": 1, "fingerprint": "x", "written_ns": 0, "entries": []}',
        "[1, 2]",
        "",
    ],
)
def test_a_damaged_cache_is_ignored(project, damage):
    read(project)
    target = project / ".ghostsync/cache/files.json"
    target.write_text(damage)

    items, result = read(project)

    assert result.cached == {}
    assert hashes(items) == hashes(read(project, False)[0])


def test_damaged_entries_make_the_cache_ignored(project):
    read(project)
    target = project / ".ghostsync/cache/files.json"
    data = json.loads(target.read_text())
    data["entries"]["content/posts/a.md"][4] = ["not", "a", "slug"]
    target.write_text(json.dumps(data))

    _items, result = read(project)

    assert result.cached == {}


def test_other_settings_do_not_use_the_cache(project):
    read(project)
    toml = project / "ghostsync.toml"
    toml.write_text(toml.read_text() + '[defaults]\ntags = ["Other"]\n')

    items, result = read(project)

    assert result.cached == {}
    assert all(item.post.fields["tags"] == ["news"] for item in items)


def test_the_cache_is_private_and_lists_no_removed_file(project):
    read(project)
    (project / "content" / "posts" / "c.md").unlink()
    read(project)

    target = project / ".ghostsync/cache/files.json"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert set(json.loads(target.read_text())["entries"]) == {
        "content/posts/a.md",
        "content/posts/b.md",
    }


def test_a_file_the_state_does_not_hold_with_its_hash_is_read(project):
    settings = load_settings(project, environ={})
    mark = scan_fingerprint(settings, SITE, dt.UTC)
    read(project)

    _items, result = read_local(
        settings, SITE, dt.UTC, HashCache.load(project, mark), State(project, "site")
    )

    assert result.cached == {}


def test_a_changed_image_or_linked_post_makes_the_referring_post_read(project):
    image = project / "content" / "posts" / "flow.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    write(project, "linker", "Linker")
    linker = project / "content" / "posts" / "linker.md"
    linker.write_text(
        "---\ntitle: Linker\n---\n\n![flow](flow.png) and [a](a.md)\n",
        encoding="utf-8",
    )
    past = time.time_ns() - 5 * NS
    for path in (image, linker):
        os.utime(path, ns=(past, past))
    first = hashes(read(project)[0])["content/posts/linker.md"]
    assert "content/posts/linker.md" in read(project)[1].cached

    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 64)
    os.utime(image, ns=(past - NS, past - NS))
    items, result = read(project)
    second = hashes(items)["content/posts/linker.md"]
    assert "content/posts/linker.md" not in result.cached
    assert second != first

    assert "content/posts/linker.md" in read(project)[1].cached
    target = project / "content" / "posts" / "a.md"
    target.write_text("---\ntitle: A\nstatus: published\n---\n\nBody of A.\n")
    os.utime(target, ns=(past, past))
    items, result = read(project)
    assert "content/posts/linker.md" not in result.cached
    assert hashes(items)["content/posts/linker.md"] not in (first, second)
