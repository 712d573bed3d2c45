# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: fail2ban_jail_actions
short_description: Each running fail2ban jail's ban actions, from one probe
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Parses C(fail2ban-client status) followed, for each jail of its C(Jail list), by a
    C(==> JAIL <==) line and C(fail2ban-client get JAIL actions).
  - fail2ban 1.0 reloads a jail whose ban action changed into one with no action; the
    fail2ban role restarts such jails and checks every jail again.
options:
  _input:
    description: The probe's output.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: Jails without a ban action
  ansible.builtin.debug:
    msg: >-
      {{ __fail2ban_jails.stdout | bulwark.hardening.fail2ban_jail_actions
         | dict2items | rejectattr('value') | map(attribute='key') }}
"""

RETURN = r"""
_value:
  description: Jail name to its list of actions (empty for a jail without one).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._fail2ban import (  # noqa: E402
    jail_actions,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.fail2ban_jail_actions"


def fail2ban_jail_actions_filter(text: str) -> dict:
    if not isinstance(text, str):
        raise AnsibleFilterError(f"{_FQCN}: input must be the probe's text, got {text!r}")
    try:
        return jail_actions(text)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: each running fail2ban jail's ban actions."""

    def filters(self) -> dict[str, object]:
        return {"fail2ban_jail_actions": fail2ban_jail_actions_filter}
