#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: caa_records
short_description: Look up the CAA records a CA would use for some names (read only)
version_added: 1.1.0
author: bulwark.hardening maintainers (@bulwark-hardening)
description:
  - For each name, asks a DNS resolver for CAA on the name and then on each parent, as a CA does
    (RFC 8659), and stops at the first name that has CAA records. Changes nothing.
  - A minimal DNS client over UDP from the Python standard library, so no dig or dnspython is
    needed on the host.
  - The records go to the filter P(bulwark.hardening.caa_report#filter), which decides what they
    mean for an ACME server, account and challenge method.
options:
  names:
    description: The DNS names (a leading C(*.) is looked up without it).
    type: list
    elements: str
    required: true
  server:
    description: Resolver address. Empty, the first C(nameserver) of C(/etc/resolv.conf).
    type: str
    default: ""
  port:
    description: Resolver port.
    type: int
    default: 53
  timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 5
attributes:
  check_mode:
    description: Read only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
"""

EXAMPLES = r"""
---
- name: CAA of the certificate's names
  bulwark.hardening.caa_records:
    names: [www.example.org, example.org]
  register: caa
"""

RETURN = r"""
records:
  description: Each name looked up (the names and the parents up to the first with CAA) to its
    CAA records C([{flags, tag, value}]), empty when it has none.
  type: dict
  returned: always
server:
  description: The resolver asked.
  type: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._caa import (  # noqa: E402
    caa_chain,
    query_caa,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)


def _resolver() -> str:
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as conf:
            for line in conf:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1]
    except OSError:
        pass
    return "127.0.0.1"


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "server": {"type": "str", "default": ""},
            "port": {"type": "int", "default": 53},
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    server = module.params["server"] or _resolver()
    records: dict[str, list] = {}
    try:
        for name in module.params["names"]:
            for domain in caa_chain(name):
                if domain not in records:
                    records[domain] = query_caa(
                        domain, server, module.params["port"], module.params["timeout"]
                    )
                if records[domain]:
                    break
    except PolicyError as exc:
        module.fail_json(msg=f"CAA lookup: {exc}", server=server)
    except OSError as exc:
        module.fail_json(msg=f"CAA lookup: no answer from {server}: {exc}", server=server)
    module.exit_json(changed=False, records=records, server=server)


if __name__ == "__main__":
    main()
