# SPDX-License-Identifier: GPL-3.0-or-later
"""The os_baseline filters: registered, documented, errors prefixed with the FQCN."""

from __future__ import annotations

import importlib

import pytest
from ansible.errors import AnsibleFilterError


def load(name):
    module = importlib.import_module(f"ansible_collections.bulwark.hardening.plugins.filter.{name}")
    return module, module.FilterModule().filters()[name]


@pytest.mark.parametrize("name", ["sysctl_settings", "password_ageing"])
def test_registered_and_documented(name):
    module, func = load(name)
    assert callable(func)
    assert f"name: {name}\n" in module.DOCUMENTATION
    assert module.EXAMPLES.strip() and "_value:" in module.RETURN


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "shown"),
    [
        ("sysctl_settings", ({"kernel.sysrq": "on"}, {}), {}, "'on'"),
        ("sysctl_settings", ({"kernel.sysrq": 0}, {}), {"forwarding": "maybe"}, "'maybe'"),
        ("password_ageing", ({}, {"min_days": 9, "max_days": 5, "warn_days": 1}, 20000), {}, "(9)"),
        ("password_ageing", ({}, {"min_days": 1, "max_days": 5, "warn_days": 1}, "x"), {}, "'x'"),
    ],
)
def test_errors_start_with_the_fqcn_and_name_the_value(name, args, kwargs, shown):
    _, func = load(name)
    with pytest.raises(AnsibleFilterError) as err:
        func(*args, **kwargs)
    assert str(err.value).startswith(f"bulwark.hardening.{name}: ")
    assert shown in str(err.value)


def test_password_ageing_accepts_the_float_jinja_gives_for_today():
    _, func = load("password_ageing")
    shadow = {"bob": ["$6$s$h", "20000", "0", "99999", "7", "", "", ""]}
    plan = func(shadow, {"min_days": 1, "max_days": 365, "warn_days": 14}, 20010.0)
    assert [item["name"] for item in plan["change"]] == ["bob"]
