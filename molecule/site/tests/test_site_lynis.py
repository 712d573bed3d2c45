"""Lynis on both hosts after playbooks/site.yml (the product, not one role).

Runs last (file order), after the audit's hand changes are undone. Lynis
(installed by prepare.yml, with ../shared/tasks/lynis.yml's profile) audits
each host; its hardening index and every suggestion and warning left are
kept in Molecule's ephemeral directory (save_report) for the notes. The role-by-role
findings are the baseline scenario's tests; here the product is measured.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import save_report

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "site")
HOSTS = [f"debian12-{SCENARIO}", f"debian13-{SCENARIO}"]
# A stock container of the same images with openssh-server and the same
# profile scores 57 (Debian 12) and 59 (Debian 13); in a container the
# kernel's own settings (KRNL-6000, the audit subsystem) cannot count.
INDEX_AIM = 75


def _lynis(name: str) -> dict[str, list[str]]:
    subprocess.run(
        ["docker", "exec", name, "lynis", "audit", "system", "--quick", "--no-colors"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    dat = subprocess.run(
        ["docker", "exec", name, "cat", "/var/log/lynis-report.dat"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    report: dict[str, list[str]] = {}
    for line in dat.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            report.setdefault(key, []).append(value)
    return report


@pytest.mark.parametrize("name", HOSTS)
def test_lynis_hardening_index_after_site(name):
    report = _lynis(name)
    index = int(report["hardening_index"][0])
    left = [f"{k[:-2]}: {v}" for k in ("warning[]", "suggestion[]") for v in report.get(k, [])]
    save_report(f"lynis-site-{name}.txt", f"hardening_index={index}\n" + "\n".join(left) + "\n")
    print(f"{name}: Lynis hardening index {index}")
    assert index >= INDEX_AIM, "\n".join(left)
