"""auto_updates and rkhunter, checked against apt and rkhunter themselves.

The expected packages come from apt (`apt list --upgradable`, `apt-cache
policy`), never from the role's templates; the package that must be held back
was chosen by prepare.yml among those apt reports as pending from -security.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import testinfra.utils.ansible_runner
from conftest import docker

FACT = "/etc/ansible/facts.d/bulwark_updates_test.fact"
SCAN_OUT = "/var/tmp/bulwark-clean-scan.out"
SCAN_RC = "/var/tmp/bulwark-clean-scan.rc"
SCAN_LOG = "/var/tmp/bulwark-clean-scan.log"


def inventory_hosts() -> list[str]:
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return testinfra.utils.ansible_runner.AnsibleRunner(inventory).get_hosts("targets")


@pytest.fixture(scope="session", autouse=True)
def clean_scans():
    """Start the full default rkhunter scan on every target at once.

    A scan takes minutes; started in the background (the container name is the
    inventory name), the scans of both hosts run while the other tests do.
    """
    for name in inventory_hosts():
        docker(
            "exec",
            "-d",
            name,
            "sh",
            "-c",
            f"rm -f {SCAN_RC}; rkhunter --check --sk --rwo --logfile {SCAN_LOG} "
            f"> {SCAN_OUT} 2>&1; echo $? > {SCAN_RC}",
        )


def wait_clean_scan(host, timeout: int = 900) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.file(SCAN_RC).exists:
            rc = int(host.file(SCAN_RC).content_string.strip() or "-1")
            return rc, host.file(SCAN_OUT).content_string
        time.sleep(5)
    raise AssertionError(f"the rkhunter scan did not finish within {timeout} s")


def rkhunter_check(host, *tests: str):
    """A scan limited to some tests (faster than the default set)."""
    return host.run(
        "rkhunter --check --sk --rwo --logfile /var/tmp/bulwark-check.log --enable "
        + ",".join(tests)
    )


# ---------------------------------------------------------------- auto_updates


def test_apt_effective_configuration_turns_on_the_periodic_runs(host):
    lines = host.check_output("apt-config dump APT::Periodic").splitlines()
    assert 'APT::Periodic::Update-Package-Lists "1";' in lines
    assert 'APT::Periodic::Unattended-Upgrade "1";' in lines


@pytest.mark.parametrize("timer", ["apt-daily.timer", "apt-daily-upgrade.timer"])
def test_apt_timers_are_enabled_and_scheduled(host, timer):
    service = host.service(timer)
    assert service.is_enabled
    assert service.is_running
    variable = {
        "apt-daily.timer": "auto_updates_update_lists_calendar",
        "apt-daily-upgrade.timer": "auto_updates_upgrade_calendar",
    }[timer]
    wanted = host.ansible.get_variables().get(variable, "")
    calendars = host.check_output(f"systemctl show {timer} -p TimersCalendar --value")
    on_calendar = re.findall(r"OnCalendar=([^;]+?) ;", calendars)
    if wanted:
        normalized = host.check_output(f"systemd-analyze calendar '{wanted}'")
        expected = re.search(r"Normalized form: (.+)", normalized).group(1).strip()
        assert on_calendar == [expected], calendars
    else:
        assert on_calendar, f"{timer} has no OnCalendar=: {calendars}"


def pending_upgrades(host) -> dict[str, list[str]]:
    """Package -> archives it is upgradable from, as apt lists them."""
    out = host.check_output("apt list --upgradable 2>/dev/null")
    pending = {}
    for line in out.splitlines():
        match = re.match(r"^([^/\s]+)/(\S+) (\S+) \S+ \[upgradable from: ", line)
        if match:
            pending[match.group(1)] = match.group(2).split(",")
    return pending


def candidate_sources(host, packages) -> dict[str, list[str]]:
    """Package -> the apt source lines that carry its candidate version."""
    out = host.check_output("apt-cache policy " + " ".join(sorted(packages)))
    sources, package, candidate, in_candidate = {}, None, None, False
    for line in out.splitlines():
        if not line.startswith(" "):
            package, in_candidate = line.rstrip(":"), False
            sources[package] = []
        elif line.strip().startswith("Candidate:"):
            candidate = line.split()[-1]
        elif re.match(r"^ (?:\*\*\*| {3}) \S+ -?\d+$", line):
            # " *** 2.6.1 500" (installed) or "     2.6.2 500"
            in_candidate = line.split()[-2] == candidate
        elif in_candidate and re.match(r"^ {8}\s*-?\d+ ", line):
            sources[package].append(line.strip())
    return sources


def dry_run(host):
    result = host.run("unattended-upgrade --dry-run --debug")
    match = re.search(r"Packages that will be upgraded: ?(.*)", result.stdout + result.stderr)
    return result, set(match.group(1).split()) if match else None


def test_dry_run_upgrades_every_pending_security_update_except_blacklisted(host):
    codename = host.system_info.codename
    fact = json.loads(host.file(FACT).content_string)
    blacklisted = set(fact["blacklisted"])

    pending = pending_upgrades(host)
    sources = candidate_sources(host, pending) if pending else {}
    security = {
        name
        for name, lines in sources.items()
        if any(f" {codename}-security/" in line for line in lines)
    }
    # The archives apt lists for these say the same (e.g. stable-security).
    for name in security:
        assert any(a.endswith("-security") for a in pending[name]), (name, pending[name])
    # Not vacuous: prepare.yml's packages are pending from the security suite.
    assert set(fact["installed_old"]) <= security, (fact, sorted(security))
    assert blacklisted <= security

    result, upgraded = dry_run(host)
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert upgraded is not None, result.stdout[-3000:]
    missing = security - blacklisted - upgraded
    assert not missing, f"pending from {codename}-security but not selected: {sorted(missing)}"
    assert not upgraded & blacklisted, f"blacklisted but selected: {sorted(upgraded & blacklisted)}"
    # Security only: nothing pending from another suite is selected.
    assert upgraded <= security, f"selected but not from -security: {sorted(upgraded - security)}"


def test_needrestart_restarts_services_automatically(host):
    if not host.ansible.get_variables().get("auto_updates_needrestart", False):
        pytest.skip("needrestart is not enabled on this host")
    # needrestart.conf is Perl that reads conf.d itself: evaluate it as needrestart does.
    mode = host.check_output(
        "perl -e 'our %nrconf; do \"/etc/needrestart/needrestart.conf\"; print $nrconf{restart}'"
    )
    assert mode == "a"


# -------------------------------------------------------------------- rkhunter


def test_rkhunter_configuration_is_valid(host):
    result = host.run("rkhunter -C --nolog")
    assert result.rc == 0, result.stdout + result.stderr


def test_rkhunter_clean_scan_has_no_warnings(host):
    rc, out = wait_clean_scan(host)
    assert out.strip() == "", out
    assert rc == 0, out


def test_rkhunter_reports_a_tampered_binary(host):
    wait_clean_scan(host)
    target = "/usr/bin/whoami"
    host.check_output(f"cp -a {target} /var/tmp/whoami.orig")
    try:
        before = rkhunter_check(host, "properties")
        assert before.rc == 0 and before.stdout.strip() == "", before.stdout
        # A real change of content (and so of hash and size), as a trojaned binary.
        host.check_output(f"printf 'trojan' >> {target}")
        after = rkhunter_check(host, "properties")
    finally:
        host.check_output(f"cp -a /var/tmp/whoami.orig {target}")
    assert after.rc != 0
    assert target in after.stdout, after.stdout
    assert "hash" in after.stdout.lower(), after.stdout


def test_rkhunter_reports_root_login_allowed_by_sshd(host):
    wait_clean_scan(host)
    host.check_output("cp -a /etc/ssh/sshd_config /var/tmp/sshd_config.orig")
    try:
        host.check_output(
            "sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config"
        )
        result = rkhunter_check(host, "system_configs_ssh")
    finally:
        host.check_output("cp -a /var/tmp/sshd_config.orig /etc/ssh/sshd_config")
    assert result.rc != 0
    assert "PermitRootLogin" in result.stdout, result.stdout
