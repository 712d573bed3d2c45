# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: nginx_quote
short_description: Quote a string for nginx configuration
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Returns the value as a complete double-quoted nginx string, surrounding quotes included.
  - User-facing API, for your own playbooks and templates (no role of this collection calls
    this filter); it changes incompatibly only in a major release.
  - C(") and C(\) are backslash-escaped. nginx turns C(\n), C(\r) and C(\t) into control
    characters even inside quotes, so an unescaped backslash could smuggle a line break into a
    header; escaping every backslash prevents that.
  - Control characters (CR, LF, NUL, TAB, ...), DEL and non-ASCII characters are errors.
  - C($) is an error unless O(allow_variables) is true, since nginx expands it as a variable and
    has no escape for it.
options:
  _input:
    description: The string to quote.
    type: str
    required: true
  allow_variables:
    description: Allow nginx variable references (C($name), C(${name})) in the value.
    type: bool
    default: false
"""

EXAMPLES = r"""
---
- name: A header line in a template
  ansible.builtin.debug:
    msg: "add_header X-Robots-Tag {{ 'noindex, nofollow' | bulwark.hardening.nginx_quote }} always;"
  # add_header X-Robots-Tag "noindex, nofollow" always;
"""

RETURN = r"""
_value:
  description: The quoted string, e.g. C("say \"hi\"").
  type: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._nginx_quote import (  # noqa: E402
    quote,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.nginx_quote"


def nginx_quote_filter(value: str, allow_variables: bool = False) -> str:
    try:
        return quote(value, "value", allow_variables)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: nginx string quoting."""

    def filters(self) -> dict[str, object]:
        return {"nginx_quote": nginx_quote_filter}
