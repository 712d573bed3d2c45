# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh_algorithms
short_description: Hardened OpenSSH algorithm list, limited to what the target supports
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Returns the ordered list of OpenSSH algorithm names for one C(sshd_config) / C(ssh_config)
    keyword, taken from a hardening profile and intersected with the output of C(ssh -Q) on
    the target, so the result never names an algorithm the installed OpenSSH rejects.
  - The lists follow ssh-audit's hardening guides, made stricter. No profile ever contains
    GSSAPI key exchanges (C(gss-*), only some patched builds accept them), SHA-1, CBC ciphers,
    encrypt-and-MAC (non-ETM) MACs, NIST curves, DSA or ECDSA.
  - "Profile V(modern): key exchange is post-quantum hybrids only: C(mlkem768x25519-sha256)
    (OpenSSH 9.9+), C(sntrup761x25519-sha512), C(sntrup761x25519-sha512@openssh.com) (OpenSSH
    8.5+). ssh-audit reports no warning for it on OpenSSH 9.2 and 10.0."
  - "Profile V(intermediate): the same, then C(curve25519-sha256) and
    C(curve25519-sha256@libssh.org) for clients without post-quantum key exchange (for example
    RHEL 9 under its default crypto policy). ssh-audit warns about these; that is the price."
  - "Ciphers (both profiles): C(chacha20-poly1305@openssh.com), C(aes256-gcm@openssh.com),
    C(aes256-ctr), C(aes192-ctr), C(aes128-gcm@openssh.com), C(aes128-ctr)."
  - "MACs (both profiles): C(hmac-sha2-512-etm@openssh.com), C(hmac-sha2-256-etm@openssh.com),
    C(umac-128-etm@openssh.com)."
  - "Host key and public key algorithms are signature algorithms as C(ssh -Q key-sig) prints
    them: the Ed25519 family first (C(sk-ssh-ed25519-cert-v01@openssh.com),
    C(ssh-ed25519-cert-v01@openssh.com), C(sk-ssh-ed25519@openssh.com), C(ssh-ed25519)), then
    RSA with SHA-2 only (C(rsa-sha2-512-cert-v01@openssh.com),
    C(rsa-sha2-256-cert-v01@openssh.com), C(rsa-sha2-512), C(rsa-sha2-256)) when enabled."
options:
  _input:
    description:
      - What the target supports, as printed by C(ssh -Q kex), C(ssh -Q cipher), C(ssh -Q mac)
        or C(ssh -Q key-sig) (one name per line), or a list of names.
      - Blank lines are ignored; any line that is not an algorithm name is an error, since it
        usually means an error message was captured instead.
    type: raw
    required: true
  kind:
    description:
      - Which list to return. The same names serve the server and the client keywords
        (C(KexAlgorithms), C(Ciphers), C(MACs), C(HostKeyAlgorithms),
        C(PubkeyAcceptedAlgorithms)).
    type: str
    required: true
    choices: [kex, ciphers, macs, host_key_algorithms, pubkey_accepted_algorithms]
  profile:
    description: The hardening profile.
    type: str
    default: modern
    choices: [modern, intermediate]
  rsa_host_key:
    description:
      - Whether an RSA host key is in use. Adds the RSA SHA-2 signatures (with their certificate
        variants) after the Ed25519 ones for O(kind=host_key_algorithms). Ignored for other kinds.
    type: bool
    default: false
  rsa_pubkey:
    description:
      - For O(kind=pubkey_accepted_algorithms) only. Whether users may log in with RSA keys
        (SHA-2 signatures only). On by default because user keys are outside the server
        admin's control and RSA SHA-2 signatures are sound (pair with C(RequiredRSASize 3072)).
      - ECDSA user keys, including C(sk-ecdsa-sha2-nistp256@openssh.com) FIDO keys, are never
        accepted (NIST curve). Users of FIDO authenticators without Ed25519 support need an
        override.
    type: bool
    default: true
seealso:
  - name: ssh-audit hardening guides
    description: The lists this filter starts from.
    link: https://www.ssh-audit.com/hardening_guides.html
"""

EXAMPLES = r"""
---
- name: Ask the target what it supports
  ansible.builtin.command: ssh -Q kex
  register: __sshd_kex
  changed_when: false
  check_mode: false

- name: Render the key exchange line
  ansible.builtin.debug:
    msg: >-
      KexAlgorithms {{ __sshd_kex.stdout | bulwark.hardening.ssh_algorithms('kex') | join(',') }}
  # On OpenSSH 9.2: KexAlgorithms sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com

- name: Host key algorithms with an RSA host key kept for old clients
  ansible.builtin.debug:
    msg: >-
      {{ __sshd_key_sig.stdout
         | bulwark.hardening.ssh_algorithms('host_key_algorithms', rsa_host_key=true) }}
"""

RETURN = r"""
_value:
  description:
    - The algorithm names in preference order, each offered by the target. Join with C(,) for
      the config file.
    - Never empty; an empty intersection is an error that names the kind and lists what the
      target offered.
  type: list
  elements: str
"""

from collections.abc import Sequence  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._ssh_algorithms import (  # noqa: E402
    ssh_algorithms,
)

_FQCN = "bulwark.hardening.ssh_algorithms"


def ssh_algorithms_filter(
    offered: str | Sequence[str],
    kind: str,
    profile: str = "modern",
    rsa_host_key: bool = False,
    rsa_pubkey: bool = True,
) -> list[str]:
    try:
        return ssh_algorithms(offered, kind, profile, rsa_host_key, rsa_pubkey)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: hardened OpenSSH algorithm lists."""

    def filters(self) -> dict[str, object]:
        return {"ssh_algorithms": ssh_algorithms_filter}
