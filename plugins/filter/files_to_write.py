# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: files_to_write
short_description: The files of a role that differ from what a probe of the host read
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - For a role whose probe already reads the host, so that the M(bulwark.hardening.files) task
    runs only for what differs (and not at all on a rerun that changes nothing).
  - A file differs when the probe has no line for it (missing), when its SHA-1 is not that of
    the content (unless C(force) is false), or when its mode, owner or group is not the one
    given (an empty owner or group matches any).
options:
  _input:
    description: The files, as the module's O(bulwark.hardening.files#module:files) option.
    type: list
    elements: dict
    required: true
  state:
    description: The probe's lines C(PATH SHA1 MODE OWNER:GROUP), printed with C(sha1sum) and
      C(stat -c '%a %U:%G') for each file that exists.
    type: str
    required: true
  base_dir:
    description: A relative C(dest) is under this directory (the module's option of that name).
    type: str
    default: ''
"""

EXAMPLES = r"""
---
- name: Write what differs
  bulwark.hardening.files:
    files: "{{ _role_files | bulwark.hardening.files_to_write(_role_probe['files']) }}"
  when: _role_files | bulwark.hardening.files_to_write(_role_probe['files']) | length > 0
"""

RETURN = r"""
_value:
  description: The entries of the input that differ, unchanged and in order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._files import (  # noqa: E402
    files_to_write,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.files_to_write"


def files_to_write_filter(files: list, state: str, base_dir: str = "") -> list[dict]:
    if not isinstance(files, list):
        raise AnsibleFilterError(f"{_FQCN}: expects a list of files, got {type(files).__name__}")
    try:
        return files_to_write(files, state or "", base_dir or "")
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the files that differ."""

    def filters(self) -> dict[str, object]:
        return {"files_to_write": files_to_write_filter}
