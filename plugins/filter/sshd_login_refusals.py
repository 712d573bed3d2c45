# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_login_refusals
short_description: Which sshd user and group rules would refuse an account
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Evaluates C(DenyUsers), C(AllowUsers), C(DenyGroups) and C(AllowGroups) patterns as sshd
    does for one account, its groups and the address it connects from, so the sshd role can
    refuse settings that would lock the play's own login out before they go live.
  - Patterns are C(USER) or C(USER@HOST) (users) or C(GROUP), with C(*) and C(?) wildcards; a
    leading C(!) negates. C(HOST) is matched against the client address; a CIDR C(HOST) is
    evaluated when the address is known and counts as matching when it is not.
options:
  _input:
    description: The login account.
    type: str
    required: true
  groups:
    description: The account's groups (C(id -Gn)).
    type: list
    elements: str
  client:
    description: The address the login comes from (C(bulwark_login.client)), or empty.
    type: str
  allow_users:
    description: C(sshd_allow_users); empty allows every account.
    type: list
    elements: str
  deny_users:
    description: C(sshd_deny_users).
    type: list
    elements: str
  allow_groups:
    description: C(sshd_allow_groups); empty allows every group.
    type: list
    elements: str
  deny_groups:
    description: C(sshd_deny_groups).
    type: list
    elements: str
"""

EXAMPLES = r"""
---
- name: Would the operator be refused?
  ansible.builtin.debug:
    msg: >-
      {{ 'operator' | bulwark.hardening.sshd_login_refusals(groups=['operator', 'sudo'],
                                                           allow_users=['admin']) }}
  # ['sshd_allow_users']
"""

RETURN = r"""
_value:
  description: The variables whose patterns would refuse the account, in the order
    sshd_deny_users, sshd_allow_users, sshd_deny_groups, sshd_allow_groups; empty when none would.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    login_refusals,
)

_FQCN = "bulwark.hardening.sshd_login_refusals"


def sshd_login_refusals_filter(
    user: str,
    *,
    groups: list | None = None,
    client: str | None = None,
    allow_users: list | None = None,
    deny_users: list | None = None,
    allow_groups: list | None = None,
    deny_groups: list | None = None,
) -> list[str]:
    lists = {
        "groups": groups,
        "allow_users": allow_users,
        "deny_users": deny_users,
        "allow_groups": allow_groups,
        "deny_groups": deny_groups,
    }
    for what, value in lists.items():
        if value is not None and not isinstance(value, list):
            raise AnsibleFilterError(f"{_FQCN}: {what} must be a list, got {value!r}")
    try:
        return login_refusals(
            user,
            groups or [],
            client=client,
            allow_users=allow_users or [],
            deny_users=deny_users or [],
            allow_groups=allow_groups or [],
            deny_groups=deny_groups or [],
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the sshd user and group rules that would refuse an account."""

    def filters(self) -> dict[str, object]:
        return {"sshd_login_refusals": sshd_login_refusals_filter}
