# SPDX-License-Identifier: GPL-3.0-or-later
"""One way per shared step (CONTRIBUTING.md, "Names and shared steps in roles"):
packages are installed and per-distribution values loaded only through the
internal role bulwark's entry points, which every role includes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
# Modules that belong in roles/bulwark/tasks/packages.yml and vars.yml only.
SHARED = {
    "ansible.builtin.apt": "packages",
    "ansible.builtin.dnf": "packages",
    "ansible.builtin.package": "packages",
    "ansible.builtin.include_vars": "vars",
}


def _tasks(node):
    """Every task mapping in a task file, blocks included."""
    for task in node or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "bulwark"])
def test_roles_install_and_load_vars_only_through_bulwark(role):
    for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text())):
            for module, entry in SHARED.items():
                assert module not in task, (
                    f"{path.relative_to(ROOT)}: task {task.get('name')!r} calls {module}; "
                    f"include bulwark.hardening.bulwark with tasks_from={entry} instead"
                )


def test_each_entry_point_of_bulwark_has_a_task_file_and_specs():
    specs = yaml.safe_load((ROOT / "roles/bulwark/meta/argument_specs.yml").read_text())
    for entry in ("packages", "vars"):
        assert entry in specs["argument_specs"]
        assert (ROOT / "roles/bulwark/tasks" / f"{entry}.yml").is_file()
