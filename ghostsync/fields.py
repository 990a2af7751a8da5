"""The managed fields: Ghost's own names, their types, limits and defaults.

A managed field is one ghostsync writes to Ghost and compares on both sides.
Front-matter keys outside this set (and outside :data:`INSTRUCTIONS`) are kept
in the file, never sent and never hashed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One managed field: its Ghost name, value type and Ghost's limit."""

    name: str
    type: str  # "str", "bool", "date", "tags", "choice"
    max_len: int | None = None
    default: Any = None
    kinds: tuple[str, ...] = ("post", "page")
    choices: tuple[str, ...] = ()
    # Ghost fills the field itself when it is not sent (the publish time):
    # it is compared only when the file sets it.
    auto: bool = False


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("title", "str", max_len=255),
        Field("slug", "str", max_len=191),
        Field("status", "choice", choices=("draft", "published", "sent")),
        Field("published_at", "date", auto=True),
        Field("tags", "tags", default=()),
        Field("custom_excerpt", "str", max_len=300),
        Field("featured", "bool", default=False),
        Field(
            "visibility",
            "choice",
            default="public",
            choices=("public", "members", "paid", "tiers"),
        ),
        Field("meta_title", "str", max_len=300),
        Field("meta_description", "str", max_len=500),
        Field("og_title", "str", max_len=300),
        Field("og_description", "str", max_len=500),
        Field("twitter_title", "str", max_len=300),
        Field("twitter_description", "str", max_len=500),
        Field("canonical_url", "str", max_len=2000),
        Field("feature_image", "str", max_len=2000),
        Field("feature_image_alt", "str", max_len=191),
        Field("feature_image_caption", "str", max_len=65535),
        Field("og_image", "str", max_len=2000),
        Field("twitter_image", "str", max_len=2000),
        Field("codeinjection_head", "str", max_len=65535),
        Field("codeinjection_foot", "str", max_len=65535),
        Field("custom_template", "str", max_len=100),
        Field("show_title_and_feature_image", "bool", default=True, kinds=("page",)),
    )
}

# Front-matter names users expect, mapped to Ghost's.
ALIASES = {"excerpt": "custom_excerpt", "date": "published_at"}

# Keys that steer ghostsync but are not content: never hashed as remote content.
INSTRUCTIONS = {"id", "body_format", "newsletter", "email_segment", "sync"}

# What the remote index asks for besides the managed fields. Edits that touch
# only tags or posts_meta fields do not move ``updated_at`` in Ghost 6.65 (and a
# stale ``updated_at`` does not stop them), so the index carries every managed
# field except the body: such an edit must show as a remote change.
INDEX_EXTRA = ("id", "uuid", "updated_at", "url", "email_only")


def fields_for(kind: str) -> list[Field]:
    """The managed fields of a post or a page, in a stable order."""
    return [f for f in FIELDS.values() if kind in f.kinds]


def index_columns(kind: str) -> list[str]:
    """The ``fields`` of the remote index browse for one kind (no bodies)."""
    managed = [f.name for f in fields_for(kind) if f.type != "tags"]
    return [*INDEX_EXTRA, *managed]
