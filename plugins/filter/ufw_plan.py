# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_plan
short_description: The ufw role's rules, checked, SSH first
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Builds the SSH rules (C(ufw_ssh_ports) plus the port the play connects on when it connects
    over SSH, so the play never cuts its own session), the web rules (C(ufw_web_ports)) and the
    listed C(ufw_rules), each checked and normalised by the same code as
    P(bulwark.hardening.ufw_rules#filter); errors name the variable.
options:
  _input:
    description: C(ufw_rules).
    type: list
    elements: dict
    required: true
  ssh_ports:
    description: C(ufw_ssh_ports).
    type: list
    elements: int
    required: true
  web_ports:
    description: C(ufw_web_ports).
    type: list
    elements: int
  login:
    description: The C(bulwark_login) fact (C(over_ssh), C(port)).
    type: dict
  ssh_rule:
    description: C(ufw_ssh_rule).
    type: str
    default: limit
  ssh_from:
    description: C(ufw_ssh_from).
    type: str
    default: any
  allow_ssh:
    description: C(ufw_allow_ssh); false adds no SSH rule.
    type: bool
    default: true
  ipv6:
    description: C(ufw_ipv6).
    type: bool
    default: true
"""

EXAMPLES = r"""
---
- name: The rules to add
  ansible.builtin.set_fact:
    _ufw_plan: >-
      {{ ufw_rules | bulwark.hardening.ufw_plan(ufw_ssh_ports, ufw_web_ports,
                                                login=bulwark_login) }}
"""

RETURN = r"""
_value:
  description: C(ssh) (the SSH rules) and C(rules) (web rules, then ufw_rules), each a list
    as P(bulwark.hardening.ufw_rules#filter) returns it.
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._ufw import (  # noqa: E402
    ufw_plan,
)

_FQCN = "bulwark.hardening.ufw_plan"


def ufw_plan_filter(
    rules: list,
    ssh_ports: list,
    web_ports: list | None = None,
    *,
    login: dict | None = None,
    ssh_rule: str = "limit",
    ssh_from: str = "any",
    allow_ssh: bool = True,
    ipv6: bool = True,
) -> dict:
    if login is not None and not isinstance(login, dict):
        raise AnsibleFilterError(f"{_FQCN}: login must be the bulwark_login mapping, got {login!r}")
    try:
        return ufw_plan(
            rules,
            ssh_ports,
            web_ports or [],
            login=login,
            ssh_rule=ssh_rule,
            ssh_from=ssh_from,
            allow_ssh=allow_ssh,
            ipv6=ipv6,
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the ufw role's checked rule lists."""

    def filters(self) -> dict[str, object]:
        return {"ufw_plan": ufw_plan_filter}
