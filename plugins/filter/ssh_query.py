# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh_query
short_description: The OpenSSH client's version and algorithm lists, from one probe or its cache
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Parses one probe of the host's OpenSSH client, C(ssh -V) followed (when the cached version
    differs) by C(## QUERY) lines and C(ssh -Q QUERY) for C(kex), C(cipher), C(mac) and C(key-sig).
  - When the probe printed no lists, they come from C(cache) (the local fact written after an
    earlier probe), provided it holds the same C(ssh -V) line; so a rerun asks only C(ssh -V).
options:
  _input:
    description: The probe's output; empty when the host has no OpenSSH client.
    type: str
    required: true
  cache:
    description: The cached probe result (C(version) and one list per query), or nothing.
    type: dict
"""

EXAMPLES = r"""
---
- name: Parse the probe
  ansible.builtin.debug:
    msg: >-
      {{ probe.stdout
         | bulwark.hardening.ssh_query(ansible_local.bulwark_openssh | default({})) }}
"""

RETURN = r"""
_value:
  description: C(present) (an OpenSSH client answered), C(version) (the C(ssh -V) line),
    C(openssh) (e.g. C(9.2)), C(cached) (lists taken from the cache) and the lists C(kex),
    C(cipher), C(mac), C(key-sig).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    ssh_query,
)

_FQCN = "bulwark.hardening.ssh_query"


def ssh_query_filter(text: str, cache: dict | None = None) -> dict:
    if not isinstance(text, str):
        raise AnsibleFilterError(f"{_FQCN}: input must be the probe's text, got {text!r}")
    try:
        return ssh_query(text, cache)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the OpenSSH version and ssh -Q lists from one probe or its cache."""

    def filters(self) -> dict[str, object]:
        return {"ssh_query": ssh_query_filter}
