"""Lynis on both hosts after playbooks/site.yml (the product, not one role).

Runs last (file order), after the audit's hand changes are undone. Lynis
(installed by prepare.yml, with ../shared/tasks/lynis.yml's profile) audits
each host; its hardening index and every suggestion and warning left are
kept in build/lynis/ for a person (and the issue notes) to read. The role-by-role
findings are the baseline scenario's tests; here the product is measured.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import docker

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "site")
OUT = Path(__file__).resolve().parents[3] / "build" / "lynis"
HOSTS = [f"debian12-{SCENARIO}", f"debian13-{SCENARIO}"]
# A stock container of the same images with openssh-server and the same
# profile scores 57 (Debian 12) and 59 (Debian 13); in a container the
# kernel's own settings (KRNL-6000, the audit subsystem) cannot count.
INDEX_AIM = 75


def _lynis(name: str) -> dict[str, list[str]]:
    docker("exec", name, "lynis", "audit", "system", "--quick", "--no-colors", timeout=600)
    dat = docker("exec", name, "cat", "/var/log/lynis-report.dat", timeout=60).stdout
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
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"site-{name}.txt").write_text(f"hardening_index={index}\n" + "\n".join(left) + "\n")
    print(f"{name}: Lynis hardening index {index}")
    assert index >= INDEX_AIM, "\n".join(left)
