# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: posture_report
short_description: A posture report (status per host and area, with drift) from read-only probes
version_added: 0.2.0
author: bulwark.hardening maintainers
description:
  - Turns what the playbook C(bulwark.hardening.audit) read on each host (C(sshd -T), C(ssh -G),
    C(ufw status), C(fail2ban-client), unattended-upgrades, rkhunter's log, C(openssl x509),
    C(nginx -T), response headers) and the JSON of a C(--check --diff) run of the hardening
    playbook (callback C(ansible.posix.json)) into one report.
  - Areas are C(sshd), C(ssh_client), C(firewall), C(fail2ban), C(updates), C(rkhunter),
    C(certificates), C(nginx), C(baseline) (where C(os_baseline) left its record), C(app) (where
    C(app_settings) left its record) (plus C(playbook) for tasks outside a role). Each has a status,
    the worst of its findings; C(ok) without findings, C(absent) when the area is not on the host.
  - C(drift) findings are what running the roles now would change (every changed task of the
    check run, with its changed lines), and policy mismatches the audit sees itself (C(sshd -T)
    against the sshd role's variables, an sshd drop-in asking for another value, ufw rules the
    ufw role does not list). C(failing) findings are broken or risky states (a service down,
    a certificate expiring within 14 days, pending security updates, rkhunter warnings, a task
    that fails in check mode, an app setting the app does not run with, a C(check --deploy)
    issue, a weak key, a secret file others can read, a session or CSRF cookie without its
    C(Secure), C(HttpOnly) or C(SameSite) flag).
options:
  _input:
    description: Host name to probes (one dict per area), as gathered by the audit playbook.
    type: dict
    required: true
  check_run:
    description: Parsed C(ansible.posix.json) output of the check run; omit (null) when drift
      from the roles was not checked.
    type: dict
  generated:
    description: ISO 8601 UTC time of the audit (days to expiry are counted from it).
    type: str
"""

EXAMPLES = r"""
---
- name: Build the report on the controller
  ansible.builtin.set_fact:
    __report: >-
      {{ dict(__hosts | zip(__hosts | map('extract', hostvars, '__audit_probes')))
         | bulwark.hardening.posture_report(check_run=__check_run,
                                            generated=now(utc=true).isoformat()) }}
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    generated:
      description: When the audit ran (UTC).
      type: str
    drift_checked:
      description: Whether a check run of the roles was part of it.
      type: bool
    columns:
      description: The areas, in report order.
      type: list
      elements: str
    counts:
      description: Hosts per overall status (ok, drift, failing, absent).
      type: dict
    hosts:
      description: One entry per host (sorted by name) with C(name), C(status) (its worst area)
        and C(areas), each with C(name), C(status), C(findings) (C(level), C(text), optional
        C(diff) lines) and C(details).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._report import (  # noqa: E402
    posture_report,
)

_FQCN = "bulwark.hardening.posture_report"


def posture_report_filter(
    hosts: dict, check_run: dict | None = None, generated: str | None = None
) -> dict:
    try:
        return posture_report(hosts, check_run=check_run, generated=generated)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the audit's posture report."""

    def filters(self) -> dict[str, object]:
        return {"posture_report": posture_report_filter}
