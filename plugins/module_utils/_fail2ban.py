# SPDX-License-Identifier: GPL-3.0-or-later
"""fail2ban's running jails and their ban actions, from one probe.

The probe prints ``fail2ban-client status`` and then, for each jail of its
"Jail list", a ``==> JAIL <==`` line and ``fail2ban-client get JAIL actions``.
fail2ban 1.0 reloads a jail whose ban action changed into a jail with no
action at all (it "bans" and blocks nothing); the role restarts those.
"""

from __future__ import annotations

import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

_SECTION = re.compile(r"^==> (.+) <==$", re.MULTILINE)
_JAIL_LIST = re.compile(r"Jail list:[ \t]*(.*)$", re.MULTILINE)
_HEADER = re.compile(r"^The jail \S+ has the following actions:\s*$")
_NONE = re.compile(r"^No actions for jail", re.MULTILINE)


def jail_actions(text: str) -> dict:
    """{jail: [action, ...]} for every running jail; [] for a jail without one.

    Raises PolicyError when the probe did not print each listed jail's actions.
    """
    parts = _SECTION.split(text or "")
    found = _JAIL_LIST.search(parts[0])
    listed = [j.strip() for j in (found.group(1) if found else "").split(",") if j.strip()]
    actions: dict = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if _NONE.search(body):
            actions[name] = []
            continue
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        actions[name] = [
            a.strip()
            for line in lines
            if not _HEADER.match(line)
            for a in line.split(",")
            if a.strip()
        ]
    missing = [j for j in listed if j not in actions]
    if missing:
        raise PolicyError(
            f"the fail2ban probe printed no actions for the jail(s) {', '.join(missing)}:"
            f" {shown(text)}"
        )
    return {j: actions[j] for j in listed}
