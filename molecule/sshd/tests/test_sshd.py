"""sshd and ssh_client, modern profile, seen from outside the host.

Debian 12 and 13 both ship a cloud-init style drop-in that turns password
logins on (prepare.yml); Debian 13 also keeps an RSA host key and listens on
port 2222 as well (molecule.yml). The ssh-audit scans come last in this file:
OpenSSH 10 penalises bursts of unauthenticated connections from one address.
"""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
from conftest import (
    SSH_AUDIT,
    container_name,
    docker,
    operator_key,
    password_login,
    save_report,
    ssh_audit_server,
)

NO_KNOWN_HOSTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
SSH_OPTS = f"-o BatchMode=yes {NO_KNOWN_HOSTS} -o ConnectTimeout=10"


def is_debian13(host) -> bool:
    return host.system_info.codename == "trixie"


def effective(host) -> dict[str, str]:
    out = host.check_output("sshd -T")
    pairs = (line.split(" ", 1) for line in out.splitlines() if line)
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


@pytest.fixture
def keyed_peer(peer):
    peer.put(operator_key(), "/root/operator_ed25519")
    return peer


def login(peer, ip, *, extra="", user="operator", port=22, command="true"):
    return peer.run(
        f"ssh {SSH_OPTS} -i /root/operator_ed25519 -p {port} {extra} {user}@{ip} {command}"
    )


# --- Effective configuration -------------------------------------------------


def test_cloud_init_dropin_is_present_but_loses(host):
    dropin = host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf")
    assert dropin.exists and "PasswordAuthentication yes" in dropin.content_string
    eff = effective(host)
    assert eff["passwordauthentication"] == "no"
    assert eff["kbdinteractiveauthentication"] == "no"


def test_effective_settings(host):
    eff = effective(host)
    expected = {
        "permitrootlogin": "no",
        "permitemptypasswords": "no",
        "pubkeyauthentication": "yes",
        "authenticationmethods": "publickey",
        "hostbasedauthentication": "no",
        "ignorerhosts": "yes",
        "x11forwarding": "no",
        "allowagentforwarding": "no",
        "allowtcpforwarding": "no",
        "permituserenvironment": "no",
        "loglevel": "VERBOSE",
        "maxauthtries": "3",
    }
    assert {k: eff.get(k) for k in expected} == expected


def test_effective_crypto_is_hardened(host):
    eff = effective(host)
    kex = eff["kexalgorithms"].split(",")
    # modern: post-quantum hybrids only; no classical curve25519 or DH.
    assert kex and all(("mlkem" in k or "sntrup" in k) for k in kex), kex
    if is_debian13(host):
        assert kex[0] == "mlkem768x25519-sha256"
    ciphers = eff["ciphers"].split(",")
    assert not [c for c in ciphers if "cbc" in c or "3des" in c or "arcfour" in c], ciphers
    macs = eff["macs"].split(",")
    assert macs and all(m.endswith("-etm@openssh.com") and "sha1" not in m for m in macs), macs
    for key in ("hostkeyalgorithms", "pubkeyacceptedalgorithms"):
        algs = eff[key].split(",")
        assert not [a for a in algs if "ecdsa" in a or "dss" in a or a.startswith("ssh-rsa")], algs
    hostkeys = [
        v
        for k, v in (line.split(" ", 1) for line in host.check_output("sshd -T").splitlines())
        if k == "hostkey"
    ]
    wanted = ["/etc/ssh/ssh_host_ed25519_key"] + (
        ["/etc/ssh/ssh_host_rsa_key"] if is_debian13(host) else []
    )
    assert hostkeys == wanted


def test_weak_moduli_removed(host):
    sizes = host.check_output("awk '!/^#/ {print $5}' /etc/ssh/moduli").split()
    assert sizes, "moduli file emptied"
    assert min(int(s) for s in sizes) >= 3071


# --- Logins from another container ---------------------------------------------


def test_key_login_works(host, keyed_peer, target_ip):
    result = login(keyed_peer, target_ip, command="'id -un; sudo -n id -u'")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["operator", "0"]


def test_second_port_on_debian13(host, keyed_peer, target_ip):
    result = login(keyed_peer, target_ip, port=2222)
    if is_debian13(host):
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 255


def test_sftp_still_works(host, keyed_peer, target_ip):
    result = keyed_peer.run(
        f"echo pwd | sftp {SSH_OPTS} -i /root/operator_ed25519 -b - operator@{target_ip}"
    )
    assert result.returncode == 0, result.stderr
    assert "/home/operator" in result.stdout


def test_banner_hides_the_debian_version(host, peer, target_ip):
    banner = peer.run(f"nc -w 5 {target_ip} 22 </dev/null | head -n 1").stdout.strip()
    assert banner.startswith("SSH-2.0-OpenSSH_"), banner
    assert "Debian" not in banner, banner


def test_password_login_refused(host, peer, target_ip):
    # The account has a password (prepare.yml) and the drop-in asks for
    # password logins; the server must not even offer the method.
    result = password_login(peer, target_ip)
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr, result.stderr


def test_root_login_refused_even_with_authorized_key(host, keyed_peer, target_ip):
    with host.sudo():
        host.check_output(
            "install -d -m 700 /root/.ssh && "
            "cp /home/operator/.ssh/authorized_keys /root/.ssh/authorized_keys"
        )
    try:
        result = login(keyed_peer, target_ip, user="root")
        assert result.returncode == 255
        assert "Permission denied" in result.stderr, result.stderr
    finally:
        host.run("rm -f /root/.ssh/authorized_keys")


@pytest.mark.parametrize(
    "option",
    [
        "-o KexAlgorithms=curve25519-sha256",
        "-o KexAlgorithms=diffie-hellman-group14-sha1",
        "-c aes128-cbc",
        "-c aes256-ctr -o MACs=hmac-sha2-256",
        "-o HostKeyAlgorithms=ecdsa-sha2-nistp256",
    ],
)
def test_removed_algorithm_refused(host, keyed_peer, target_ip, option):
    result = login(keyed_peer, target_ip, extra=option)
    assert result.returncode == 255
    assert "no matching" in result.stderr, result.stderr


def test_host_key_types_offered(host, peer, target_ip):
    offered = peer.run(f"ssh-keyscan -T 10 -t ed25519,rsa,ecdsa {target_ip} 2>/dev/null").stdout
    types = sorted(
        {line.split()[1] for line in offered.splitlines() if line and not line.startswith("#")}
    )
    assert types == (["ssh-ed25519", "ssh-rsa"] if is_debian13(host) else ["ssh-ed25519"])
    if is_debian13(host):
        bits = peer.run(
            f"ssh-keyscan -T 10 -t rsa {target_ip} 2>/dev/null | ssh-keygen -lf -"
        ).stdout.split()[0]
        assert int(bits) >= 3072


# --- ssh_client ------------------------------------------------------------------


def ssh_g(host, name: str) -> dict[str, str]:
    """`ssh -G` as a mapping; repeated keywords (identityfile) joined with spaces."""
    result: dict[str, str] = {}
    for line in host.check_output(f"ssh -G {name}").splitlines():
        key, _, value = line.partition(" ")
        result[key] = f"{result[key]} {value}" if key in result else value
    return result


def test_client_defaults(host):
    g = ssh_g(host, "somehost.example.test")
    assert g["passwordauthentication"] == "no"
    assert g["kbdinteractiveauthentication"] == "no"
    assert g["pubkeyauthentication"] in ("yes", "true")
    assert g["identitiesonly"] == "yes"
    assert g["hashknownhosts"] == "yes"
    assert g["stricthostkeychecking"] == "ask"
    assert g["forwardagent"] == "no"
    assert g["forwardx11"] == "no"
    kex = g["kexalgorithms"].split(",")
    assert all(("mlkem" in k or "sntrup" in k) for k in kex), kex
    assert "cbc" not in g["ciphers"]
    assert all(m.endswith("-etm@openssh.com") for m in g["macs"].split(","))
    assert "ecdsa" not in g["hostkeyalgorithms"]
    assert "id_legacy" not in g.get("identityfile", "")


@pytest.mark.parametrize("name", ["legacy.example.test", "git.legacy.example.test"])
def test_client_exception_applies_to_its_pattern(host, name):
    g = ssh_g(host, name)
    assert g["kexalgorithms"] == "curve25519-sha256,diffie-hellman-group16-sha512"
    assert "id_legacy" in g["identityfile"]
    # Everything the exception does not set stays hardened.
    assert g["passwordauthentication"] == "no"
    assert "cbc" not in g["ciphers"]


def test_client_exception_does_not_leak(host):
    g = ssh_g(host, "notlegacy.example.test")
    assert "curve25519-sha256" not in g["kexalgorithms"].split(",")


# --- ssh-audit, after every login test ------------------------------------------


def test_ssh_audit_server_clean(host, target_ip):
    result = ssh_audit_server(host, target_ip)
    assert result.returncode == 0, result.stdout
    assert "(fail)" not in result.stdout and "(warn)" not in result.stdout


def gateway(host) -> str:
    return docker(
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}",
        container_name(host),
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def test_ssh_audit_client_clean(host):
    port = free_port()
    audit = subprocess.Popen(
        [str(SSH_AUDIT), "-c", "-p", str(port), "-n", "-t", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(2)
        # The hardened client (no per-user config) connects to the auditor;
        # it cannot log in, which does not matter: its KEXINIT is what counts.
        host.run(f"timeout 20 ssh -o BatchMode=yes -p {port} audit@{gateway(host)} true")
        out, _ = audit.communicate(timeout=60)
    finally:
        audit.kill()
    save_report(f"ssh-audit-client-{container_name(host)}.txt", out)
    assert "# key exchange algorithms" in out, out
    assert "(fail)" not in out and "(warn)" not in out, out
