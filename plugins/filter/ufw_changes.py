# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_changes
short_description: What differs between ufw on the host and the wanted state
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Reads one probe of the host (C(ufw status verbose), then C(==> PATH <==) and the text of
    C(/etc/default/ufw), C(/etc/ufw/ufw.conf), C(/etc/ufw/user.rules) and C(/etc/ufw/user6.rules),
    then C(==> ufw.service <==) and C(systemctl is-enabled ufw)) and returns only
    what must change, so the ufw role calls M(community.general.ufw) for that alone.
options:
  _input:
    description: The probe's output.
    type: str
    required: true
  wanted:
    description: The rules to hold (from P(bulwark.hardening.ufw_plan#filter)).
    type: list
    elements: dict
    required: true
  ipv6:
    description: C(ufw_ipv6).
    type: bool
    default: true
  policies:
    description: Direction (C(incoming), C(outgoing), C(routed)) to policy (C(allow), C(deny),
      C(reject)).
    type: dict
  logging:
    description: C(ufw_logging).
    type: str
    default: low
  state:
    description: C(ufw_state).
    type: str
    default: enabled
  purge:
    description: C(ufw_purge); also list the rules the purge would delete.
    type: bool
    default: false
    version_added: 1.1.0
  keep_comments:
    description: C(ufw_purge_keep_comments).
    type: list
    elements: str
    default: []
    version_added: 1.1.0
"""

EXAMPLES = r"""
---
- name: What must change?
  ansible.builtin.set_fact:
    _ufw_changes: >-
      {{ __ufw_probe.stdout
         | bulwark.hardening.ufw_changes(_ufw_plan.ssh + _ufw_plan.rules) }}
"""

RETURN = r"""
_value:
  description: C(ipv6) (the IPV6 line must change), C(add) (wanted rules missing, or with
    another comment), C(policies) (C(direction)/C(policy) to set), C(logging), C(state)
    and C(boot) (bools), C(active), and C(user_rules)/C(user6_rules) (the files' text, for
    P(bulwark.hardening.ufw_purge#filter)); C(purge) (the rules the purge would delete, with
    O(purge)) and C(live) (whether the run changes what filters traffic, by enabling or
    disabling ufw, or by the rules, policies, IPv6 setting or purged rules of a firewall
    that is or will be active; the ufw role arms its commit-confirmed revert then).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._ufw import (  # noqa: E402
    ufw_changes,
)

_FQCN = "bulwark.hardening.ufw_changes"


def ufw_changes_filter(
    probe: str,
    wanted: list,
    *,
    ipv6: bool = True,
    policies: dict | None = None,
    logging: str = "low",
    state: str = "enabled",
    purge: bool = False,
    keep_comments: list | None = None,
) -> dict:
    if not isinstance(probe, str) or not isinstance(wanted, list):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the probe's text and the wanted rules, got {probe!r}, {wanted!r}"
        )
    try:
        return ufw_changes(
            probe,
            wanted,
            ipv6=ipv6,
            policies=policies,
            logging=logging,
            state=state,
            purge=purge,
            keep_comments=keep_comments or (),
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: what differs between ufw on the host and the wanted state."""

    def filters(self) -> dict[str, object]:
        return {"ufw_changes": ufw_changes_filter}
