"""Properties that hold for any input, checked with Hypothesis.

- Any front matter and Markdown: ghostsync plans the file or rejects it with
  an error naming the file, never a traceback.
- Any sequence of local edits, remote edits, deletions on both sides, failing
  writes, pulls, syncs and repeated pushes against the fake Ghost: no post
  exists twice, no remote edit is lost, the state stays readable; and after a
  final push that settles every difference, both sides agree and the state
  covers every post.

The bounds come from the Hypothesis profile (see ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ghostsync import planner as p
from ghostsync.canonical import NO_SITE
from ghostsync.cli import main
from ghostsync.config import load_settings
from ghostsync.errors import GhostsyncError
from ghostsync.fields import ALIASES, FIELDS, INSTRUCTIONS
from ghostsync.run import Deletions, read_local
from ghostsync.state import Snapshot

from .fakeghost import FakeGhost
from .fakeproject import (
    FakeProject,
    assert_no_duplicates,
    assert_site_equals_files,
    assert_state_matches_site,
    front_title,
    restore,
)

CONFIG = '[site]\nurl = "http://127.0.0.1:9/"\nkey_env = "NO_KEY_NEEDED"\n'
KEYS = sorted({*FIELDS, *ALIASES, *INSTRUCTIONS, "Title", "tag", "type", "x"})

# -- any file ----------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
front_matter = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), values)
markdown = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300
) | st.lists(
    st.sampled_from(
        [
            "# Title",
            "---",
            "+++",
            "```",
            "- item",
            "  - nested",
            "> [!note]",
            "![a](b.png)",
            "[^1]: note",
            "<div>",
            "| a | b |",
            "|---|---|",
            "\t",
            "title: x",
            "",
            "[[Link]]",
            "<!-- c -->",
            "\r",
        ]
    ),
    max_size=12,
).map("\n".join)


def file_text(front: dict[str, Any], body: str, style: str) -> str:
    if style == "none":
        return body
    try:
        dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        dumped = "title: x\n"
    if style == "toml":
        return "+++\n" + dumped.replace(": ", " = ") + "+++\n" + body
    return "---\n" + dumped + "---\n" + body


@given(
    files=st.lists(
        st.tuples(front_matter, markdown, st.sampled_from(["yaml", "toml", "none"])),
        min_size=1,
        max_size=3,
    ),
    raw=st.binary(max_size=60),
)
def test_any_file_is_planned_or_rejected_by_name(files, raw):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        posts = root / "content" / "posts"
        posts.mkdir(parents=True)
        (root / "ghostsync.toml").write_text(CONFIG)
        names = []
        for n, (front, body, style) in enumerate(files):
            (posts / f"f{n}.md").write_text(file_text(front, body, style), "utf-8")
            names.append(f"content/posts/f{n}.md")
        (posts / "raw.md").write_bytes(raw)
        names.append("content/posts/raw.md")

        items, scan = read_local(load_settings(root, environ={}), NO_SITE, dt.UTC)
        plan = p.plan(p.Inputs(items, scan.errors, {}, Snapshot()))

        for error in scan.errors:
            assert error.path in names
            assert error.path in error.message or error.path in str(error.hint)
        planned = {a.path: a.name for a in plan.actions}
        assert sorted(planned) == sorted(names)
        assert set(planned.values()) <= {p.CREATE, p.INVALID}


@settings(max_examples=10)
@given(front=front_matter, body=markdown)
def test_validate_never_ends_in_a_traceback(front, body):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "content" / "posts").mkdir(parents=True)
        (root / "ghostsync.toml").write_text(CONFIG)
        (root / "content/posts/a.md").write_text(file_text(front, body, "yaml"))

        result = CliRunner().invoke(main, ["-C", str(root), "validate"])

        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


# -- any history against the fake ---------------------------------------------

NAMES = [f"p{n}" for n in range(5)]
FAULTS = [
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 503, "retry_after": "1"},
    {"kind": "status", "status": 429},
    {"kind": "reset"},
    {"kind": "reset", "apply": True},
    {"kind": "status", "status": 500, "apply": True},
    {"kind": "delay", "delay": 0.5},
]
SERVER: FakeGhost | None = None
EMPTY = {"posts": {}, "pages": {}, "tags": {}, "next_id": 1}


def server() -> FakeGhost:
    global SERVER
    if SERVER is None:
        SERVER = FakeGhost().start()
    return SERVER


class History(RuleBasedStateMachine):
    """Files and the fake Ghost changed in any order, pushed now and then."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.fake = server()
        restore(self.fake, EMPTY)
        self.project = FakeProject(Path(self.folder.name) / "blog", self.fake)
        self.version = 0
        self.remote_edits: dict[str, str] = {}

    def post(self, name: str) -> dict[str, Any] | None:
        return next((x for x in self.fake.posts.values() if x["slug"] == name), None)

    def path(self, name: str) -> Path:
        return self.project.root / "content" / "posts" / f"{name}.md"

    @rule(name=st.sampled_from(NAMES), paragraphs=st.integers(1, 3))
    def edit_file(self, name, paragraphs):
        self.version += 1
        body = "".join(f"Paragraph {i} of {name}.\n\n" for i in range(paragraphs))
        self.project.write(name, f"{name} v{self.version}", body)

    @rule(name=st.sampled_from(NAMES))
    def delete_file(self, name):
        self.path(name).unlink(missing_ok=True)

    @rule(name=st.sampled_from(NAMES))
    def edit_in_ghost(self, name):
        post = self.post(name)
        if post is not None:
            self.version += 1
            title = f"{name} edited in Ghost {self.version}"
            self.fake.edit("post", post["id"], title=title)
            self.remote_edits[name] = title

    @rule(name=st.sampled_from(NAMES))
    def delete_in_ghost(self, name):
        post = self.post(name)
        if post is not None:
            del self.fake.posts[post["id"]]
            self.remote_edits.pop(name, None)

    @rule(fault=st.sampled_from(FAULTS), later=st.integers(0, 12))
    def fail_a_request(self, fault, later):
        self.fake.inject(at=len(self.fake.requests) + later, **fault)

    @rule(prune=st.booleans(), twice=st.booleans())
    def push(self, prune, twice):
        deletions = Deletions(prune=prune, yes=True)
        for _ in range(2 if twice else 1):
            with contextlib.suppress(GhostsyncError):
                self.project.push(deletions=deletions)
        self.fake.faults = []

    @rule()
    def pull(self):
        with contextlib.suppress(GhostsyncError):
            self.project.pull()
        self.taken_in()

    @rule(twice=st.booleans())
    def sync(self, twice):
        for _ in range(2 if twice else 1):
            with contextlib.suppress(GhostsyncError):
                self.project.sync(images=False)
        self.taken_in()

    def taken_in(self) -> None:
        """Forget remote edits a pull or sync wrote into their files."""
        self.fake.faults = []
        for name, title in list(self.remote_edits.items()):
            path = self.path(name)
            if path.exists() and front_title(path) == title:
                del self.remote_edits[name]  # now in the file: a push keeps it

    @invariant()
    def nothing_twice_and_no_edit_lost(self):
        assert_no_duplicates(self.fake)
        for name, title in self.remote_edits.items():
            post = self.post(name)
            assert post is not None and post["title"] == title, f"{name} lost"
        state = self.project.state()
        paths = [record.path for record in state.records.values()]
        assert len(paths) == len(set(paths))

    def teardown(self) -> None:
        try:
            self.settle()
        finally:
            self.folder.cleanup()

    def settle(self) -> None:
        """Push with every difference resolved for the files; both sides agree."""
        self.fake.faults = []
        everything = Deletions(prune=True, yes=True, allow_empty=True, recreate=True)
        # --recreate with a path: also the unedited files of deleted posts.
        self.project.push(force=True, deletions=everything, paths={"content/posts"})
        self.project.push(deletions=everything)

        files = sorted(self.project.root.glob("content/posts/*.md"))
        assert_no_duplicates(self.fake)
        assert_site_equals_files(self.project)
        assert_state_matches_site(self.project)
        names = {a.name for a in self.project.plan().plan.actions}
        assert names <= {p.UNCHANGED}, names
        assert len(files) == len(self.fake.posts)


TestHistory = History.TestCase
