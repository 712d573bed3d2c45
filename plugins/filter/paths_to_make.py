# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: paths_to_make
short_description: The paths of a role that differ from what a probe of the host read
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - For a role whose probe already reads the host, so that the M(bulwark.hardening.files) task
    runs only for the directories, empty files, modes and removals that differ (and not at all
    on a rerun that changes nothing).
  - An entry differs when it is missing (C(directory), C(file)), present (C(absent)), of the
    other kind, or has another mode, owner or group (an empty owner or group matches any; a
    C(mode) entry compares the mode only, and only of a path that exists).
options:
  _input:
    description: The paths, as the module's O(bulwark.hardening.files#module:paths) option.
    type: list
    elements: dict
    required: true
  state:
    description: The probe's lines C(PATH SHA1 MODE OWNER:GROUP) (C(-) for the SHA-1 of a
      directory), one for each path that exists.
    type: str
    required: true
"""

EXAMPLES = r"""
---
- name: Make what differs
  bulwark.hardening.files:
    paths: "{{ _role_paths | bulwark.hardening.paths_to_make(_role_probe['files']) }}"
  when: _role_paths | bulwark.hardening.paths_to_make(_role_probe['files']) | length > 0
"""

RETURN = r"""
_value:
  description: The entries of the input that differ, unchanged and in order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._files import (  # noqa: E402
    paths_to_make,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.paths_to_make"


def paths_to_make_filter(paths: list, state: str) -> list[dict]:
    if not isinstance(paths, list):
        raise AnsibleFilterError(f"{_FQCN}: expects a list of paths, got {type(paths).__name__}")
    try:
        return paths_to_make(paths, state or "")
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the paths that differ."""

    def filters(self) -> dict[str, object]:
        return {"paths_to_make": paths_to_make_filter}
