"""The benchmark runs end to end at N = 20 on its own local Ghost, and start-up
stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.ghost
def test_bench_at_n_20_measures_everything_against_the_floor(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "bench", "--sizes", "20", "--new", "5"]
    command += ["--repeats", "1", "--scan", "200", "--jobs", "3", "--json", str(out)]

    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "naive/gs req" in done.stdout
    results = json.loads(out.read_text())
    [size] = results["sizes"]
    floor = size["floor_requests"]
    assert size["first_push"]["actions"]["adopt"] == 20
    assert size["first_push"]["writes"] == 0
    for key in ("noop_plan", "noop_push"):
        assert size[key]["requests"] == floor + 1  # GET /site/
        assert size[key]["actions"]["unchanged"] == 20
    for key, writes in (("changed_push_j1", 2), ("changed_push_j3", 2)):
        assert size[key]["writes"] == writes
        assert size[key]["requests"] == floor + 2 + writes  # /site/, tags
        assert size[key]["failed"] == []
    assert size["new_push_j1"]["writes"] == size["new_push_j3"]["writes"] == 5
    assert size["naive"]["requests"] == 40
    assert results["scan"]["files"] == 200
    assert {check["target"].split(":")[0] for check in results["targets"]} >= {
        "N=20 noop_plan",
        "N=20 noop_push",
    }


def test_the_cli_starts_without_the_http_stack_or_the_planner():
    heavy = "{'requests', 'ghostsync.planner', 'markdown_it'}"
    code = f"import sys, ghostsync.cli; print(sorted({heavy} & set(sys.modules)))"

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"
