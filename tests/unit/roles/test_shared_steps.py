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


# Files and paths a role writes go through the collection's module
# bulwark.hardening.files (CONTRIBUTING.md). These tasks still use the
# builtin modules, each for a reason the module does not cover.
BUILTIN_FILE_TASKS = {
    # template/copy with backup: the gate puts the backup back when Django's
    # deploy check fails (the files module keeps no backup).
    (
        "app_settings/tasks/configure.yml",
        "file",
    ): "the settings directory, beside the backed-up files",
    ("app_settings/tasks/configure.yml", "template"): "backup for the gate's rollback",
    ("app_settings/tasks/configure.yml", "copy"): "backup for the gate's rollback",
    ("app_settings/tasks/gate.yml", "copy"): "the rollback: the backup back in place",
    ("app_settings/tasks/gate.yml", "file"): "the rollback: removing a failed file or the backups",
    ("fail2ban/tasks/configure.yml", "copy"): "a staging copy of a whole directory on the host",
    ("fail2ban/tasks/configure.yml", "file"): "removing the staging directory",
    ("nginx_proxy/tasks/configure.yml", "file"): "a symbolic link, and its removal",
    (
        "os_baseline/tasks/mounts.yml",
        "copy",
    ): "one computed drop-in per mount, only when options are missing",
    ("os_baseline/tasks/mounts.yml", "file"): "the mode of each compiler's link target",
    ("sshd/tasks/apply.yml", "file"): "the socket drop-in directory, beside the backed-up files",
    ("sshd/tasks/apply.yml", "template"): "backup for the lockout rollback",
    ("sshd/tasks/apply.yml", "copy"): "the lockout rollback: the backup back in place",
}


def test_roles_write_files_through_the_files_module():
    found = set()
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        rel = str(path.relative_to(ROOT / "roles"))
        for task in _tasks(yaml.safe_load(path.read_text())):
            for module in ("template", "copy", "file"):
                if f"ansible.builtin.{module}" in task:
                    assert (rel, module) in BUILTIN_FILE_TASKS, (
                        f"roles/{rel}: task {task.get('name')!r} uses ansible.builtin.{module}; "
                        "write files and paths with bulwark.hardening.files"
                    )
                    found.add((rel, module))
    assert found == set(BUILTIN_FILE_TASKS), "an allowed exception is gone: drop it from the list"
