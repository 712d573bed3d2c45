# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: csp_parse
short_description: Parse a Content-Security-Policy value into a mapping
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - The inverse of P(bulwark.hardening.csp#filter). Returns the mapping form that filter takes,
    with directive names in lower case and keywords, nonces and hashes without their single
    quotes.
  - User-facing API, for your own playbooks and templates (no role of this collection calls
    this filter); it changes incompatibly only in a major release.
  - The policy is validated with the same rules as the builder. An unquoted keyword such as
    C(default-src self) is an error, because browsers read it as a host called C(self).
  - Only one policy is accepted; a C(,) (which separates policies) is an error, and so is a
    directive given twice.
options:
  _input:
    description: A Content-Security-Policy header value.
    type: str
    required: true
seealso:
  - plugin: bulwark.hardening.csp
    plugin_type: filter
"""

EXAMPLES = r"""
---
- name: Read a policy and add a source
  ansible.builtin.set_fact:
    app_csp: >-
      {{ "default-src 'self'; img-src 'self' data:" | bulwark.hardening.csp_parse
         | combine({'img-src': ['self', 'data:', 'https://img.example.com']}) }}
  # {"default-src": ["self"], "img-src": ["self", "data:", "https://img.example.com"]}
"""

RETURN = r"""
_value:
  description: Mapping of directive to a list of sources, in the policy's order.
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._csp import parse  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.csp_parse"


def csp_parse_filter(policy: str) -> dict[str, list[str]]:
    try:
        return parse(policy)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: Content-Security-Policy parser."""

    def filters(self) -> dict[str, object]:
        return {"csp_parse": csp_parse_filter}
