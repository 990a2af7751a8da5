"""The benchmark's table: ghostsync against the floor and the naive way."""

from __future__ import annotations

from typing import Any

ROWS = [
    ("floor", "floor (browse only)"),
    ("index", "index query alone"),
    ("first_push", "first push, fresh clone"),
    ("noop_plan", "no-op plan"),
    ("noop_push", "no-op push"),
    ("changed_push_j1", "push 10 % changed"),
    ("changed_push_jN", "push 10 % changed, --jobs"),
    ("new_push_j1", "push new posts"),
    ("new_push_jN", "push new posts, --jobs"),
]
HEADER = (
    f"{'N':>5}  {'operation':<27}{'requests':>9}{'floor':>6}{'req/floor':>10}"
    f"{'KB in':>9}{'wall s':>8}{'peak MB':>8}{'naive/gs req':>13}{'naive/gs wall':>14}"
)


def render(results: dict[str, Any]) -> str:
    """The whole report as text."""
    lines = [HEADER, "-" * len(HEADER)]
    for size in results["sizes"]:
        lines += _size_rows(size)
        lines.append("")
    if "scan" in results:
        lines.append(_scan_line(results["scan"]))
    if "startup" in results:
        lines.append(f"ghostsync --version: {results['startup']['version_seconds']} s")
    for check in results.get("targets", []):
        mark = "met" if check["met"] else "NOT met"
        lines.append(f"target {mark}: {check['target']}: {check['figure']}")
    machine = results["machine"]
    lines.append(
        f"machine: {machine['cpus']} cores, Python {machine['python']}, "
        f"load before {machine['load_before'][0]:.1f}"
    )
    return "\n".join(lines)


def _size_rows(size: dict[str, Any]) -> list[str]:
    rows = []
    naive = naive_per_n(size)
    for key, label in ROWS:
        run = _find(size, key)
        if run is None:
            continue
        floor = run.get("floor", size["floor_requests"])
        ratio_req = ratio_wall = ""
        if key.startswith("noop"):
            ratio_req = f"{naive['requests'] / run['requests']:.0f}x"
            ratio_wall = f"{naive['wall'] / run['wall']:.0f}x"
        label += _extra(run)
        rows.append(
            f"{size['n']:>5}  {label:<27}{run['requests']:>9}{floor:>6}"
            f"{run['requests'] / floor:>10.2f}{run['bytes'] / 1024:>9.0f}"
            f"{run['wall']:>8.2f}{run['maxrss_kb'] / 1024:>8.0f}"
            f"{ratio_req:>13}{ratio_wall:>14}"
        )
    measured = size["naive"]
    rows.append(
        f"{size['n']:>5}  {'naive, ' + str(measured['files']) + ' posts':<27}"
        f"{measured['requests']:>9}{'':>6}{'':>10}{measured['bytes'] / 1024:>9.0f}"
        f"{measured['wall']:>8.2f}{measured['maxrss_kb'] / 1024:>8.0f}"
    )
    if measured["files"] != size["n"]:
        rows.append(
            f"{size['n']:>5}  {'naive, scaled to N':<27}{naive['requests']:>9.0f}"
            f"{'':>6}{'':>10}{'':>9}{naive['wall']:>8.2f}"
        )
    return rows


def _extra(run: dict[str, Any]) -> str:
    if run.get("jobs", 1) > 1:
        return f" ({run['jobs']})"
    return ""


def _find(size: dict[str, Any], key: str) -> dict[str, Any] | None:
    if key.endswith("_jN"):
        prefix = key[:-1]
        found = [
            v for k, v in size.items() if k.startswith(prefix) and k != prefix + "1"
        ]
        return found[0] if found else None
    return size.get(key)


def naive_per_n(size: dict[str, Any]) -> dict[str, float]:
    """The naive way's figures scaled from the posts it ran on to N."""
    measured = size["naive"]
    scale = size["n"] / max(1, measured["files"])
    return {
        "requests": measured["requests"] * scale,
        "wall": measured["wall"] * scale,
    }


def _scan_line(scan: dict[str, Any]) -> str:
    return (
        f"scan of {scan['files']} unchanged files: cold {scan['cold']:.2f} s, "
        f"warm {scan['warm']:.2f} s (hash cache)"
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each of the issue's targets with the figure that decides it."""
    checks = []
    for size in results["sizes"]:
        checks += _size_targets(size)
    if "scan" in results:
        warm = results["scan"]["warm"]
        checks.append(
            _check(
                f"{results['scan']['files']} files scanned warm < 1 s",
                warm < 1,
                f"{warm} s",
            )
        )
    if "startup" in results:
        wall = results["startup"]["version_seconds"]
        checks.append(_check("ghostsync --version < 0.3 s", wall < 0.3, f"{wall} s"))
    return checks


def _size_targets(size: dict[str, Any]) -> list[dict[str, Any]]:
    n = size["n"]
    naive = naive_per_n(size)
    floor = size["floor"]
    checks = []
    for key in ("noop_plan", "noop_push"):
        run = size[key]
        extra = run["requests"] - size["floor_requests"]
        over = run["wall"] - floor["wall"]
        client = run["wall"] - size["index"]["wall"] if "index" in size else over
        checks += [
            _check(
                f"N={n} {key}: requests <= floor + 2", extra <= 2, f"floor + {extra}"
            ),
            _check(
                f"N={n} {key}: wall <= floor's + 0.5 s",
                over <= 0.5,
                f"{run['wall']:.2f} s against {floor['wall']:.2f} s (+{over:.2f});"
                f" ghostsync's own share beyond the index query {client:.2f} s",
            ),
            _check(
                f"N={n} {key}: >= 100x fewer requests than naive",
                naive["requests"] / run["requests"] >= 100,
                f"{naive['requests'] / run['requests']:.0f}x",
            ),
            _check(
                f"N={n} {key}: >= 25x less wall time than naive",
                naive["wall"] / run["wall"] >= 25,
                f"{naive['wall'] / run['wall']:.0f}x",
            ),
        ]
    return checks


def _check(target: str, met: bool, figure: str) -> dict[str, Any]:
    return {"target": target, "met": bool(met), "figure": figure}
