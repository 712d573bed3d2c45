# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_usable_keys
short_description: The authorized keys sshd would still accept with new algorithms
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Finds the key type of each line of the given authorized keys texts (after any options) and
    keeps those in the new C(PubkeyAcceptedAlgorithms); an RSA key (C(ssh-rsa)) counts while an
    C(rsa-sha2-*) algorithm is accepted, C(cert-authority) lines while a certificate algorithm is.
  - The sshd role refuses to disable passwords when nothing usable is left for the login account.
options:
  _input:
    description: The texts of the authorized keys files.
    type: list
    elements: str
    required: true
  accepted:
    description: The new C(PubkeyAcceptedAlgorithms).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
---
- name: Which keys still work?
  ansible.builtin.debug:
    msg: >-
      {{ ['ssh-rsa AAAAB3... old']
         | bulwark.hardening.sshd_usable_keys(['ssh-ed25519', 'rsa-sha2-512']) }}
  # {'key_types': ['ssh-rsa'], 'usable': ['ssh-rsa']}
"""

RETURN = r"""
_value:
  description: C(key_types) (every key type found) and C(usable) (those accepted, plus usable
    cert-authority lines).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    usable_keys,
)

_FQCN = "bulwark.hardening.sshd_usable_keys"


def sshd_usable_keys_filter(contents: list, accepted: list) -> dict:
    if not isinstance(contents, list) or not isinstance(accepted, list):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the key files' texts and the accepted algorithms as lists,"
            f" got {contents!r}, {accepted!r}"
        )
    try:
        return usable_keys(contents, accepted)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the authorized keys sshd would still accept."""

    def filters(self) -> dict[str, object]:
        return {"sshd_usable_keys": sshd_usable_keys_filter}
