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
    C(pubkey_accepted_algorithms)).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    crypto_lists,
)

_FQCN = "bulwark.hardening.ssh_crypto"


def ssh_crypto_filter(
    openssh: dict,
    overrides: dict | None = None,
    *,
    profile: str = "modern",
    rsa_host_key: bool = False,
    rsa_pubkey: bool = True,
) -> dict:
    if not isinstance(openssh, dict) or not (overrides is None or isinstance(overrides, dict)):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the ssh_query result and a mapping, got {openssh!r}, {overrides!r}"
        )
    try:
        return crypto_lists(
            openssh, overrides, profile=profile, rsa_host_key=rsa_host_key, rsa_pubkey=rsa_pubkey
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: all five OpenSSH algorithm lists for a host."""

    def filters(self) -> dict[str, object]:
        return {"ssh_crypto": ssh_crypto_filter}
