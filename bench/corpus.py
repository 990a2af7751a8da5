"""The benchmark's posts: Markdown files and the Ghost export that matches them.

Both sides are made from the same generated posts, and the export's Lexical is
what ghostsync itself would send, so a first ``push`` finds every post already
in Ghost and adopts it without a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostsync.body import join_soft_breaks, markdown_card_lexical

TOPICS = [f"Topic {n}" for n in range(12)]
KEY_VAR = "GHOSTSYNC_BENCH_KEY"
PARAGRAPH = (
    "Ghost keeps posts in a database and ghostsync keeps them in files; this"
    " paragraph is here so each body weighs about what a short blog post does."
    " It has *emphasis*, a [link](https://example.com/{n}) and `code`."
)


@dataclass(frozen=True)
class Post:
    """One generated post."""

    number: int
    slug: str
    title: str
    tags: tuple[str, ...]
    body: str


def make_posts(count: int, start: int = 0, prefix: str = "bench") -> list[Post]:
    """``count`` posts numbered from ``start``; the same every time."""
    return [_post(n, prefix) for n in range(start, start + count)]


def _post(n: int, prefix: str) -> Post:
    tags = (TOPICS[n % len(TOPICS)], TOPICS[(n * 7 + 3) % len(TOPICS)])
    paragraphs = [PARAGRAPH.format(n=n + i) for i in range(6)]
    body = (
        f"## Part one of {n}\n\n"
        + "\n\n".join(paragraphs[:3])
        + "\n\n- a list item\n- another one\n\n## Part two\n\n"
        + "\n\n".join(paragraphs[3:])
        + "\n"
    )
    return Post(
        n, f"{prefix}-{n:05d}", f"Bench post {n}", tuple(dict.fromkeys(tags)), body
    )


def write_project(root: Path, url: str, posts: list[Post]) -> None:
    """A ghostsync project in ``root`` holding one file a post."""
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "ghostsync.toml").write_text(
        f'[site]\nurl = "{url}"\nkey_env = "{KEY_VAR}"\n', encoding="utf-8"
    )
    for post in posts:
        write_post(root, post)


def write_post(root: Path, post: Post) -> Path:
    path = root / "content" / "posts" / f"{post.slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    tags = ", ".join(f'"{tag}"' for tag in post.tags)
    front = f"---\ntitle: {post.title}\nslug: {post.slug}\ntags: [{tags}]\n---\n\n"
    path.write_text(front + post.body, encoding="utf-8")
    return path


def edit_post(root: Path, post: Post, note: str) -> None:
    """Change a post's body in its file."""
    changed = Post(post.number, post.slug, post.title, post.tags, post.body + note)
    write_post(root, changed)


def export(posts: list[Post], version: str) -> dict[str, Any]:
    """A Ghost JSON export (``{"db": [{"meta", "data"}]}``) of ``posts``."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    tag_ids = {name: _object_id("tag", name) for name in TOPICS}
    tags = [
        {"id": tag_ids[name], "name": name, "slug": name.lower().replace(" ", "-")}
        for name in TOPICS
    ]
    rows = [_row(post, now) for post in posts]
    links = [
        {"post_id": row["id"], "tag_id": tag_ids[name], "sort_order": order}
        for post, row in zip(posts, rows, strict=True)
        for order, name in enumerate(post.tags)
    ]
    data = {"posts": rows, "tags": tags, "posts_tags": links}
    meta = {"exported_on": int(dt.datetime.now(dt.UTC).timestamp() * 1000)}
    # Ghost's importer wants a full semver; /site/ gives "6.65".
    version = ".".join((version.split(".") + ["0", "0"])[:3])
    return {"db": [{"meta": {**meta, "version": version}, "data": data}]}


def _row(post: Post, now: str) -> dict[str, Any]:
    lexical = markdown_card_lexical(join_soft_breaks(post.body))
    return {
        "id": _object_id("post", post.slug),
        "title": post.title,
        "slug": post.slug,
        "lexical": lexical,
        "status": "draft",
        "type": "post",
        "visibility": "public",
        "featured": False,
        "created_at": now,
        "updated_at": now,
    }


def _object_id(kind: str, name: str) -> str:
    return hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:24]
