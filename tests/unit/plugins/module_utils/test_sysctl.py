# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysctl plan: which keys go into the drop-in, which are set now, which are
skipped and why, for a VM, a routing host and a Docker container."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from ansible_collections.bulwark.hardening.plugins.module_utils._sysctl import (
    namespaced,
    proc_path,
    sysctl_plan,
)

WANTED = {
    "kernel.dmesg_restrict": 1,
    "net.core.bpf_jit_harden": 2,
    "net.ipv4.conf.all.rp_filter": 1,
    "net.ipv4.ip_forward": 0,
    "net.ipv6.conf.all.forwarding": 0,
    "dev.tty.ldisc_autoload": 0,
}
ALL = list(WANTED)


def vm(**extra):
    env = {"container": False, "present": ALL, "writable": ALL, "current": {}}
    env.update(extra)
    return env


def reasons(plan):
    return {item["key"]: item["reason"] for item in plan["skipped"]}


def test_vm_writes_and_applies_every_key():
    plan = sysctl_plan(WANTED, vm())
    assert [line["key"] for line in plan["write"]] == sorted(WANTED)
    assert not any(line["optional"] for line in plan["write"])
    assert plan["apply"] == {key: str(value) for key, value in WANTED.items()}
    assert plan["skipped"] == [] and plan["routing"] is False


def test_keys_already_set_are_not_applied_again():
    current = {"kernel.dmesg_restrict": "1", "net.ipv4.conf.all.rp_filter": "0"}
    plan = sysctl_plan(WANTED, vm(current=current))
    assert "kernel.dmesg_restrict" in plan["already"]
    assert "kernel.dmesg_restrict" not in plan["apply"]
    assert plan["apply"]["net.ipv4.conf.all.rp_filter"] == "1"
    # still in the drop-in, so that it holds after a reboot
    assert "kernel.dmesg_restrict" in [line["key"] for line in plan["write"]]


def test_multi_value_keys_compare_whitespace_insensitively():
    plan = sysctl_plan(
        {"net.ipv4.ip_local_port_range": "32768   60999"},
        vm(
            present=["net.ipv4.ip_local_port_range"],
            writable=["net.ipv4.ip_local_port_range"],
            current={"net.ipv4.ip_local_port_range": "32768\t60999"},
        ),
    )
    assert plan["apply"] == {} and plan["already"] == ["net.ipv4.ip_local_port_range"]
    assert plan["write"][0]["value"] == "32768 60999"


def test_key_missing_from_the_kernel_is_skipped_not_written():
    present = [k for k in ALL if k != "net.core.bpf_jit_harden"]
    plan = sysctl_plan(WANTED, vm(present=present, writable=present))
    assert "net.core.bpf_jit_harden" not in [line["key"] for line in plan["write"]]
    assert "no such key" in reasons(plan)["net.core.bpf_jit_harden"]


@pytest.mark.parametrize(
    "env",
    [{"ip_forward": True}, {"container_engine": True}],
    ids=["ip_forward-already-1", "docker-installed"],
)
def test_routing_host_keeps_its_forwarding(env):
    plan = sysctl_plan(WANTED, vm(**env))
    written = [line["key"] for line in plan["write"]]
    assert plan["routing"] is True
    for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
        assert key not in written and key not in plan["apply"]
        assert "routes" in reasons(plan)[key]
    # the rest is unaffected
    assert plan["apply"]["net.ipv4.conf.all.rp_filter"] == "1"


def test_forwarding_disable_overrides_detection_and_keep_overrides_a_plain_host():
    plan = sysctl_plan(WANTED, vm(ip_forward=True), "disable")
    assert plan["apply"]["net.ipv4.ip_forward"] == "0"
    plan = sysctl_plan(WANTED, vm(), "keep")
    assert "net.ipv4.ip_forward" not in plan["apply"]
    assert "keep" in reasons(plan)["net.ipv4.ip_forward"]


def test_container_never_touches_the_host_kernel_even_when_writable():
    # A privileged container can write kernel.* -- that would change the host.
    plan = sysctl_plan(WANTED, vm(container=True), "disable")
    assert set(plan["apply"]) == {
        "net.ipv4.conf.all.rp_filter",
        "net.ipv4.ip_forward",
        "net.ipv6.conf.all.forwarding",
    }
    optional = {line["key"] for line in plan["write"] if line["optional"]}
    assert optional == {
        "kernel.dmesg_restrict",
        "net.core.bpf_jit_harden",
        "dev.tty.ldisc_autoload",
    }
    assert "host's kernel" in reasons(plan)["kernel.dmesg_restrict"]


def test_docker_container_with_read_only_proc_sys_applies_nothing_and_says_so():
    plan = sysctl_plan(WANTED, vm(container=True, writable=[], ip_forward=True))
    assert plan["apply"] == {}
    assert all(line["optional"] for line in plan["write"])
    assert "read-only" in reasons(plan)["net.ipv4.conf.all.rp_filter"]
    assert "/proc/sys/net/ipv4/conf/all/rp_filter" in reasons(plan)["net.ipv4.conf.all.rp_filter"]


def test_read_only_key_on_a_vm_is_written_optional():
    writable = [k for k in ALL if k != "kernel.dmesg_restrict"]
    plan = sysctl_plan(WANTED, vm(writable=writable))
    line = next(x for x in plan["write"] if x["key"] == "kernel.dmesg_restrict")
    assert line["optional"] is True and "kernel.dmesg_restrict" not in plan["apply"]


def test_namespaced_and_paths():
    assert namespaced("net.ipv4.tcp_syncookies") and namespaced(
        "net.ipv6.conf.all.accept_redirects"
    )
    assert not namespaced("net.core.bpf_jit_harden") and not namespaced("kernel.sysrq")
    assert not namespaced("net.ipv4.tcp_mem")
    assert proc_path("kernel.yama.ptrace_scope") == "/proc/sys/kernel/yama/ptrace_scope"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kernel.sysrq": True}, "boolean"),
        ({"kernel.sysrq": "yes"}, "not an integer"),
        ({"kernel.sysrq": 1.5}, "not an integer"),
        ({"kernel.sysrq": "1\nkernel.modules_disabled = 1"}, "not an integer"),
        ({"kernel": 1}, "not a sysctl key"),
        ({"kernel.sysrq = 1": 1}, "not a sysctl key"),
        ({"../etc.passwd": 1}, "not a sysctl key"),
        (["kernel.sysrq"], "mapping"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(PolicyError, match=message):
        sysctl_plan(settings, vm())


@pytest.mark.parametrize(
    ("env", "forwarding", "message"),
    [
        ({"container": "yes"}, "auto", "environment.container"),
        ({"present": "kernel.sysrq"}, "auto", "environment.present"),
        ({"current": []}, "auto", "environment.current"),
        ({}, "off", "forwarding"),
    ],
)
def test_bad_environment_is_refused(env, forwarding, message):
    with pytest.raises(PolicyError, match=message):
        sysctl_plan({"kernel.sysrq": 0}, vm(**env), forwarding)


def test_negative_and_multi_values_are_accepted():
    plan = sysctl_plan(
        {"kernel.perf_event_paranoid": -1, "net.ipv4.ping_group_range": "1 0"},
        vm(present=["kernel.perf_event_paranoid"], writable=["kernel.perf_event_paranoid"]),
    )
    assert plan["apply"] == {"kernel.perf_event_paranoid": "-1"}
