# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh_crypto
short_description: All five OpenSSH algorithm lists for a host, from one probe
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Chooses C(kex), C(ciphers), C(macs), C(host_key_algorithms) and
    C(pubkey_accepted_algorithms) at once from the result of
    P(bulwark.hardening.ssh_query#filter) - the profile's choice by
    P(bulwark.hardening.ssh_algorithms#filter), or a user's override list once every name in
    it is one the host's OpenSSH lists (else an error naming the variable and the names).
options:
  _input:
    description: The P(bulwark.hardening.ssh_query#filter) result (with the C(ssh -Q) lists).
    type: dict
    required: true
  overrides:
    description: Kind to a pair (variable name, list); an empty list uses the profile.
    type: dict
  profile:
    description: C(modern) or C(intermediate).
    type: str
    default: modern
  rsa_host_key:
    description: Offer RSA host key signatures.
    type: bool
    default: false
  rsa_pubkey:
    description: Accept RSA user keys.
    type: bool
    default: true
  errors:
    description: Return the list of problems with the overrides (one message per variable
      naming algorithms the host does not support) instead of the lists, for an assert.
    type: bool
    default: false
"""

EXAMPLES = r"""
---
- name: The client's algorithm lists
  ansible.builtin.set_fact:
    _crypto: "{{ bulwark_openssh | bulwark.hardening.ssh_crypto(profile='modern') }}"
"""

RETURN = r"""
_value:
  description: One list per kind (C(kex), C(ciphers), C(macs), C(host_key_algorithms),
    C(pubkey_accepted_algorithms)); with O(errors=true), the list of messages (empty when
    every override is supported).
  type: raw
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    crypto_lists,
    override_errors,
)

_FQCN = "bulwark.hardening.ssh_crypto"


def ssh_crypto_filter(
    openssh: dict,
    overrides: dict | None = None,
    *,
    profile: str = "modern",
    rsa_host_key: bool = False,
    rsa_pubkey: bool = True,
    errors: bool = False,
) -> dict | list:
    if not isinstance(openssh, dict) or not (overrides is None or isinstance(overrides, dict)):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the ssh_query result and a mapping, got {openssh!r}, {overrides!r}"
        )
    try:
        if errors:
            return override_errors(openssh, overrides)
        return crypto_lists(
            openssh, overrides, profile=profile, rsa_host_key=rsa_host_key, rsa_pubkey=rsa_pubkey
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: all five OpenSSH algorithm lists for a host."""

    def filters(self) -> dict[str, object]:
        return {"ssh_crypto": ssh_crypto_filter}
