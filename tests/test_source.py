"""Reading local files: front matter, titles, slugs, dates and clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ghostsync.config import load_settings
from ghostsync.source import scan

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ghostsync.toml").write_text('[site]\nurl = "http://127.0.0.1:9/"\n')
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "pages").mkdir(parents=True)
    return tmp_path


def write(project: Path, rel: str, text: str | bytes) -> None:
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def read_all(project: Path, tz: dt.tzinfo = dt.UTC):
    return scan(load_settings(project, environ={}), tz)


def only_post(project: Path, tz: dt.tzinfo = dt.UTC):
    result = read_all(project, tz)
    assert not result.errors, [e.message for e in result.errors]
    [post] = result.posts
    return post


def only_error(project: Path):
    result = read_all(project)
    [error] = result.errors
    return error


def test_title_slug_and_date_from_front_matter(project):
    write(
        project,
        "content/posts/x.md",
        "---\ntitle: Hello\nslug: hi-there\ndate: 2024-05-01 09:30\n---\nBody\n",
    )

    post = only_post(project, BERLIN)

    assert post.fields["title"] == "Hello"
    assert post.slug == "hi-there"
    assert post.fields["published_at"] == "2024-05-01T07:30:00.000Z"
    assert post.body == "Body\n"


def test_title_from_leading_h1_is_taken_out_of_the_body(project):
    write(project, "content/posts/2024-03-02-first-steps.md", "# First steps\n\nText\n")

    post = only_post(project)

    assert post.fields["title"] == "First steps"
    assert post.body == "Text\n"
    assert post.slug == "first-steps"
    assert post.fields["published_at"] == "2024-03-02T00:00:00.000Z"


def test_file_name_is_the_title_of_last_resort_with_a_warning(project):
    write(project, "content/posts/notes.md", "just text\n")

    post = only_post(project)

    assert post.fields["title"] == "notes"
    assert any("no title" in w for w in post.warnings)


def test_index_md_takes_its_folder_name(project):
    write(project, "content/posts/my-trip/index.md", "# Trip\n")

    assert only_post(project).slug == "my-trip"


@pytest.mark.parametrize(
    ("line", "shown"),
    [("title: No", "No"), ("title: 12:30", "12:30"), ("title: 1.10", "1.10")],
)
def test_yaml_type_traps_are_errors_with_a_quoting_hint(project, line, shown):
    write(project, "content/posts/a.md", f"---\nslug: a\n{line}\n---\nText\n")

    error = only_error(project)

    assert error.location == "content/posts/a.md:3"
    assert error.field == "title"
    assert f'title: "{shown}"' in error.hint


def test_bom_and_crlf_are_read_like_plain_utf8(project):
    text = "---\r\ntitle: Café\r\n---\r\nLine one\r\n\r\nLine two\r\n"
    write(project, "content/posts/bom.md", b"\xef\xbb\xbf" + text.encode())

    post = only_post(project)

    assert post.fields["title"] == "Café"
    assert post.body == "Line one\n\nLine two\n"


def test_comma_separated_tags_are_split_with_a_warning(project):
    write(project, "content/posts/t.md", "---\ntitle: T\ntags: update, journal\n---\n")

    post = only_post(project)

    assert post.fields["tags"] == ["update", "journal"]
    assert post.tag_names == ("update", "journal")
    assert any("split at commas" in w for w in post.warnings)


def test_internal_tags_get_ghosts_hash_slug(project):
    write(
        project, "content/posts/t.md", "---\ntitle: T\ntags: ['#hidden', News]\n---\n"
    )

    assert only_post(project).fields["tags"] == ["hash-hidden", "news"]


def test_unknown_key_is_kept_with_a_typo_warning(project):
    write(project, "content/posts/t.md", "---\ntitle: T\nfeatrued: true\n---\n")

    post = only_post(project)

    assert "featured" not in post.fields or post.fields["featured"] is False
    assert any("did you mean 'featured'" in w for w in post.warnings)


def test_invalid_yaml_names_the_line(project):
    write(project, "content/posts/bad.md", "---\ntitle: ok\ntags: [a, b\n---\n")

    error = only_error(project)

    assert error.path == "content/posts/bad.md"
    assert error.line is not None and error.line >= 3


def test_bad_file_does_not_stop_the_others(project):
    write(project, "content/posts/good.md", "# Good\n")
    write(project, "content/posts/bad.md", "---\ntitle: [1, 2]\n---\n")

    result = read_all(project)

    assert [p.slug for p in result.posts] == ["good"]
    assert [e.path for e in result.errors] == ["content/posts/bad.md"]


def test_two_files_with_one_slug_are_an_error_naming_both(project):
    write(project, "content/posts/a.md", "---\ntitle: A\nslug: same\n---\n")
    write(project, "content/posts/b.md", "---\ntitle: B\nslug: same\n---\n")

    error = only_error(project)

    assert "content/posts/a.md" in error.message
    assert "content/posts/b.md" in error.message


def test_excluded_and_page_files(project):
    write(project, "content/posts/_drafts/wip.md", "# WIP\n")
    write(project, "content/posts/README.md", "# Readme\n")
    write(project, "content/pages/about.md", "# About\n")

    [page] = read_all(project).posts

    assert (page.kind, page.slug) == ("page", "about")
    assert page.fields["show_title_and_feature_image"] is True


def test_title_over_ghosts_limit_is_an_error_with_the_limit(project):
    write(project, "content/posts/long.md", f"---\ntitle: {'x' * 300}\n---\n")

    error = only_error(project)

    assert "at most 255" in error.message


def test_sent_status_is_read_only(project):
    write(project, "content/posts/s.md", "---\ntitle: S\nstatus: sent\n---\n")

    assert "read-only" in only_error(project).message


def test_scheduled_status_is_published_with_a_date(project):
    write(
        project,
        "content/posts/s.md",
        "---\ntitle: S\nstatus: scheduled\ndate: 2030-01-01T10:00:00Z\n---\n",
    )

    post = only_post(project)

    assert post.fields["status"] == "published"
    assert post.fields["published_at"] == "2030-01-01T10:00:00.000Z"


@pytest.mark.parametrize("date", ["2025-13-45", "2025-02-30"])
def test_impossible_date_is_an_error_of_that_file_only(project, date):
    write(project, "content/posts/good.md", "# Good\n")
    write(project, "content/posts/bad.md", f"---\ntitle: Bad\ndate: {date}\n---\n")

    result = read_all(project)

    assert [p.slug for p in result.posts] == ["good"]
    [error] = result.errors
    assert error.path == "content/posts/bad.md"
    assert "date" in error.hint


def test_scheduled_without_a_date_is_an_error(project):
    write(project, "content/posts/s.md", "---\ntitle: S\nstatus: scheduled\n---\n")

    assert "no date" in only_error(project).message


@pytest.mark.parametrize("value", ["[None]", "123", "abc", '"not-an-id"'])
def test_an_id_that_is_not_a_ghost_id_is_an_error_naming_the_line(project, value):
    write(project, "content/posts/a.md", f"---\ntitle: A\nid: {value}\n---\nBody\n")

    error = only_error(project)

    assert "content/posts/a.md:3" in error.message and "'id'" in error.message
