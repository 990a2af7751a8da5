"""The field registry: Ghost's types and limits, checked before any request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ghostsync.config import load_settings
from ghostsync.fields import FIELDS, fields_for, index_columns
from ghostsync.source import scan


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ghostsync.toml").write_text('[site]\nurl = "http://127.0.0.1:9/"\n')
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "pages").mkdir(parents=True)
    return tmp_path


def read(project: Path, front: str, kind: str = "posts"):
    path = project / "content" / kind / "a.md"
    path.write_text(f"---\ntitle: A\n{front}\n---\nBody.\n", encoding="utf-8")
    return scan(load_settings(project, environ={}), dt.UTC)


def only_error(result) -> object:
    assert not result.posts
    [error] = result.errors
    return error


# Ghost 6.65's limits (schema.js column lengths and model validations).
GHOST_LIMITS = {
    "title": 255,
    "slug": 191,
    "custom_excerpt": 300,
    "meta_title": 300,
    "meta_description": 500,
    "og_title": 300,
    "og_description": 500,
    "og_image": 2000,
    "twitter_title": 300,
    "twitter_description": 500,
    "twitter_image": 2000,
    "canonical_url": 2000,
    "feature_image": 2000,
    "feature_image_alt": 191,
    "feature_image_caption": 65535,
    "codeinjection_head": 65535,
    "codeinjection_foot": 65535,
    "custom_template": 100,
    "email_subject": 300,
}


def test_the_registry_holds_ghosts_limits():
    limits = {f.name: f.max_len for f in FIELDS.values() if f.max_len}
    assert limits == GHOST_LIMITS


@pytest.mark.parametrize(
    "name", sorted(set(GHOST_LIMITS) - {"title", "slug", "email_subject"})
)
def test_a_value_over_the_limit_names_file_line_field_and_limit(project, name):
    limit = GHOST_LIMITS[name]
    error = only_error(read(project, f"featured: false\n{name}: {'x' * (limit + 1)}"))
    assert error.field == name
    assert error.line == 4
    assert error.message.startswith("content/posts/a.md:4:")
    assert f"is {limit + 1} characters; Ghost allows at most {limit}" in error.message


def test_a_value_at_the_limit_is_accepted(project):
    result = read(project, f"meta_description: {'x' * 500}")
    assert result.posts[0].fields["meta_description"] == "x" * 500


def test_excerpt_alias_reports_the_key_the_file_uses(project):
    error = only_error(read(project, f"excerpt: {'x' * 301}"))
    assert error.field == "excerpt"
    assert "Ghost allows at most 300" in error.message


def test_show_title_and_feature_image_is_a_page_field_only():
    assert "show_title_and_feature_image" in [f.name for f in fields_for("page")]
    assert "show_title_and_feature_image" not in [f.name for f in fields_for("post")]
    assert "email_subject" not in [f.name for f in fields_for("page")]


def test_the_index_asks_for_columns_not_relations():
    columns = index_columns("post")
    assert "tags" not in columns and "authors" not in columns
    assert "tiers" not in columns and "feature_image_alt" in columns


def test_authors_keep_their_order_and_read_emails_in_lower_case(project):
    [post] = read(project, "authors: [Sam, Owner@Example.com, sam]").posts
    assert post.fields["authors"] == ["sam", "owner@example.com"]
    assert post.lines["authors"] == 3


def test_one_author_may_be_written_without_a_list(project):
    [post] = read(project, "authors: sam").posts
    assert post.fields["authors"] == ["sam"]


def test_no_authors_key_leaves_ghosts_default(project):
    [post] = read(project, "featured: true").posts
    assert "authors" not in post.fields


@pytest.mark.parametrize("value", ["[]", "[sam, '']", "{a: b}", "12"])
def test_bad_authors_are_errors(project, value):
    error = only_error(read(project, f"authors: {value}"))
    assert error.field == "authors"


def test_tiers_need_visibility_tiers(project):
    error = only_error(read(project, "tiers: [Gold]"))
    assert error.field == "tiers"
    assert "visibility: tiers" in error.hint


def test_visibility_tiers_needs_tiers(project):
    error = only_error(read(project, "visibility: tiers"))
    assert error.field == "visibility"
    assert "tiers:" in error.hint


def test_tiers_are_a_set(project):
    [post] = read(project, "visibility: tiers\ntiers: [Gold, bronze, gold]").posts
    assert post.fields["tiers"] == ["bronze", "gold"]


def test_a_non_text_url_is_a_quoting_error(project):
    error = only_error(read(project, "canonical_url: 12"))
    assert error.field == "canonical_url"
    assert "quote it" in error.hint
