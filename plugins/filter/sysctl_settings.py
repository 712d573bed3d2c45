# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sysctl_settings
short_description: The kernel settings to write and to apply on a host, and those to skip
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Decides, key by key, which wanted sysctl settings go into a C(/etc/sysctl.d/) drop-in and
    which are set at once, from what a probe of the target found.
  - Keys the running kernel lacks are skipped. The forwarding keys are left alone on a host
    that routes (C(ip_forward) already 1, or a container engine installed) unless
    O(forwarding=disable).
  - In a container, keys outside the network namespace belong to the host's kernel; they stay in
    the drop-in with a leading C(-) (C(sysctl --system) ignores a failure to set them) and are
    skipped with a reason, never reported as applied. So are keys that are read-only there.
options:
  _input:
    description: The wanted settings, sysctl key to integer (or integers separated by spaces).
    type: dict
    required: true
  environment:
    description:
      - What the probe found. C(container) (bool), C(present) and C(writable) (lists of keys found
        under C(/proc/sys), and writable there), C(current) (key to value read from C(/proc/sys)),
        C(ip_forward) (bool), C(container_engine) (bool).
    type: dict
    required: true
  forwarding:
    description: C(auto) leaves the forwarding keys alone on a routing host, C(keep) always,
      C(disable) never.
    type: str
    default: auto
    choices: [auto, keep, disable]
"""

EXAMPLES = r"""
---
- name: Plan the sysctl drop-in
  ansible.builtin.set_fact:
    __plan: >-
      {{ {'kernel.dmesg_restrict': 1, 'net.ipv4.ip_forward': 0}
         | bulwark.hardening.sysctl_settings({'container': true, 'ip_forward': true,
             'present': ['kernel.dmesg_restrict', 'net.ipv4.ip_forward'],
             'writable': ['net.ipv4.ip_forward']}) }}
  # {'write': [{'key': 'kernel.dmesg_restrict', 'value': '1', 'optional': true}],
  #  'apply': {}, 'already': [], 'routing': true,
  #  'skipped': [{'key': 'kernel.dmesg_restrict', 'reason': 'not applied: in a container ...'},
  #              {'key': 'net.ipv4.ip_forward', 'reason': 'left alone: this host routes ...'}]}
"""

RETURN = r"""
_value:
  description:
    - C(write) the drop-in lines (C(key), C(value), C(optional)), C(apply) the keys to set now
      with their values (those not already set), C(already) the keys already set, C(skipped)
      every other key with a C(reason), C(routing) whether the host
      was found to route packets.
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sysctl import (  # noqa: E402
    sysctl_plan,
)

_FQCN = "bulwark.hardening.sysctl_settings"


def sysctl_settings_filter(settings: dict, environment: dict, forwarding: str = "auto") -> dict:
    try:
        return sysctl_plan(settings, environment, forwarding)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: sysctl drop-in and apply plan."""

    def filters(self) -> dict[str, object]:
        return {"sysctl_settings": sysctl_settings_filter}
