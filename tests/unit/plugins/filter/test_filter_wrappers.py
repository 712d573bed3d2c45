# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter entry points: registration, FQCN-prefixed errors, warnings,
and the nginx-safety property at the level a playbook sees."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

# Every filter file the collection ships, found rather than listed by hand.
FILTERS = sorted(
    p.stem
    for p in (Path(__file__).resolve().parents[4] / "plugins" / "filter").glob("*.py")
    if not p.name.startswith("_")
)


def load(name):
    module = importlib.import_module(f"ansible_collections.bulwark.hardening.plugins.filter.{name}")
    return module, module.FilterModule().filters()[name]


@pytest.mark.parametrize("name", FILTERS)
def test_each_file_registers_its_filter_and_documents_it(name):
    module, func = load(name)
    assert callable(func)
    assert f"name: {name}\n" in module.DOCUMENTATION
    assert re.search(r"^version_added: [0-9]+\.[0-9]+\.[0-9]+$", module.DOCUMENTATION, re.M)
    assert module.EXAMPLES.strip()
    assert "_value:" in module.RETURN


# One bad call (at least) for every filter: test_every_filter_has_a_bad_call
# fails when a new filter file comes without one.
BAD_CALLS = [
    ("app_settings", ({"framework": "rails"},), {}, "'rails'"),
    ("csp", ({"default-scr": ["self"]},), {}, "'default-scr'"),
    ("csp_parse", ("default-src self",), {}, "'self'"),
    ("files_to_write", ([{"dest": "/x", "content": ""}], "/x 1a 6z9 root:root"), {}, "6z9"),
    ("hsts", (-5,), {}, "-5"),
    ("paths_to_make", ([{"path": "/x", "state": "link"}], ""), {}, "'link'"),
    ("selfsigned_due", ([], "", "dsa"), {}, "'dsa'"),
    ("ip_networks", (["10.0.0.300/8"],), {}, "'10.0.0.300/8'"),
    ("login_facts", (42,), {}, "42"),
    ("nginx_quote", ("a\nb",), {}, "'a\\nb'"),
    ("ocsp_stapling", (None,), {"mode": "on"}, "'on'"),
    ("proxy_sites_certbot", ("shop",), {}, "'shop'"),
    (
        "certbot_plan",
        ({"name": "x"}, {}, ""),
        {"email": "a", "server": "b", "deploy_hook": "c"},
        "'x'",
    ),
    ("password_ageing", ({}, {"max_days": -3}, 0), {}, "'max_days': -3"),
    ("permissions_policy", ({"camera": ["none"]},), {}, "'none'"),
    ("posture_report", ({"web1": "not probes"},), {}, "'not probes'"),
    ("security_headers", ({"Expect-CT": "max-age=1"},), {}, "Expect-CT"),
    ("ssh_algorithms", ("curve25519-sha256",), {"kind": "kex"}, "curve25519-sha256"),
    ("sysctl_settings", ({"net.ipv4.ip_forward": "x"}, {}), {}, "'x'"),
    ("ssh_algorithms", (42, "kex"), {}, "42"),
    ("tls_profile", ("paranoid",), {}, "'paranoid'"),
    ("tls_profile", ("modern",), {"openssl_version": "LibreSSL 3.8.2"}, "LibreSSL"),
    ("ufw_purge", ([], "### tuple ### allow tcp 22\n"), {}, "'allow tcp 22'"),
    ("ufw_rules", ([{"port": 70000, "proto": "tcp"}],), {}, "70000"),
    ("caa_report", (42, {}, {}), {}, "got 42"),
    ("fail2ban_jail_actions", (42,), {}, "got 42"),
    ("proxy_sites", ([], {"csp": "x"}), {}, "missing ['certificate'"),
    ("ssh_crypto", (42,), {}, "got 42, None"),
    ("ssh_query", (42,), {}, "got 42"),
    ("sshd_host_state", (42,), {}, "got 42, 3072"),
    ("sshd_keys_files", (42, "operator", "/home/operator"), {}, "got 42, 'operator'"),
    ("sshd_login_refusals", ("",), {}, "got ''"),
    ("sshd_mismatches", ("port 22", 42), {}, "got 'port 22', 42"),
    ("sshd_usable_keys", ("ssh-ed25519 AAAA", []), {}, "got 'ssh-ed25519 AAAA', []"),
    ("ufw_changes", ("", 42), {}, "got '', 42"),
    ("ufw_plan", ([], 22), {}, "got 22"),
]


def test_every_filter_has_a_bad_call():
    assert sorted({name for name, *_ in BAD_CALLS}) == FILTERS


@pytest.mark.parametrize(("name", "args", "kwargs", "shown"), BAD_CALLS)
def test_errors_start_with_the_fqcn_and_name_the_value(name, args, kwargs, shown):
    _, func = load(name)
    with pytest.raises(AnsibleFilterError) as err:
        func(*args, **kwargs)
    message = str(err.value)
    assert message.startswith(f"bulwark.hardening.{name}: ")
    assert shown in message


def test_tls_profile_old_prints_a_warning(monkeypatch):
    module, func = load("tls_profile")
    seen = []
    monkeypatch.setattr(module.display, "warning", seen.append)
    result = func("old", openssl_version="3.0.2", nginx_version="1.22.1")
    assert result["guidelines_version"] == "5.7"
    assert len(seen) == 1
    assert seen[0].startswith("bulwark.hardening.tls_profile: profile 'old'")


def test_tls_profile_modern_prints_no_warning(monkeypatch):
    module, func = load("tls_profile")
    seen = []
    monkeypatch.setattr(module.display, "warning", seen.append)
    func("modern", openssl_version="3.5.0", nginx_version="1.26.3")
    assert seen == []


def nginx_safe(value: str) -> bool:
    if any(ord(c) < 0x20 or ord(c) >= 0x7F for c in value):
        return False
    stripped = value.replace("\\\\", "").replace('\\"', "")
    return '"' not in stripped and "\\" not in stripped


_text = st.text(max_size=80)


@given(_text)
def test_csp_parse_arbitrary_text(text):
    _, func = load("csp_parse")
    try:
        mapping = func(text)
    except AnsibleFilterError:
        return
    assert nginx_safe(load("csp")[1](mapping))


@given(st.dictionaries(_text, st.lists(_text, max_size=3), max_size=3))
def test_csp_arbitrary_mapping(mapping):
    try:
        value = load("csp")[1](mapping)
    except AnsibleFilterError:
        return
    assert nginx_safe(value)


@given(st.dictionaries(_text, st.lists(_text, max_size=3), max_size=3))
def test_permissions_policy_arbitrary_mapping(mapping):
    try:
        value = load("permissions_policy")[1](mapping)
    except AnsibleFilterError:
        return
    assert nginx_safe(value)


@given(st.one_of(st.integers(), _text), st.booleans(), st.booleans())
def test_hsts_arbitrary_input(max_age, subdomains, preload):
    try:
        value = load("hsts")[1](max_age, include_subdomains=subdomains, preload=preload)
    except AnsibleFilterError:
        return
    assert nginx_safe(value)


@given(_text)
def test_nginx_quote_arbitrary_text(text):
    try:
        value = load("nginx_quote")[1](text)
    except AnsibleFilterError:
        return
    assert value.startswith('"') and value.endswith('"')
    assert nginx_safe(value[1:-1])


@given(st.dictionaries(_text, st.one_of(_text, st.none()), max_size=3), _text)
def test_security_headers_arbitrary_overrides_and_csp(overrides, csp):
    try:
        headers = load("security_headers")[1](overrides, csp=csp)
    except AnsibleFilterError:
        return
    assert all(nginx_safe(h["name"]) and nginx_safe(h["value"]) for h in headers)


ROOT = Path(__file__).resolve().parents[4]


def _used_by_the_collection(name):
    """Whether a role or playbook of the collection calls the filter."""
    call = re.compile(rf"bulwark\.hardening\.{name}\b")
    files = [
        *ROOT.glob("roles/*/*/*.yml"),
        *ROOT.glob("roles/*/templates/**/*.j2"),
        *ROOT.glob("playbooks/**/*.yml"),
    ]
    return any(call.search(f.read_text()) for f in files)


@pytest.mark.parametrize("name", FILTERS)
def test_filters_no_role_calls_are_marked_user_facing(name):
    module, _ = load(name)
    readme = (ROOT / "README.md").read_text()
    assert f"`{name}`" in readme, f"README.md does not list the filter {name}"
    marked = "User-facing API" in module.DOCUMENTATION
    assert marked != _used_by_the_collection(name), (
        f"{name}: DOCUMENTATION says 'User-facing API' only when no role or playbook calls it"
    )
