# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: permissions_policy
short_description: Build a Permissions-Policy value from a mapping
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Turns a mapping of feature name to allow-list into a Permissions-Policy header value
    (a structured-field dictionary).
  - User-facing API, for your own playbooks and templates (no role of this collection calls
    this filter); it changes incompatibly only in a major release.
  - An allow-list entry is C(self), C(*) (alone) or an origin such as C(https://maps.example.com)
    (scheme, host, optional port; no path). An empty list gives C(()), which disables the feature
    everywhere, including the site itself.
  - Feature names are checked for form (lower-case letters, digits, C(-)), not against a list,
    because browsers add features often.
  - The value is escaped for a double-quoted nginx string, so the quotes around origins come
    out backslash-escaped. Put it between double quotes in the nginx config as is.
  - To set the header through P(bulwark.hardening.security_headers#filter), pass the mapping as
    its C(permissions) option instead.
options:
  _input:
    description: Mapping of feature to a list of allow-list entries.
    type: dict
    required: true
"""

EXAMPLES = r"""
---
- name: No camera or microphone; maps from one origin
  ansible.builtin.debug:
    msg: "{{ policy | bulwark.hardening.permissions_policy }}"
  vars:
    policy:
      camera: []
      microphone: []
      geolocation: [self, "https://maps.example.com"]
  # camera=(), microphone=(), geolocation=(self \"https://maps.example.com\")
"""

RETURN = r"""
_value:
  description: The header value, escaped for a double-quoted nginx string.
  type: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._headers import (  # noqa: E402
    permissions_policy,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.permissions_policy"


def permissions_policy_filter(policy: dict[str, list[str]]) -> str:
    try:
        return permissions_policy(policy)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: Permissions-Policy builder."""

    def filters(self) -> dict[str, object]:
        return {"permissions_policy": permissions_policy_filter}
