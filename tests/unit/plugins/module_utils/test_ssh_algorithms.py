# SPDX-License-Identifier: GPL-3.0-or-later
"""ssh_algorithms against `ssh -Q` output captured from the test images.

The expected lists are written out by hand from issue 3 and ssh-audit's
hardening guide (Debian 12 server guide v3, 2025-04-18), not taken from the
module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from ansible_collections.bulwark.hardening.plugins.module_utils._ssh_algorithms import (
    KINDS,
    ssh_algorithms,
)
from hypothesis import given
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[1] / "data"
DEB12 = DATA / "openssh-9.2-debian12"
DEB13 = DATA / "openssh-10.0-debian13"
QUERY = {
    "kex": "kex.txt",
    "ciphers": "cipher.txt",
    "macs": "mac.txt",
    "host_key_algorithms": "key-sig.txt",
    "pubkey_accepted_algorithms": "key-sig.txt",
}


def offered(target: Path, kind: str) -> str:
    return (target / QUERY[kind]).read_text()


CIPHERS = [
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-gcm@openssh.com",
    "aes128-ctr",
]
MACS = [
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "umac-128-etm@openssh.com",
]
ED25519 = [
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519",
]
RSA = [
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
]
SNTRUP = ["sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"]
CURVE = ["curve25519-sha256", "curve25519-sha256@libssh.org"]


@pytest.mark.parametrize(
    ("target", "profile", "expected"),
    [
        (DEB12, "modern", SNTRUP),
        (DEB13, "modern", ["mlkem768x25519-sha256", *SNTRUP]),
        (DEB12, "intermediate", [*SNTRUP, *CURVE]),
        (DEB13, "intermediate", ["mlkem768x25519-sha256", *SNTRUP, *CURVE]),
    ],
)
def test_kex(target, profile, expected):
    assert ssh_algorithms(offered(target, "kex"), "kex", profile) == expected


def test_modern_is_the_default_profile():
    assert ssh_algorithms(offered(DEB12, "kex"), "kex") == SNTRUP


@pytest.mark.parametrize("target", [DEB12, DEB13])
@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_ciphers_macs_and_keys(target, profile):
    assert ssh_algorithms(offered(target, "ciphers"), "ciphers", profile) == CIPHERS
    assert ssh_algorithms(offered(target, "macs"), "macs", profile) == MACS
    host = offered(target, "host_key_algorithms")
    assert ssh_algorithms(host, "host_key_algorithms", profile) == ED25519
    assert ssh_algorithms(host, "host_key_algorithms", profile, rsa_host_key=True) == ED25519 + RSA
    assert ssh_algorithms(host, "pubkey_accepted_algorithms", profile) == ED25519 + RSA
    assert ssh_algorithms(host, "pubkey_accepted_algorithms", profile, rsa_pubkey=False) == ED25519


@pytest.mark.parametrize("target", [DEB12, DEB13])
def test_server_query_names_give_the_same_key_lists(target):
    # `ssh -Q HostKeyAlgorithms` / `PubkeyAcceptedAlgorithms` work as inputs too.
    host = (target / "HostKeyAlgorithms.txt").read_text()
    pubkey = (target / "PubkeyAcceptedAlgorithms.txt").read_text()
    assert ssh_algorithms(host, "host_key_algorithms", rsa_host_key=True) == ED25519 + RSA
    assert ssh_algorithms(pubkey, "pubkey_accepted_algorithms") == ED25519 + RSA


@pytest.mark.parametrize("target", [DEB12, DEB13])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_nothing_weak_ever(target, kind, profile):
    result = ssh_algorithms(offered(target, kind), kind, profile, rsa_host_key=True)
    for name in result:
        assert "sha1" not in name
        assert "cbc" not in name
        assert "nistp" not in name
        assert "dss" not in name
        assert not name.startswith(("gss-", "diffie-hellman", "ecdh-", "ssh-rsa", "ecdsa"))
    if kind == "macs":
        assert all("-etm@openssh.com" in name for name in result)


def test_list_input_and_blank_lines():
    names = ["", "  curve25519-sha256  ", "sntrup761x25519-sha512@openssh.com", ""]
    assert ssh_algorithms(names, "kex") == ["sntrup761x25519-sha512@openssh.com"]
    text = "\n\ncurve25519-sha256\r\nsntrup761x25519-sha512\n"
    assert ssh_algorithms(text, "kex", "intermediate") == [
        "sntrup761x25519-sha512",
        "curve25519-sha256",
    ]


def test_gss_kex_is_never_chosen():
    text = "gss-curve25519-sha256-\ngss-group16-sha512-\ncurve25519-sha256\n"
    assert ssh_algorithms(text, "kex", "intermediate") == ["curve25519-sha256"]


def test_empty_intersection_names_kind_and_offer():
    with pytest.raises(PolicyError) as err:
        ssh_algorithms("curve25519-sha256\ndiffie-hellman-group14-sha256\n", "kex", "modern")
    message = str(err.value)
    assert "kex" in message
    assert "modern" in message
    assert "it offers: curve25519-sha256, diffie-hellman-group14-sha256" in message


def test_rhel9_like_client_has_no_modern_kex():
    # OpenSSH 8.7 (RHEL 9) under DEFAULT crypto policy: no post-quantum hybrid.
    rhel9 = "curve25519-sha256\ncurve25519-sha256@libssh.org\necdh-sha2-nistp256\n"
    with pytest.raises(PolicyError, match="none of the modern kex"):
        ssh_algorithms(rhel9, "kex")
    assert ssh_algorithms(rhel9, "kex", "intermediate") == CURVE


@pytest.mark.parametrize("kind", ["cipher", "mac", "key-sig", "KexAlgorithms", None])
def test_unknown_kind(kind):
    with pytest.raises(PolicyError, match="valid kinds: kex, ciphers, macs"):
        ssh_algorithms("curve25519-sha256", kind)


@pytest.mark.parametrize("profile", ["old", "Modern", None])
def test_unknown_profile(profile):
    with pytest.raises(PolicyError, match="valid profiles: modern, intermediate"):
        ssh_algorithms("curve25519-sha256", "kex", profile)


@pytest.mark.parametrize("bad", [None, 42, {"kex": "x"}, b"curve25519-sha256", ["ok", 3]])
def test_non_string_input(bad):
    with pytest.raises(PolicyError, match="string"):
        ssh_algorithms(bad, "kex")


@pytest.mark.parametrize(
    "bad", ["ssh: unknown query type\n", "curve25519-sha256,sntrup761x25519-sha512", "a b"]
)
def test_garbage_lines_are_errors(bad):
    with pytest.raises(PolicyError, match="is not an SSH algorithm name"):
        ssh_algorithms(bad, "kex")


@pytest.mark.parametrize("empty", ["", "\n\n", []])
def test_empty_offer(empty):
    with pytest.raises(PolicyError, match="empty"):
        ssh_algorithms(empty, "kex")


@pytest.mark.parametrize("flag", ["rsa_host_key", "rsa_pubkey"])
def test_flags_must_be_bool(flag):
    with pytest.raises(PolicyError, match=flag):
        ssh_algorithms("ssh-ed25519", "host_key_algorithms", **{flag: "yes"})


FULL_DEB13 = {kind: offered(DEB13, kind).split() for kind in KINDS}


@given(data=st.data())
def test_any_subset_keeps_preference_order(data):
    kind = data.draw(st.sampled_from(KINDS))
    profile = data.draw(st.sampled_from(["modern", "intermediate"]))
    subset = data.draw(st.lists(st.sampled_from(FULL_DEB13[kind]), unique=True, min_size=1))
    full = ssh_algorithms(FULL_DEB13[kind], kind, profile, rsa_host_key=True)
    try:
        result = ssh_algorithms(subset, kind, profile, rsa_host_key=True)
    except PolicyError:
        assert not set(full) & set(subset)
    else:
        assert result == [name for name in full if name in subset]
