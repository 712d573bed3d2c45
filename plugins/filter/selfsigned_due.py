# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: selfsigned_due
short_description: The self-signed sites of nginx_proxy whose key or certificate must be made
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Reads the nginx_proxy role's probe of its self-signed placeholders (for each site, a
    section C(==> KEY <==) with the key's and the certificate's mode and owner, the key's type,
    both public keys' SHA-1, the certificate's subject and its subjectAltName, basicConstraints
    and extendedKeyUsage) and returns the sites whose key or certificate the crypto modules
    would make or change. The others cost no round trip on a rerun.
options:
  _input:
    description: The self-signed sites (C(name), C(certificate_key), C(server_names)).
    type: list
    elements: dict
    required: true
  probe:
    description: The probe's output.
    type: str
    required: true
  key_type:
    description: C(ecdsa) or C(rsa).
    type: str
    required: true
  curve:
    description: The EC curve's OpenSSL name (C(prime256v1)), for C(ecdsa).
    type: str
    default: ''
  rsa_bits:
    description: The RSA key size, for C(rsa).
    type: int
    default: 2048
"""

EXAMPLES = r"""
---
- name: Sites whose self-signed certificate must be made
  ansible.builtin.set_fact:
    _due: >-
      {{ _nginx_proxy_selfsigned
         | bulwark.hardening.selfsigned_due(__probe.stdout, 'ecdsa', 'prime256v1') }}
"""

RETURN = r"""
_value:
  description: The names of the sites that are due, in order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._selfsigned import (  # noqa: E402
    selfsigned_due,
)

_FQCN = "bulwark.hardening.selfsigned_due"


def selfsigned_due_filter(
    sites: list, probe: str, key_type: str, curve: str = "", rsa_bits: int = 2048
) -> list[str]:
    if not isinstance(sites, list):
        raise AnsibleFilterError(f"{_FQCN}: expects a list of sites, got {type(sites).__name__}")
    try:
        return selfsigned_due(sites, probe or "", key_type, curve or "", int(rsa_bits or 2048))
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: self-signed sites that are due."""

    def filters(self) -> dict[str, object]:
        return {"selfsigned_due": selfsigned_due_filter}
