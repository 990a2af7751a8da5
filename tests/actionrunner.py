"""Runs the composite ``action.yml`` the way a GitHub runner would, locally.

Each ``run:`` step is executed with ``bash --noprofile --norc -eo pipefail``
(what ``shell: bash`` means on a runner) in the workspace, with the runner's
variables (``GITHUB_ACTIONS``, ``GITHUB_WORKSPACE``, ``RUNNER_TEMP``, a fresh
``GITHUB_OUTPUT`` per step, ``GITHUB_ENV``, ``GITHUB_PATH``, one
``GITHUB_STEP_SUMMARY`` file…) and the step's ``env:``. Every ``${{ … }}`` is
replaced from a small mapping (``inputs.*`` the action declares,
``github.action_path``, ``steps.<id>.outputs.*`` of earlier steps); any
other expression fails the test, so the action cannot quietly grow one the
harness does not understand. The steps stop at the first failure, like the
runner's.

``uses:`` steps cannot run here: only the ones in :data:`KNOWN_USES` are
allowed, and they are skipped (``actions/setup-python``: the harness provides
``python3`` itself).

Installing: the action's install step really runs ``python3 -m venv`` and
``pip install <action path>``, but without a registry: ``PIP_NO_INDEX`` and
``PIP_NO_DEPS`` forbid downloads, ``PIP_NO_BUILD_ISOLATION`` builds with the
setuptools at hand, ``PIP_CONFIG_FILE`` hides the machine's pip config, and
``PYTHONPATH`` lends the new virtualenv this test environment's installed
dependencies (not ghostsync itself: the test venv has it as an editable
install, which ``PYTHONPATH`` does not carry). So ghostsync runs from the copy
pip installed from the action's checkout, and the tests check that it does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
KNOWN_USES = {"actions/setup-python@v5"}
# The conditions of skipped ``uses:`` steps the harness knows how to read.
KNOWN_CONDITIONS: dict[str, Callable[[dict[str, str]], bool]] = {
    "inputs.python-version != ''": lambda inputs: inputs["python-version"] != "",
}


def load_action(root: Path = REPO) -> dict[str, Any]:
    return yaml.safe_load((root / "action.yml").read_text())


def copy_action(target: Path) -> Path:
    """The action's files as the runner downloads them: the repository's tree."""
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "tests", "build", "dist", "*.egg-info", "__pycache__",
        ".ghostsync", ".*_cache",
    )  # fmt: skip
    shutil.copytree(REPO, target, ignore=ignore)
    return target


@dataclass
class StepResult:
    id: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    skipped: bool = False
    seconds: float = 0.0


@dataclass
class ActionRun:
    """What one use of the action did."""

    returncode: int
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    env_file: str

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(s.stderr for s in self.steps)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def annotations(self, kind: str = "error") -> list[dict[str, str]]:
        """Every ``::kind …::message`` line, unescaped as the runner reads it."""
        found = []
        for line in self.log.splitlines():
            match = re.fullmatch(rf"::{kind}(?: ([^:]*))?::(.*)", line)
            if not match:
                continue
            props = {}
            for part in (match.group(1) or "").split(","):
                if part:
                    name, _, value = part.partition("=")
                    props[name] = unescape(value)
            props["message"] = unescape(match.group(2))
            found.append(props)
        return found


def unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ",")):
        text = text.replace(escaped, char)
    return text.replace("%25", "%")


@dataclass
class Runner:
    """Runs the action in ``action_path`` for workspaces under ``temp``."""

    action_path: Path
    temp: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    action: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.action = load_action(self.action_path)
        self.runner_temp = self.temp / "runner-temp"
        self.runner_temp.mkdir(parents=True, exist_ok=True)
        self.bin = self.temp / "bin"
        self.bin.mkdir(exist_ok=True)
        # The runner's python3 (setup-python's job): this interpreter.
        python3 = self.bin / "python3"
        if not python3.exists():
            python3.symlink_to(sys.executable)

    def run(
        self,
        workspace: Path,
        inputs: dict[str, str],
        *,
        event: str = "push",
        ref: str = "refs/heads/main",
    ) -> ActionRun:
        values = self._inputs(inputs)
        summary = self.temp / f"summary-{os.urandom(4).hex()}.md"
        summary.touch()
        env_file = self.temp / "github-env"
        env_file.touch()
        path_file = self.temp / "github-path"
        path_file.touch()
        env = self._env(workspace, event, ref, summary, env_file, path_file)

        results: list[StepResult] = []
        code = 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            step_id = step.get("id") or f"__{index}"
            if "uses" in step:
                results.append(self._skip(step, step_id, values))
                continue
            result = self._run_step(step, step_id, values, results, env, workspace)
            results.append(result)
            env.update(_read_env_file(env_file))
            extra_path = [p for p in path_file.read_text().splitlines() if p]
            env["PATH"] = ":".join([*reversed(extra_path), self._path()])
            if result.returncode != 0:
                code = result.returncode
                break

        outputs = {
            name: self._substitute(spec["value"], values, results)
            for name, spec in (self.action.get("outputs") or {}).items()
        }
        return ActionRun(
            code, results, outputs, summary.read_text(), env_file.read_text()
        )

    # -- steps ---------------------------------------------------------------

    def _skip(
        self, step: dict[str, Any], step_id: str, values: dict[str, str]
    ) -> StepResult:
        assert step["uses"] in KNOWN_USES, f"unknown uses: {step['uses']}"
        condition = step.get("if")
        if condition is not None:
            assert condition in KNOWN_CONDITIONS, f"unknown condition: {condition}"
            KNOWN_CONDITIONS[condition](values)
        for value in (step.get("with") or {}).values():
            self._substitute(str(value), values, [])
        return StepResult(step_id, 0, "", "", {}, skipped=True)

    def _run_step(
        self,
        step: dict[str, Any],
        step_id: str,
        values: dict[str, str],
        done: list[StepResult],
        env: dict[str, str],
        workspace: Path,
    ) -> StepResult:
        assert step.get("shell") == "bash", "composite run steps need shell: bash"
        assert "if" not in step, "the harness runs no conditional run: step"
        script = self._substitute(step["run"], values, done)
        step_env = {
            name: self._substitute(str(value), values, done)
            for name, value in (step.get("env") or {}).items()
        }
        output = self.temp / f"output-{step_id}-{os.urandom(4).hex()}"
        output.touch()
        script_file = self.temp / f"step-{step_id}.sh"
        script_file.write_text(script)
        started = time.monotonic()
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=workspace / step.get("working-directory", "."),
            env={**env, **step_env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        return StepResult(
            step_id,
            proc.returncode,
            proc.stdout,
            proc.stderr,
            _read_outputs(output),
            seconds=time.monotonic() - started,
        )

    # -- expressions ---------------------------------------------------------

    def _inputs(self, given: dict[str, str]) -> dict[str, str]:
        declared = self.action.get("inputs") or {}
        unknown = set(given) - set(declared)
        assert not unknown, f"not inputs of action.yml: {sorted(unknown)}"
        return {
            name: str(given.get(name, spec.get("default", "")))
            for name, spec in declared.items()
        }

    def _substitute(
        self, text: str, values: dict[str, str], done: list[StepResult]
    ) -> str:
        return EXPRESSION.sub(lambda m: self._resolve(m.group(1), values, done), text)

    def _resolve(
        self, expr: str, values: dict[str, str], done: list[StepResult]
    ) -> str:
        if expr == "github.action_path":
            return str(self.action_path)
        if expr.startswith("inputs."):
            name = expr.removeprefix("inputs.")
            assert name in values, f"unknown input in an expression: {expr}"
            return values[name]
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if match:
            ids = [s.get("id") for s in self.action["runs"]["steps"]]
            assert match.group(1) in ids, f"unknown step in an expression: {expr}"
            for step in done:
                if step.id == match.group(1):
                    return step.outputs.get(match.group(2), "")
            return ""  # a step that has not run yet: an empty string, as on GitHub
        raise AssertionError(f"the harness does not know the expression {expr!r}")

    # -- the environment -----------------------------------------------------

    def _path(self) -> str:
        return f"{self.bin}:/usr/local/bin:/usr/bin:/bin"

    def _env(
        self,
        workspace: Path,
        event: str,
        ref: str,
        summary: Path,
        env_file: Path,
        path_file: Path,
    ) -> dict[str, str]:
        ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
        return {
            "PATH": self._path(),
            "HOME": str(self.temp / "home"),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ENV": str(env_file),
            "GITHUB_PATH": str(path_file),
            "GITHUB_EVENT_NAME": event,
            "GITHUB_REF": ref,
            "GITHUB_REF_NAME": ref.split("/", 2)[-1],
            "GITHUB_REF_TYPE": ref_type,
            "GITHUB_REPOSITORY": "example/blog",
            "RUNNER_TEMP": str(self.runner_temp),
            "RUNNER_OS": "Linux",
            **_offline_pip(),
            **self.extra_env,
        }


def _offline_pip() -> dict[str, str]:
    """pip settings that make ``pip install <checkout>`` work with no registry."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
    }


def _read_outputs(path: Path) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def _read_env_file(path: Path) -> dict[str, str]:
    return _read_outputs(path)
