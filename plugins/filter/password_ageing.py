# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: password_ageing
short_description: The accounts to give password ageing, never a key-only login
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - From the shadow database, picks the accounts whose password ageing (minimum, maximum and
    warning days) should be set with C(chage).
  - Only accounts with a usable password hash are aged. Accounts without a password or with a
    locked one (key-only logins), the account the play logs in as, the names in O(exclude), and
    passwords already older than the new maximum (ageing them would expire them at once) are
    left alone and listed with the reason.
options:
  _input:
    description: The shadow entries, as C(ansible.builtin.getent database=shadow) returns them,
      or the lines of C(getent shadow) (text); only the first character and the length of a
      password hash are read, so a probe may mask the rest.
    type: raw
    required: true
  ageing:
    description: C(min_days), C(max_days) and C(warn_days), whole numbers of days.
    type: dict
    required: true
  today:
    description: Days since 1970-01-01 (for example C(now(utc=true).timestamp() // 86400)).
    type: int
    required: true
  login_user:
    description: The account the play logs in as; its expiry is never touched.
    type: str
    default: ''
  exclude:
    description: Account names never aged.
    type: list
    elements: str
    default: [root]
"""

EXAMPLES = r"""
---
- name: Accounts to age
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts['getent_shadow'] | bulwark.hardening.password_ageing(
           {'min_days': 1, 'max_days': 365, 'warn_days': 14}, 20424, login_user='deploy') }}
  # {'change': [{'name': 'alice', 'min_days': 1, 'max_days': 365, 'warn_days': 14}],
  #  'left': [{'name': 'deploy', 'reason': 'the account this play logs in as: ...'}]}
"""

RETURN = r"""
_value:
  description: C(change), the accounts to set with their ageing; C(left), accounts with a password
    left alone, each with a C(reason).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._accounts import (  # noqa: E402
    password_ageing_plan,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.password_ageing"


def password_ageing_filter(
    shadow: dict,
    ageing: dict,
    today: int,
    login_user: str = "",
    exclude: list | None = None,
) -> dict:
    if isinstance(today, float) and today.is_integer():
        today = int(today)  # Jinja's // on a timestamp gives a float
    try:
        return password_ageing_plan(
            shadow, ageing, today, login_user, ["root"] if exclude is None else exclude
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: password ageing plan."""

    def filters(self) -> dict[str, object]:
        return {"password_ageing": password_ageing_filter}
