# SPDX-License-Identifier: GPL-3.0-or-later
"""The ufw role's plan (its variables to checked rules) and what differs on
the host, from one probe (status, /etc/default/ufw, ufw.conf, rule files)."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._ufw import (
    ufw_changes,
    ufw_plan,
)
from hypothesis import given
from hypothesis import strategies as st

OVER_SSH = {"user": "op", "session": True, "over_ssh": True, "port": 2200, "client": "192.0.2.9"}
DOCKER = {"user": "root", "session": False, "over_ssh": False, "port": None, "client": None}

ACTIVE = """Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip
"""
DEFAULT_UFW = """IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
DEFAULT_FORWARD_POLICY="DROP"
"""
POLICIES = {"incoming": "deny", "outgoing": "allow", "routed": "deny"}


def rules_file(rules, version):
    lines = ["*filter", "### RULES ###"]
    for rule in rules:
        for key in rule["tuples"]:
            if key.endswith(f" v{version}"):
                fields = key.rsplit(" ", 1)[0]
                comment = (
                    f" comment={rule['comment'].encode().hex()}" if rule.get("comment") else ""
                )
                lines.append(f"### tuple ### {fields}{comment}")
    return "\n".join([*lines, "### END RULES ###", "COMMIT"]) + "\n"


def probe(
    status=ACTIVE, default=DEFAULT_UFW, conf="ENABLED=yes\nLOGLEVEL=low\n", rules=(), boot="enabled"
):
    return (
        f"{status}==> /etc/default/ufw <==\n{default}==> /etc/ufw/ufw.conf <==\n{conf}"
        f"==> /etc/ufw/user.rules <==\n{rules_file(rules, 4)}"
        f"==> /etc/ufw/user6.rules <==\n{rules_file(rules, 6)}"
        f"==> ufw.service <==\n{boot}\n"
    )


def plan(**kwargs):
    args = {"rules": [], "ssh_ports": [22], "web_ports": [], "login": DOCKER}
    args.update(kwargs)
    return ufw_plan(args.pop("rules"), args.pop("ssh_ports"), args.pop("web_ports"), **args)


# --- the plan ---------------------------------------------------------------


def test_ssh_rules_first_with_the_connection_port():
    result = plan(ssh_ports=[2222], login=OVER_SSH, web_ports=[80, 443])
    assert [(r["rule"], r["port"], r["comment"]) for r in result["ssh"]] == [
        ("limit", "2222", "bulwark: ssh"),
        ("limit", "2200", "bulwark: ssh"),
    ]
    assert [(r["rule"], r["port"], r["comment"]) for r in result["rules"]] == [
        ("allow", "80", "bulwark: web"),
        ("allow", "443", "bulwark: web"),
    ]


def test_connection_port_not_added_without_ssh_or_twice():
    assert [r["port"] for r in plan(ssh_ports=[2222])["ssh"]] == ["2222"]
    login = OVER_SSH | {"port": 2222}
    assert [r["port"] for r in plan(ssh_ports=[2222, "2222"], login=login)["ssh"]] == ["2222"]


def test_no_ssh_rule_when_opted_out_even_with_no_ports():
    assert plan(ssh_ports=[], allow_ssh=False, login=OVER_SSH)["ssh"] == []


def test_empty_ssh_ports_refused_while_ssh_is_allowed():
    with pytest.raises(PolicyError, match="ufw_ssh_ports is empty"):
        plan(ssh_ports=[])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rules": [{"rule": "allow", "port": 99999}]}, r"ufw_rules\[0\]\.port"),
        ({"ssh_from": "nowhere"}, "ufw_ssh_ports/ufw_ssh_from"),
        ({"web_ports": ["http"]}, "ufw_web_ports"),
        ({"ssh_ports": "22"}, "must be lists"),
    ],
)
def test_bad_input_names_the_variable(kwargs, match):
    with pytest.raises(PolicyError, match=match):
        plan(**kwargs)


@given(
    ports=st.lists(st.integers(1, 65535), min_size=1, max_size=5),
    login_port=st.one_of(st.none(), st.integers(1, 65535)),
)
def test_every_wanted_and_the_session_port_is_open_once(ports, login_port):
    login = OVER_SSH | {"port": login_port} if login_port else DOCKER
    opened = [int(r["port"]) for r in plan(ssh_ports=ports, login=login)["ssh"]]
    assert set(opened) == set(ports) | ({login_port} if login_port else set())
    assert len(opened) == len(set(opened))


# --- what differs -----------------------------------------------------------


def wanted(**kwargs):
    result = plan(**kwargs)
    return result["ssh"] + result["rules"]


def test_converged_host_needs_nothing():
    rules = wanted(web_ports=[80], rules=[{"rule": "allow", "port": 8080, "proto": "tcp"}])
    changes = ufw_changes(probe(rules=rules), rules, policies=POLICIES)
    assert changes["add"] == []
    assert changes["policies"] == []
    assert changes["ipv6"] is False
    assert changes["logging"] is False
    assert changes["state"] is False
    assert changes["boot"] is False
    assert changes["active"] is True


def test_missing_rule_and_changed_comment_are_added():
    present = wanted()
    rules = wanted(rules=[{"rule": "allow", "port": 8080, "proto": "tcp"}])
    assert ufw_changes(probe(rules=present), rules)["add"] == rules[1:]
    relabelled = [present[0] | {"comment": "old"}]
    assert ufw_changes(probe(rules=relabelled), present)["add"] == present


def test_a_rule_missing_for_ipv6_only_is_added():
    rules = wanted()
    text = probe(rules=rules).replace("::/0", "::/1")
    assert ufw_changes(text, rules)["add"] == rules


def test_policies_read_from_etc_default_ufw():
    default = DEFAULT_UFW.replace('INPUT_POLICY="DROP"', 'INPUT_POLICY="ACCEPT"')
    changes = ufw_changes(probe(default=default), [], policies=POLICIES | {"routed": "reject"})
    assert changes["policies"] == [
        {"direction": "incoming", "policy": "deny"},
        {"direction": "routed", "policy": "reject"},
    ]


def test_ipv6_line_compared_as_lineinfile_would():
    assert ufw_changes(probe(), [], ipv6=False)["ipv6"] is True
    assert ufw_changes(probe(default="IPV6=no\nIPV6=yes\n"), [])["ipv6"] is False
    assert ufw_changes(probe(default="IPV6=yes\nIPV6=no\n"), [])["ipv6"] is True


@pytest.mark.parametrize(
    ("status_line", "wanted_level", "changes"),
    [
        ("Logging: on (low)", "low", False),
        ("Logging: on (low)", "medium", True),
        ("Logging: on (medium)", "on", False),
        ("Logging: off", "on", True),
        ("Logging: off", "off", False),
        ("Logging: on (low)", "off", True),
    ],
)
def test_logging_as_the_module_decides(status_line, wanted_level, changes):
    status = ACTIVE.replace("Logging: on (low)", status_line)
    assert ufw_changes(probe(status=status), [], logging=wanted_level)["logging"] is changes


def test_inactive_ufw_sets_logging_and_state():
    changes = ufw_changes(probe(status="Status: inactive\n", conf="ENABLED=no\n"), [])
    assert changes["active"] is False
    assert changes["logging"] is True
    assert changes["state"] is True
    assert (
        ufw_changes(probe(status="Status: inactive\n", conf="ENABLED=no\n"), [], state="disabled")[
            "state"
        ]
        is False
    )


def test_active_but_not_enabled_at_boot_is_enabled_again():
    assert ufw_changes(probe(conf="ENABLED=no\n"), [])["state"] is True


def test_probe_without_a_file_is_refused():
    with pytest.raises(PolicyError, match=r"/etc/ufw/ufw\.conf"):
        ufw_changes(ACTIVE + "==> /etc/default/ufw <==\nIPV6=yes\n", [])


@given(
    ports=st.lists(st.integers(1, 65535), min_size=1, max_size=4, unique=True),
    present=st.data(),
)
def test_add_is_exactly_the_rules_not_on_the_host(ports, present):
    rules = wanted(ssh_ports=ports)
    on_host = present.draw(st.lists(st.sampled_from(rules), unique_by=lambda r: r["port"]))
    add = ufw_changes(probe(rules=on_host), rules)["add"]
    assert add == [r for r in rules if r not in on_host]


@pytest.mark.parametrize(
    ("boot", "state", "changes"),
    [
        ("enabled", "enabled", False),
        ("disabled", "enabled", True),
        ("", "enabled", True),
        ("disabled", "disabled", False),
        ("enabled", "disabled", True),
    ],
)
def test_boot_unit_follows_the_state(boot, state, changes):
    assert ufw_changes(probe(boot=boot), [], state=state)["boot"] is changes


# --- what commit-confirmed guards (live) ------------------------------------------

INACTIVE = "Status: inactive\n"


def test_nothing_to_change_is_not_live():
    rules = wanted()
    changes = ufw_changes(probe(rules=rules), rules, policies=POLICIES, purge=True)
    assert changes["purge"] == []
    assert changes["live"] is False


@pytest.mark.parametrize(
    ("status", "conf", "state", "live"),
    [
        (ACTIVE, "ENABLED=yes\n", "disabled", True),  # turned off
        (INACTIVE, "ENABLED=no\n", "enabled", True),  # turned on
        (INACTIVE, "ENABLED=no\n", "disabled", False),  # off, stays off
        (ACTIVE, "ENABLED=no\n", "enabled", True),  # on, but not at boot: `ufw enable`
    ],
)
def test_enabling_or_disabling_is_live(status, conf, state, live):
    rules = wanted()
    changes = ufw_changes(
        probe(
            status=status,
            conf=conf,
            rules=rules,
            boot="enabled" if state == "enabled" else "disabled",
        ),
        rules,
        policies=POLICIES,
        state=state,
    )
    assert changes["live"] is live


@pytest.mark.parametrize("status", [ACTIVE, INACTIVE])
def test_rules_policies_and_ipv6_are_live_only_where_ufw_filters(status):
    """The same changes on a firewall that is on, or that will be switched on
    (live), and on one that is off and stays off (not live)."""
    rules = wanted(rules=[{"rule": "allow", "port": 8080, "proto": "tcp"}])
    conf = "ENABLED=yes\n" if status == ACTIVE else "ENABLED=no\n"
    cases = [
        {"rules": rules[:1]},  # a rule to add
        {"rules": rules, "policies": POLICIES | {"incoming": "allow"}},  # a policy
        {"rules": rules, "ipv6": False},  # the IPv6 line
    ]
    for case in cases:
        on_host = case.pop("rules")
        args = {"policies": POLICIES, **case}
        stays_off = ufw_changes(
            probe(status=status, conf=conf, rules=on_host, boot="disabled"),
            rules,
            state="disabled",
            **args,
        )
        turned_on = ufw_changes(probe(status=status, conf=conf, rules=on_host), rules, **args)
        assert turned_on["live"] is True, case
        assert stays_off["live"] is (status == ACTIVE), case


def test_purge_lists_the_unwanted_rules_and_is_live():
    held = wanted(rules=[{"rule": "allow", "port": 8080, "proto": "tcp"}])
    rules = wanted()  # 8080 is no longer listed
    args = {"policies": POLICIES}
    kept = ufw_changes(probe(rules=held), rules, **args)
    assert kept["purge"] == [] and kept["live"] is False  # no purge asked
    purged = ufw_changes(probe(rules=held), rules, purge=True, **args)
    assert [entry["to_port"] for entry in purged["purge"]] == ["8080"]
    assert purged["live"] is True


def test_purge_keeps_the_rules_with_a_kept_comment():
    ban = {"rule": "reject", "from": "192.0.2.9", "proto": "any", "comment": "by Fail2Ban 3"}
    held = wanted(rules=[ban])
    rules = wanted()
    changes = ufw_changes(
        probe(rules=held), rules, policies=POLICIES, purge=True, keep_comments=["by Fail2Ban"]
    )
    assert changes["purge"] == []
    assert changes["live"] is False
