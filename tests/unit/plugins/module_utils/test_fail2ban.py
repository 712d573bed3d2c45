# SPDX-License-Identifier: GPL-3.0-or-later
"""fail2ban's running jails and their actions, from the role's one probe."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._fail2ban import jail_actions
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)
from hypothesis import given
from hypothesis import strategies as st

STATUS = "Status\n|- Number of jail:\t{n}\n`- Jail list:\t{jails}\n"


def probe(jails: dict) -> str:
    out = STATUS.format(n=len(jails), jails=", ".join(jails))
    for name, actions in jails.items():
        out += f"==> {name} <==\n"
        if actions:
            out += f"The jail {name} has the following actions:\n{', '.join(actions)}\n"
        else:
            out += f"No actions for jail {name}\n"
    return out


def test_actions_per_jail():
    text = probe({"recidive": ["ufw"], "sshd": ["ufw"], "nginx-bad": []})
    assert jail_actions(text) == {"recidive": ["ufw"], "sshd": ["ufw"], "nginx-bad": []}


def test_no_jails():
    assert jail_actions(STATUS.format(n=0, jails="")) == {}


def test_a_listed_jail_without_its_section_is_refused():
    text = STATUS.format(n=2, jails="sshd, recidive") + "==> sshd <==\nNo actions for jail sshd\n"
    with pytest.raises(PolicyError, match="recidive"):
        jail_actions(text)


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.0123456789", min_size=1, max_size=12)


@given(
    st.dictionaries(
        NAME, st.lists(st.sampled_from(["ufw", "nftables[type=allports]", "iptables"]), max_size=2)
    )
)
def test_probe_round_trip(jails):
    assert jail_actions(probe(jails)) == jails
