"""playbooks/audit.yml against a converged host, then against the same host
after three changes by hand.

The audit runs twice from the controller, as an operator would run it:
1. with --check on the converged host, 2. after three changes by hand (an
sshd drop-in with PasswordAuthentication yes, an extra ufw rule, a security
header removed from the nginx site). The second run is the "unchanged
host" check too: every area the hand changes did not touch must still be
ok, so the first audit left nothing behind that a second one would report
(each audit's check run takes minutes on a busy 2-core machine: two runs,
not three). Its reports are kept in
build/audit/ (with a screenshot of the last HTML report, rendered by
Debian's chromium) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "build" / "audit"
AUDIT = ROOT / "playbooks" / "audit.yml"
# The check run replays what converged this host.
CONVERGE = ROOT / "molecule" / "shared" / "converge.yml"
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "audit")
HOST = f"debian13-{SCENARIO}"
SITE = "/etc/nginx/sites-available/nginx_proxy.conf"

# What this scenario converged, and what it did not (see molecule.yml).
PRESENT = {"sshd", "ssh_client", "firewall", "fail2ban", "certificates", "nginx"}
NOT_CONVERGED = {"updates", "rkhunter"}
CHANGED_BY_HAND = {"sshd", "firewall", "nginx"}


def _docker_exec(command: str) -> str:
    result = subprocess.run(
        ["docker", "exec", HOST, "bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result.stdout


def _run_audit(name: str, *extra: str) -> dict:
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ephemeral / "ansible.cfg"))
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.default"
    env["ANSIBLE_FORCE_COLOR"] = "false"
    env["ANSIBLE_NOCOLOR"] = "true"
    ansible_playbook = shutil.which("ansible-playbook") or str(ROOT / ".venv/bin/ansible-playbook")
    out = OUT / name
    result = subprocess.run(
        [
            ansible_playbook,
            "-i",
            str(inventory),
            str(AUDIT),
            "-e",
            f"bulwark_audit_dir={out}",
            "-e",
            f"bulwark_audit_playbook={CONVERGE}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    recap = re.search(rf"^{re.escape(HOST)}\s*:\s*(.*)$", plain, re.M)
    assert recap, result.stdout[-2000:]
    report = json.loads((out / "report.json").read_text())
    return {"report": report, "recap": recap.group(1), "dir": out}


@pytest.fixture(scope="module")
def audits() -> dict:
    runs = {"check": _run_audit("1-check", "--check")}
    # Three changes by hand, each live (sshd reloaded, nginx reloaded).
    _docker_exec(
        "printf 'PasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/90-hand.conf"
        " && sshd -t && systemctl reload ssh"
    )
    _docker_exec("ufw allow 2222/tcp")
    _docker_exec(
        f"grep -q 'add_header X-Content-Type-Options' {SITE}"
        f" && sed -i '/add_header X-Content-Type-Options/d' {SITE}"
        " && nginx -t && systemctl reload nginx"
    )
    runs["drift"] = _run_audit("2-drift")
    return runs


def _areas(report: dict) -> dict[str, dict]:
    (host,) = [h for h in report["hosts"] if h["name"] == HOST]
    return {a["name"]: a for a in host["areas"]}


@pytest.mark.parametrize("run", ["check", "drift"])
def test_the_audit_changes_nothing_on_the_host(audits, run):
    recap = audits[run]["recap"]
    assert re.search(r"\bchanged=0\b", recap), recap
    assert re.search(r"\bfailed=0\b", recap), recap


def test_a_converged_host_is_ok_in_every_area_it_has(audits):
    report = audits["check"]["report"]
    assert report["drift_checked"] is True
    areas = _areas(report)
    assert {n for n, a in areas.items() if a["status"] == "ok"} == PRESENT, areas
    assert {n for n, a in areas.items() if a["status"] == "absent"} == NOT_CONVERGED
    assert [f for a in areas.values() for f in a["findings"]] == []
    assert report["hosts"][0]["status"] == "ok"


def test_the_report_shows_what_the_host_runs(audits):
    areas = _areas(audits["check"]["report"])
    sshd = areas["sshd"]["details"]
    assert sshd["passwordauthentication"] == "no"
    assert "mlkem768x25519-sha256" in sshd["kexalgorithms"]
    reachable = " ".join(areas["firewall"]["details"]["reachable sockets"])
    assert "22/tcp sshd" in reachable
    assert "443/tcp nginx" in reachable
    assert "8000" not in reachable  # the app listens on loopback only
    jails = areas["fail2ban"]["details"]
    assert (
        "journal: _SYSTEMD_UNIT=ssh.service" in jails["jail sshd"]
        or "journal" in jails["jail sshd"]
    )
    certs = areas["certificates"]["details"]
    (cert,) = [v for k, v in certs.items() if k.startswith("/")]
    assert "audit.example.test" in cert
    assert "(self-signed)" in cert
    days = int(re.search(r"(\d+) days to expiry", cert).group(1))
    assert days > 300
    nginx = areas["nginx"]["details"]
    assert nginx["server names"] and "audit.example.test" in " ".join(nginx["server names"])
    assert nginx["ssl_protocols"]
    probes = {k.split(" (")[0]: k for k in nginx if "probe" in k}
    assert " 200" in probes["200 probe"].split("(HTTP")[1]
    assert " 404" in probes["404 probe"].split("(HTTP")[1]
    for key in probes.values():
        assert any(v.startswith("x-content-type-options: nosniff") for v in nginx[key]), nginx[key]


def test_hand_changes_drift_in_their_areas_and_nowhere_else(audits):
    areas = _areas(audits["drift"]["report"])
    assert {n for n, a in areas.items() if a["status"] == "drift"} == CHANGED_BY_HAND
    assert {n for n, a in areas.items() if a["status"] == "ok"} == PRESENT - CHANGED_BY_HAND
    assert not [n for n, a in areas.items() if a["status"] == "failing"]

    sshd = [f["text"] for f in areas["sshd"]["findings"]]
    assert len(sshd) == 1 and "90-hand.conf sets PasswordAuthentication yes" in sshd[0], sshd
    firewall = [f["text"] for f in areas["firewall"]["findings"]]
    assert firewall and all("2222" in t for t in firewall), firewall
    nginx = areas["nginx"]["findings"]
    assert nginx and all(f["level"] == "drift" for f in nginx)
    diff = "\n".join(line for f in nginx for line in f.get("diff", []))
    assert re.search(r"^\+\s*add_header X-Content-Type-Options", diff, re.M), nginx
    # The live proxy really lost the header (read by the audit from the host).
    probe = next(v for k, v in areas["nginx"]["details"].items() if k.startswith("200 probe"))
    assert "x-content-type-options" in probe[-1] and probe[-1].startswith("absent:")


def test_reports_come_as_html_markdown_and_json(audits):
    out = audits["drift"]["dir"]
    html = (out / "report.html").read_text()
    markdown = (out / "report.md").read_text()
    # Self-contained: no external stylesheet, script, image or font.
    assert not re.search(r"<(link|script|img|iframe)\b", html, re.I)
    assert "url(" not in html
    assert f"| {HOST} |" in markdown
    assert "### sshd: drift" in markdown
    assert "90-hand.conf" in markdown


def _chromium() -> str | None:
    return shutil.which("chromium")


@pytest.mark.skipif(
    _chromium() is None,
    reason="Debian's chromium is not installed on the controller"
    " (scripts/ensure-chromium.sh installs it)",
)
def test_the_html_report_renders_in_chromium(audits, tmp_path):
    page = audits["drift"]["dir"] / "report.html"
    shot = OUT / "report.png"
    shot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}"]
    subprocess.run(
        [_chromium(), *flags, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    text = re.sub(r"<[^>]+>", " ", dom)
    assert HOST in text
    for area in PRESENT | NOT_CONVERGED:
        assert area in text
    summary = re.search(r'<table class="summary".*?</table>', dom, re.S).group(0)
    cells = re.findall(r'class="badge s-(\w+)"', summary)
    assert cells.count("drift") == len(CHANGED_BY_HAND)
    assert "90-hand.conf sets PasswordAuthentication yes" in text
    assert "2222" in text
    assert "add_header X-Content-Type-Options" in text
