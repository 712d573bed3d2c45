"""The lockout guard, from the records side_effect.yml wrote and from outside.

side_effect.yml applied bulwark.hardening.sshd over a real SSH login as
`operator` (with become), fed it bad values, and a configuration that passes
`sshd -t` but refuses the operator (preflight off).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import container_name, operator_key, ssh_audit_server

SSH_OPTS = "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"


@pytest.fixture
def record(host) -> dict:
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"lockout-{container_name(host)}.json"
    return json.loads(path.read_text())


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
