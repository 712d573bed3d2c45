# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: caa_report
short_description: What CAA says about a name for an ACME server, account and method
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Takes the CAA records found by P(bulwark.hardening.caa_records#module) and decides, as a CA
    does (RFC 8659), from the first name up the tree that has CAA, whether the CA of the ACME
    server in use may issue for the name with certbot's account and challenge method
    (C(accounturi) and C(validationmethods), RFC 8657).
  - Statuses - C(none) (no CAA, any CA may issue), C(unrestricted) (CAA without an issue
    property), C(allowed), C(ca_not_allowed), C(account_mismatch), C(method_mismatch),
    C(critical_unknown) (an unknown critical property, no CA may issue).
  - The advice is the CAA record to publish so that only this CA, account and method may issue.
options:
  _input:
    description: The DNS name (a leading C(*.) checks C(issuewild)).
    type: str
    required: true
  records:
    description: The C(records) result of P(bulwark.hardening.caa_records#module).
    type: dict
    required: true
  identities:
    description: The CA's issuer domain names (Let's Encrypt - C(letsencrypt.org)).
    type: list
    elements: str
    required: true
  account_uri:
    description: certbot's ACME account URL on the server; empty when it has none yet.
    type: str
  validation_method:
    description: The challenge certbot uses (C(http-01) for webroot and standalone).
    type: str
"""

EXAMPLES = r"""
---
- name: Report for one name
  ansible.builtin.debug:
    msg: >-
      {{ 'www.example.org' | bulwark.hardening.caa_report(records=caa.records,
           identities=['letsencrypt.org'], validation_method='http-01') }}
"""

RETURN = r"""
_value:
  description: C({name, status, relevant, message, advice}); C(relevant) is the name whose CAA
    decided, null when none has any.
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._caa import (  # noqa: E402
    caa_report,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.caa_report"


def caa_report_filter(
    name: object,
    records: object,
    identities: object,
    account_uri: object = None,
    validation_method: object = None,
) -> dict:
    try:
        return caa_report(
            name,
            records,
            identities=identities,
            account_uri=account_uri,
            validation_method=validation_method,
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: CAA report."""

    def filters(self) -> dict[str, object]:
        return {"caa_report": caa_report_filter}
