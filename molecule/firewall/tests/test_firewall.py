"""ufw and fail2ban, seen from other containers.

debian12 runs ufw (enabled, purge on) and fail2ban banning through ufw;
debian13 has ufw disabled, so fail2ban bans through nftables. Every check is
made from a peer container (TCP connects, SSH logins) or by re-running the
roles the way an operator would; files are only read to prove they did NOT
change.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra
from conftest import container_ip, container_name, docker, operator_key, save_report

MAXRETRY = 3  # fail2ban_maxretry in molecule.yml
BANTIME = 20  # fail2ban_bantime, seconds
RECIDIVE_BANTIME = 30  # fail2ban_recidive_bantime (debian13 bans after one ban)
ALLOWED_PORT = 8080  # in ufw_rules
CLOSED_PORT = 8081  # in no rule
F2B_LOG = "/var/log/fail2ban.log"


# --- helpers -----------------------------------------------------------------


def ufw_enabled(host) -> bool:
    return host.ansible.get_variables().get("ufw_state", "enabled") == "enabled"


def wait_until(predicate, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def tcp_connects(peer, ip: str, port: int) -> bool:
    return peer.run(f"nc -z -w 3 {ip} {port}").returncode == 0


def listen(host, port: int) -> None:
    """A tiny HTTP server on the target, as a transient systemd unit."""
    unit = f"bulwark-http-{port}"
    if host.run(f"systemctl is-active {unit}").stdout.strip() != "active":
        host.run_test(f"systemd-run --unit={unit} --collect python3 -m http.server {port}")
    assert wait_until(lambda: host.socket(f"tcp://0.0.0.0:{port}").is_listening, 15)
    # it answers locally, so a refused connection from a peer is the firewall
    fetch = f"import urllib.request as u; u.urlopen('http://127.0.0.1:{port}/')"
    assert host.run(f'python3 -c "{fetch}"').rc == 0


def failed_login(peer, ip: str, user: str = "nosuchuser") -> subprocess.CompletedProcess:
    return peer.run(
        "sshpass -p wrong-password ssh -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no "
        "-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 "
        f"-o ConnectTimeout=5 {user}@{ip} true",
        timeout=30,
    )


def banned(host, jail: str) -> list[str]:
    out = host.check_output(f"fail2ban-client status {jail}")
    match = re.search(r"Banned IP list:\s*(.*)$", out, re.MULTILINE)
    return match.group(1).split() if match else []


def fail2ban_pid(host) -> str:
    return host.check_output("systemctl show -p MainPID --value fail2ban")


def file_sums(host, paths: str) -> str:
    return host.check_output(f"sha256sum {paths}")


def apply_roles(
    roles: list[str], extra: dict, limit: str, ssh_to: str | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """Run the roles against the converged instance(s), like a second operator run
    (with --check when check)."""
    eph = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    project = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).parents[3]))
    extra_vars = {"bulwark_molecule_roles": roles, **extra}
    inventories = ["-i", str(eph / "inventory")]
    if ssh_to:
        # Host variables in a second inventory, not extra vars: those would
        # also send the tasks delegated to localhost (the ufw role's proof)
        # over SSH to the target.
        over_ssh = eph / f"over-ssh-{limit}.json"
        over_ssh.write_text(
            json.dumps(
                {
                    "all": {
                        "hosts": {
                            limit: {
                                "ansible_connection": "ssh",
                                "ansible_host": ssh_to,
                                "ansible_user": "operator",
                                "ansible_ssh_private_key_file": str(operator_key()),
                                "ansible_become": True,
                            }
                        }
                    }
                }
            )
        )
        inventories += ["-i", str(over_ssh)]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(eph / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(project / "build" / "collections"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            *inventories,
            "-l",
            limit,
            str(project / "molecule" / "shared" / "converge.yml"),
            "-e",
            json.dumps(extra_vars),
            *(["--check"] if check else []),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


TARGETS = ["debian12-firewall", "debian13-firewall"]
FAIL2BAN = ["bulwark.hardening.fail2ban"]
BOTH = ["bulwark.hardening.ufw", "bulwark.hardening.fail2ban"]


# --- commit-confirmed (side_effect.yml) ------------------------------------------
# First in the file and for both hosts at once: the unconfirmed rule sets are
# reverting meanwhile, and debian13's later tests need its ufw off again.

# The host must have reverted by itself within the window plus this margin:
# generous, the machine runs other scenarios (the window itself is short).
REVERT_MARGIN = 60
CONFIRM_PORT = 8082  # allowed by the confirmed change (side_effect.yml)


def confirm_record(name: str) -> dict:
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"confirm-{name}.json"
    return json.loads(path.read_text())


def reverts_logged(host) -> list[tuple[float, str]]:
    """(epoch seconds, line) of each time the host's own revert unit said it reverted ufw."""
    out = host.run("journalctl -u bulwark-revert-ufw.service -o short-unix --no-pager").stdout
    return [(float(line.split()[0]), line) for line in out.splitlines() if "reverted ufw" in line]


def test_unconfirmed_rule_set_without_ssh_reverted_by_the_host(peer):
    hosts = {name: testinfra.get_host(f"docker://{name}") for name in TARGETS}
    ips = {name: container_ip(name) for name in TARGETS}
    steps = {name: confirm_record(name)["unconfirmed"] for name in TARGETS}
    for name, step in steps.items():
        # before the change, ufw filtered: SSH and 8082 answered, 8081 did not
        assert confirm_record(name)["answered_before"] == [22, ALLOWED_PORT, CONFIRM_PORT], name
        # the rule set was live: the SSH port did not answer the controller
        assert step["ssh_answered"] is False, name
        # a fresh arming (the confirmation before it left nothing pending)
        assert step["rearmed"] is False, name
        msg = step["msg"]
        assert "bulwark-revert-ufw.timer" in msg and f"{step['window']} seconds" in msg
        assert "bulwark-confirm confirm" in msg and "bulwark-confirm revert" in msg

    try:
        check_reverts(peer, hosts, ips, steps)
    finally:
        # debian13's ufw back off, as converge left it, for the tests below
        hosts["debian13-firewall"].run_test("ufw --force disable && systemctl disable --quiet ufw")
    assert wait_until(lambda: tcp_connects(peer, ips["debian13-firewall"], CLOSED_PORT), 10)


def check_reverts(peer, hosts: dict, ips: dict, steps: dict) -> None:
    # Both hosts revert at the same time: one wait, polled from the peer. The
    # SSH port answers as soon as ufw is enabled again; the revert is done
    # once its unit has logged it (after its checks).
    deadline = max(s["armed_at"] + s["window"] for s in steps.values()) + REVERT_MARGIN
    back: dict[str, float] = {}
    done: dict[str, float] = {}
    while len(done) < len(TARGETS) and time.time() < deadline:
        for name in TARGETS:
            if name not in back and tcp_connects(peer, ips[name], 22):
                back[name] = time.time()
            if name in back and name not in done and reverts_logged(hosts[name]):
                done[name] = time.time()
        time.sleep(1)
    assert sorted(back) == TARGETS, f"SSH port still closed on {set(TARGETS) - set(back)}"
    assert sorted(done) == TARGETS, f"no revert logged on {set(TARGETS) - set(done)}"

    report = []
    for name, host in hosts.items():
        step = steps[name]
        reverts = reverts_logged(host)
        # this one only: the change confirmed before it held past its own window
        assert len(reverts) == 1, reverts
        confirmed = confirm_record(name)["confirmed"]
        assert time.time() > confirmed["confirmed_at"] + confirmed["window"]
        took = reverts[0][0] - step["armed_at"]
        report.append(
            f"{name}: ufw reverted {took:.1f} s after arming (window {step['window']} s), "
            f"SSH answered the peer {back[name] - step['armed_at']:.1f} s after arming"
        )
        assert step["window"] - 1 <= took <= step["window"] + REVERT_MARGIN, took
        assert "status 0" in reverts[0][1], reverts[0][1]
        # the previous rules, live, and the firewall really filters
        assert host.check_output("ufw show added").splitlines() == step["rules_before"]
        assert "Status: active" in host.check_output("ufw status")
        assert tcp_connects(peer, ips[name], CONFIRM_PORT)
        assert tcp_connects(peer, ips[name], ALLOWED_PORT)
        assert not tcp_connects(peer, ips[name], CLOSED_PORT), f"{name}: ufw does not filter"
        assert not host.file("/var/lib/bulwark/confirm/ufw/pending").exists
        assert host.run("systemctl is-active bulwark-revert-ufw.timer").stdout.strip() != "active"
    save_report("revert-ufw.txt", "\n".join(report) + "\n")


def test_check_mode_arms_nothing():
    """--check with a change that would arm a revert (a new rule on debian12's
    active firewall): nothing armed, nothing changed."""
    name = "debian12-firewall"
    host = testinfra.get_host(f"docker://{name}")
    rules_before = host.check_output("ufw show added")
    reverts_before = reverts_logged(host)
    extra = {"ufw_rules": [{"rule": "allow", "port": 8083, "proto": "tcp"}]}
    run = apply_roles(["bulwark.hardening.ufw"], extra, name, check=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    # check mode saw the change it would make, and never reached the arming
    recap = re.search(rf"^{name}\s*:.*changed=(\d+)", run.stdout, re.MULTILINE)
    assert recap and int(recap.group(1)) >= 1, run.stdout[-2000:]
    assert "Arm the automatic revert on the host" not in run.stdout
    assert not host.file("/var/lib/bulwark/confirm/ufw/pending").exists
    assert host.run("systemctl is-active bulwark-revert-ufw.timer").stdout.strip() != "active"
    assert host.check_output("ufw show added") == rules_before
    assert reverts_logged(host) == reverts_before


def test_second_run_while_pending_rearms_once_and_confirms():
    for name in TARGETS:
        step = confirm_record(name)["confirmed"]
        # one timer while the first change was pending
        assert len(step["timers_pending"]) == 1, step["timers_pending"]
        assert step["timers_pending"][0].startswith("bulwark-revert-ufw.timer")
        # the second run (nothing new to change) re-armed the same timer on the
        # pending snapshot, the last confirmed rules, then proved and confirmed
        assert step["second_arm"]["changed"] is True
        assert step["second_arm"]["rearmed"] is True, step["second_arm"]
        assert step["second_snapshot"] == step["pending_snapshot"]
        assert step["confirmed"] is True
        timers, snapshots, files = step["left"]
        assert timers.strip() == "", timers  # no timer, no service left
        assert "pending" not in files.split()
        # retention 1: only that snapshot kept; debian12's converge snapshot pruned
        assert snapshots.split() == [step["pending_snapshot"]], snapshots
        assert bool(step["pruned"]) is (name == "debian12-firewall"), step["pruned"]


# --- ufw -----------------------------------------------------------------------


def test_allowed_port_connects_closed_port_does_not(host, new_peer, target_ip):
    listen(host, ALLOWED_PORT)
    listen(host, CLOSED_PORT)
    client = new_peer("client")
    assert tcp_connects(client, target_ip, 22)
    assert tcp_connects(client, target_ip, ALLOWED_PORT)
    if ufw_enabled(host):
        assert not tcp_connects(client, target_ip, CLOSED_PORT)
    else:
        # ufw_state: disabled really leaves traffic alone
        assert tcp_connects(client, target_ip, CLOSED_PORT)


def test_purge_over_ssh_keeps_the_session_and_bans(host, new_peer, target_ip):
    """The role, applied over SSH to a host whose firewall is off and holds a
    stray rule, enables ufw and purges the stray rule; the session survives,
    fail2ban's bans are kept."""
    if not ufw_enabled(host):
        pytest.skip("ufw is disabled on this host")
    listen(host, 9999)
    host.run_test("ufw allow 9999/tcp comment stray")
    ban_comment = "by Fail2Ban after 3 attempts against sshd"
    host.run_test(f"ufw prepend reject from 192.0.2.9 to any comment '{ban_comment}'")
    host.run_test("ufw --force disable")
    client = new_peer("purge")
    assert tcp_connects(client, target_ip, 9999)

    run = apply_roles(["bulwark.hardening.ufw"], {}, container_name(host), ssh_to=target_ip)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Delete the rules that are not wanted" in run.stdout

    status = host.check_output("ufw status")
    assert "Status: active" in status
    assert "192.0.2.9" in status  # fail2ban's ban kept
    assert not tcp_connects(client, target_ip, 9999)
    assert tcp_connects(client, target_ip, 22)
    assert tcp_connects(client, target_ip, ALLOWED_PORT)
    host.run("ufw delete reject from 192.0.2.9 to any")


# --- fail2ban ------------------------------------------------------------------


def forget_ssh_limit(host) -> None:
    """Clear ufw's SSH rate-limit memory: docker hands out the addresses of
    earlier peers again, and their connections would count."""
    if ufw_enabled(host):
        host.run_test("echo / > /proc/net/xt_recent/DEFAULT")


def test_attacker_is_banned_then_released(host, new_peer, target_ip):
    forget_ssh_limit(host)
    attacker = new_peer("attacker")
    bystander = new_peer("bystander")
    ip = attacker.ip
    # No extra probes before the attempts: ufw's SSH limit counts connections
    # too (6 in 30 s), and this must be fail2ban's ban, not the limit.
    for _ in range(MAXRETRY):
        assert failed_login(attacker, target_ip).returncode != 0
    last_attempt = time.monotonic()

    assert wait_until(lambda: ip in banned(host, "sshd"), 15), host.check_output(
        f"tail -20 {F2B_LOG}"
    )
    assert time.monotonic() - last_attempt < 15
    # the ban is fail2ban's firewall rule, not sshd's own penalty (OpenSSH 10):
    # the TCP connection itself is refused
    assert not tcp_connects(attacker, target_ip, 22)
    if ufw_enabled(host):
        assert re.search(rf"REJECT(?: IN)?\s+{re.escape(ip)}\s", host.check_output("ufw status"))
    else:
        assert ip in host.check_output("nft list table inet f2b-table")
        # debian13 bans for recidive after a single ban (fail2ban's own log)
        assert wait_until(lambda: ip in banned(host, "recidive"), 15)
    # only the attacker
    assert tcp_connects(bystander, target_ip, 22)

    lift = RECIDIVE_BANTIME if not ufw_enabled(host) else BANTIME
    assert wait_until(lambda: tcp_connects(attacker, target_ip, 22), lift + 20, interval=2)
    assert ip not in banned(host, "sshd")


NGINX_LOGS = {
    # The collection-wide defaults (roles/bulwark): the proxy's own logs.
    "error": "/var/log/nginx/nginx_proxy.error.log",
    "access": "/var/log/nginx/nginx_proxy.access.log",
    "unknown": "/var/log/nginx/unknown-host.access.log",
}


def test_rerun_with_ignoreip_and_nginx_jails_reloads(new_peer):
    """A second run (both hosts at once) adds a friend to ignoreip and turns the nginx
    jails on: fail2ban is reloaded (same process), the friend's failures are seen and
    ignored, the nginx jails ban."""
    hosts = {name: testinfra.get_host(f"docker://{name}") for name in TARGETS}
    friend = new_peer("friend")
    for host in hosts.values():
        host.run_test("mkdir -p /var/log/nginx && touch " + " ".join(NGINX_LOGS.values()))
    pids = {name: fail2ban_pid(host) for name, host in hosts.items()}
    extra = {"fail2ban_ignoreip": [friend.ip], "fail2ban_nginx_enabled": True}
    run = apply_roles(FAIL2BAN, extra, "targets")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]

    for name, host in hosts.items():
        check_rerun(name, host, friend, pids[name])


def check_rerun(name: str, host, friend, pid: str) -> None:
    ip = container_ip(name)
    uses_ufw = "Status: active" in host.check_output("ufw status")
    assert fail2ban_pid(host) == pid  # reloaded, not restarted
    # a fail2ban-only run still bans through the firewall in use
    action = host.check_output("fail2ban-client get sshd actions")
    assert ("ufw" if uses_ufw else "nftables") in action

    for _ in range(MAXRETRY + 1):
        assert failed_login(friend, ip).returncode != 0
    # fail2ban saw the failures and ignored them
    seen = f"grep -c '\\[sshd\\] Ignore {friend.ip} by ip' {F2B_LOG}"
    assert wait_until(lambda: int(host.run(seen).stdout.strip() or 0) >= MAXRETRY, 15)

    jails = host.check_output("fail2ban-client status")
    for jail in ("nginx-http-auth", "nginx-limit-req", "nginx-botsearch", "nginx-unknown-host"):
        assert jail in jails
    now_access = host.check_output("date '+%d/%b/%Y:%H:%M:%S %z'")
    now_error = host.check_output("date '+%Y/%m/%d %H:%M:%S'")
    for i in range(3):
        host.run_test(
            f'echo \'192.0.2.8 - - [{now_access}] "GET /wp-login.php HTTP/1.1" 444 0 '
            f'"-" "scan"\' >> {NGINX_LOGS["unknown"]}'
        )
        host.run_test(
            f'echo \'{now_error} [error] 7#7: *{i} user "admin": password mismatch, '
            'client: 192.0.2.10, server: app.example, request: "GET / HTTP/1.1", '
            f'host: "app.example"\' >> {NGINX_LOGS["error"]}'
        )
    assert wait_until(lambda: "192.0.2.8" in banned(host, "nginx-unknown-host"), 15)
    assert wait_until(lambda: "192.0.2.10" in banned(host, "nginx-http-auth"), 15)

    assert friend.ip not in banned(host, "sshd")
    assert tcp_connects(friend, ip, 22)


def test_user_jail_bans_from_the_journal(host):
    address = "192.0.2.7"  # TEST-NET-1: banned, never contacted
    for _ in range(2):
        host.run_test(f"echo 'bad token from {address}' | systemd-cat -t bulwark-test")
    assert wait_until(lambda: address in banned(host, "bulwark-test"), 15)
    host.run_test(f"fail2ban-client set bulwark-test unbanip {address}")


def test_bad_input_fails_before_anything_changes():
    """Run once for both hosts: a bad rule, a malformed ignoreip, an unknown filter."""
    names = TARGETS
    # fail2ban's own bans and unbans (ufw rules) may come and go meanwhile
    watched = (
        "sha256sum /etc/fail2ban/jail.local /etc/fail2ban/filter.d/*.local;"
        " ufw show added | grep -v 'by Fail2Ban'"
    )

    def state():
        return {
            n: (
                docker("exec", n, "sh", "-c", watched).stdout,
                docker("exec", n, "systemctl", "show", "-pMainPID", "--value", "fail2ban").stdout,
            )
            for n in names
        }

    before = state()
    cases = [
        (FAIL2BAN, {"fail2ban_ignoreip": ["10.0.0.300/8"]}, "fail2ban_ignoreip[0]"),
        (BOTH, {"ufw_rules": [{"port": 70000, "proto": "tcp"}]}, "ufw_rules[0].port"),
        (
            FAIL2BAN,
            {"fail2ban_jails": [{"name": "broken", "filter": "no-such-filter"}]},
            "fail2ban-client -t rejected",
        ),
    ]
    for roles, extra, message in cases:
        run = apply_roles(roles, extra, "targets")
        assert run.returncode != 0, run.stdout[-2000:]
        output = run.stdout + run.stderr
        assert message in output, output[-3000:]
        if "jails" in str(extra):
            assert "no-such-filter" in output
        assert state() == before
        for n in names:
            pong = docker("exec", n, "fail2ban-client", "ping").stdout.strip()
            assert pong == "Server replied: pong"


def test_ssh_is_rate_limited(host, new_peer, target_ip):
    """Last before the restart, which clears the limit's memory."""
    if not ufw_enabled(host):
        pytest.skip("ufw is disabled on this host")
    forget_ssh_limit(host)
    client = new_peer("burst")
    results = [tcp_connects(client, target_ip, 22) for _ in range(8)]
    # ufw's limit refuses a source's 6th and later connections within 30 s
    assert results[:5] == [True] * 5, results
    assert not any(results[6:]), results


def test_firewall_and_fail2ban_survive_a_restart(host, new_peer):
    name = container_name(host)
    docker("restart", "-t", "5", name, timeout=120)

    def booted():
        run = docker("exec", name, "systemctl", "is-system-running", "--wait", check=False)
        return run.stdout.strip() if run.stdout.strip() in ("running", "degraded") else None

    state = wait_until(booted, 120, interval=2)
    failed = docker("exec", name, "systemctl", "--failed", "--no-legend", check=False).stdout
    assert state == "running", failed
    assert host.service("fail2ban").is_running
    assert "sshd" in host.check_output("fail2ban-client status")
    ip = container_ip(name)
    listen(host, ALLOWED_PORT)
    listen(host, CLOSED_PORT)
    client = new_peer("after-restart")
    assert tcp_connects(client, ip, 22)
    assert tcp_connects(client, ip, ALLOWED_PORT)
    assert tcp_connects(client, ip, CLOSED_PORT) != ufw_enabled(host)
