# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_keys_files
short_description: Where sshd looks up an account's authorized keys
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Reads C(AuthorizedKeysFile) from the output of C(sshd -T) (OpenSSH's default when it is
    not shown), expands C(%h), C(%u) and C(%%), and puts relative paths under the home directory.
  - Also says whether keys may come from elsewhere (C(AuthorizedKeysCommand) or
    C(TrustedUserCAKeys) set), when missing key files prove nothing.
options:
  _input:
    description: The output of C(sshd -T) (may be empty).
    type: str
    required: true
  user:
    description: The account.
    type: str
    required: true
  home:
    description: Its home directory.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: Where are the operator's keys?
  ansible.builtin.debug:
    msg: >-
      {{ 'authorizedkeysfile .ssh/authorized_keys /etc/ssh/keys/%u'
         | bulwark.hardening.sshd_keys_files('op', '/home/op') }}
  # {'files': ['/home/op/.ssh/authorized_keys', '/etc/ssh/keys/op'], 'elsewhere': false}
"""

RETURN = r"""
_value:
  description: C(files) (absolute paths) and C(elsewhere) (bool).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    authorized_keys_files,
)

_FQCN = "bulwark.hardening.sshd_keys_files"


def sshd_keys_files_filter(sshd_t: str, user: str, home: str) -> dict:
    if not isinstance(sshd_t, str) or not isinstance(user, str) or not isinstance(home, str):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the text of sshd -T, the account and its home,"
            f" got {sshd_t!r}, {user!r}, {home!r}"
        )
    try:
        return authorized_keys_files(sshd_t, user, home)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: where sshd looks up an account's authorized keys."""

    def filters(self) -> dict[str, object]:
        return {"sshd_keys_files": sshd_keys_files_filter}
