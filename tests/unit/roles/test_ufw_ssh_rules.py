# SPDX-License-Identifier: GPL-3.0-or-later
"""The ufw role's SSH rules always include the port the play connects on.

Runs the role's own defaults and preflight task (the bulwark.hardening.ufw_plan
filter) with ansible-playbook on localhost for several connection types and
ports, with bulwark_login computed by the same filter the bulwark role uses, so
the rule list the role adds before enabling the firewall is checked without a
firewall.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEFAULTS = REPO / "roles" / "ufw" / "defaults" / "main.yml"
PREFLIGHT = REPO / "roles" / "ufw" / "tasks" / "preflight.yml"

# Only controller-side actions (include_vars, debug): no connection is opened,
# whatever ansible_connection the case sets.
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_vars: {defaults}
    - ansible.builtin.set_fact:
        bulwark_login: >-
          {{{{ probe | bulwark.hardening.login_facts(ansible_connection | default(none),
                                                    ansible_port | default(none)) }}}}
    - ansible.builtin.include_tasks: {preflight}
    - ansible.builtin.debug:
        msg: "{{{{ _ufw_plan.ssh | map(attribute='port') | map('int') | list }}}}"
"""


def ssh_rule_ports(tmp_path: Path, extra: dict) -> list[int]:
    play = tmp_path / "play.yml"
    play.write_text(PLAYBOOK.format(defaults=DEFAULTS, preflight=PREFLIGHT))
    base = {
        "bulwark_ssh_ports": [22],
        "bulwark_web_proxy": False,
        "bulwark_http_port": 80,
        "bulwark_https_port": 443,
        "probe": "operator\n",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            str(play),
            "-e",
            json.dumps(base | extra),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ
        | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return tasks[-1]["hosts"]["localhost"]["msg"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # Not over SSH (docker, local): only the configured ports.
        ({"ansible_connection": "local", "ufw_ssh_ports": [2222]}, [2222]),
        # Over SSH on 22 while sshd moves to 2222: both stay open.
        ({"ansible_connection": "ssh", "ansible_port": 22, "ufw_ssh_ports": [2222]}, [2222, 22]),
        # No ansible_port: SSH's default port.
        ({"ansible_connection": "ssh", "ufw_ssh_ports": [2222]}, [2222, 22]),
        # No ansible_port, but the probe saw sshd's port of this session.
        (
            {
                "ansible_connection": "ansible.builtin.ssh",
                "probe": "operator\n192.0.2.9 50000 192.0.2.1 2200\n",
                "ufw_ssh_ports": [2222],
            },
            [2222, 2200],
        ),
        # Already listed: not twice.
        ({"ansible_connection": "ssh", "ansible_port": 2222, "ufw_ssh_ports": [2222]}, [2222]),
        # Opting out of the SSH rules removes them all, on purpose.
        (
            {"ansible_connection": "ssh", "ufw_ssh_ports": [22], "ufw_allow_ssh": False},
            [],
        ),
    ],
)
def test_connection_port_is_always_allowed(tmp_path, extra, expected):
    assert ssh_rule_ports(tmp_path, extra) == expected
