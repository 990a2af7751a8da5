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
    # "str", "url", "bool", "date", "choice", or a relation: "tags",
    # "authors", "tiers" (lists of references, resolved to ids before a write)
    type: str
    max_len: int | None = None
    default: Any = None
    kinds: tuple[str, ...] = ("post", "page")
    choices: tuple[str, ...] = ()
    # Ghost fills the field itself when it is not sent (the publish time):
    # it is compared only when the file sets it.
    auto: bool = False
    # What the README says the field is for.
    doc: str = ""

    @property
    def relation(self) -> bool:
        """A list of references to other Ghost objects (tags, authors, tiers)."""
        return self.type in RELATIONS


RELATIONS = ("tags", "authors", "tiers")


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("title", "str", max_len=255, doc="the title; else a leading `# H1`"),
        Field("slug", "str", max_len=191, doc="the URL slug; else the file name"),
        Field(
            "status",
            "choice",
            choices=("draft", "published", "sent"),
            doc="`draft`, `published` or `scheduled` (with a future `date`)",
        ),
        Field("published_at", "date", auto=True, doc="the publish date"),
        Field("tags", "tags", default=(), doc="tag names; `#name` is internal"),
        Field(
            "authors",
            "authors",
            auto=True,
            doc="staff users by email (with `@`) or slug; first is primary",
        ),
        Field("custom_excerpt", "str", max_len=300, doc="the excerpt"),
        Field("featured", "bool", default=False, doc="`true` or `false`"),
        Field(
            "visibility",
            "choice",
            default="public",
            choices=("public", "members", "paid", "tiers"),
            doc="`public`, `members`, `paid` or `tiers`",
        ),
        Field("tiers", "tiers", doc="paid tiers by name or slug (`visibility: tiers`)"),
        Field("meta_title", "str", max_len=300, doc="search engine title"),
        Field("meta_description", "str", max_len=500, doc="search description"),
        Field("og_title", "str", max_len=300, doc="Open Graph title"),
        Field("og_description", "str", max_len=500, doc="Open Graph description"),
        Field("og_image", "url", max_len=2000, doc="Open Graph image"),
        Field("twitter_title", "str", max_len=300, doc="X/Twitter card title"),
        Field("twitter_description", "str", max_len=500, doc="X card description"),
        Field("twitter_image", "url", max_len=2000, doc="X/Twitter card image"),
        Field("canonical_url", "url", max_len=2000, doc="the canonical URL"),
        Field("feature_image", "url", max_len=2000, doc="the feature image"),
        Field("feature_image_alt", "str", max_len=191, doc="its alt text"),
        Field("feature_image_caption", "str", max_len=65535, doc="its caption"),
        Field("codeinjection_head", "str", max_len=65535, doc="code for `<head>`"),
        Field("codeinjection_foot", "str", max_len=65535, doc="code before `</body>`"),
        Field("custom_template", "str", max_len=100, doc="a theme template name"),
        Field(
            "email_subject",
            "str",
            max_len=300,
            kinds=("post",),
            doc="the newsletter subject",
        ),
        Field(
            "show_title_and_feature_image",
            "bool",
            default=True,
            kinds=("page",),
            doc="show the title and feature image",
        ),
    )
}

# Front-matter names users expect, mapped to Ghost's.
ALIASES = {"excerpt": "custom_excerpt", "date": "published_at"}

# Keys that steer ghostsync but are not content: never hashed as remote content.
INSTRUCTIONS = {"id", "body_format", "newsletter", "email_segment", "sync"}

# What each instruction does, for the README.
INSTRUCTION_DOCS = {
    "id": "the Ghost id this file stands for (ghostsync never writes it)",
    "body_format": "`markdown` (default) or `html`",
    "newsletter": "the newsletter slug to email with `push --send-email`",
    "email_segment": "who gets the email: `all` (default), `status:free`, …",
    "sync": "`false` leaves the file out of every sync",
}

# What the remote index asks for besides the managed fields. Edits that touch
# only relations (tags, authors, tiers) or posts_meta fields do not move
# ``updated_at`` in Ghost 6.65 (and a stale ``updated_at`` does not stop them),
# so the index carries every managed field except the body: such an edit must
# show as a remote change.
INDEX_EXTRA = ("id", "uuid", "updated_at", "url", "email_only")
INCLUDE = ("tags", "authors", "tiers")


def fields_for(kind: str) -> list[Field]:
    """The managed fields of a post or a page, in a stable order."""
    return [f for f in FIELDS.values() if kind in f.kinds]


def index_columns(kind: str) -> list[str]:
    """The ``fields`` of the remote index browse for one kind (no bodies)."""
    managed = [f.name for f in fields_for(kind) if not f.relation]
    return [*INDEX_EXTRA, *managed]
