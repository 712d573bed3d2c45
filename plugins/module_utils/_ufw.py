# SPDX-License-Identifier: GPL-3.0-or-later
"""The ufw role's decisions, from its variables and one read of the host.

- ``ufw_plan`` turns the role's variables (SSH ports, the port this play
  connects on, the web ports, the listed rules) into the checked rule lists
  the role applies: SSH rules first, then the others;
- ``ufw_changes`` reads one probe of the host (``ufw status verbose`` and the
  files /etc/default/ufw, /etc/ufw/ufw.conf, user.rules, user6.rules) and says what differs from
  the wanted state, so the role calls community.general.ufw only for that:
  a rerun that changes nothing makes one round trip instead of one per rule,
  policy and setting.
"""

from __future__ import annotations

import re

from ansible_collections.bulwark.hardening.plugins.module_utils._firewall import (
    _TUPLE,
    ufw_purge,
    ufw_rules,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

# ufw's directions and the /etc/default/ufw keys that hold their policy.
POLICY_KEYS = {
    "incoming": "DEFAULT_INPUT_POLICY",
    "outgoing": "DEFAULT_OUTPUT_POLICY",
    "routed": "DEFAULT_FORWARD_POLICY",
}
_POLICY_WORDS = {"DROP": "deny", "ACCEPT": "allow", "REJECT": "reject"}
_SECTION = re.compile(r"^==> (.+) <==$", re.MULTILINE)
_LOGGING = re.compile(r"^Logging: (on|off)(?: \(([a-z]+)\))?", re.MULTILINE)
FILES = ("/etc/default/ufw", "/etc/ufw/ufw.conf", "/etc/ufw/user.rules", "/etc/ufw/user6.rules")
# The probe's last section: `systemctl is-enabled ufw` (ufw.service loads the
# rules at boot).
BOOT = "ufw.service"


def ufw_plan(
    rules: object,
    ssh_ports: object,
    web_ports: object = (),
    *,
    login: dict | None = None,
    ssh_rule: str = "limit",
    ssh_from: str = "any",
    allow_ssh: bool = True,
    ipv6: bool = True,
) -> dict:
    """The rules the role adds, checked: ssh (first, before anything can close
    SSH) and rules (the web ports, then `rules`, the user's ufw_rules).

    The SSH rules cover ssh_ports plus the port this play connects on when it
    connects over SSH (login: the bulwark_login fact), so applying the role
    never cuts its own session.
    """
    if not isinstance(ssh_ports, (list, tuple)) or not isinstance(web_ports, (list, tuple)):
        raise PolicyError(
            "ufw_ssh_ports and ufw_web_ports must be lists,"
            f" got {shown(ssh_ports)}, {shown(web_ports)}"
        )
    ssh: list = []
    if allow_ssh:
        if not ssh_ports:
            raise PolicyError(
                "ufw_ssh_ports is empty while ufw_allow_ssh is true: no SSH port would be allowed. "
                "List the SSH port(s), or set ufw_allow_ssh to false deliberately."
            )
        ports = list(ssh_ports)
        if login and login.get("over_ssh") and login.get("port") is not None:
            ports.append(login["port"])
        ssh = [
            {
                "port": port,
                "rule": ssh_rule,
                "proto": "tcp",
                "from": ssh_from,
                "comment": "bulwark: ssh",
            }
            for port in _unique_ints(ports, "ufw_ssh_ports")
        ]
    web = [
        {"port": port, "rule": "allow", "proto": "tcp", "comment": "bulwark: web"}
        for port in _unique_ints(web_ports, "ufw_web_ports")
    ]
    checked_web = ufw_rules(web, name="ufw_web_ports", ipv6=ipv6)
    checked_rules = ufw_rules(rules, name="ufw_rules", ipv6=ipv6)
    return {
        "ssh": ufw_rules(ssh, name="ufw_ssh_ports/ufw_ssh_from", ipv6=ipv6),
        "rules": [*checked_web, *checked_rules],
    }


def _unique_ints(values, name: str) -> list[int]:
    out: list[int] = []
    for value in values:
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise PolicyError(f"{name}: {shown(value)} is not a port number") from None
        if port not in out:
            out.append(port)
    return out


def probe_sections(text: str) -> dict:
    """Split the probe's output: {"status": `ufw status verbose`, path: file text}."""
    parts = _SECTION.split(text or "")
    sections = {"status": parts[0]}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[name] = body.lstrip("\n")
    return sections


def _existing_rules(text: str, version: int) -> dict:
    """{tuple key: comment} of user.rules (version 4) or user6.rules (6)."""
    found = {}
    for line in _TUPLE.findall(text or ""):
        fields = line.split()
        comment = ""
        if fields and fields[-1].startswith("comment="):
            try:
                comment = bytes.fromhex(fields.pop().removeprefix("comment=")).decode(
                    "utf-8", "replace"
                )
            except ValueError:
                comment = ""
        found[" ".join(fields) + f" v{version}"] = comment
    return found


def _default_value(text: str, key: str) -> str | None:
    """The last KEY=value line's value of a shell-style file (the line lineinfile edits)."""
    value = None
    for line in (text or "").splitlines():
        if line.startswith(f"{key}="):
            value = line.split("=", 1)[1]
    return value


def _logging_changes(status: str, wanted: str) -> bool:
    """Would community.general.ufw change the logging level? (its own rule)."""
    found = _LOGGING.search(status or "")
    if not found:
        return False
    on_off, level = found.group(1), found.group(2)
    if wanted != "off":
        return on_off == "off" or wanted not in {"on", level}
    return on_off != "off"


def ufw_changes(
    probe: str,
    wanted: list,
    *,
    ipv6: bool = True,
    policies: dict | None = None,
    logging: str = "low",
    state: str = "enabled",
    purge: bool = False,
    keep_comments: list | tuple = (),
) -> dict:
    """What differs between the host (the probe's output) and the wanted state.

    wanted: rules from ufw_plan (ssh + rules). policies: {incoming, outgoing,
    routed: allow|deny|reject}. Returns ipv6 (the IPV6= line must change),
    add (the wanted rules not in user.rules/user6.rules with the same comment),
    policies (the [{direction, policy}] to set), logging (the level must
    change; always while ufw is inactive, which does not show it), state
    (enable or disable needed: the status, or ENABLED= in ufw.conf, differs),
    boot (ufw.service must be enabled or disabled),
    active, and user_rules / user6_rules (the files' text, for ufw_purge).

    With purge, also purge: the rules ufw_purge would delete from the files
    as read (rules added first never make a held rule wanted or unwanted).
    live: the run changes what filters traffic, so commit-confirmed arms a
    revert: the firewall is enabled or disabled, or it is (or will be) active
    and rules, policies, the IPv6 setting or purged rules change. Rule
    changes on a firewall that is off and stays off cut nobody; neither do
    the logging level and the boot unit alone.
    """
    sections = probe_sections(probe)
    missing = [f for f in (*FILES, BOOT) if f not in sections]
    if missing:
        raise PolicyError(f"the ufw probe did not print {', '.join(missing)}: {shown(probe)}")
    status = sections["status"]
    active = bool(re.search(r"^Status: active", status, re.MULTILINE))
    default = sections["/etc/default/ufw"]
    existing = _existing_rules(sections["/etc/ufw/user.rules"], 4)
    existing.update(_existing_rules(sections["/etc/ufw/user6.rules"], 6))
    add = [
        rule
        for rule in wanted
        if not all(
            key in existing and (rule.get("comment") is None or existing[key] == rule["comment"])
            for key in rule["tuples"]
        )
    ]
    policy_changes = []
    for direction, policy in (policies or {}).items():
        if direction not in POLICY_KEYS:
            raise PolicyError(f"unknown ufw policy direction {shown(direction)}")
        current = _POLICY_WORDS.get(
            (_default_value(default, POLICY_KEYS[direction]) or "").strip().strip('"').upper()
        )
        if current != policy:
            policy_changes.append({"direction": direction, "policy": policy})
    enabled_at_boot = _default_value(sections["/etc/ufw/ufw.conf"], "ENABLED")
    wanted_state = (True, "yes") if state == "enabled" else (False, "no")
    ipv6_changes = _default_value(default, "IPV6") != ("yes" if ipv6 else "no")
    state_changes = (active, enabled_at_boot) != wanted_state
    deletions = (
        ufw_purge(
            wanted,
            sections["/etc/ufw/user.rules"],
            sections["/etc/ufw/user6.rules"],
            keep_comments=tuple(keep_comments),
        )
        if purge
        else []
    )
    filtering = active or state == "enabled"
    touched = bool(ipv6_changes or add or policy_changes or deletions)
    live = state_changes or (filtering and touched)
    return {
        "ipv6": ipv6_changes,
        "add": add,
        "policies": policy_changes,
        "purge": deletions,
        "live": live,
        # Inactive, ufw does not show its level: set it (as the module would).
        "logging": not active or _logging_changes(status, logging),
        # `ufw enable` also writes ENABLED=yes, which ufw.service needs at boot.
        "state": state_changes,
        # ufw.service enabled (or not) to match ufw_state.
        "boot": sections[BOOT].strip() != ("enabled" if state == "enabled" else "disabled"),
        "active": active,
        "user_rules": sections["/etc/ufw/user.rules"],
        "user6_rules": sections["/etc/ufw/user6.rules"],
    }
