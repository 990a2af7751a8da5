"""Local images, media, files and links between posts, against the real Ghost."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

import pytest
import requests

from ghostsync import planner as p

from .e2e import Project, mine
from .files import pdf, png, wav
from .test_e2e_push import card_text, remote_post

pytestmark = pytest.mark.ghost
URL = re.compile(r"\((https?://[^)\s]+)\)")
IMAGE = re.compile(r"https?://[^)\s>?]+/content/images/[^)\s>?]+")


@pytest.fixture
def project(tmp_path, real_ghost) -> Project:
    return Project(
        tmp_path / "blog", real_ghost.url, real_ghost.key, real_ghost.prefix("refs")
    )


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=30)


def pictures(project: Project) -> str:
    """A post with three images (one twice, one with a space), a cover, a link."""
    project.write("content/posts/img/a.png", png((250, 0, 0)))
    project.write("content/posts/img/my diagram.png", png((0, 250, 0)))
    project.write("content/posts/img/c.png", png((0, 0, 250)))
    project.write("content/posts/cover.png", png((9, 9, 9)))
    project.post("other", "The other post")
    body = (
        "![first](img/a.png)\n\n"
        "Again ![a](./img/a.png) and ![d](<img/my diagram.png>)"
        " and ![e](img/my%20diagram.png?v=1).\n\n"
        "![c][cref], see [the other](other.md#part).\n\n"
        "[cref]: img/c.png\n"
    )
    return project.post("pics", "Pictures", body, feature_image="cover.png")


def test_images_and_links_are_uploaded_once_and_sent_as_ghost_urls(project):
    path = pictures(project)
    source = (project.root / path).read_text()
    client = project.client()

    first = project.push(client=client)

    assert [o.status for o in first.outcomes] == ["done", "done"]
    assert sorted(client.uploads) == [
        "images:a.png",
        "images:c.png",
        "images:cover.png",
        "images:my diagram.png",
    ]
    assert (project.root / path).read_text() == source  # never rewritten
    post = remote_post(project, "pics")
    text = card_text(post)
    assert "img/" not in text and "other.md" not in text
    other_url = remote_post(project, "other")["url"]
    assert f"[the other]({other_url}#part)" in text
    assert "?v=1)" in text
    images = IMAGE.findall(text)
    assert len(set(images)) == 3 and len(images) == 5, text
    for url in {*images, post["feature_image"]}:
        assert "/content/images/" in url
        answer = fetch(url)
        assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")

    counting = project.client()
    second = project.push(client=counting)
    assert counting.writes == []
    assert [a.name for a in mine(second, project.prefix)] == [p.UNCHANGED] * 2
    diff = project.cli("diff", str(project.root / path))
    assert diff.exit_code == 0 and "no differences" in diff.output, diff.output

    project.write("content/posts/img/c.png", png((0, 0, 90)))
    third_client = project.client()
    third = project.push(client=third_client)
    assert third_client.uploads == ["images:c.png"]
    assert [(o.action.name, o.action.path) for o in third.outcomes] == [
        (p.UPDATE, path)
    ]
    new_text = card_text(remote_post(project, "pics"))
    assert new_text != text
    [new_c] = [u for u in IMAGE.findall(new_text) if u not in images]
    assert re.search(r"/c-\d+\.png$", new_c)  # Ghost renames, never overwrites


def test_a_fresh_clone_with_the_state_plans_nothing_and_uploads_nothing(
    project, tmp_path
):
    pictures(project)
    project.push()

    clone = project.clone(tmp_path / "clone")
    counting = clone.client()
    result = clone.push(client=counting)

    assert counting.writes == []
    assert [a.name for a in mine(result, project.prefix)] == [p.UNCHANGED] * 2


def test_plan_lists_the_uploads_with_sizes_and_dry_run_makes_none(project):
    pictures(project)
    size = len(png((250, 0, 0)))

    planned = project.cli("plan")
    dry = project.cli("push", "--dry-run", "--json")

    assert planned.exit_code == 0, planned.output
    assert f"content/posts/img/a.png  {size} B" in planned.output
    assert "4 files to upload" in planned.output
    data = json.loads(dry.output)
    by_path = {u["path"]: u for u in data["uploads"]}
    assert by_path["content/posts/img/a.png"]["size"] == size
    assert by_path["content/posts/img/a.png"]["endpoint"] == "images"
    assert len(by_path) == 4 and data["outcomes"] == []
    state = project.root / ".ghostsync" / "state"
    assert not state.exists() or "upload" not in "".join(
        f.read_text() for f in state.iterdir()
    )


def test_raw_html_image_og_image_audio_and_pdf_use_their_endpoints(project):
    project.write("content/posts/media/raw.png", png((1, 2, 3)))
    project.write("content/posts/media/og.png", png((4, 5, 6)))
    project.write("content/posts/media/sound.wav", wav())
    project.write("content/posts/media/paper.pdf", pdf())
    body = (
        '<p><img src="media/raw.png" alt="raw"></p>\n\n'
        '<audio controls src="media/sound.wav"></audio>\n\n'
        "[the paper](media/paper.pdf)\n"
    )
    project.post("mixed", "Mixed", body, og_image="media/og.png")
    client = project.client()

    result = project.push(client=client)

    assert [o.status for o in result.outcomes] == ["done"], result.outcomes
    assert sorted(client.uploads) == [
        "files:paper.pdf",
        "images:og.png",
        "images:raw.png",
        "media:sound.wav",
    ]
    post = remote_post(project, "mixed")
    text = card_text(post)
    assert "/content/images/" in post["og_image"]
    assert re.search(r'src="[^"]+/content/images/[^"]+raw\.png"', text)
    assert re.search(r'src="[^"]+/content/media/[^"]+sound\.wav"', text)
    assert re.search(r"\(http[^)]+/content/files/[^)]+paper\.pdf\)", text)
    assert fetch(URL.findall(text)[0]).content == pdf()


BAD = {
    "type": ("![x](img/pic.bmp)\n", "is not an image type Ghost accepts"),
    "size": ("![x](img/big.png)\n", "over the limit"),
    "missing": ("![x](img/nope.png)\n", "does not exist"),
    "escape": ("![x](../../outside.png)\n", "outside the content root"),
    "symlink": ("![x](img/link.png)\n", "outside the content root"),
    "not-a-post": ("[x](README.md)\n", "not a post or page"),
}


def test_bad_references_are_refused_and_nothing_of_the_post_is_sent(project):
    with (project.root / "ghostsync.toml").open("a") as config:
        config.write("\n[content]\nmax_upload_mb = 0.001\n")  # 1048 bytes
    project.write("content/posts/img/pic.bmp", b"BM" + b"\0" * 60)
    project.write("content/posts/img/big.png", png((1, 1, 1), size=300) + b"\0" * 2000)
    project.write("outside.png", png())
    os.symlink(
        project.root / "outside.png", project.root / "content/posts/img/link.png"
    )
    project.write("content/posts/README.md", "# Notes\n")
    paths = {case: project.post(case, case, body) for case, (body, _) in BAD.items()}
    client = project.client()

    result = project.push(client=client)

    assert client.writes == []
    assert result.exit_code() == 1
    errors = {e.path: e.message for e in result.scan.errors}
    for case, (body, problem) in BAD.items():
        message = errors[paths[case]]
        target = re.search(r"\]\(([^)]+)\)", body).group(1)
        assert paths[case] in message and f"'{target}'" in message, message
        assert problem in message, message
        assert project.client().find_by_slug("post", project.slug(case)) is None


def test_a_bad_reference_leaves_the_synced_post_untouched(project):
    project.post("kept", "Kept", "Fine.\n")
    project.push()
    before = remote_post(project, "kept")

    project.post("kept", "Kept, edited", "Now ![x](gone.png)\n")
    client = project.client()
    result = project.push(client=client)

    assert client.writes == []
    assert [a.name for a in mine(result, project.prefix)] == [p.INVALID]
    after = remote_post(project, "kept")
    assert after["title"] == "Kept"
    assert after["updated_at"] == before["updated_at"]


def test_links_between_two_new_posts_in_a_cycle_get_both_urls(project):
    project.post("ping", "Ping", "See [pong](pong.md).\n")
    project.post("pong", "Pong", "See [ping](ping.md).\n")

    result = project.push()

    assert [o.status for o in result.outcomes] == ["done", "done"]
    ping, pong = remote_post(project, "ping"), remote_post(project, "pong")
    assert card_text(ping) == f"See [pong]({pong['url']}).\n"
    assert card_text(pong) == f"See [ping]({ping['url']}).\n"
    assert [a.name for a in mine(project.plan(), project.prefix)] == [p.UNCHANGED] * 2


def test_verify_images_uploads_again_a_file_deleted_from_ghost(project, real_ghost):
    if real_ghost.data_dir is None:
        pytest.skip("needs the local Ghost's content folder")
    project.write("content/posts/lost.png", png((7, 7, 7)))
    project.post("verify", "Verify", "![x](lost.png)\n")
    project.push()
    url = URL.findall(card_text(remote_post(project, "verify")))[0]
    stored = real_ghost.data_dir / urlsplit(url).path.lstrip("/")
    copies = list(stored.parent.glob(stored.stem + "*"))
    assert copies, sorted(real_ghost.data_dir.rglob("*.png"))
    for copy in copies:
        copy.unlink()
    assert fetch(url).status_code == 404

    plain = project.client()
    project.push(client=plain)
    assert plain.writes == []  # without the flag the cache is trusted

    client = project.client()
    result = project.push(client=client, verify_images=True)

    assert client.uploads == ["images:lost.png"]
    assert [o.action.name for o in result.outcomes] == [p.UPDATE]
    new_url = URL.findall(card_text(remote_post(project, "verify")))[0]
    assert fetch(new_url).status_code == 200  # the freed name may be reused


def test_html_format_sends_the_uploaded_urls_to_ghosts_image_card(project):
    project.write("content/posts/h.png", png((3, 3, 3)))
    project.post("html", "Html", "Text.\n\n![alt](h.png)\n", body_format="html")

    project.push()

    lexical = json.loads(remote_post(project, "html")["lexical"])
    [image] = [n for n in lexical["root"]["children"] if n["type"] == "image"]
    assert "/content/images/" in image["src"] and image["alt"] == "alt"
    counting = project.client()
    project.push(client=counting)
    assert counting.writes == []


def test_a_link_to_a_post_deleted_in_ghost_is_refused(project):
    project.post("gone", "Gone")
    project.post("linker", "Linker", "See [gone](gone.md).\n")
    project.push()
    gone = remote_post(project, "gone")
    project.client().delete("post", gone["id"])

    project.post("linker", "Linker, edited", "See [gone](gone.md).\n")
    client = project.client()
    result = project.push(client=client)

    assert client.writes == []
    [linker] = [a for a in mine(result, project.prefix) if a.slug.endswith("linker")]
    assert linker.name == p.INVALID
    assert "links to content/posts/gone.md" in linker.reason
    assert remote_post(project, "linker")["title"] == "Linker"


def test_an_image_ghost_cannot_process_fails_that_post_only(project):
    project.write("content/posts/broken.png", b"\x89PNG\r\n\x1a\n not really")
    project.post("broken", "Broken", "![b](broken.png)\n")
    project.post("fine", "Fine")
    client = project.client()

    result = project.push(client=client)

    by_slug = {o.action.slug: o for o in result.outcomes}
    failed = by_slug[project.slug("broken")]
    assert failed.status == "failed", failed
    assert "uploading content/posts/broken.png: " in failed.message
    assert "Image processing failed" in failed.message
    assert by_slug[project.slug("fine")].status == "done"
    assert ("create", project.slug("broken")) not in client.writes
    assert project.client().find_by_slug("post", project.slug("broken")) is None
    assert result.exit_code() == 1


def test_a_file_ghost_refuses_is_named_with_its_post(project):
    project.write("content/posts/img/bad.svg", "<p>not an svg at all</p>\n")
    path = project.post("svg", "Svg", "![x](img/bad.svg)\n")

    result = project.cli("push")

    assert result.exit_code == 1, result.output
    assert "uploading content/posts/img/bad.svg: " in result.output
    assert f"({path} refers to it as 'img/bad.svg')" in result.output
    assert "Please select a valid SVG image" in result.output
