"""The GitHub Action's files: action.yml and the example workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .actionrunner import REPO, Runner, copy_action, load_action

EXAMPLES = REPO / "examples"


# -- the files --------------------------------------------------------------


def run_steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in action["runs"]["steps"] if "run" in step]


def test_inputs_reach_the_scripts_only_through_env() -> None:
    action = load_action()
    for step in run_steps(action):
        assert "${{" not in step["run"], f"an expression inside run: of {step}"
    used = yaml.safe_dump(action["runs"]["steps"])
    for name in action["inputs"]:
        assert f"inputs.{name} " in used.replace("}}", " }}"), f"unused input {name}"


def load_example(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    [job] = workflow["jobs"].values()
    [step] = [s for s in job["steps"] if s.get("uses", "").endswith("/ghostsync@v1")]
    return step


@pytest.mark.parametrize("name", ["publish.yml", "pr-plan.yml"])
def test_examples_are_short_serialised_read_only_and_use_real_inputs(
    name: str,
) -> None:
    workflow = load_example(name)
    inputs = load_action()["inputs"]

    [job] = workflow["jobs"].values()
    assert len(job["steps"]) < 10
    assert workflow["concurrency"]["group"]
    assert workflow["permissions"] == {"contents": "read"}
    step = action_step(workflow)
    assert set(step["with"]) <= set(inputs), set(step["with"]) - set(inputs)
    assert step["with"]["key"] == "${{ secrets.GHOST_ADMIN_API_KEY }}"
    for other in job["steps"]:
        assert "${{" not in other.get("run", "")


def test_publish_pushes_on_main_and_the_pr_example_plans() -> None:
    publish = load_example("publish.yml")
    plan = load_example("pr-plan.yml")

    assert publish["on"] == {"push": {"branches": ["main"]}}
    assert action_step(publish)["with"]["command"] == "push"
    assert publish["concurrency"]["cancel-in-progress"] is False
    assert "pull_request" in plan["on"]
    assert action_step(plan)["with"]["command"] == "plan"
    assert "--exit-code" not in action_step(plan)["with"].get("args", "")


def test_the_harness_refuses_an_expression_it_does_not_know(tmp_path: Path) -> None:
    action = copy_action(tmp_path / "action")
    text = (action / "action.yml").read_text()
    text = text.replace("${{ inputs.command }}", "${{ github.token }}")
    (action / "action.yml").write_text(text)
    workspace = tmp_path / "ws"
    workspace.mkdir()

    with pytest.raises(AssertionError, match="github.token"):
        Runner(action, tmp_path).run(workspace, {"command": "validate"})
