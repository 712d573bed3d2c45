# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ocsp_stapling
short_description: Decide whether nginx staples OCSP responses for a certificate, and say why
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Stapling only when asked for (C(auto)), when the TLS profile wants it, and when the
    certificate names an http:// OCSP responder. Self-signed certificates name none, nor,
    since 2025, Let's Encrypt's (it stopped running OCSP); nginx would only log errors.
options:
  _input:
    description: The OCSP responder URL of the certificate (C(ocsp_uri) from
      C(community.crypto.x509_certificate_info)), or null.
    type: str
    required: true
  mode:
    description: C(auto) or C(off) (C(nginx_proxy_ocsp_stapling)).
    type: str
    default: auto
  profile_wants:
    description: Whether the TLS profile asks for stapling (C(ocsp_stapling) of
      C(bulwark.hardening.tls_profile)).
    type: bool
    default: true
"""

EXAMPLES = r"""
---
- name: Stapling for a certificate without a responder
  ansible.builtin.debug:
    msg: "{{ none | bulwark.hardening.ocsp_stapling }}"
  # {staple: false, reason: the certificate names no OCSP responder ...}
"""

RETURN = r"""
_value:
  description: C({staple, reason}).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._proxy_sites import (  # noqa: E402
    ocsp_stapling,
)

_FQCN = "bulwark.hardening.ocsp_stapling"


def ocsp_stapling_filter(ocsp_uri: object, mode: object = "auto", profile_wants: object = True):
    try:
        return ocsp_stapling(mode, profile_wants, ocsp_uri)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: OCSP stapling decision."""

    def filters(self) -> dict[str, object]:
        return {"ocsp_stapling": ocsp_stapling_filter}
