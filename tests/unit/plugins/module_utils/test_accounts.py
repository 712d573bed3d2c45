# SPDX-License-Identifier: GPL-3.0-or-later
"""Password ageing: only accounts with a usable password, never a key-only
login, never the login account, never one it would expire at once."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._accounts import (
    password_ageing_plan,
    usable_hash,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError

TODAY = 20424  # 2025-12-02
AGEING = {"min_days": 1, "max_days": 365, "warn_days": 14}
YESCRYPT = "$y$j9T$abcdefghijklmnop$0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


def entry(hash_, lastchg=TODAY - 10, *, min_=0, max_=99999, warn=7):
    return [hash_, str(lastchg), str(min_), str(max_), str(warn), "", "", ""]


# As getent shadow returns them on a Debian 12 host (fields after the name).
SHADOW = {
    "root": entry("*"),
    "daemon": entry("*"),
    "operator": entry(YESCRYPT),
    "alice": entry("$6$salt$hash"),
    "keyonly": entry("!"),
    "locked": entry("!" + YESCRYPT),
    "nopass": entry(""),
    "starred": entry("!*"),
}


def names(items):
    return [item["name"] for item in items]


def test_only_accounts_with_a_usable_password_are_aged():
    plan = password_ageing_plan(SHADOW, AGEING, TODAY)
    assert names(plan["change"]) == ["alice", "operator"]
    assert plan["change"][0] == {"name": "alice", **AGEING}


@pytest.mark.parametrize("name", ["keyonly", "locked", "nopass", "starred", "daemon"])
def test_key_only_and_locked_accounts_are_never_aged(name):
    plan = password_ageing_plan(SHADOW, AGEING, TODAY)
    assert name not in names(plan["change"]) and name not in names(plan["left"])


def test_login_account_is_left_alone_with_a_reason():
    plan = password_ageing_plan(SHADOW, AGEING, TODAY, login_user="operator")
    assert names(plan["change"]) == ["alice"]
    assert "logs in as" in plan["left"][0]["reason"]


def test_root_with_a_password_is_excluded_by_default_and_can_be_included():
    shadow = {"root": entry(YESCRYPT)}
    assert password_ageing_plan(shadow, AGEING, TODAY)["change"] == []
    assert names(password_ageing_plan(shadow, AGEING, TODAY, exclude=[])["change"]) == ["root"]


def test_old_password_is_not_aged_into_immediate_expiry():
    shadow = {"bob": entry(YESCRYPT, lastchg=TODAY - 400)}
    plan = password_ageing_plan(shadow, AGEING, TODAY)
    assert plan["change"] == []
    assert "400 days ago" in plan["left"][0]["reason"]


def test_password_due_at_next_login_is_left():
    plan = password_ageing_plan({"bob": entry(YESCRYPT, lastchg=0)}, AGEING, TODAY)
    assert plan["change"] == [] and "next login" in plan["left"][0]["reason"]


def test_matching_ageing_is_not_changed_again():
    shadow = {"bob": entry(YESCRYPT, min_=1, max_=365, warn=14)}
    assert password_ageing_plan(shadow, AGEING, TODAY) == {"change": [], "left": []}


def test_usable_hash():
    assert usable_hash(YESCRYPT) and usable_hash("$6$x$y") and usable_hash("abcdefghijklm")
    for value in ("", "!", "*", "!!", "!$6$x$y", "x", None):
        assert not usable_hash(value)


@pytest.mark.parametrize(
    ("ageing", "message"),
    [
        ({"min_days": 1, "max_days": 365}, "expected a mapping"),
        ({"min_days": 400, "max_days": 365, "warn_days": 7}, "greater than"),
        ({"min_days": 1, "max_days": 365, "warn_days": 365}, "less than"),
        ({"min_days": True, "max_days": 365, "warn_days": 7}, "whole number"),
        ({"min_days": -1, "max_days": 365, "warn_days": 7}, "whole number"),
    ],
)
def test_bad_ageing_is_refused(ageing, message):
    with pytest.raises(PolicyError, match=message):
        password_ageing_plan(SHADOW, ageing, TODAY)


def test_bad_inputs_are_refused():
    with pytest.raises(PolicyError, match="shadow"):
        password_ageing_plan([], AGEING, TODAY)
    with pytest.raises(PolicyError, match="today"):
        password_ageing_plan(SHADOW, AGEING, 0)
    with pytest.raises(PolicyError, match="exclude"):
        password_ageing_plan(SHADOW, AGEING, TODAY, exclude="root")
    with pytest.raises(PolicyError, match="shadow entry"):
        password_ageing_plan({"x": "broken"}, AGEING, TODAY)


def test_getent_lines_with_masked_hashes_plan_as_the_mapping():
    """The os_baseline probe masks each hash (first character kept, the rest x)."""

    def masked(h):
        return h[:1] + "x" * (len(h) - 1)

    lines = "\n".join(f"{name}:{masked(f[0])}:{':'.join(f[1:])}" for name, f in SHADOW.items())
    ageing = {"min_days": 1, "max_days": 365, "warn_days": 7}
    today = 20000
    assert password_ageing_plan(
        lines + "\n", ageing, today, login_user="operator"
    ) == password_ageing_plan(SHADOW, ageing, today, login_user="operator")


def test_a_line_that_is_not_getent_shadow_is_refused():
    with pytest.raises(PolicyError, match="not a getent shadow line"):
        password_ageing_plan(
            "no colon here\n", {"min_days": 1, "max_days": 365, "warn_days": 7}, 20000
        )
