# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_rules
short_description: Check and normalise ufw rule mappings
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Checks a list of ufw rule mappings (keys C(rule), C(port), C(proto), C(from), C(to),
    C(interface), C(direction), C(comment)), and returns them normalised, so that a role can
    refuse bad input before it touches the firewall.
  - User-facing API, for your own playbooks and templates (no role of this collection calls
    it since the ufw role plans its rules with P(bulwark.hardening.ufw_plan#filter), which
    checks them the same way; it changes incompatibly only in a major release).
  - C(port) is a port, a range C(low:high) or a comma list of them (1-65535); ranges and lists
    need C(proto) tcp or udp. C(from) and C(to) are C(any), an address or a CIDR network.
  - Each returned rule also holds C(tuples), the rule as ufw writes it into
    C(/etc/ufw/user.rules) and C(user6.rules) (without comment, suffixed with the IP version),
    which M(community.general.ufw) does not report; the P(bulwark.hardening.ufw_purge#filter)
    filter compares them with the rules on the host.
options:
  _input:
    description: The rules.
    type: list
    elements: dict
    required: true
  name:
    description: The variable name used in error messages.
    type: str
    default: ufw_rules
  ipv6:
    description: Whether ufw manages IPv6 too (C(IPV6=yes)); rules without addresses then
      apply to both versions, and IPv6 addresses are refused when false.
    type: bool
    default: true
"""

EXAMPLES = r"""
---
- name: Normalise the rules
  ansible.builtin.set_fact:
    _rules: >-
      {{ [{'rule': 'allow', 'port': 443, 'proto': 'tcp', 'from': '10.0.0.9/24'}]
         | bulwark.hardening.ufw_rules }}
  # [{'rule': 'allow', 'port': '443', 'proto': 'tcp', 'from': '10.0.0.0/24', 'to': 'any',
  #   'interface': None, 'direction': 'in', 'comment': None,
  #   'tuples': ['allow tcp 443 0.0.0.0/0 any 10.0.0.0/24 in v4']}]
"""

RETURN = r"""
_value:
  description: The rules, normalised (missing keys filled in with rule allow, proto any,
    direction in, from/to any), duplicates removed, each with its C(tuples).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._firewall import (  # noqa: E402
    ufw_rules,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.ufw_rules"


def ufw_rules_filter(rules: list, name: str = "ufw_rules", ipv6: bool = True) -> list[dict]:
    try:
        return ufw_rules(rules, name, ipv6=bool(ipv6))
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: ufw rule check and normalisation."""

    def filters(self) -> dict[str, object]:
        return {"ufw_rules": ufw_rules_filter}
