# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: certbot_plan
short_description: Whether certbot must (re)issue a certificate, and certbot's argv
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Compares a certificate asked for (a C(certbot_certificates) entry with every setting filled
    in) with what the host holds - the live certificate read by
    C(community.crypto.x509_certificate_info) and the lineage's renewal configuration - and
    returns the reasons to request it (empty when it is up to date) and the C(certbot
    certonly) argv that does.
  - Reasons are C(not issued yet), C(domains changed), C(key changed), C(must-staple changed),
    C(ACME server changed), C(authenticator changed) and C(webroot changed). An existing
    lineage is reissued with C(--force-renewal).
options:
  _input:
    description: The certificate, with C(name), C(domains), C(key_type), C(elliptic_curve),
      C(rsa_key_size), C(must_staple), C(authenticator) and C(webroot_path).
    type: dict
    required: true
  x509:
    description: The x509_certificate_info result for the live C(cert.pem) (a failed read, for a
      certificate that does not exist, has no C(subject_alt_name)).
    type: dict
    required: true
  renewal_conf:
    description: Text of C(/etc/letsencrypt/renewal/NAME.conf), empty when there is none.
    type: str
    required: true
  email:
    description: The ACME account e-mail.
    type: str
    required: true
  server:
    description: The ACME directory URL.
    type: str
    required: true
  deploy_hook:
    description: Path of the deploy hook certbot runs after issuing.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: What to do for one certificate
  ansible.builtin.debug:
    msg: >-
      {{ cert | bulwark.hardening.certbot_plan(x509=info, renewal_conf=conf_text,
           email='hostmaster@example.org', server=certbot_acme_server,
           deploy_hook='/etc/letsencrypt/renewal-hooks/deploy/50-reload') }}
  # {reasons: [not issued yet], argv: [certbot, certonly, ...]}
"""

RETURN = r"""
_value:
  description: C({reasons, argv}).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._certbot import (  # noqa: E402
    certbot_plan,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.certbot_plan"


def certbot_plan_filter(
    cert: object,
    x509: object,
    renewal_conf: object,
    *,
    email: object,
    server: object,
    deploy_hook: object,
) -> dict:
    try:
        return certbot_plan(
            cert, x509, renewal_conf, email=email, server=server, deploy_hook=deploy_hook
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: certbot's decision and argv."""

    def filters(self) -> dict[str, object]:
        return {"certbot_plan": certbot_plan_filter}
