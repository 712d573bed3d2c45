# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of `make bench` (scripts/bench_report.py): reading a trace,
summing it by role, packages, ratios and the table. Nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench  # noqa: E402
import bench_report as report  # noqa: E402


def task(t, role, name, action="command"):
    return {"event": "task", "t": t, "role": role, "name": name, "action": action}


def result(host, *, status="ok", items=0, skipped_items=0, controller=False, changed=False):
    return {
        "event": "result",
        "host": host,
        "status": status,
        "changed": changed,
        "items": items,
        "skipped_items": skipped_items,
        "controller": controller,
    }


def stats(t, host, changed=0, failures=0):
    return {"event": "stats", "t": t, "host": host, "changed": changed, "failures": failures}


TRACE = [
    task(0.5, "", "Gathering Facts", "gather_facts"),
    result("h1"),
    result("h2"),
    task(2.0, "sshd", "Probe"),
    result("h1"),
    result("h2"),
    task(3.0, "sshd", "Loop", "file"),
    result("h1", items=3, skipped_items=1),
    result("h2", items=3, skipped_items=1),
    task(6.0, "ufw", "Check", "assert"),
    result("h1", controller=True),
    result("h2", controller=True),
    task(6.5, "ufw", "Skipped"),
    result("h1", status="skipped"),
    result("h2", status="skipped"),
    stats(7.0, "h1", changed=1),
    stats(7.0, "h2"),
]


def test_read_trace_skips_blank_lines():
    lines = [json.dumps(e) for e in TRACE[:2]] + ["", "  "]
    assert report.read_trace(lines) == TRACE[:2]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (result("h", status="skipped"), 0),
        (result("h", controller=True), 0),
        (result("h"), 1),
        (result("h", items=4, skipped_items=2), 4),
        (result("h", items=0, skipped_items=3), 0),
        (result("h", status="failed"), 1),
    ],
)
def test_remote_executions(event, expected):
    assert report.remote_executions(event) == expected


def test_summarize_by_role():
    run = report.summarize(TRACE)
    assert run.hosts == ["h1", "h2"]
    assert run.total_changed == 1
    assert run.changed == {"h1": 1, "h2": 0}
    sshd = run.roles["sshd"]
    # Probe 2.0 -> 3.0 and Loop 3.0 -> 6.0.
    assert sshd.seconds == pytest.approx(4.0)
    assert (sshd.tasks, sshd.remote) == (4, 8)
    ufw = run.roles["ufw"]
    # The assert runs on the controller; the skipped task is no task run.
    assert (ufw.tasks, ufw.remote) == (2, 0)
    assert ufw.seconds == pytest.approx(1.0)
    assert run.roles[report.NO_ROLE].remote == 2
    # The roles' times add up to the play from its first task to the stats.
    assert sum(c.seconds for c in run.roles.values()) == pytest.approx(6.5)
    assert run.per_host("remote") == pytest.approx(5.0)
    assert run.per_host("tasks") == pytest.approx(4.0)


def test_summarize_empty_trace():
    run = report.summarize([])
    assert (run.roles, run.hosts, run.total_changed) == ({}, [], 0)
    assert run.per_host("remote") == 0


@pytest.mark.parametrize(
    ("new", "base", "expected"),
    [(50.0, 100.0, 0.5), (3.0, 2.0, 1.5), (None, 2.0, None), (1.0, None, None), (1.0, 0, None)],
)
def test_ratio(new, base, expected):
    assert report.ratio(new, base) == expected


def test_cells():
    assert report.fmt(None) == "-"
    assert report.fmt(3) == "3"
    assert report.fmt(2.345) == "2.3"
    assert report.fmt_ratio(0.456) == "0.46x"
    assert report.fmt_ratio(None) == "-"


def test_markdown_table():
    table = report.markdown_table(["a", "b"], [["x", 1.25], ["y", None]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x | 1.2 |", "| y | - |"]


NEW_DEMO = """
name=bulwark-demo
site=demo.example.test
work=build/demo
cat >"$work/prepare-inventory.yml" <<INV
all:
  hosts:
    other: {}
INV
cat >"$work/inventory.yml" <<INV
all:
  children:
    proxies:
      vars:
        bulwark_server_names: [$site]
      hosts:
        $name: {ansible_port: 2222}
INV
"""

OLD_DEMO = """
name=bulwark-demo
cat >"$work/inventory.yml" <<INV
---
all:
  vars:
    ansible_connection: community.docker.docker
    shared: 1
  children:
    targets:
      hosts:
        $name:
    proxies:
      hosts:
        $name:
          nginx_proxy_server_names: [demo.example.test]
INV
"""


def test_demo_inventory_group_vars_without_connection():
    groups, variables = report.demo_inventory(NEW_DEMO)
    assert groups == ["proxies"]
    assert variables == {"bulwark_server_names": ["demo.example.test"]}


def test_demo_inventory_all_vars_and_several_groups():
    groups, variables = report.demo_inventory(OLD_DEMO)
    assert groups == ["targets", "proxies"]
    assert variables == {"shared": 1, "nginx_proxy_server_names": ["demo.example.test"]}


def test_demo_inventory_missing():
    with pytest.raises(ValueError, match=r"inventory\.yml"):
        report.demo_inventory("echo no inventory here\n")


def test_package_change():
    change = report.package_change(
        {"a": "1", "b": "1", "c": "1"},
        {"a"},
        {"a": "1", "b": "2", "c": "1", "d": "1", "e": "1"},
        {"a", "d", "c"},
    )
    assert change["asked"] == ["c", "d"]
    assert change["installed"] == ["d", "e"]
    assert change["upgraded"] == ["b"]
    assert change["image"] == ["a", "b", "c"]


def test_render_ratios_and_loud_changed_rerun():
    results = {
        "new": {
            "converge": {"seconds": 150.0, "rc": 0},
            "floor": {"seconds": 100.0, "rc": 0},
            "rerun": {"seconds": 50.0, "rc": 0, "changed": 2, "round_trips_per_host": 90},
        },
        "base": {
            "converge": {"seconds": 300.0, "rc": 0},
            "floor": {"seconds": 100.0, "rc": 0},
            "rerun": {"seconds": 100.0, "rc": 0, "changed": 0, "round_trips_per_host": 300},
            "fleet": {"seconds": 180.0, "rc": 2, "changed": 0},
        },
    }
    runs = {"new": {"rerun": report.summarize(TRACE)}, "base": {"rerun": report.summarize(TRACE)}}
    text = report.render(results, runs, {"new": "abc", "base": "def"}, ["a note"], hosts=10)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    assert "| new (abc) | base (def) | new/base |" in text
    assert rows["converge / floor"].endswith("| 1.50x | 3.00x | 0.50x |")
    assert rows["no-change rerun, 1 host, docker (s)"].endswith(
        "| 50.0 CHANGED 2! | 100.0 | 0.50x |"
    )
    # A failed run shows its exit code and enters no ratio.
    assert (
        "180.0 FAILED (exit 2)" in rows["no-change rerun, 10 hosts at once, forks 10, docker (s)"]
    )
    assert "10 hosts / 1 host" not in rows
    assert "WARNING: new's rerun changed 2 task(s)" in text
    assert "- a note" in text
    # Rows without any figure (no SSH part run) are left out.
    assert "SSH" not in text


def test_parse_parts():
    assert bench.parse_parts("") == list(bench.DEFAULT_PARTS)
    assert bench.parse_parts("ssh, rerun") == ["rerun", "ssh"]
    with pytest.raises(SystemExit, match="nope"):
        bench.parse_parts("rerun,nope")


def test_cpu_counters_see_a_child_that_burns_cpu():
    controller, machine = bench.controller_cpu_seconds(), bench.machine_cpu_seconds()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    spent = bench.controller_cpu_seconds() - controller
    assert spent > 0.05
    assert bench.machine_cpu_seconds() - machine >= spent * 0.5


def test_cpu_rows_in_the_table():
    results = {"new": {"rerun": {"seconds": 28.0, "rc": 0, "changed": 0, "controller_cpu_s": 19.1,
                                 "machine_cpu_s": 30.2},
                       "fleet": {"seconds": 153.2, "rc": 0, "changed": 0, "controller_cpu_s": 170.2,
                                 "machine_cpu_s": 294.0}}}  # fmt: skip
    text = report.render(results, {"new": {}}, refs={"new": "x"}, notes=[], hosts=10)
    assert "| rerun: controller CPU (s) | 19.1 |" in text
    assert "| 10 hosts: whole machine's CPU, hosts included (s) | 294.0 |" in text
    assert "| 10 hosts / 1 host | 5.47x |" in text
