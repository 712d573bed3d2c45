# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_networks
short_description: Check a list of IP addresses and CIDR networks
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Checks that every entry is an IPv4 or IPv6 address or CIDR network and returns the list
    normalised the way ufw and fail2ban write addresses (host bits cleared, C(/32) and
    C(/128) dropped), without duplicates.
  - Host names are refused; a firewall or ban exception that depends on DNS is a weakness.
  - Fails naming the variable and the index of the first bad entry, so a role can check its
    input before it changes anything.
options:
  _input:
    description: The addresses.
    type: list
    elements: str
    required: true
  name:
    description: The variable name used in error messages.
    type: str
    default: addresses
"""

EXAMPLES = r"""
---
- name: Check fail2ban's ignore list
  ansible.builtin.debug:
    msg: >-
      {{ ['10.0.0.7/24', '2001:db8::1/128']
         | bulwark.hardening.ip_networks(name='fail2ban_ignoreip') }}
  # ['10.0.0.0/24', '2001:db8::1']
"""

RETURN = r"""
_value:
  description: The normalised addresses.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._firewall import (  # noqa: E402
    ip_networks,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.ip_networks"


def ip_networks_filter(values: list, name: str = "addresses") -> list[str]:
    try:
        return ip_networks(values, name)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: IP address / CIDR list check."""

    def filters(self) -> dict[str, object]:
        return {"ip_networks": ip_networks_filter}
