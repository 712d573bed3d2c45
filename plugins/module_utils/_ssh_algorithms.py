# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSSH algorithm lists for the sshd and ssh client roles.

The preferred lists follow ssh-audit's hardening guides (jtesta/ssh-audit,
``hardening_guides.py``, Debian 12 server guide v3 of 2025-04-18) with the
stricter rules of issue 3: key exchange is post-quantum hybrid only in the
``modern`` profile, and there is no GSSAPI, SHA-1, CBC, non-ETM MAC, NIST
curve, DSA or ECDSA anywhere.  Each list is intersected with what the target
says it supports (``ssh -Q ...``) so an older OpenSSH never gets a name it
would refuse to start with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

KINDS = ("kex", "ciphers", "macs", "host_key_algorithms", "pubkey_accepted_algorithms")
PROFILES = ("modern", "intermediate")

# ML-KEM first: it is the standardised (FIPS 203) hybrid and OpenSSH 10's
# default; sntrup761 keeps OpenSSH 8.5 - 9.8 peers post-quantum.
_PQ_KEX = (
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
)
# Classical fallback for clients without post-quantum key exchange (RHEL 9's
# default crypto policy).  ssh-audit >= 3.4 warns about it; that is the
# documented price of the intermediate profile.
_CLASSIC_KEX = ("curve25519-sha256", "curve25519-sha256@libssh.org")

# ssh-audit's 2024-10 re-ordering: larger keys first as a hedge against
# Grover-style quantum speed-ups.  CTR modes stay because ETM MACs make them
# sound and some appliances lack the AEAD modes.
_CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-gcm@openssh.com",
    "aes128-ctr",
)

# Encrypt-then-MAC only; plain hmac-sha2-* are encrypt-and-MAC and are what
# ssh-audit flags.  The longer tag first.
_MACS = (
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "umac-128-etm@openssh.com",
)

# Ed25519 family first (certificates before plain keys, as ssh-audit orders
# them); the FIDO (sk-) variants cost nothing where unused.
_ED25519_SIGS = (
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519",
)
# RSA only with SHA-2 signatures; ssh-rsa (SHA-1) never.
_RSA_SHA2_SIGS = (
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
)

# What `ssh -Q` prints: letters, digits and . _ - + @ only.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@-]*")


def preferred(
    kind: str, profile: str = "modern", rsa_host_key: bool = False, rsa_pubkey: bool = True
) -> tuple[str, ...]:
    """Return the full preference list of a profile, before intersection."""
    if kind not in KINDS:
        raise PolicyError(f"unknown kind {shown(kind)}; valid kinds: {', '.join(KINDS)}")
    if profile not in PROFILES:
        raise PolicyError(
            f"unknown profile {shown(profile)}; valid profiles: {', '.join(PROFILES)}"
        )
    if kind == "kex":
        return _PQ_KEX + (_CLASSIC_KEX if profile == "intermediate" else ())
    if kind == "ciphers":
        return _CIPHERS
    if kind == "macs":
        return _MACS
    if kind == "host_key_algorithms":
        return _ED25519_SIGS + (_RSA_SHA2_SIGS if rsa_host_key else ())
    return _ED25519_SIGS + (_RSA_SHA2_SIGS if rsa_pubkey else ())


def parse_offered(offered: str | Sequence[str]) -> list[str]:
    """Turn `ssh -Q` output (text or list of lines) into a list of names.

    Anything that is not an algorithm name is an error rather than skipped:
    it usually means stderr or the wrong command's output was passed in.
    """
    if isinstance(offered, str):
        items: Iterable[object] = offered.splitlines()
    elif isinstance(offered, Sequence) and not isinstance(offered, bytes | bytearray):
        items = offered
    else:
        raise PolicyError(
            f"input must be the `ssh -Q` output as a string or a list of names, "
            f"got {type(offered).__name__} {shown(offered)}"
        )
    names = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(
                f"every offered algorithm must be a string, got {type(item).__name__} {shown(item)}"
            )
        name = item.strip()
        if not name:
            continue
        if not _NAME_RE.fullmatch(name):
            raise PolicyError(f"{shown(name)} is not an SSH algorithm name")
        names.append(name)
    if not names:
        raise PolicyError("the offered algorithm list is empty (did `ssh -Q` fail?)")
    return names


def ssh_algorithms(
    offered: str | Sequence[str],
    kind: str,
    profile: str = "modern",
    rsa_host_key: bool = False,
    rsa_pubkey: bool = True,
) -> list[str]:
    """Return the profile's list for ``kind``, in preference order, limited to
    the names the target offers."""
    for flag, value in (("rsa_host_key", rsa_host_key), ("rsa_pubkey", rsa_pubkey)):
        if not isinstance(value, bool):
            raise PolicyError(f"{flag} must be a boolean, got {shown(value)}")
    wanted = preferred(kind, profile, rsa_host_key, rsa_pubkey)
    available = set(parse_offered(offered))
    chosen = [name for name in wanted if name in available]
    if not chosen:
        raise PolicyError(
            f"none of the {profile} {kind} algorithms ({', '.join(wanted)}) is offered "
            f"by the target; it offers: {', '.join(sorted(available))}"
        )
    return chosen
