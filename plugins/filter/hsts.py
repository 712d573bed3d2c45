# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: hsts
short_description: Build a Strict-Transport-Security value
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Returns a Strict-Transport-Security header value from a max-age in seconds.
  - User-facing API, for your own playbooks and templates (no role of this collection calls
    this filter); it changes incompatibly only in a major release.
  - C(preload) is refused unless max-age is at least one year (31536000) and
    C(includeSubDomains) is set, the conditions of the browsers' preload lists. Preloading is
    hard to undo; ask for it deliberately.
options:
  _input:
    description: max-age in seconds (an integer, or a string of digits). 0 tells browsers to
      forget the host's HSTS state.
    type: int
    required: true
  include_subdomains:
    description: Add C(includeSubDomains).
    type: bool
    default: true
  preload:
    description: Add C(preload).
    type: bool
    default: false
"""

EXAMPLES = r"""
---
- name: Two years, subdomains included
  ansible.builtin.debug:
    msg: "{{ 63072000 | bulwark.hardening.hsts }}"
  # max-age=63072000; includeSubDomains

- name: Preloaded
  ansible.builtin.debug:
    msg: "{{ 63072000 | bulwark.hardening.hsts(preload=true) }}"
  # max-age=63072000; includeSubDomains; preload
"""

RETURN = r"""
_value:
  description: The header value, e.g. C(max-age=63072000; includeSubDomains).
  type: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._headers import hsts  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.hsts"


def hsts_filter(max_age: int | str, include_subdomains: bool = True, preload: bool = False) -> str:
    try:
        return hsts(max_age, include_subdomains, preload)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: Strict-Transport-Security builder."""

    def filters(self) -> dict[str, object]:
        return {"hsts": hsts_filter}
