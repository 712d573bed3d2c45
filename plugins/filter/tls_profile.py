# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_profile
short_description: Mozilla Server Side TLS settings for an nginx server block
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Returns every TLS setting an nginx server block needs for a Mozilla profile. Values equal
    Mozilla's Server Side TLS guidelines version 6.0 (ssl-config-generator) exactly.
  - On top of the guideline, anything the given OpenSSL or nginx version cannot load is dropped,
    the same way Mozilla's configuration generator does, so nginx never fails to start
    (C(X25519MLKEM768) needs OpenSSL 3.5.0 or later; TLS 1.3 needs OpenSSL 1.1.1 and
    nginx 1.13.0).
  - The V(old) profile is not part of guidelines 6.0. It is accepted as an explicit legacy
    choice, taken from guidelines 5.7, and prints a warning.
options:
  _input:
    description: The Mozilla profile name.
    type: str
    required: true
    choices: [modern, intermediate, old]
  openssl_version:
    description:
      - The OpenSSL version nginx runs with on the target, as C(3.0.17) or as printed by
        C(openssl version) (C(OpenSSL 3.0.17 1 Jul 2025)).
      - When omitted nothing is dropped and a warning says so.
    type: str
  nginx_version:
    description:
      - "The nginx version on the target, as C(1.22.1) or as printed by C(nginx -v)
        (C(nginx version: nginx/1.22.1))."
      - Decides O(ignore:_value.session_tickets); when omitted, session tickets are off.
    type: str
notes:
  - C(ssl_ciphersuites) has no nginx directive; with nginx 1.19.4+ use
    C(ssl_conf_command Ciphersuites ...), or leave OpenSSL's default, which is the same set.
  - Mozilla's guideline keeps OCSP stapling on; Let's Encrypt stopped running OCSP responders
    in 2025, so roles may want to switch it off for such certificates.
seealso:
  - name: Mozilla SSL Configuration Generator
    description: The profiles (modern, intermediate, old) this filter follows.
    link: https://ssl-config.mozilla.org/
"""

EXAMPLES = r"""
---
- name: TLS settings for Debian 12 (nginx 1.22.1, OpenSSL 3.0)
  ansible.builtin.set_fact:
    nginx_proxy_tls: >-
      {{ 'intermediate' | bulwark.hardening.tls_profile(openssl_version='3.0.17',
                                                        nginx_version='1.22.1') }}
  # nginx_proxy_tls.ecdh_curves == ['X25519', 'prime256v1', 'secp384r1']

- name: Use it in a template
  ansible.builtin.debug:
    msg:
      - "ssl_protocols {{ nginx_proxy_tls.protocols | join(' ') }};"
      - "ssl_ecdh_curve {{ nginx_proxy_tls.ecdh_curves | join(':') }};"
      - "ssl_ciphers {{ nginx_proxy_tls.ciphers }};"
"""

RETURN = r"""
_value:
  description: Settings for the server block.
  type: dict
  contains:
    profile:
      description: The profile name given.
      type: str
    guidelines_version:
      description: The Mozilla guidelines version the values come from (C(6.0), or C(5.7) for
        V(old)).
      type: str
    protocols:
      description: For C(ssl_protocols), e.g. C([TLSv1.2, TLSv1.3]).
      type: list
      elements: str
    ciphers:
      description: TLS 1.2 and older cipher list in OpenSSL format for C(ssl_ciphers); empty when
        the profile has none (V(modern)), in which case leave C(ssl_ciphers) out.
      type: str
    ciphersuites:
      description: TLS 1.3 suites, colon-separated; empty when TLS 1.3 is not available.
      type: str
    ecdh_curves:
      description: Groups for C(ssl_ecdh_curve), in order, minus those the OpenSSL version cannot
        load.
      type: list
      elements: str
    prefer_server_ciphers:
      description: For C(ssl_prefer_server_ciphers).
      type: bool
    session_tickets:
      description: For C(ssl_session_tickets). False for nginx before 1.23.2 (which never rotates
        the ticket key) and when O(nginx_version) is not given.
      type: bool
    session_timeout:
      description: For C(ssl_session_timeout) (C(1d)).
      type: str
    session_cache:
      description: For C(ssl_session_cache) (C(shared:MozSSL:10m)).
      type: str
    hsts_min_age:
      description: The minimum HSTS max-age in seconds.
      type: int
    dhparam:
      description: False when no DHE cipher is enabled (no C(ssl_dhparam) needed); otherwise the
        DH parameter size in bits (V(old) profile, 1024).
      type: raw
    dh_param_size:
      description: The guideline's DH parameter size, or null.
      type: int
    ocsp_stapling:
      description: Whether the guideline asks for OCSP stapling (and nginx supports it).
      type: bool
    certificate_types:
      description: Certificate key types the guideline accepts (C(ecdsa), C(rsa)).
      type: list
      elements: str
    certificate_curves:
      description: Curves for ECDSA certificates.
      type: list
      elements: str
    rsa_key_size:
      description: Minimum RSA key size, or null when RSA certificates are not part of the profile.
      type: int
"""

from typing import Any  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible.utils.display import Display  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._tls import (  # noqa: E402
    tls_profile,
)

_FQCN = "bulwark.hardening.tls_profile"
display = Display()


def tls_profile_filter(
    profile: str, openssl_version: str | None = None, nginx_version: str | None = None
) -> dict[str, Any]:
    try:
        result, warnings = tls_profile(profile, openssl_version, nginx_version)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc
    for warning in warnings:
        display.warning(f"{_FQCN}: {warning}")
    return result


class FilterModule:
    """Ansible filter: Mozilla TLS profiles for nginx."""

    def filters(self) -> dict[str, object]:
        return {"tls_profile": tls_profile_filter}
