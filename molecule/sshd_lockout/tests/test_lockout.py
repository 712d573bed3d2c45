"""The lockout guard, from the records side_effect.yml wrote and from outside.

side_effect.yml applied bulwark.hardening.sshd over a real SSH login as
`operator` (with become), fed it bad values, and a configuration that passes
`sshd -t` but refuses the operator (preflight off). Then commit-confirmed: a
change left unconfirmed and a second run while its revert was pending, and
last a lockout left unconfirmed, which the host must revert by itself.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import (
    container_name,
    operator_key,
    revert_logged_at,
    save_report,
    ssh_audit_server,
)

SSH_OPTS = "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
# The host must have reverted by itself within the window plus this margin.
REVERT_MARGIN = 15
RETAIN = 3  # bulwark_confirm_retain's default


@pytest.fixture
def record(host) -> dict:
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"lockout-{container_name(host)}.json"
    return json.loads(path.read_text())


# First in the file: it waits (at most the window and a margin) for the host.
def test_unconfirmed_lockout_reverted_by_the_host(host, record, peer, target_ip):
    step = record["unconfirmed"]
    # the lockout was live: a fresh login with the operator's key was refused
    assert step["login_rc"] == 255, step
    assert "Permission denied" in step["login_stderr"]
    # the play said what it armed, for how long, and how to confirm or revert
    assert "bulwark-revert-sshd.timer" in step["msg"] and f"{step['window']} seconds" in step["msg"]
    assert "bulwark-confirm confirm" in step["msg"] and "bulwark-confirm revert" in step["msg"]

    peer.put(operator_key(), "/root/operator_ed25519")
    login = (
        f"ssh {SSH_OPTS} -o ConnectTimeout=5 -i /root/operator_ed25519 operator@{target_ip} id -un"
    )
    deadline = step["armed_at"] + step["window"] + REVERT_MARGIN
    while peer.run(login).returncode != 0 and time.time() < deadline:
        time.sleep(1)
    result = peer.run(login)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "operator"

    reverted = revert_logged_at(host, "sshd")
    assert reverted is not None
    took = reverted - step["armed_at"]
    save_report(f"revert-{container_name(host)}.txt", f"sshd reverted {took:.1f} s after arming\n")
    assert step["window"] - 1 <= took <= step["window"] + REVERT_MARGIN, took
    assert (
        host.check_output("sha256sum /etc/ssh/sshd_config").split()[0] == step["sshd_config_before"]
    )
    assert not host.file("/var/lib/bulwark/confirm/sshd/pending").exists
    assert host.run("systemctl is-active bulwark-revert-sshd.timer").stdout.strip() != "active"


def test_second_run_while_pending_rearms_once_and_confirms(host, record):
    step = record["pending"]
    # one timer while pending
    assert len(step["timers"]) == 1, step["timers"]
    assert step["timers"][0].startswith("bulwark-revert-sshd.timer"), step["timers"]
    # the second run (nothing new to write) re-armed the same timer on the
    # pending snapshot, the last confirmed files, then proved and confirmed
    assert step["second_arm"]["changed"] is True
    assert step["second_arm"]["rearmed"] is True
    assert step["second_snapshot"] == step["snapshot"]
    assert step["second_confirmed"] is True
    # retention: older snapshots pruned down to bulwark_confirm_retain
    assert step["pruned"], step
    assert step["snapshots_kept"] == RETAIN
    # long after that run's window, what it confirmed is still live
    time.sleep(max(0.0, step["confirmed_at"] + step["window"] + 2 - time.time()))
    assert "maxauthtries 5" in host.check_output("sshd -T").splitlines()


def test_no_backup_files_pile_up(host):
    leftovers = host.run("ls /etc/ssh | grep -c '^sshd_config\\..*~$'").stdout.strip()
    assert leftovers == "0"


def test_apply_over_ssh_logged_in_afresh(record):
    step = record["apply_over_ssh"]
    assert step["failed"] is False
    # The role's own check: a new ssh process, no connection sharing.
    assert step["fresh_login_rc"] == 0
    assert "ControlPath=none" in step["fresh_login_cmd"]


@pytest.mark.parametrize(
    ("case", "names"),
    [
        ("unknown_algorithm", ["sshd_kex_algorithms", "curve448-sha512"]),
        ("rsa_1024", ["sshd_rsa_host_key_bits", "1024"]),
        ("port_not_integer", ["sshd_ports"]),
        ("allow_users", ["sshd_allow_users", "operator"]),
        ("firewall_port", ["sshd_ports", "2222"]),
    ],
)
def test_bad_input_refused_naming_the_variable(record, case, names):
    assert record[case]["failed"] is True
    for name in names:
        assert name in record[case]["msg"]


def test_refusals_changed_no_file(record):
    assert record["fingerprint_after_refusals"] == record["fingerprint_before"]


def test_rollback_restored_the_previous_config(record):
    msg = record["rollback"]["msg"]
    assert record["rollback"]["failed"] is True
    assert "NOT kept" in msg and "restored" in msg
    assert "Permission denied" in msg
    live = record["sshd_config_after_rollback"].split()[0]
    before = next(
        line.split()[0]
        for line in record["fingerprint_before"]
        if line.endswith(" /etc/ssh/sshd_config")
    )
    assert live == before
    assert record["ping_after_rollback"] is True


def test_no_allowusers_left_in_effect(host):
    assert "allowusers" not in host.check_output("sshd -T").split()


def test_operator_logs_in_from_another_address(host, peer, target_ip):
    peer.put(operator_key(), "/root/operator_ed25519")
    result = peer.run(f"ssh {SSH_OPTS} -i /root/operator_ed25519 operator@{target_ip} id -un")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "operator"


def test_ssh_audit(host, target_ip):
    """modern (Debian 12): clean. intermediate (Debian 13): only the curve25519 warnings."""
    result = ssh_audit_server(host, target_ip)
    out = result.stdout
    assert "(fail)" not in out, out
    warned = sorted(
        {line.split()[1] for line in out.splitlines() if "[warn]" in line and line.startswith("(")}
    )
    if host.system_info.codename == "trixie":
        assert result.returncode != 0, out
        assert warned == ["curve25519-sha256", "curve25519-sha256@libssh.org"], out
    else:
        assert result.returncode == 0, out
        assert warned == [], out
