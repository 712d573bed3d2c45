"""The container test bed behaves like an installed Debian host."""

from conftest import operator_key


def test_systemd_is_pid1_and_running(host):
    assert host.run("cat /proc/1/comm").stdout.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-pager").stdout


def test_apt_sources_have_release_updates_and_security(host):
    # What apt would fetch on its next update (the image ships no lists for
    # -updates/-security yet, like a host that has not run apt-get update).
    codename = host.system_info.codename
    releases = host.run(
        "apt-get indextargets --no-release-info --format '$(RELEASE)'"
    ).stdout.split()
    assert sorted(set(releases)) == [codename, f"{codename}-security", f"{codename}-updates"]


def test_openssh_server_installed_and_listening(host):
    assert host.package("openssh-server").is_installed
    assert host.service("ssh").is_running
    assert host.socket("tcp://0.0.0.0:22").is_listening


def test_operator_logs_in_with_key_from_peer(host, peer, target_ip):
    peer.put(operator_key(), "/root/operator_ed25519")
    result = peer.run(
        "ssh -i /root/operator_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no "
        f"-o ConnectTimeout=10 operator@{target_ip} 'id -un; sudo -n id -u'"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["operator", "0"]
