"""Finding, checking and rewriting local references, offline."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from ghostsync import refs
from ghostsync.cli import main
from ghostsync.config import offline_settings
from ghostsync.source import scan
from ghostsync.state import State, Upload

from .files import png


def targets(markdown: str) -> list[tuple[str, str]]:
    return [(f.target, f.role) for f in refs.find(markdown)]


def test_finds_inline_reference_and_html_targets_and_skips_urls():
    text = (
        "![a](<my pic.png>) [b](x.pdf) ![c][r] [site](/about/) [w](https://e.com/)\n"
        "[m](mailto:a@b.c) [top](#x) ![g](__GHOST_URL__/content/images/g.png)\n\n"
        '<video src="v.mp4" poster="p.jpg"></video> <img src=i.png>\n\n'
        "```\n![code](not-me.png)\n```\n\n"
        "[r]: ./r.png\n"
    )

    assert targets(text) == [
        ("my%20pic.png", "image"),
        ("x.pdf", "link"),
        ("./r.png", "image"),
        ("v.mp4", "media"),
        ("p.jpg", "image"),
        ("i.png", "image"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a%20b.png?v=2#top", ("a b.png", "?v=2#top")),
        ("dir/x.png#f", ("dir/x.png", "#f")),
        ("plain.png", ("plain.png", "")),
    ],
)
def test_split_target(raw, expected):
    assert refs.split_target(raw) == expected


def test_rewrite_replaces_every_spelling_but_not_code():
    urls = {"a b.png": "U1", "c.png": "U2", "../p.md": "U3"}
    text = (
        "![x](<a b.png>) ![y](a%20b.png?v=1) [l](../p.md#s 'title')\n\n"
        "<img src=\"c.png\"> <img src='c.png'>\n\n"
        "    ![code](c.png)\n\n"
        "[r]: c.png\n"
    )

    assert refs.rewrite(text, urls) == (
        "![x](<U1>) ![y](U1?v=1) [l](U3#s 'title')\n\n"
        "<img src=\"U2\"> <img src='U2'>\n\n"
        "    ![code](c.png)\n\n"
        "[r]: U2\n"
    )


def write(root, rel, data):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def test_collect_checks_and_hashes_and_turns_bad_posts_invalid(tmp_path):
    write(tmp_path, "ghostsync.toml", '[site]\nurl = "http://127.0.0.1/"\n')
    write(tmp_path, "content/images/a.png", png())
    write(tmp_path, "content/posts/ok.md", "# Ok\n\n![a](../images/a.png)\n")
    write(tmp_path, "content/posts/bad.md", "# Bad\n\nText.\n\n[x](tool.exe)\n")
    write(tmp_path, "content/posts/tool.exe", b"MZ")
    settings = offline_settings(tmp_path)
    result = scan(settings, dt.UTC)

    found = refs.collect(settings, result)

    [ref] = found["content/posts/ok.md"]
    assert (ref.endpoint, ref.path, ref.size) == (
        "images",
        "content/images/a.png",
        len(png()),
    )
    assert ref.digest.startswith("sha256:")
    [error] = result.errors
    assert error.path == "content/posts/bad.md" and error.line == 5
    assert "content/posts/bad.md:5: the reference 'tool.exe'" in error.message
    assert [post.path for post in result.posts] == ["content/posts/ok.md"]


def test_content_root_is_the_common_folder_below_the_project(tmp_path):
    write(tmp_path, "ghostsync.toml", '[site]\nurl = "http://127.0.0.1/"\n')
    settings = offline_settings(tmp_path)
    assert refs.content_roots(settings) == ((tmp_path / "content").resolve(),)

    write(tmp_path, "ghostsync.toml", '[content]\nposts = "posts"\npages = "pages"\n')
    settings = offline_settings(tmp_path)
    assert refs.content_roots(settings) == (
        (tmp_path / "posts").resolve(),
        (tmp_path / "pages").resolve(),
    )


def test_uploads_are_kept_in_the_state_file(tmp_path):
    state = State.open(tmp_path, "uuid-1")
    upload = Upload("images:sha256:ab", "__GHOST_URL__/content/images/a.png", "a", 5)
    state.put_upload(upload)
    state.fold()

    again = State.open(tmp_path, "uuid-1")
    assert again.uploads == {upload.key: upload}
    again.forget_upload(upload.key)
    again.close()
    assert State.open(tmp_path, "uuid-1").uploads == {}  # from the journal


def test_validate_reports_a_missing_image_offline(tmp_path):
    write(tmp_path, "ghostsync.toml", '[site]\nurl = "http://127.0.0.1/"\n')
    write(tmp_path, "content/posts/a.md", "---\ntitle: A\n---\n\n![x](gone.png)\n")

    result = CliRunner().invoke(main, ["-C", str(tmp_path), "validate"])

    assert result.exit_code == 1
    assert "content/posts/a.md:5: the reference 'gone.png' does not exist" in (
        result.output
    )


def test_a_file_just_over_the_limit_says_both_sizes_exactly(tmp_path):
    write(tmp_path, "ghostsync.toml", '[site]\nurl = "http://127.0.0.1/"\n')
    write(tmp_path, "content/posts/big.png", png() + b"\0" * (21_000_000 - len(png())))
    write(tmp_path, "content/posts/a.md", "# A\n\n![x](big.png)\n")

    result = CliRunner().invoke(main, ["-C", str(tmp_path), "validate"])

    assert result.exit_code == 1
    assert "is 21,000,000 bytes, over the limit of 20,971,520 bytes (20.0 MB)" in (
        result.output
    )
