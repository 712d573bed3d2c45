"""playbooks/audit.yml on the hosts playbooks/site.yml hardened.

Runs after test_site.py (file order), from the controller, as an operator
would run it, against both hosts (the proxy, with pebble's certificate, and
the plain server), three times:
1. with --check, right after the converge and the outside tests;
2. again, the host untouched: no drift anywhere (nothing the first audit or
   the tests did is reported);
3. after three changes by hand on the proxy (an sshd drop-in with
   PasswordAuthentication yes, an extra ufw rule, a security header removed
   from the nginx site), against the proxy only (the untouched server was
   shown by run 2; each run's check run of site.yml costs minutes on a
   loaded 2-core machine): exactly those three areas drift.
Each run's drift is a --check --diff run of this scenario's converge.yml:
playbooks/site.yml itself, over SSH as operator with sudo (what hardened the
hosts). The reports are kept in build/audit/ with a screenshot of the last
HTML report, rendered by Debian's chromium, for a person to look at. The
hand changes are undone at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import docker, run_audit

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "build" / "audit"
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "site")
CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
PROXY = f"debian13-{SCENARIO}"
SERVER = f"debian12-{SCENARIO}"
SITE = "/etc/nginx/sites-available/nginx_proxy.conf"

# What site.yml put on each host (molecule.yml: only the proxy is in
# `proxies`; both get the server roles). No host runs app_settings.
SERVER_AREAS = {"sshd", "ssh_client", "firewall", "fail2ban", "updates", "rkhunter", "baseline"}
PROXY_AREAS = SERVER_AREAS | {"certificates", "nginx"}
CHANGED_BY_HAND = {"sshd", "firewall", "nginx"}
# Security updates published after the image was built are a true finding
# about the host (unattended-upgrades installs them on its own timer), not
# something the converge could have prevented: the only finding an "ok"
# area may carry here.
PENDING = re.compile(r"^\d+ security update\(s\) pending: ")


def _docker_exec(command: str) -> str:
    result = docker("exec", PROXY, "bash", "-c", command, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result.stdout


def _run_audit(name: str, *extra: str, hosts: tuple[str, ...] = (PROXY, SERVER)) -> dict:
    return run_audit(OUT / name, CONVERGE, hosts, *extra)


def _undo_hand_changes() -> None:
    _docker_exec("rm -f /etc/ssh/sshd_config.d/90-hand.conf && sshd -t && systemctl reload ssh")
    _docker_exec("ufw --force delete allow 2222/tcp || true")
    _docker_exec(
        f"if [ -f /root/site.conf.before-audit ]; then cp /root/site.conf.before-audit {SITE}"
        " && nginx -t && systemctl reload nginx; fi"
    )


@pytest.fixture(scope="module")
def audits():
    runs = {"check": _run_audit("1-check", "--check"), "again": _run_audit("2-again")}
    try:
        # Three changes by hand on the proxy, each live (sshd and nginx reloaded).
        _docker_exec(
            "printf 'PasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/90-hand.conf"
            " && sshd -t && systemctl reload ssh"
        )
        _docker_exec("ufw allow 2222/tcp")
        _docker_exec(
            f"cp {SITE} /root/site.conf.before-audit"
            f" && grep -q 'add_header X-Content-Type-Options' {SITE}"
            f" && sed -i '/add_header X-Content-Type-Options/d' {SITE}"
            " && nginx -t && systemctl reload nginx"
        )
        runs["drift"] = _run_audit("3-drift", hosts=(PROXY,))
        yield runs
    finally:
        _undo_hand_changes()


def _areas(report: dict, host: str) -> dict[str, dict]:
    (entry,) = [h for h in report["hosts"] if h["name"] == host]
    return {a["name"]: a for a in entry["areas"]}


def _not_pending(area: dict) -> list[str]:
    return [f["text"] for f in area["findings"] if not PENDING.match(f["text"])]


@pytest.mark.parametrize("run", ["check", "again", "drift"])
def test_the_audit_changes_nothing_on_the_hosts(audits, run):
    for host, recap in audits[run]["recaps"].items():
        assert re.search(r"\bchanged=0\b", recap), (host, recap)
        assert re.search(r"\bfailed=0\b", recap), (host, recap)


@pytest.mark.parametrize("run", ["check", "again"])
@pytest.mark.parametrize(("host", "present"), [(PROXY, PROXY_AREAS), (SERVER, SERVER_AREAS)])
def test_a_hardened_host_is_ok_in_every_area_it_has(audits, run, host, present):
    report = audits[run]["report"]
    assert report["drift_checked"] is True
    areas = _areas(report, host)
    assert {n for n, a in areas.items() if a["status"] != "absent"} == present, areas
    for name in present:
        status = areas[name]["status"]
        assert status == "ok" or (status == "failing" and not _not_pending(areas[name])), (
            name,
            areas[name]["findings"],
        )


def test_the_report_shows_what_the_proxy_runs(audits):
    areas = _areas(audits["check"]["report"], PROXY)
    sshd = areas["sshd"]["details"]
    assert sshd["passwordauthentication"] == "no"
    assert "mlkem768x25519-sha256" in sshd["kexalgorithms"]
    reachable = " ".join(areas["firewall"]["details"]["reachable sockets"])
    assert "22/tcp sshd" in reachable
    assert "443/tcp nginx" in reachable
    assert "8000" not in reachable  # the app listens on loopback only
    assert "journal" in areas["fail2ban"]["details"]["jail sshd"]
    certs = areas["certificates"]["details"]
    # The certificate nginx serves and certbot's files of it (cert, fullchain).
    live = [v for k, v in certs.items() if k.startswith("/etc/letsencrypt/live/app/")]
    assert live, certs
    for cert in live:
        assert "app.site.bulwark.test" in cert and "www.site.bulwark.test" in cert
        assert "issuer CN=Pebble" in cert and "(self-signed)" not in cert
        assert int(re.search(r"(\d+) days to expiry", cert).group(1)) > 14
    assert certs["renewal timer"] == "active"
    nginx = areas["nginx"]["details"]
    assert "app.site.bulwark.test" in " ".join(nginx["server names"])
    probes = {k.split(" (")[0]: k for k in nginx if "probe" in k}
    assert " 200" in probes["200 probe"].split("(HTTP")[1]
    # The 404 probe asks for a path no app should have; this scenario's echo
    # app answers every path itself (200), so only that it answered is checked.
    assert re.search(r"\(HTTP/\S+ \d{3}", probes["404 probe"]), probes
    for key in probes.values():
        assert any(v.startswith("x-content-type-options: nosniff") for v in nginx[key]), nginx[key]
    updates = areas["updates"]["details"]
    assert any("apt-daily-upgrade.timer active" in t for t in updates["timers"])
    assert any("Debian-Security" in o or "security" in o for o in updates["origins"])
    assert areas["rkhunter"]["details"]["warnings"] == []


def test_the_report_shows_what_the_baseline_could_and_could_not_do(audits):
    baseline = _areas(audits["check"]["report"], SERVER)["baseline"]["details"]
    assert baseline["in a container"] is True
    # A container's kernel keys are the host's: listed with the reason.
    skipped = " ".join(baseline["sysctl keys not applied"])
    assert "kernel.kptr_restrict: " in skipped and "container" in skipped
    # The account the play logs in as keeps its password ageing untouched.
    assert any(a.startswith("operator: ") for a in baseline["password ageing left as is"])


def test_hand_changes_drift_in_their_areas_and_nowhere_else(audits):
    report = audits["drift"]["report"]
    areas = _areas(report, PROXY)
    assert {n for n, a in areas.items() if a["status"] == "drift"} == CHANGED_BY_HAND
    for name in PROXY_AREAS - CHANGED_BY_HAND:
        assert not _not_pending(areas[name]), (name, areas[name]["findings"])
    assert [h["name"] for h in report["hosts"]] == [PROXY]

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
    assert f"| {PROXY} |" in markdown
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
    assert PROXY in text
    for area in PROXY_AREAS:
        assert area in text
    summary = re.search(r'<table class="summary".*?</table>', dom, re.S).group(0)
    cells = re.findall(r'class="badge s-(\w+)"', summary)
    assert cells.count("drift") == len(CHANGED_BY_HAND)
    assert "90-hand.conf sets PasswordAuthentication yes" in text
    assert "2222" in text
    assert "add_header X-Content-Type-Options" in text
