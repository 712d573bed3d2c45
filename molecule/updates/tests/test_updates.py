"""auto_updates and rkhunter, checked against apt and rkhunter themselves.

The expected packages come from apt (`apt list --upgradable`, `apt-cache
policy`), never from the role's templates; the package that must be held back
was chosen by prepare.yml among those apt reports as pending from -security.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import testinfra.utils.ansible_runner
from conftest import container_name, docker

FACT = "/etc/ansible/facts.d/bulwark_updates_test.fact"
TAMPERED = "/usr/bin/whoami"

# A dry run still runs dpkg's hooks once per upgrade step; rkhunter's
# APT_AUTOGEN hook would rewrite its baseline each time (minutes, and it would
# race the scans below). As the role does for its own dry run, they are
# cleared for this run only: APT_CONFIG is read first and points apt at a main
# file, read last, that clears them. One simulated install instead of one per
# package (MinimalSteps): the selection, printed before it, is the same.
DRY_RUN = r"""
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'Dir::Etc::main "%s/main.conf";\n' "$dir" > "$dir/apt.conf"
{
  for hook in Pre-Invoke Pre-Install-Pkgs Post-Invoke; do
    printf '#clear DPkg::%s;\n' "$hook"
  done
  echo 'Unattended-Upgrade::MinimalSteps "false";'
} > "$dir/main.conf"
APT_CONFIG="$dir/apt.conf" unattended-upgrade --dry-run --debug 2>&1
"""


def inventory_hosts() -> list[str]:
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return testinfra.utils.ansible_runner.AnsibleRunner(inventory).get_hosts("targets")


@dataclass
class Run:
    rc: int
    out: str


def run_in(name: str, script: str, timeout: int = 3600) -> Run:
    """Run a shell script in a target container (the inventory name).

    The time limit is generous: a full scan takes about 3 minutes on a quiet
    2-core machine but was seen taking over 30 with five other scenarios
    running beside it.
    """
    result = docker("exec", name, "sh", "-c", script, check=False, timeout=timeout)
    return Run(result.returncode, result.stdout + result.stderr)


def scan(name: str, log: str, tests: str | None = None) -> Run:
    enable = f" --enable {tests}" if tests else ""
    return run_in(name, f"rkhunter --check --sk --rwo --logfile {log}{enable}")


def rkhunter_evidence(name: str) -> dict[str, Run]:
    """Every rkhunter run of the tests on one host, one after the other.

    1. the full scan with the test set the role configures, on the host as
       converged (its log is kept for the checks of what ran);
    2. /usr/bin/whoami changed as a trojan would be, then only the hash test;
    3. PermitRootLogin yes in sshd_config, then only the ssh configuration test.
    Each change is undone whatever happens.
    """
    runs = {"clean": scan(name, "/var/tmp/bulwark-clean-scan.log")}
    runs["clean_log"] = run_in(name, "cat /var/tmp/bulwark-clean-scan.log")
    run_in(name, f"cp -a {TAMPERED} /var/tmp/whoami.orig")
    try:
        # A real change of content (and so of hash and size).
        run_in(name, f"printf 'trojan' >> {TAMPERED}")
        runs["tampered"] = scan(name, "/var/tmp/bulwark-tampered.log", "hashes")
    finally:
        run_in(name, f"cp -a /var/tmp/whoami.orig {TAMPERED}")
    runs["restored"] = run_in(name, f"cmp {TAMPERED} /var/tmp/whoami.orig")
    run_in(name, "cp -a /etc/ssh/sshd_config /var/tmp/sshd_config.orig")
    try:
        run_in(name, "sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config")
        runs["root_login"] = scan(name, "/var/tmp/bulwark-ssh.log", "system_configs_ssh")
    finally:
        run_in(name, "cp -a /var/tmp/sshd_config.orig /etc/ssh/sshd_config")
    return runs


@pytest.fixture(scope="session", autouse=True)
def evidence():
    """The slow runs, started at once on every host and shared by the tests.

    Per host, two threads: the rkhunter scans in order (they change files
    that each other would see) and, at the same time, the unattended-upgrades
    dry run (with dpkg's hooks cleared it changes nothing that rkhunter looks
    at). Tests wait only for the result they need.
    """
    hosts = inventory_hosts()
    with ThreadPoolExecutor(max_workers=2 * len(hosts)) as pool:
        yield {
            name: {
                "rkhunter": pool.submit(rkhunter_evidence, name),
                "dry_run": pool.submit(run_in, name, DRY_RUN),
            }
            for name in hosts
        }


def rkhunter_runs(evidence, host) -> dict[str, Run]:
    return evidence[container_name(host)]["rkhunter"].result(timeout=3 * 3600)


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


def test_dry_run_upgrades_every_pending_security_update_except_blacklisted(host, evidence):
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

    result = evidence[container_name(host)]["dry_run"].result(timeout=3600)
    assert result.rc == 0, result.out[-6000:]
    match = re.search(r"Packages that will be upgraded: ?(.*)", result.out)
    assert match, result.out[-3000:]
    upgraded = set(match.group(1).split())
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


def test_rkhunter_clean_scan_has_no_warnings(host, evidence):
    runs = rkhunter_runs(evidence, host)
    clean, log = runs["clean"], runs["clean_log"].out
    assert clean.out.strip() == "", clean.out
    assert clean.rc == 0, clean.out
    # The full set the role configures ran, not a shortened one.
    for test in (
        "strings",
        "properties",
        "known_rkts",
        "possible_rkt_strings",
        "ports",
        "filesystem",
    ):
        assert f"Info: Starting test name '{test}'" in log, test


@pytest.mark.parametrize(
    ("test", "path"),
    [("loaded_modules", "/proc/modules"), ("avail_modules", "/lib/modules/{kernel}")],
)
def test_rkhunter_kernel_module_tests_follow_the_platform(host, evidence, test, path):
    """The role switches off a kernel-module test only where its input is missing."""
    path = path.format(kernel=host.check_output("uname -r"))
    log = rkhunter_runs(evidence, host)["clean_log"].out
    disabled = f"Info: Test '{test}' disabled at users request." in log
    assert disabled == (not host.file(path).exists), (test, path, disabled)


def test_rkhunter_reports_a_tampered_binary(host, evidence):
    runs = rkhunter_runs(evidence, host)
    # Before: the clean scan checked the untouched file and found it OK.
    assert re.search(rf"^\[[0-9:]+\]\s+{TAMPERED}\s+\[ OK \]$", runs["clean_log"].out, re.M)
    after = runs["tampered"]
    assert after.rc != 0
    assert TAMPERED in after.out, after.out
    assert "hash" in after.out.lower(), after.out
    assert runs["restored"].rc == 0, runs["restored"].out


def test_rkhunter_reports_root_login_allowed_by_sshd(host, evidence):
    result = rkhunter_runs(evidence, host)["root_login"]
    assert result.rc != 0
    assert "PermitRootLogin" in result.out, result.out


# ------------------------------------------------------- what the roles brought


def listening(lines: list[str]) -> set[str]:
    """'tcp 0.0.0.0:22' for each line of `ss -H -l -t -u -n`."""
    return {f"{fields[0]} {fields[4]}" for fields in (line.split() for line in lines)}


def test_no_mail_server_ruby_or_new_listening_daemon(host):
    packages = host.check_output(r"dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n'")
    installed = [
        line.split(" ", 2)[1:] for line in packages.splitlines() if line.startswith("installed ")
    ]
    names = {fields[0] for fields in installed}
    mtas = {fields[0] for fields in installed if "mail-transport-agent" in "".join(fields[1:])}
    assert not mtas, f"an MTA was installed: {sorted(mtas)}"
    assert not names & {"exim4-base", "exim4-daemon-light", "exim4-daemon-heavy", "postfix"}
    assert not {name for name in names if re.match(r"^(ruby|libruby)", name)}, "Ruby was installed"
    assert not host.exists("sendmail"), "a sendmail command is installed"

    fact = json.loads(host.file(FACT).content_string)
    before = listening(fact["listening_before"])
    now = listening(host.check_output("ss -H -l -t -u -n").splitlines())
    assert before, "prepare.yml recorded no listening socket (sshd at least)"
    assert now <= before, f"new listening sockets: {sorted(now - before)}"
