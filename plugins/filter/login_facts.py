# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: login_facts
short_description: How the play logs in to a host (account, SSH or not, port)
version_added: 1.0.0
author: bulwark.hardening maintainers
description:
  - Combines a probe run on the host without become (C(id -un) and C($SSH_CONNECTION)) with
    the play's C(ansible_connection) and C(ansible_port).
  - The internal C(bulwark) role sets the result as the fact C(bulwark_login) once per host;
    the sshd role uses it for its lockout checks and fresh-login proof, the ufw role for the
    port it always keeps open.
options:
  _input:
    description: The probe's output, two lines (account, then SSH_CONNECTION or empty).
    type: str
    required: true
  connection:
    description: C(ansible_connection); unset means C(ssh).
    type: str
  port:
    description: C(ansible_port), when set.
    type: raw
"""

EXAMPLES = r"""
---
- name: Read how the play got in
  ansible.builtin.debug:
    msg: "{{ 'operator\n192.0.2.9 50000 192.0.2.1 2222\n' | bulwark.hardening.login_facts('ssh') }}"
  # {'user': 'operator', 'session': true, 'client': '192.0.2.9', 'over_ssh': true, 'port': 2222}
"""

RETURN = r"""
_value:
  description: C(user), C(session) (the login came through sshd), C(client) (the address the
    session came from, or null), C(over_ssh) (Ansible's
    connection is SSH) and C(port) (the SSH port in use, or null when neither).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._connection import (  # noqa: E402
    login_facts,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.login_facts"


def login_facts_filter(probe: str, connection: str | None = None, port: object = None) -> dict:
    if not isinstance(probe, str):
        raise AnsibleFilterError(f"{_FQCN}: input must be the probe's text, got {probe!r}")
    try:
        return login_facts(probe, connection, port)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: login facts from a probe and the connection variables."""

    def filters(self) -> dict[str, object]:
        return {"login_facts": login_facts_filter}
