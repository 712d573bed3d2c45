"""playbooks/audit.yml on the app host: the `app` area, from outside the role.

Runs after test_app.py (file order), from the controller, as an operator
would, twice:
1. on the host as converged: the app area is ok;
2. after one change by hand in the settings file app_settings manages
   (DJANGO_DEBUG=True in /etc/app_settings/django.env, the app reloaded so it
   runs with it): the app area reports it (failing: Django's own settings and
   its deploy check; drift: the role's check run would put the line back),
   and no other area changes.
Each run's drift is a --check --diff run of this scenario's converge (the
shared converge.yml with nginx_proxy and app_settings: what set the host
up). This scenario applies no server role, so the sshd area compares Debian's
stock sshd with the sshd role's policy: it drifts in both runs, with its
settings only, and is left out of "ok". The change is undone at the end.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import docker, run_audit

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "build" / "audit-app"
CONVERGE = ROOT / "molecule" / "shared" / "converge.yml"
HOST = f"debian13-{os.environ.get('MOLECULE_SCENARIO_NAME', 'app')}"
ENV_FILE = "/etc/app_settings/django.env"
# What this scenario put on the host (nginx_proxy with its self-signed
# certificate, app_settings) and what the image has (ssh, sshd).
PRESENT = {"sshd", "ssh_client", "certificates", "nginx", "app"}
NOT_HARDENED = {"sshd"}


def _exec(command: str) -> str:
    result = docker("exec", HOST, "bash", "-c", command, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result.stdout


def _run_audit(name: str) -> dict:
    run = run_audit(OUT / name, CONVERGE, (HOST,), timeout=900)
    (entry,) = run["report"]["hosts"]
    return {
        "recap": run["recaps"][HOST],
        "areas": {a["name"]: a for a in entry["areas"]},
        "markdown": (run["dir"] / "report.md").read_text(),
        "log": run["log"],
    }


def _undo() -> None:
    _exec(
        f"if [ -f /root/django.env.before-audit ]; then"
        f" cp -p /root/django.env.before-audit {ENV_FILE} && rm /root/django.env.before-audit"
        " && systemctl reload app.service; fi"
    )


@pytest.fixture(scope="module")
def audits():
    runs = {"clean": _run_audit("1-clean")}
    try:
        _exec(
            f"cp -p {ENV_FILE} /root/django.env.before-audit"
            f" && grep -qx 'DJANGO_DEBUG=False' {ENV_FILE}"
            f" && sed -i 's/^DJANGO_DEBUG=False$/DJANGO_DEBUG=True/' {ENV_FILE}"
            " && systemctl reload app.service"
        )
        runs["changed"] = _run_audit("2-debug-on")
        yield runs
    finally:
        _undo()


@pytest.mark.parametrize("run", ["clean", "changed"])
def test_the_audit_changes_nothing_and_never_shows_the_key(audits, run):
    recap = audits[run]["recap"]
    assert re.search(r"\bchanged=0\b", recap) and re.search(r"\bfailed=0\b", recap), recap
    key = _exec("sed -n 's/^DJANGO_SECRET_KEY=//p' /etc/app_settings/secret.env").strip()
    assert len(key) >= 50
    assert key not in audits[run]["log"]
    assert key not in json.dumps(audits[run]["areas"])


def test_the_converged_app_is_ok_and_so_is_every_area_this_scenario_hardens(audits):
    areas = audits["clean"]["areas"]
    assert {n for n, a in areas.items() if a["status"] != "absent"} == PRESENT
    for name in PRESENT - NOT_HARDENED:
        assert areas[name]["status"] == "ok", (name, areas[name]["findings"])
    # The stock sshd differs from the sshd role's policy, in its settings only.
    sshd = [f["text"] for f in areas["sshd"]["findings"]]
    assert sshd and all(t.startswith("sshd -T shows ") for t in sshd), sshd


def test_the_app_area_read_the_running_app(audits):
    details = audits["clean"]["areas"]["app"]["details"]
    assert details["checked"].startswith("Django 4.2")
    assert details["check --deploy"] == "System check identified no issues (1 silenced)."
    assert details["secret file"] == "/etc/app_settings/secret.env 0600 app:app"
    # The scenario's app_settings_audit_paths, through nginx on 443.
    assert details["/session/ (HTTP/1.1 200 OK)"] == ["sessionid"]
    assert details["/form/ (HTTP/1.1 200 OK)"] == ["csrftoken"]


def test_debug_on_by_hand_shows_in_the_app_area_only(audits):
    before, after = audits["clean"]["areas"], audits["changed"]["areas"]
    app = after["app"]
    assert app["status"] == "failing"
    texts = [f["text"] for f in app["findings"]]
    failing = [f["text"] for f in app["findings"] if f["level"] == "failing"]
    assert "DEBUG is True in demo.settings; app_settings sets False" in failing
    assert any("(security.W018)" in t for t in failing), texts
    drift = [f for f in app["findings"] if f["level"] == "drift"]
    assert any("-DJANGO_DEBUG=True" in f.get("diff", []) for f in drift), drift
    assert "DEBUG is True in demo.settings" in audits["changed"]["markdown"]
    # Nothing else moved: every other area as in the clean run.
    for name in set(before) | set(after):
        if name != "app":
            assert after[name]["status"] == before[name]["status"], name
            assert after[name]["findings"] == before[name]["findings"], name
