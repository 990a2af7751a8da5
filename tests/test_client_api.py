"""GhostClient's calls against the fake Ghost: paths, parameters, answers."""

from __future__ import annotations

import logging
import re
import struct
import zlib
from pathlib import Path

import pytest

from ghostsync.errors import NotFoundError, ValidationError
from ghostsync.ghost.client import ClientOptions, GhostClient

from .fakeghost import FakeGhost


@pytest.fixture
def client(fake_ghost: FakeGhost) -> GhostClient:
    options = ClientOptions(read_timeout=2, backoff_factor=0, sleep=lambda _: None)
    return GhostClient(fake_ghost.url, fake_ghost.key, options)


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built here rather than stored."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    signature = b"\x89PNG\r\n\x1a\n"
    return (
        signature
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def test_browse_follows_pages_of_one_hundred(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    for number in range(230):
        client.create("post", {"title": f"Post {number}", "slug": f"post-{number}"})
    fake_ghost.requests.clear()

    posts = list(client.browse("post", fields=["id", "slug"]))

    assert len(posts) == 230
    assert len({p["id"] for p in posts}) == 230
    assert set(posts[0]) == {"id", "slug"}
    pages = [(r.param("limit"), r.param("page")) for r in fake_ghost.requests]
    assert pages == [("100", "1"), ("100", "2"), ("100", "3")]
    assert fake_ghost.requests[0].param("order") == "id asc"


def test_browse_sends_lists_comma_joined(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    list(
        client.browse(
            "page",
            fields=["id", "title"],
            include=["tags", "authors"],
            formats=["lexical", "html"],
            filter="slug:[a,b]",
            order="updated_at desc",
        )
    )

    request = fake_ghost.requests[0]
    assert request.path == "/ghost/api/admin/pages/"
    assert request.param("fields") == "id,title"
    assert request.param("include") == "tags,authors"
    assert request.param("formats") == "lexical,html"
    assert request.param("filter") == "slug:[a,b]"
    assert request.param("order") == "updated_at desc"


def test_browse_filter_by_slugs(client: GhostClient) -> None:
    for slug in ("one", "two", "three"):
        client.create("post", {"title": slug, "slug": slug})

    found = client.browse("post", fields=["slug"], filter="slug:[one,three]")

    assert sorted(p["slug"] for p in found) == ["one", "three"]


def test_create_read_and_find_by_slug(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    created = client.create(
        "post",
        {"title": "Hello", "slug": "hello", "tags": ["news", {"name": "Deep Dive"}]},
        formats=["lexical", "html"],
        include=["tags"],
    )

    read = client.read("post", created["id"], formats=["lexical"], include=["tags"])
    found = client.find_by_slug("post", "hello", include=["tags"])

    assert created["status"] == "draft"
    assert [t["slug"] for t in read["tags"]] == ["news", "deep-dive"]
    assert found is not None and found["id"] == created["id"]
    assert client.find_by_slug("post", "missing") is None
    posted = fake_ghost.requests[0]
    assert posted.path == "/ghost/api/admin/posts/"
    assert posted.param("formats") == "lexical,html"


def test_source_html_is_a_query_parameter(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = client.create(
        "post",
        {"title": "Html", "slug": "html", "html": "<p>Hi</p>"},
        source_html=True,
        formats=["html"],
    )

    assert fake_ghost.requests[0].param("source") == "html"
    assert post["html"] == "<p>Hi</p>"


def test_update_passes_email_options_only_when_given(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    post = client.create("post", {"title": "Letter", "slug": "letter"})

    client.update("post", post["id"], {"title": "L2", "updated_at": post["updated_at"]})
    quiet = fake_ghost.requests[-1]
    post = client.read("post", post["id"])
    client.update(
        "post",
        post["id"],
        {"status": "published", "updated_at": post["updated_at"]},
        newsletter="default-newsletter",
        email_segment="status:free",
    )

    loud = fake_ghost.requests[-1]
    assert "newsletter" not in quiet.query
    assert loud.param("newsletter") == "default-newsletter"
    assert loud.param("email_segment") == "status:free"


def test_pages_use_their_own_collection(
    fake_ghost: FakeGhost, client: GhostClient
) -> None:
    page = client.create("page", {"title": "About", "slug": "about"})

    with pytest.raises(NotFoundError):
        client.read("post", page["id"])
    client.delete("page", page["id"])

    assert fake_ghost.pages == {}
    assert [r.path for r in fake_ghost.writes()] == [
        "/ghost/api/admin/pages/",
        f"/ghost/api/admin/pages/{page['id']}/",
    ]


def test_missing_post_is_not_found_with_ghosts_facts(client: GhostClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.read("post", "0" * 24)

    error = caught.value
    assert error.status == 404
    assert error.type == "NotFoundError"
    assert error.context == "Post not found."
    assert error.method == "GET"
    assert error.url == f"/ghost/api/admin/posts/{'0' * 24}/"


def test_deleting_a_missing_post_is_not_found(client: GhostClient) -> None:
    with pytest.raises(NotFoundError):
        client.delete("post", "0" * 24)


def test_unknown_kind_is_a_programming_error(client: GhostClient) -> None:
    with pytest.raises(ValueError, match="kind"):
        client.read("article", "x")


def test_browse_resources(fake_ghost: FakeGhost, client: GhostClient) -> None:
    client.create("post", {"title": "T", "slug": "t", "tags": ["alpha", "beta"]})

    tags = list(client.browse_resource("tags", fields=["slug"], filter="slug:alpha"))
    users = list(client.browse_resource("users"))
    tiers = list(client.browse_resource("tiers", filter="type:paid+active:true"))
    letters = list(client.browse_resource("newsletters", filter="status:active"))

    assert tags == [{"slug": "alpha"}]
    assert [u["email"] for u in users] == ["owner@example.com"]
    assert [t["type"] for t in tiers] == ["paid"]
    assert [n["slug"] for n in letters] == ["default-newsletter"]
    with pytest.raises(ValueError):
        client.browse_resource("posts")


def test_upload_an_image_twice(
    fake_ghost: FakeGhost, client: GhostClient, tmp_path: Path
) -> None:
    image = tmp_path / "tiny.png"
    image.write_bytes(tiny_png())

    first = client.upload("images", image, ref="img/tiny.png")
    second = client.upload("images", image)

    assert re.fullmatch(r".*/content/images/\d{4}/\d\d/tiny\.png", first["url"])
    assert first["ref"] == "img/tiny.png"
    assert second["url"].endswith("/tiny-1.png")
    assert second["ref"] is None


def test_upload_of_the_wrong_type_is_a_validation_error(
    client: GhostClient, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")

    with pytest.raises(ValidationError) as caught:
        client.upload("images", text)

    assert caught.value.status == 415
    assert "valid image" in str(caught.value)


def test_media_and_files_uploads(client: GhostClient, tmp_path: Path) -> None:
    sound = tmp_path / "a.mp3"
    sound.write_bytes(b"ID3")
    paper = tmp_path / "doc.pdf"
    paper.write_bytes(b"%PDF-1.4\n")

    media = client.upload("media", sound, ref="a.mp3")
    document = client.upload("files", paper, ref="doc.pdf")

    assert "/content/media/" in media["url"]
    assert media["thumbnail_url"] is None
    assert "/content/files/" in document["url"]


def test_debug_log_has_method_path_status_timing_and_size(
    client: GhostClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ghostsync.http")

    client.check_auth()

    lines = [r.getMessage() for r in caplog.records if r.name == "ghostsync.http"]
    assert len(lines) == 1
    pattern = (
        r"GET /ghost/api/admin/posts/\?limit=1&fields=id -> 200 \(\d+ ms, \d+ bytes\)"
    )
    assert re.fullmatch(pattern, lines[0])


def test_stats_count_requests_and_bytes(client: GhostClient) -> None:
    client.site()
    post = client.create("post", {"title": "Counted", "slug": "counted"})
    client.delete("post", post["id"])

    stats = client.stats
    assert stats.requests == 3
    assert dict(stats.by_method) == {"GET": 1, "POST": 1, "DELETE": 1}
    assert stats.bytes_received > 500
