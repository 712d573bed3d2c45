# SPDX-License-Identifier: GPL-3.0-or-later
"""ufw rule checks and purge planning, against tuple lines written by a real ufw 0.36.2
(Debian 12) for the commands quoted next to them."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._firewall import (
    ip_networks,
    ufw_purge,
    ufw_rules,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError

# Written by ufw 0.36.2 for, in order:
#   ufw prepend reject from 1.2.3.4 to any comment "by Fail2Ban after 3"
#   ufw limit 22/tcp comment "ssh x"
#   ufw allow from 10.0.0.1/32 to any port 80 proto tcp
#   ufw allow from 10.0.0.5/24 to any port 81 proto tcp
#   ufw allow in on eth0 to any port 1000:2000 proto udp
#   ufw reject out 25/tcp
#   ufw allow 8080,8081/tcp
#   ufw allow proto any from 192.168.0.0/16
#   ufw route allow in on eth0 out on eth1 to 10.1.0.0/24 port 80 proto tcp
#   ufw allow from 2001:db8::1/128 to any port 443 proto tcp
USER_RULES = """
### tuple ### reject any any 0.0.0.0/0 any 1.2.3.4 in comment=6279204661696c3242616e2061667465722033
-A ufw-user-input -s 1.2.3.4 -j REJECT
### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=7373682078
### tuple ### allow tcp 80 0.0.0.0/0 any 10.0.0.1 in
### tuple ### allow tcp 81 0.0.0.0/0 any 10.0.0.0/24 in
### tuple ### allow udp 1000:2000 0.0.0.0/0 any 0.0.0.0/0 in_eth0
### tuple ### reject tcp 25 0.0.0.0/0 any 0.0.0.0/0 out
### tuple ### allow tcp 8080,8081 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow any any 0.0.0.0/0 any 192.168.0.0/16 in
### tuple ### route:allow tcp 80 10.1.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1
"""
USER6_RULES = """
### tuple ### limit tcp 22 ::/0 any ::/0 in comment=7373682078
### tuple ### allow udp 1000:2000 ::/0 any ::/0 in_eth0
### tuple ### reject tcp 25 ::/0 any ::/0 out
### tuple ### allow tcp 443 ::/0 any 2001:db8::1 in
### tuple ### allow tcp 8080,8081 ::/0 any ::/0 in
"""

# The same rules as mappings (the fail2ban ban and the route rule excepted).
AS_MAPPINGS = [
    {"rule": "limit", "port": 22, "proto": "tcp", "comment": "ssh x"},
    {"port": 80, "proto": "tcp", "from": "10.0.0.1/32"},
    {"port": "81", "proto": "tcp", "from": "10.0.0.5/24"},
    {"port": "1000:2000", "proto": "udp", "interface": "eth0", "direction": "incoming"},
    {"rule": "reject", "port": 25, "proto": "tcp", "direction": "out"},
    {"port": "8080, 8081", "proto": "tcp"},
    {"from": "192.168.0.0/16"},
    {"port": 443, "proto": "tcp", "from": "2001:db8::1/128"},
]


def test_tuples_match_what_ufw_wrote():
    written = {
        line.split(" comment=")[0] + suffix
        for text, suffix in ((USER_RULES, " v4"), (USER6_RULES, " v6"))
        for line in text.splitlines()
        if line.startswith("### tuple ###")
        for line in [line[len("### tuple ### ") :]]
    }
    computed = {t for rule in ufw_rules(AS_MAPPINGS) for t in rule["tuples"]}
    ours = written - {
        "reject any any 0.0.0.0/0 any 1.2.3.4 in v4",
        "route:allow tcp 80 10.1.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1 v4",
    }
    assert computed == ours


def test_purge_keeps_wanted_and_fail2ban_deletes_the_rest():
    wanted = ufw_rules(AS_MAPPINGS[:2])
    plan = ufw_purge(wanted, USER_RULES, USER6_RULES, ("by Fail2Ban",))
    lines = [p["line"] for p in plan]
    assert not any("1.2.3.4" in line for line in lines)
    assert not any(line.startswith("limit tcp 22") for line in lines)
    assert "allow tcp 80 0.0.0.0/0 any 10.0.0.1 in" not in lines
    # any-to-any rules sit in both files and are deleted once
    assert lines.count("allow tcp 8080,8081 0.0.0.0/0 any 0.0.0.0/0 in") == 1
    assert "allow tcp 8080,8081 ::/0 any ::/0 in" not in lines
    by_line = {p.pop("line"): p for p in plan}
    assert by_line["allow udp 1000:2000 0.0.0.0/0 any 0.0.0.0/0 in_eth0"] == {
        "rule": "allow",
        "from_ip": "any",
        "to_ip": "any",
        "delete": True,
        "proto": "udp",
        "to_port": "1000:2000",
        "direction": "in",
        "interface": "eth0",
    }
    assert by_line["route:allow tcp 80 10.1.0.0/24 any 0.0.0.0/0 in_eth0!out_eth1"] == {
        "rule": "allow",
        "from_ip": "any",
        "to_ip": "10.1.0.0/24",
        "delete": True,
        "proto": "tcp",
        "to_port": "80",
        "route": True,
        "interface_in": "eth0",
        "interface_out": "eth1",
    }
    assert by_line["allow tcp 443 ::/0 any 2001:db8::1 in"]["from_ip"] == "2001:db8::1"


def test_purge_of_everything_wanted_is_empty():
    assert ufw_purge(ufw_rules(AS_MAPPINGS), USER_RULES, USER6_RULES, ("by Fail2Ban", "x")) == [
        p
        for p in ufw_purge(ufw_rules(AS_MAPPINGS), USER_RULES, USER6_RULES, ("by Fail2Ban",))
        if p["line"].startswith("route:")
    ]


def test_purge_never_deletes_the_ipv4_copy_of_a_wanted_any_rule():
    # IPv6 switched off: the v6 SSH rule is unwanted, but deleting it by
    # specification would delete the IPv4 one too.
    wanted = ufw_rules([{"rule": "limit", "port": 22, "proto": "tcp"}], ipv6=False)
    plan = ufw_purge(wanted, USER_RULES, USER6_RULES, ("by Fail2Ban",))
    assert not any(p.get("to_port") == "22" for p in plan)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"port": 70000}, "outside 1-65535"),
        ({"port": 0}, "outside 1-65535"),
        ({"port": "22/tcp"}, "is not a port"),
        ({"port": "2000:1000", "proto": "tcp"}, "ends before it starts"),
        ({"port": "1000:2000"}, "needs proto tcp or udp"),
        ({"port": 22, "proto": "icmp"}, "is not one of"),
        ({"port": 22, "proto": "gre"}, "needs proto tcp, udp or any"),
        ({"from": "10.0.0.300/8"}, "is not an IP address"),
        ({"from": "10.0.0.0/33"}, "is not an IP address"),
        ({"from": "example.com"}, "is not an IP address"),
        ({"from": "10.0.0.1", "to": "2001:db8::1"}, "different IP versions"),
        ({"rule": "permit"}, "is not one of"),
        ({"direction": "routed"}, "is not one of in, out"),
        ({"interface": "eth0; rm -rf /"}, "not an interface name"),
        ({"comment": "it's"}, "quotes"),
        ({"ports": 22}, "unknown key"),
    ],
)
def test_bad_rules_are_refused_naming_the_entry(rule, message):
    with pytest.raises(PolicyError, match=message) as info:
        ufw_rules([{"port": 22, "proto": "tcp"}, rule])
    assert "ufw_rules[1]" in str(info.value)


def test_ipv6_address_refused_without_ipv6():
    with pytest.raises(PolicyError, match="ufw_ipv6 is false"):
        ufw_rules([{"from": "2001:db8::/32"}], ipv6=False)


def test_ip_networks_normalise_and_refuse():
    assert ip_networks(["127.0.0.1/8", "10.1.2.3/32", "::1", "2001:db8::5/64", "10.1.2.3"]) == [
        "127.0.0.0/8",
        "10.1.2.3",
        "::1",
        "2001:db8::/64",
    ]
    for bad in ["10.0.0.300", "10.0.0.1/", "host.example", "", 5]:
        with pytest.raises(PolicyError, match=r"fail2ban_ignoreip\[1\]"):
            ip_networks(["10.0.0.1", bad], "fail2ban_ignoreip")
