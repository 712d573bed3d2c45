# SPDX-License-Identifier: GPL-3.0-or-later
"""login_facts: how the play reaches a host, from a probe and its variables."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._connection import (
    is_ssh_connection,
    login_facts,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)

SESSION = "operator\n192.0.2.9 50022 192.0.2.1 2222\n"
NO_SESSION = "root\n\n"


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        (None, True),  # unset: Ansible's default is ssh
        ("ssh", True),
        ("smart", True),
        ("paramiko", True),
        ("paramiko_ssh", True),
        ("ansible.builtin.ssh", True),
        ("ansible.legacy.paramiko_ssh", True),
        ("local", False),
        ("community.docker.docker", False),
        ("ansible.builtin.local", False),
        ("sshx", False),
        ("my.ssh", False),
    ],
)
def test_ssh_connection_names(connection, expected):
    assert is_ssh_connection(connection) is expected


def test_ssh_with_port_set():
    facts = login_facts(SESSION, "ssh", 2200)
    assert facts == {
        "user": "operator",
        "session": True,
        "client": "192.0.2.9",
        "over_ssh": True,
        "port": 2200,
    }


def test_ssh_without_port_takes_the_session_port():
    assert login_facts(SESSION, "ssh", None)["port"] == 2222


def test_ssh_without_port_or_session_is_22():
    # sshd did not set SSH_CONNECTION (a ForceCommand, a wrapper): SSH's default.
    facts = login_facts("operator\n", None, None)
    assert facts == {
        "user": "operator",
        "session": False,
        "client": None,
        "over_ssh": True,
        "port": 22,
    }


def test_port_given_as_string():
    assert login_facts(SESSION, "ssh", "2022")["port"] == 2022


def test_docker_connection_has_no_port():
    facts = login_facts(NO_SESSION, "community.docker.docker", None)
    assert facts == {
        "user": "root",
        "session": False,
        "client": None,
        "over_ssh": False,
        "port": None,
    }


def test_local_connection_inside_an_ssh_session_keeps_its_port():
    # ansible-playbook run on the host itself by someone logged in over SSH:
    # that session must survive too.
    facts = login_facts(SESSION, "local", None)
    assert facts["session"] is True
    assert facts["over_ssh"] is False
    assert facts["port"] == 2222


def test_malformed_ssh_connection_is_not_a_session():
    facts = login_facts("operator\ngarbage\n", "local", None)
    assert facts["session"] is False
    assert facts["port"] is None


@pytest.mark.parametrize("probe", ["", "\n", "   \n192.0.2.9 1 192.0.2.1 22\n"])
def test_probe_without_account_is_an_error(probe):
    with pytest.raises(PolicyError, match="did not name an account"):
        login_facts(probe, "ssh", None)


@pytest.mark.parametrize("port", [0, 65536, "ssh", "22x", -1])
def test_bad_ansible_port_is_an_error(port):
    with pytest.raises(PolicyError, match="ansible_port"):
        login_facts(SESSION, "ssh", port)


def test_bad_session_port_is_an_error():
    with pytest.raises(PolicyError, match="SSH_CONNECTION"):
        login_facts("operator\n192.0.2.9 1 192.0.2.1 99999\n", "ssh", None)
