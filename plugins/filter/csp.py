# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: csp
short_description: Build a Content-Security-Policy value from a mapping
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Turns a mapping of directive name to sources into a Content-Security-Policy string.
  - Directive names are checked against CSP Level 3 (plus C(upgrade-insecure-requests),
    C(require-trusted-types-for), C(trusted-types) and C(fenced-frame-src)). Retired directives
    such as C(block-all-mixed-content), C(plugin-types) or C(referrer) are errors that say what
    to use instead.
  - Keyword sources, nonces and hashes are written without quotes in the mapping (C(self),
    C(none), C(strict-dynamic), C(nonce-R4nd0m), C(sha256-...)); the filter adds the single
    quotes CSP needs. Already quoted forms (C("'self'")) are accepted too.
  - Scheme sources (C(https:), C(data:)) and host sources (C(https://*.example.com:443/path))
    are validated against the CSP grammar; C(none) cannot be combined with other sources;
    C(frame-ancestors) accepts only C(self), C(none), hosts and schemes.
  - The result parses back to the same mapping with P(bulwark.hardening.csp_parse#filter).
  - The value never contains C(") or C(\), so it is safe inside a double-quoted nginx string.
options:
  _input:
    description:
      - Mapping of directive to a list of sources (or one space-separated string). Directives
        without a value (C(upgrade-insecure-requests)) take an empty list or null.
    type: dict
    required: true
seealso:
  - plugin: bulwark.hardening.csp_parse
    plugin_type: filter
  - plugin: bulwark.hardening.security_headers
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Build a policy
  ansible.builtin.debug:
    msg: "{{ policy | bulwark.hardening.csp }}"
  vars:
    policy:
      default-src: [self]
      script-src: [self, "https://cdn.example.com"]
      object-src: [none]
      frame-ancestors: [none]
      upgrade-insecure-requests: []
  # default-src 'self'; script-src 'self' https://cdn.example.com; object-src 'none';
  # frame-ancestors 'none'; upgrade-insecure-requests
"""

RETURN = r"""
_value:
  description: The policy, directives in the mapping's order, separated by C(; ).
  type: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._csp import build  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.csp"


def csp_filter(policy: dict[str, list[str]]) -> str:
    try:
        return build(policy)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: Content-Security-Policy builder."""

    def filters(self) -> dict[str, object]:
        return {"csp": csp_filter}
