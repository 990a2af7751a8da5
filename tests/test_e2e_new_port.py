"""A site keeps its identity when its local Ghost comes back on another port:
no post is written and no file uploaded again."""

from __future__ import annotations

import pytest

from ghostsync import localghost
from ghostsync import planner as p
from ghostsync.localghost_setup import read_env, seed_from_template

from .e2e import Project
from .files import png
from .realghost import new_data_dir

pytestmark = pytest.mark.ghost


@pytest.fixture
def own_ghost(real_ghost):
    """A second instance this test may stop and start (the session's stays up)."""
    data = new_data_dir()
    seed_from_template(data)
    localghost.start(port=0, data=data)
    env = read_env(localghost.setup(data))
    yield data, env
    localghost.stop(data)


def test_restart_on_another_port_plans_no_change(own_ghost, tmp_path):
    data, env = own_ghost
    project = Project(
        tmp_path / "blog", env["GHOST_URL"], env["GHOST_ADMIN_API_KEY"], "port-"
    )
    project.write("content/posts/pic.png", png())
    project.post("other", "Other", "![local](pic.png) [links](links.md)\n")
    project.post(
        "links", "Links", "See [about](/about/) and ![x](/content/images/x.png).\n"
    )
    project.push()

    localghost.stop(data)
    moved = localghost.start(port=0, data=data)
    assert moved.url.rstrip("/") != env["GHOST_URL"].rstrip("/")
    project = Project(project.root, moved.url, env["GHOST_ADMIN_API_KEY"], "port-")

    counting = project.client()
    result = project.push(client=counting)

    assert counting.writes == []
    ours = [a for a in result.plan.actions if a.path]
    assert [a.name for a in ours] == [p.UNCHANGED, p.UNCHANGED]
