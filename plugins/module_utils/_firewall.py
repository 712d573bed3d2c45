# SPDX-License-Identifier: GPL-3.0-or-later
"""Firewall input checks and ufw rule bookkeeping for the ufw and fail2ban roles.

Three pure functions, used through the filters ``ip_networks``, ``ufw_rules`` and
``ufw_purge``:

- ``ip_networks`` checks addresses/CIDRs and returns them as ufw and fail2ban write
  them (host bits cleared, ``/32`` and ``/128`` dropped);
- ``ufw_rules`` checks a list of rule mappings and returns them normalised, each
  with the ``### tuple ###`` keys ufw would write for it into user.rules/user6.rules;
- ``ufw_purge`` reads those files and returns the rules to delete (what is not
  wanted), as parameters for community.general.ufw, so the role can add the wanted
  rules first and delete the others one by one by their specification (never by
  number: fail2ban prepends rules concurrently).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

RULES = ("allow", "deny", "limit", "reject")
PROTOS = ("any", "tcp", "udp", "esp", "ah", "gre")
DIRECTIONS = {"in": "in", "incoming": "in", "out": "out", "outgoing": "out"}
KEYS = ("rule", "port", "proto", "from", "to", "interface", "direction", "comment")
_ANY = {4: "0.0.0.0/0", 6: "::/0"}
_PORT_ITEM = re.compile(r"^(\d{1,5})(?::(\d{1,5}))?$")
# Linux interface names: at most 15 bytes, no '/', no whitespace; ufw also
# refuses '!' and aliases with ':'.
_IFACE = re.compile(r"^[A-Za-z0-9_.@-]{1,15}$")
_TUPLE = re.compile(r"^### tuple ### (.+)$", re.MULTILINE)


def ip_network(value: object, where: str) -> tuple[str, int]:
    """Return (normalised address, IP version) or raise PolicyError naming `where`."""
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: {shown(value)} is not an IP address or CIDR network")
    text = value.strip()
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise PolicyError(
            f"{where}: {shown(value)} is not an IP address or CIDR network ({exc})"
        ) from None
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address), net.version
    return str(net), net.version


def ip_networks(values: object, name: str = "addresses") -> list[str]:
    """Check a list of addresses/CIDRs; return them normalised, without duplicates."""
    if not isinstance(values, (list, tuple)):
        raise PolicyError(f"{name}: expected a list of IP addresses or CIDRs, got {shown(values)}")
    out: list[str] = []
    for index, value in enumerate(values):
        normalised = ip_network(value, f"{name}[{index}]")[0]
        if normalised not in out:
            out.append(normalised)
    return out


def _port(value: object, where: str) -> str | None:
    if value is None or value in {"", "any"}:
        return None
    if isinstance(value, bool):
        raise PolicyError(f"{where}: {shown(value)} is not a port")
    text = str(value).replace(" ", "")
    items = text.split(",")
    for item in items:
        match = _PORT_ITEM.match(item)
        if not match:
            raise PolicyError(
                f"{where}: {shown(value)} is not a port, a range 'low:high' or a comma list of them"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            raise PolicyError(f"{where}: {shown(value)} is outside 1-65535")
        if high < low:
            raise PolicyError(f"{where}: range {item!r} ends before it starts")
    if len(items) > 15:
        raise PolicyError(f"{where}: ufw accepts at most 15 ports in one rule")
    return text


def ufw_rule(rule: object, where: str, ipv6: bool = True) -> dict:
    """Check one rule mapping and return it normalised, with its ufw tuple keys."""
    if not isinstance(rule, dict):
        raise PolicyError(f"{where}: expected a mapping, got {shown(rule)}")
    unknown = sorted(set(rule) - set(KEYS))
    if unknown:
        raise PolicyError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})"
        )
    action = rule.get("rule", "allow")
    if action not in RULES:
        raise PolicyError(f"{where}.rule: {shown(action)} is not one of {', '.join(RULES)}")
    proto = rule.get("proto") or "any"
    if proto not in PROTOS:
        raise PolicyError(f"{where}.proto: {shown(proto)} is not one of {', '.join(PROTOS)}")
    port = _port(rule.get("port"), f"{where}.port")
    if port is not None:
        if proto not in ("any", "tcp", "udp"):
            raise PolicyError(f"{where}.port: a port needs proto tcp, udp or any, not {proto!r}")
        if ("," in port or ":" in port) and proto == "any":
            raise PolicyError(f"{where}.port: a port range or list needs proto tcp or udp")
    direction = rule.get("direction") or "in"
    if direction not in DIRECTIONS:
        raise PolicyError(f"{where}.direction: {shown(direction)} is not one of in, out")
    direction = DIRECTIONS[direction]
    interface = rule.get("interface")
    if interface not in (None, "") and (
        not isinstance(interface, str) or not _IFACE.match(interface)
    ):
        raise PolicyError(f"{where}.interface: {shown(interface)} is not an interface name")
    interface = interface or None

    versions = {4, 6} if ipv6 else {4}
    addresses = {}
    for key in ("from", "to"):
        value = rule.get(key)
        if value in (None, "", "any"):
            addresses[key] = None
            continue
        addresses[key], version = ip_network(value, f"{where}.{key}")
        if version == 6 and not ipv6:
            raise PolicyError(f"{where}.{key}: {value!r} is IPv6 but ufw_ipv6 is false")
        if version not in versions:
            raise PolicyError(f"{where}: 'from' and 'to' are of different IP versions")
        versions = {version}

    comment = rule.get("comment")
    if comment is not None:
        comment = str(comment)
        if "'" in comment or '"' in comment or "\n" in comment:
            raise PolicyError(f"{where}.comment: quotes and newlines are not allowed")

    where_dir = direction + (f"_{interface}" if interface else "")
    tuples = sorted(
        " ".join(
            [
                action,
                proto,
                port or "any",
                addresses["to"] or _ANY[version],
                "any",
                addresses["from"] or _ANY[version],
                where_dir,
                f"v{version}",
            ]
        )
        for version in versions
    )
    return {
        "rule": action,
        "port": port,
        "proto": proto,
        "from": addresses["from"] or "any",
        "to": addresses["to"] or "any",
        "interface": interface,
        "direction": direction,
        "comment": comment,
        "tuples": tuples,
    }


def ufw_rules(rules: object, name: str = "ufw_rules", ipv6: bool = True) -> list[dict]:
    """Check a list of rule mappings; return them normalised (duplicates kept once)."""
    if not isinstance(rules, (list, tuple)):
        raise PolicyError(f"{name}: expected a list of rule mappings, got {shown(rules)}")
    out: list[dict] = []
    seen: set[tuple[str, ...]] = set()
    for index, rule in enumerate(rules):
        normalised = ufw_rule(rule, f"{name}[{index}]", ipv6=ipv6)
        key = tuple(normalised["tuples"])
        if key not in seen:
            seen.add(key)
            out.append(normalised)
    return out


def _decode_comment(field: str) -> str:
    try:
        return bytes.fromhex(field).decode("utf-8", "replace")
    except ValueError:
        return field


def _existing(text: str, version: int) -> list[dict]:
    """Parse the tuple lines of user.rules (version 4) or user6.rules (version 6)."""
    found = []
    for line in _TUPLE.findall(text or ""):
        fields = line.split()
        comment = ""
        if fields and fields[-1].startswith("comment="):
            comment = _decode_comment(fields.pop().removeprefix("comment="))
        found.append({"fields": fields, "comment": comment, "version": version, "line": line})
    return found


def _any(address: str) -> str:
    return "any" if address in _ANY.values() else address


def _delete_params(entry: dict) -> dict | None:
    """community.general.ufw parameters that delete this tuple (None: cannot say)."""
    fields = entry["fields"]
    if len(fields) == 7:
        action, proto, dport, dst, sport, src, where = fields
        app = None
    elif len(fields) == 9:
        action, proto, dport, dst, sport, src, dapp, sapp, where = fields
        if sapp != "-":
            return None
        app = dapp if dapp != "-" else None
    else:
        return None
    route = action.startswith("route:")
    action = action.split(":", 1)[1] if route else action
    log = action.endswith("_log")
    if log:
        action = action[: -len("_log")]
    if action not in RULES:
        return None
    params: dict = {
        "rule": action,
        "from_ip": _any(src),
        "to_ip": _any(dst),
        "delete": True,
    }
    if log:
        params["log"] = True
    if app:
        params["name"] = app
    else:
        if proto != "any":
            params["proto"] = proto
        if dport != "any":
            params["to_port"] = dport
        if sport != "any":
            params["from_port"] = sport
    if route:
        params["route"] = True
        for part in where.split("!"):
            direction, _sep, iface = part.partition("_")
            if iface:
                params["interface_" + direction] = iface
    else:
        direction, _sep, iface = where.partition("_")
        params["direction"] = direction
        if iface:
            params["interface"] = iface
    return params


def ufw_purge(
    wanted: list[dict], user_rules: str, user6_rules: str = "", keep_comments: tuple = ()
) -> list[dict]:
    """Rules present in user.rules/user6.rules that `wanted` does not hold.

    `wanted` is the output of ``ufw_rules``. Rules whose comment starts with one of
    `keep_comments` (fail2ban's bans, for example) are left alone. Returns a list of
    community.general.ufw parameter mappings (with ``delete: true``) plus ``line``, the
    tuple as ufw wrote it, for the task's label.
    """
    wanted_keys = {key for rule in wanted for key in rule["tuples"]}
    out: list[dict] = []
    seen: list[dict] = []
    for entry in _existing(user_rules, 4) + _existing(user6_rules, 6):
        if any(entry["comment"].startswith(prefix) for prefix in keep_comments if prefix):
            continue
        key = " ".join(entry["fields"]) + f" v{entry['version']}"
        if key in wanted_keys:
            continue
        params = _delete_params(entry)
        if params is None:
            raise PolicyError(f"ufw_purge: cannot read the ufw rule {entry['line']!r}")
        if params["from_ip"] == "any" and params["to_ip"] == "any":
            # One delete of an any-to-any rule removes it for both IP versions: never
            # do that while the other version's copy is wanted (IPv6 switched off,
            # for example, must not delete the IPv4 SSH rule).
            other = 6 if entry["version"] == 4 else 4
            fields = [_ANY[other] if f == _ANY[entry["version"]] else f for f in entry["fields"]]
            if " ".join(fields) + f" v{other}" in wanted_keys:
                continue
        if params in seen:
            # an any-to-any rule sits in both files; one delete removes both
            continue
        seen.append(params)
        out.append({**params, "line": entry["line"]})
    return out
