# SPDX-License-Identifier: GPL-3.0-or-later
"""The sshd role's decisions: who would be refused, which keys still work,
what `sshd -T` shows that the role did not configure, what `ssh -Q` offers.

The role's tasks only gather the inputs (getent, `id -Gn`, `sshd -T`, the
authorized keys files, one `ssh -Q` probe) and act on these results.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._ssh_algorithms import (
    ssh_algorithms,
)

# The `ssh -Q` queries the roles ask, in the order the probe prints them.
SSH_QUERIES = ("kex", "cipher", "mac", "key-sig")
_DEFAULT_AKF = [".ssh/authorized_keys", ".ssh/authorized_keys2"]
# A key line: optional options, then the key type, then base64 starting "AAAA".
_KEY_TYPE = re.compile(r"(?:^|\s)((?:sk-)?(?:ssh|ecdsa)-[A-Za-z0-9@.-]+)\s+AAAA")
_CERT_AUTHORITY = re.compile(r"(^|,)cert-authority")
_VERSION = re.compile(r"OpenSSH_([0-9]+\.[0-9]+)")


def _glob(pattern: str) -> re.Pattern:
    """sshd's match_pattern: `*` and `?` wildcards, everything else literal."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z",
        re.S,
    )


def _host_matches(where: str, client: str) -> bool:
    """A USER@HOST pattern's HOST part against the client address.

    CIDR networks are evaluated when the address is known; without a client
    address a CIDR part counts as matching (the check then errs towards
    "this rule applies"), a glob must match the empty string.
    """
    if "/" in where:
        try:
            return ipaddress.ip_address(client) in ipaddress.ip_network(where, strict=False)
        except ValueError:
            return True
    return bool(_glob(where).match(client))


def patterns_match(patterns: list, names: list, client: str = "", with_host: bool = False) -> bool:
    """True when a pattern matches one of `names` and no `!`-negated one does.

    Patterns are USER or USER@HOST (with_host, for AllowUsers/DenyUsers) or
    GROUP (AllowGroups/DenyGroups), with `*` and `?` wildcards.
    """
    positive = negative = False
    for raw in patterns:
        if not isinstance(raw, str):
            raise PolicyError(f"a user or group pattern must be a string, got {shown(raw)}")
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        who, where = pattern, "*"
        if with_host and "@" in pattern:
            who, where = pattern.split("@", 1)
        if not _host_matches(where, client or ""):
            continue
        regex = _glob(who)
        if any(regex.match(name) for name in names):
            if negated:
                negative = True
            else:
                positive = True
    return positive and not negative


def login_refusals(
    user: str,
    groups: list,
    *,
    client: str | None = None,
    allow_users: list = (),
    deny_users: list = (),
    allow_groups: list = (),
    deny_groups: list = (),
) -> list[str]:
    """The variables (sshd_deny_users, sshd_allow_users, sshd_deny_groups,
    sshd_allow_groups, in that order) whose patterns would refuse `user`
    (member of `groups`, connecting from `client`); empty when none would."""
    if not isinstance(user, str) or not user:
        raise PolicyError(f"the login account must be a non-empty string, got {shown(user)}")
    groups = [g for g in (groups or []) if g]
    client = client or ""
    refused = []
    if patterns_match(deny_users, [user], client, with_host=True):
        refused.append("sshd_deny_users")
    if allow_users and not patterns_match(allow_users, [user], client, with_host=True):
        refused.append("sshd_allow_users")
    if patterns_match(deny_groups, groups, client):
        refused.append("sshd_deny_groups")
    if allow_groups and not patterns_match(allow_groups, groups, client):
        refused.append("sshd_allow_groups")
    return refused


def sshd_settings(text: str) -> dict:
    """`sshd -T` output as {keyword: value} (first occurrence of each keyword)."""
    settings: dict = {}
    for line in (text or "").splitlines():
        key, _sep, value = line.strip().partition(" ")
        key = key.lower()
        if key and key not in settings:
            settings[key] = value.strip()
    return settings


def authorized_keys_files(sshd_t: str, user: str, home: str) -> dict:
    """Where sshd looks up `user`'s keys, from the live `sshd -T` output.

    Returns files (AuthorizedKeysFile with %h, %u and %% expanded, relative
    paths under `home`) and elsewhere: keys may come from outside those files
    (AuthorizedKeysCommand or TrustedUserCAKeys set), so missing keys prove
    nothing.
    """
    settings = sshd_settings(sshd_t)
    tokens = settings.get("authorizedkeysfile", "").split() or list(_DEFAULT_AKF)
    files = []
    for token in tokens:
        if token.lower() == "none":
            continue
        path = re.sub(r"%([%hu])", lambda m: {"%": "%", "h": home, "u": user}[m.group(1)], token)
        files.append(path if path.startswith("/") else f"{home.rstrip('/')}/{path}")
    elsewhere = any(
        settings.get(key, "none").lower() not in ("", "none")
        for key in ("authorizedkeyscommand", "trustedusercakeys")
    )
    return {"files": files, "elsewhere": elsewhere}


def usable_keys(contents: list, accepted: list) -> dict:
    """Which authorized keys sshd would still accept with `accepted`
    (the new PubkeyAcceptedAlgorithms).

    contents: the texts of the authorized keys files. Returns key_types (every
    key type found) and usable (key types accepted, plus cert-authority lines
    when a certificate algorithm is accepted). An RSA key (ssh-rsa) works
    while an rsa-sha2-* signature algorithm is accepted.
    """
    accepted = list(accepted or [])
    if any(re.match(r"^rsa-sha2-(256|512)$", a) for a in accepted):
        accepted.append("ssh-rsa")
    lines = [
        line
        for text in contents or []
        for line in str(text).split("\n")
        if line.strip() and not line.lstrip().startswith("#")
    ]
    key_types = [t for line in lines for t in _KEY_TYPE.findall(line)]
    usable = [t for t in key_types if t in accepted]
    if any("-cert-v01@" in a for a in accepted):
        usable += [line for line in lines if _CERT_AUTHORITY.search(line)]
    return {"key_types": key_types, "usable": usable}


def effective_mismatches(sshd_t: str, expected: dict) -> dict:
    """The expected settings that `sshd -T` shows otherwise: {keyword: shown
    value, or None when sshd -T does not show the keyword}."""
    actual = sshd_settings(sshd_t)
    return {
        key: actual.get(key) for key, value in expected.items() if actual.get(key) != str(value)
    }


def ssh_query(text: str, cache: dict | None = None) -> dict:
    """Parse the one-round-trip probe of the OpenSSH client:

        OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024   (ssh -V)
        ## kex                       (then, unless the cache holds this version,
        curve25519-sha256             one `ssh -Q` list per query)
        ...

    Empty text: no OpenSSH client (present false). cache: the local fact the
    roles wrote after an earlier probe ({version, kex, cipher, mac, key-sig});
    its lists are used when the probe printed none and the version is the
    same. Returns present, version (the whole `ssh -V` line), openssh (e.g.
    "9.2"), cached (the lists came from the cache) and one list per query.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return {"present": False}
    match = _VERSION.search(lines[0])
    if not match:
        raise PolicyError(f"the OpenSSH probe did not start with `ssh -V` output: {shown(text)}")
    result: dict = {
        "present": True,
        "version": lines[0],
        "openssh": match.group(1),
        "cached": False,
    }
    current = None
    for line in lines[1:]:
        if line.startswith("## "):
            current = line[3:].strip()
            if current not in SSH_QUERIES:
                raise PolicyError(f"the OpenSSH probe printed an unknown query {shown(current)}")
            result[current] = []
        elif current is None:
            raise PolicyError(f"the OpenSSH probe printed {shown(line)} before any query")
        else:
            result[current].append(line)
    present = [q for q in SSH_QUERIES if q in result]
    if not present:
        cache = cache if isinstance(cache, dict) else {}
        if cache.get("version") != lines[0] or not all(
            isinstance(cache.get(q), list) for q in SSH_QUERIES
        ):
            raise PolicyError(
                f"the OpenSSH probe printed no `ssh -Q` lists and no cache holds {shown(lines[0])}"
            )
        result.update({q: list(cache[q]) for q in SSH_QUERIES}, cached=True)
    elif len(present) != len(SSH_QUERIES):
        missing = [q for q in SSH_QUERIES if q not in result]
        raise PolicyError(f"the OpenSSH probe misses the `ssh -Q` lists {', '.join(missing)}")
    return result


# Each algorithm list: the ssh_algorithms kind and the `ssh -Q` query that
# lists what OpenSSH supports.
CRYPTO_QUERIES = {
    "kex": "kex",
    "ciphers": "cipher",
    "macs": "mac",
    "host_key_algorithms": "key-sig",
    "pubkey_accepted_algorithms": "key-sig",
}


def override_errors(openssh: dict, overrides: dict | None = None) -> list[str]:
    """One message per override list naming algorithms the host's OpenSSH
    does not list (the variable, the names, what `ssh -Q` lists)."""
    errors = []
    for kind, query in CRYPTO_QUERIES.items():
        offered = openssh.get(query)
        if not isinstance(offered, list):
            raise PolicyError(f"the OpenSSH probe result has no `ssh -Q {query}` list")
        var, chosen = (overrides or {}).get(kind) or (None, None)
        unknown = [name for name in chosen or [] if name not in offered]
        if unknown:
            errors.append(
                f"{var} names {', '.join(map(str, unknown))}, which this host's OpenSSH"
                f" {openssh.get('openssh', '?')} does not support"
                f" (`ssh -Q {query}` lists: {', '.join(offered)})"
            )
    return errors


def crypto_lists(
    openssh: dict,
    overrides: dict | None = None,
    *,
    profile: str = "modern",
    rsa_host_key: bool = False,
    rsa_pubkey: bool = True,
) -> dict:
    """All five algorithm lists at once: each override (a non-empty list in
    `overrides`, keyed by its variable name, e.g. {"kex": ("sshd_kex_algorithms",
    [...])}) once every name in it is one the host's OpenSSH lists, else the
    profile's choice (ssh_algorithms) from what `ssh -Q` lists.

    openssh: the result of ssh_query (with the lists).
    """
    errors = override_errors(openssh, overrides)
    if errors:
        raise PolicyError("; ".join(errors))
    result = {}
    for kind, query in CRYPTO_QUERIES.items():
        _var, chosen = (overrides or {}).get(kind) or (None, None)
        if chosen:
            result[kind] = list(chosen)
        else:
            result[kind] = ssh_algorithms(openssh[query], kind, profile, rsa_host_key, rsa_pubkey)
    return result


_HOST_SECTION = re.compile(r"^==> (socket|rsa|moduli|files) <==$", re.MULTILINE)


def host_state(text: str, moduli_min_bits: int = 3072) -> dict:
    """The sshd role's one read of the host before it configures it.

    text: `==> socket <==` and `systemctl is-enabled ssh.socket` (empty where
    there is none), `==> rsa <==` and `ssh-keygen -l` of the RSA host key
    (empty without one), `==> moduli <==` and field 5 of /etc/ssh/moduli (the
    size minus one); optionally `==> files <==` (the state lines of the paths
    the role writes, for files_to_write and paths_to_make). Returns
    socket_activated, rsa_bits (0 without a key), weak_moduli: the field-5
    values of groups smaller than moduli_min_bits, unique, in file order, as
    strings for the replace pattern; files (the text, empty when not read).
    """
    parts = _HOST_SECTION.split(text or "")
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    missing = [name for name in ("socket", "rsa", "moduli") if name not in sections]
    if missing:
        raise PolicyError(f"the sshd host probe did not print {', '.join(missing)}: {shown(text)}")
    rsa = sections["rsa"].split()
    weak: list[str] = []
    for field in sections["moduli"].split():
        if field.isdigit() and int(field) < moduli_min_bits - 1 and str(int(field)) not in weak:
            weak.append(str(int(field)))
    return {
        "socket_activated": sections["socket"].strip() == "enabled",
        "rsa_bits": int(rsa[0]) if rsa and rsa[0].isdigit() else 0,
        "weak_moduli": weak,
        "files": sections.get("files", "").strip("\n"),
    }
