# SPDX-License-Identifier: GPL-3.0-or-later
"""How a play reaches a host: the one answer every role uses.

The sshd role needs the login account (lockout checks) and the port of the
session (fresh-login proof); the ufw role needs the port to keep open. Both
read the result of `login_facts`, computed once per host by the internal
`bulwark` role, instead of each guessing from `ansible_connection`.
"""

from __future__ import annotations

import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

# Connection plugins that open an SSH session to the host (short names, FQCNs
# and the legacy namespace). `smart` picks ssh on every current controller.
_SSH_PLUGIN = re.compile(r"^(ansible\.(builtin|legacy)\.)?(ssh|paramiko|paramiko_ssh|smart)$")


def is_ssh_connection(connection: str | None) -> bool:
    """True when the Ansible connection plugin logs in through sshd."""
    return bool(_SSH_PLUGIN.match(connection or "ssh"))


def _port(value: object, what: str) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise PolicyError(f"{what} is not a port number: {shown(value)}") from None
    if not 1 <= port <= 65535:
        raise PolicyError(f"{what} is out of range 1-65535: {shown(value)}")
    return port


def login_facts(probe: str, connection: str | None = None, port: object = None) -> dict:
    """Combine a probe run on the host with the play's connection variables.

    probe: the output of `id -un; printf '%s\\n' "$SSH_CONNECTION"` run without
    become: the login account, then sshd's "client cport server sport" (empty
    when the login did not come through sshd).
    connection, port: ansible_connection and ansible_port (None when unset).

    Returns user (the login account), session (the login came through sshd),
    client (the address the session came from, else None),
    over_ssh (Ansible itself connects over SSH, so every later task depends on
    sshd and on the firewall letting it in) and port: the SSH port this play
    uses (ansible_port, else the session's server port, else 22) when
    over_ssh or session, else None.
    """
    lines = (probe or "").splitlines()
    user = lines[0].strip() if lines else ""
    if not user:
        raise PolicyError(f"the login probe did not name an account: {shown(probe)}")
    fields = (lines[1] if len(lines) > 1 else "").split()
    session = len(fields) == 4
    over_ssh = is_ssh_connection(connection)
    if port not in (None, ""):
        ssh_port: int | None = _port(port, "ansible_port")
    elif session:
        ssh_port = _port(fields[3], "the session's server port (SSH_CONNECTION)")
    else:
        ssh_port = 22
    return {
        "user": user,
        "session": session,
        "client": fields[0] if session else None,
        "over_ssh": over_ssh,
        "port": ssh_port if (over_ssh or session) else None,
    }
