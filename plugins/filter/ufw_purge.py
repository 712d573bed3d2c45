# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_purge
short_description: The ufw rules on a host that a wanted list does not hold
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Compares the C(tuple) lines of C(/etc/ufw/user.rules) and C(user6.rules) with
    the rules returned by P(bulwark.hardening.ufw_rules#filter) and returns the extra rules as
    M(community.general.ufw) parameters with C(delete=true), so they can be deleted one by one
    by their specification (never by number, which shifts when fail2ban adds a ban).
  - An any-to-any rule is one ufw rule for both IP versions; it is never deleted while its
    copy for the other version is wanted.
options:
  _input:
    description: The wanted rules, as returned by P(bulwark.hardening.ufw_rules#filter).
    type: list
    elements: dict
    required: true
  user_rules:
    description: Content of C(/etc/ufw/user.rules).
    type: str
    required: true
  user6_rules:
    description: Content of C(/etc/ufw/user6.rules).
    type: str
    default: ''
  keep_comments:
    description: Rules whose comment starts with one of these are kept (fail2ban's bans).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
---
- name: Rules to delete
  ansible.builtin.debug:
    msg: >-
      {{ _wanted | bulwark.hardening.ufw_purge(user_rules, user6_rules,
                                               keep_comments=['by Fail2Ban']) }}
  # [{'rule': 'allow', 'from_ip': 'any', 'to_ip': 'any', 'delete': true, 'proto': 'tcp',
  #   'to_port': '9999', 'direction': 'in', 'line': 'allow tcp 9999 0.0.0.0/0 any 0.0.0.0/0 in'}]
"""

RETURN = r"""
_value:
  description: community.general.ufw parameters (C(delete=true)) for each rule to remove, plus
    C(line), the rule as ufw wrote it.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._firewall import (  # noqa: E402
    ufw_purge,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.ufw_purge"


def ufw_purge_filter(
    wanted: list, user_rules: str, user6_rules: str = "", keep_comments: list | None = None
) -> list[dict]:
    try:
        return ufw_purge(wanted, user_rules, user6_rules, tuple(keep_comments or ()))
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: ufw rules to purge."""

    def filters(self) -> dict[str, object]:
        return {"ufw_purge": ufw_purge_filter}
