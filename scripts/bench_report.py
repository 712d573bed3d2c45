# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure half of `make bench`: read the trace of a play, sum it up, compare.

scripts/bench.py runs the plays and times them; everything here works on data
only (no containers, no clock), so tests/unit/test_bench_report.py covers it.
A trace is what scripts/bench_callbacks/bench_trace.py wrote: one JSON object a
line, "task" events followed by that task's "result" events, "stats" at the end.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

import yaml

NO_ROLE = "(play)"


@dataclass
class RoleCost:
    """What one role cost on a run: wall seconds, and per host the tasks that
    ran (not skipped) and the remote executions (those tasks, a loop counting
    once per item that ran, without controller-only actions)."""

    seconds: float = 0.0
    tasks: int = 0
    remote: int = 0


@dataclass
class PlayRun:
    """One ansible-playbook run read from its trace."""

    roles: dict[str, RoleCost] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    changed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())

    def per_host(self, attr: str) -> float:
        """Tasks or remote executions per host, summed over roles."""
        total = sum(getattr(cost, attr) for cost in self.roles.values())
        return total / max(len(self.hosts), 1)


def read_trace(lines) -> list[dict]:
    """Parse the JSON lines of a trace, skipping blank ones."""
    return [json.loads(line) for line in lines if line.strip()]


def remote_executions(result: dict) -> int:
    """Round trips a result stands for: 0 when skipped or run on the controller,
    the items that ran for a loop, else 1."""
    if result["status"] == "skipped" or result.get("controller"):
        return 0
    if result.get("items") or result.get("skipped_items"):
        return result.get("items", 0)
    return 1


def summarize(events: list[dict]) -> PlayRun:
    """Sum a trace by role. A task's time runs from its start to the next
    task's start (or the stats), so the roles' times add up to the play."""
    run = PlayRun()
    tasks = [e for e in events if e["event"] == "task"]
    ends = [e["t"] for e in events if e["event"] == "stats"]
    end = max(ends) if ends else (events[-1]["t"] if events else 0.0)
    starts = [t["t"] for t in tasks] + [end]
    roles: dict[str, RoleCost] = defaultdict(RoleCost)
    hosts: set[str] = set()
    current = None
    index = -1
    for event in events:
        kind = event["event"]
        if kind == "task":
            index += 1
            current = roles[event["role"] or NO_ROLE]
            current.seconds += max(starts[index + 1] - starts[index], 0.0)
        elif kind == "result" and current is not None:
            hosts.add(event["host"])
            if event["status"] != "skipped":
                current.tasks += 1
            current.remote += remote_executions(event)
        elif kind == "stats":
            hosts.add(event["host"])
            run.changed[event["host"]] = event.get("changed", 0)
            run.failed[event["host"]] = event.get("failures", 0) + event.get("unreachable", 0)
    run.roles = dict(roles)
    run.hosts = sorted(hosts)
    return run


def ratio(new: float | None, base: float | None) -> float | None:
    """new / base, or None when either is missing or base is zero."""
    if new is None or base is None or base == 0:
        return None
    return new / base


def fmt(value, digits: int = 1) -> str:
    """A table cell: '-' for missing, numbers rounded, the rest as text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub markdown table; cells go through fmt()."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [cell if isinstance(cell, str) else fmt(cell) for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def role_rows(runs: dict[str, PlayRun]) -> list[list]:
    """Rows of the by-role table for one rerun per tree (e.g. new and base):
    seconds and remote executions per host of each tree, then new/base."""
    names = list(runs)
    roles: list[str] = []
    for run in runs.values():
        for role in sorted(run.roles, key=lambda r: -run.roles[r].seconds):
            if role not in roles:
                roles.append(role)
    rows = []
    for role in roles:
        row: list = [role]
        for name in names:
            cost = runs[name].roles.get(role)
            per_host = max(len(runs[name].hosts), 1)
            row += [cost.seconds if cost else None, cost.remote / per_host if cost else None]
        if len(names) == 2:
            first, second = (runs[n].roles.get(role) for n in names)
            row.append(
                fmt_ratio(
                    ratio(first.seconds if first else None, second.seconds if second else None)
                )
            )
        rows.append(row)
    return rows


# --- inputs: the demo's inventory, the packages a converge installed -----------

_HEREDOC = re.compile(r'cat >"\$work/inventory\.yml" <<INV\n(.*?)\nINV\n', re.DOTALL)
_ASSIGN = re.compile(r"^([a-z_]+)=([^\s$`'\"]+)$", re.MULTILINE)
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_]+)\}?")


def demo_inventory(script: str) -> tuple[list[str], dict]:
    """The groups and variables scripts/demo.sh gives its host, read from the
    inventory it writes (so a base commit is run with its own variable names).
    Connection settings (ansible_*) are left out: the bench sets its own."""
    match = _HEREDOC.search(script)
    if not match:
        raise ValueError("scripts/demo.sh writes no $work/inventory.yml heredoc")
    values = dict(_ASSIGN.findall(script))
    values.setdefault("ip", "192.0.2.1")
    values.setdefault("PWD", ".")
    text = _SHELL_VAR.sub(lambda m: values.get(m.group(1), m.group(0)), match.group(1))
    host = values.get("name", "bulwark-demo")
    groups: list[str] = []
    found: dict = {}

    def walk(name: str, group: dict, inherited: dict) -> None:
        group = group or {}
        merged = {**inherited, **(group.get("vars") or {})}
        members = group.get("hosts") or {}
        if host in members:
            groups.append(name)
            found.update(merged)
            found.update(members[host] or {})
        for child, body in (group.get("children") or {}).items():
            walk(child, body, merged)

    walk("all", yaml.safe_load(text)["all"], {})
    return groups, {k: v for k, v in found.items() if not k.startswith("ansible_")}


def package_change(
    versions_before: dict[str, str],
    manual_before: set[str],
    versions_after: dict[str, str],
    manual_after: set[str],
) -> dict:
    """What a converge did to the package list: the packages it asked for
    (newly marked manual), all it installed, and those whose version changed."""
    return {
        "image": sorted(versions_before),
        "asked": sorted(manual_after - manual_before),
        "installed": sorted(set(versions_after) - set(versions_before)),
        "upgraded": sorted(
            p for p, v in versions_after.items() if p in versions_before and versions_before[p] != v
        ),
    }


# --- the table -----------------------------------------------------------------

RERUNS = ("rerun", "fleet", "docker-pipelining", "ssh-pipelining", "mitogen")


def run_cell(result: dict | None) -> str:
    """Seconds of a run, flagged loudly when it failed or (a rerun) changed."""
    if not result:
        return "-"
    cell = f"{result['seconds']:.1f}"
    if result.get("rc"):
        cell += f" FAILED (exit {result['rc']})"
    if result.get("changed") and result.get("label") in RERUNS:
        cell += f" CHANGED {result['changed']}!"
    return cell


def _seconds(result: dict | None) -> float | None:
    if not result or result.get("rc"):
        return None
    return result["seconds"]


def main_rows(results: dict[str, dict], hosts: int) -> list[list]:
    """The summary rows: one column per tree, then new/base when there are two."""
    names = list(results)

    def get(name, label):
        found = results[name].get(label)
        return {**found, "label": label} if isinstance(found, dict) else None

    def seconds_row(title, label):
        cells = [run_cell(get(n, label)) for n in names]
        values = [_seconds(get(n, label)) for n in names]
        return [title, *cells, *_tail(values)]

    def ratio_row(title, top, bottom):
        values = [ratio(_seconds(get(n, top)), _seconds(get(n, bottom))) for n in names]
        return [title, *(fmt_ratio(v) for v in values), *_tail(values)]

    def number_row(title, label, key):
        values = [(get(n, label) or {}).get(key) for n in names]
        return [title, *(fmt(v) for v in values), *_tail(values)]

    def _tail(values):
        return [fmt_ratio(ratio(values[0], values[1]))] if len(names) == 2 else []

    packages = [results[n].get("packages") or {} for n in names]
    counts = "; ".join(
        f"{len(p.get('asked', []))} asked, {len(p.get('installed', []))} installed"
        for p in packages
    )
    floor = f"floor: apt-get install of what converge installed, fresh container (s) [{counts}]"
    return [
        seconds_row("converge, 1 fresh host, docker (s)", "converge"),
        seconds_row(floor, "floor"),
        ratio_row("converge / floor", "converge", "floor"),
        seconds_row("no-change rerun, 1 host, docker (s)", "rerun"),
        number_row("rerun: changed (must be 0)", "rerun", "changed"),
        number_row("rerun: tasks run per host", "rerun", "tasks_per_host"),
        number_row(
            "rerun: round trips per host (tasks + loop items)", "rerun", "round_trips_per_host"
        ),
        number_row("rerun: controller CPU (s)", "rerun", "controller_cpu_s"),
        number_row("rerun: whole machine's CPU, hosts included (s)", "rerun", "machine_cpu_s"),
        seconds_row(f"no-change rerun, {hosts} hosts at once, forks {hosts}, docker (s)", "fleet"),
        ratio_row(f"{hosts} hosts / 1 host", "fleet", "rerun"),
        number_row(f"{hosts} hosts: controller CPU (s)", "fleet", "controller_cpu_s"),
        number_row(
            f"{hosts} hosts: whole machine's CPU, hosts included (s)", "fleet", "machine_cpu_s"
        ),
        seconds_row("no-change rerun, 1 host, docker + pipelining (s)", "docker-pipelining"),
        seconds_row(
            "no-change rerun, 1 host, SSH + ControlPersist + pipelining (s)", "ssh-pipelining"
        ),
        seconds_row("no-change rerun, 1 host, SSH, Mitogen mitogen_linear (s)", "mitogen"),
    ]


def render(
    results: dict[str, dict],
    runs: dict[str, dict],
    refs: dict[str, str],
    notes: list[str],
    hosts: int,
) -> str:
    """The whole report as markdown: summary, rerun by role, warnings, notes."""
    names = list(results)
    header = ["measurement", *(f"{n} ({refs[n]})" for n in names)]
    if len(names) == 2:
        header.append(f"{names[0]}/{names[1]}")
    rows = [r for r in main_rows(results, hosts) if any(c not in ("-", "") for c in r[1:])]
    out = ["# make bench", "", markdown_table(header, rows), ""]
    reruns = {n: runs[n]["rerun"] for n in names if "rerun" in runs[n]}
    if reruns:
        role_header = ["role (no-change rerun, 1 host, docker)"]
        for n in reruns:
            role_header += [f"{n} s", f"{n} round trips"]
        if len(reruns) == 2:
            role_header.append("s new/base")
        out += [markdown_table(role_header, role_rows(reruns)), ""]
    for name in names:
        for label in RERUNS:
            changed = (results[name].get(label) or {}).get("changed")
            if changed:
                out.append(
                    f"**WARNING: {name}'s {label} changed {changed} task(s): not a no-change run; "
                    f"its figures do not measure a rerun.**"
                )
    out += [f"- {note}" for note in notes]
    cores = os.cpu_count() or 1
    out.append(
        f"- This machine has {cores} CPU cores ({cores} CPU-s per second of wall time); "
        "the containers (the hosts) run on it too."
    )
    return "\n".join(out) + "\n"
