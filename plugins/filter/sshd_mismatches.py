# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_mismatches
short_description: The expected sshd settings that sshd -T shows otherwise
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Compares the output of C(sshd -T) (lower-case keywords, first value kept) with the settings
    the role wrote; a difference means something read before sshd_config (an option on the
    command line, an Include) overrides them.
options:
  _input:
    description: The output of C(sshd -T).
    type: str
    required: true
  expected:
    description: Keyword (lower case) to value as C(sshd -T) prints it.
    type: dict
    required: true
"""

EXAMPLES = r"""
---
- name: What does sshd show otherwise?
  ansible.builtin.debug:
    msg: >-
      {{ 'maxauthtries 6'
         | bulwark.hardening.sshd_mismatches({'maxauthtries': '3', 'x11forwarding': 'no'}) }}
  # {'maxauthtries': '6', 'x11forwarding': None}
"""

RETURN = r"""
_value:
  description: Keyword to the value C(sshd -T) shows (null when it shows none), for each
    expected setting that differs; empty when all match.
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    effective_mismatches,
)

_FQCN = "bulwark.hardening.sshd_mismatches"


def sshd_mismatches_filter(sshd_t: str, expected: dict) -> dict:
    if not isinstance(sshd_t, str) or not isinstance(expected, dict):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the text of sshd -T and a mapping, got {sshd_t!r}, {expected!r}"
        )
    try:
        return effective_mismatches(sshd_t, expected)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: expected sshd settings that sshd -T shows otherwise."""

    def filters(self) -> dict[str, object]:
        return {"sshd_mismatches": sshd_mismatches_filter}
