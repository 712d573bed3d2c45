# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_host_state
short_description: What the sshd role reads from the host before configuring it, from one probe
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Parses one probe with three sections, each after a C(==> NAME <==) line - C(socket)
    (C(systemctl is-enabled ssh.socket), empty where there is none), C(rsa) (C(ssh-keygen -l)
    of the RSA host key, empty without one) and C(moduli) (field 5 of C(/etc/ssh/moduli), the
    group size minus one), and an optional one - C(files) (the state lines of the paths the role
    writes, for P(bulwark.hardening.files_to_write#filter) and
    P(bulwark.hardening.paths_to_make#filter)).
options:
  _input:
    description: The probe's output.
    type: str
    required: true
  moduli_min_bits:
    description: C(sshd_moduli_min_bits); smaller groups are reported as weak.
    type: int
    default: 3072
"""

EXAMPLES = r"""
---
- name: Read the host state
  ansible.builtin.set_fact:
    _sshd_host: >-
      {{ __sshd_host_probe.stdout | bulwark.hardening.sshd_host_state(sshd_moduli_min_bits) }}
"""

RETURN = r"""
_value:
  description: C(socket_activated) (bool), C(rsa_bits) (0 without a key), C(weak_moduli)
    (the field-5 values, as strings, of groups smaller than C(moduli_min_bits)) and C(files)
    (the section's text, empty when not read).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (  # noqa: E402
    host_state,
)

_FQCN = "bulwark.hardening.sshd_host_state"


def sshd_host_state_filter(text: str, moduli_min_bits: int = 3072) -> dict:
    if not isinstance(text, str) or not isinstance(moduli_min_bits, int):
        raise AnsibleFilterError(
            f"{_FQCN}: expected the probe's text and a bit count, got {text!r}, {moduli_min_bits!r}"
        )
    try:
        return host_state(text, moduli_min_bits)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: what the sshd role reads from the host before configuring it."""

    def filters(self) -> dict[str, object]:
        return {"sshd_host_state": sshd_host_state_filter}
