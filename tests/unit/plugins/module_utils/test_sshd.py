# SPDX-License-Identifier: GPL-3.0-or-later
"""The sshd role's decisions: login refusals (AllowUsers/DenyUsers/AllowGroups/
DenyGroups with USER@HOST patterns and negations), authorized keys files and
key types after an algorithm change, `sshd -T` mismatches, the OpenSSH probe
and its cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._sshd import (
    CRYPTO_QUERIES,
    SSH_QUERIES,
    authorized_keys_files,
    crypto_lists,
    effective_mismatches,
    host_state,
    login_refusals,
    override_errors,
    patterns_match,
    ssh_query,
    usable_keys,
)
from hypothesis import given
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[1] / "data"


def refusals(**kwargs):
    base = {"user": "operator", "groups": ["operator", "sudo"], "client": "192.0.2.9"}
    base.update(kwargs)
    user, groups = base.pop("user"), base.pop("groups")
    return login_refusals(user, groups, **base)


# --- login refusals -------------------------------------------------------


def test_no_rules_refuse_nobody():
    assert refusals() == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"allow_users": ["nobody-else"]}, ["sshd_allow_users"]),
        ({"allow_users": ["operator"]}, []),
        ({"allow_users": ["op*"]}, []),
        ({"allow_users": ["operato?"]}, []),
        ({"allow_users": ["operato"]}, ["sshd_allow_users"]),  # whole-name match only
        ({"allow_users": ["op.rator"]}, ["sshd_allow_users"]),  # `.` is literal
        ({"deny_users": ["operator"]}, ["sshd_deny_users"]),
        ({"deny_users": ["*"]}, ["sshd_deny_users"]),
        ({"deny_users": ["root"]}, []),
        ({"allow_groups": ["wheel"]}, ["sshd_allow_groups"]),
        ({"allow_groups": ["sudo"]}, []),
        ({"deny_groups": ["sud?"]}, ["sshd_deny_groups"]),
        (
            {
                "deny_users": ["operator"],
                "allow_users": ["x"],
                "deny_groups": ["sudo"],
                "allow_groups": ["y"],
            },
            ["sshd_deny_users", "sshd_allow_users", "sshd_deny_groups", "sshd_allow_groups"],
        ),
    ],
)
def test_user_and_group_patterns(kwargs, expected):
    assert refusals(**kwargs) == expected


@pytest.mark.parametrize(
    ("pattern", "client", "allowed"),
    [
        ("operator@192.0.2.9", "192.0.2.9", True),
        ("operator@192.0.2.*", "192.0.2.9", True),
        ("operator@198.51.100.7", "192.0.2.9", False),
        ("operator@192.0.2.0/24", "192.0.2.9", True),
        ("operator@10.0.0.0/8", "192.0.2.9", False),
        ("operator@2001:db8::/32", "2001:db8::5", True),
        ("operator@2001:db8::/32", "192.0.2.9", False),
        # Without a client address: a CIDR host counts as matching (it cannot
        # be told), a host glob must match the empty address.
        ("operator@10.0.0.0/8", "", True),
        ("operator@*", "", True),
        ("operator@192.0.2.9", "", False),
        # Only the first @ splits: the user part has none.
        ("*@*", "192.0.2.9", True),
    ],
)
def test_user_at_host_patterns(pattern, client, allowed):
    result = refusals(allow_users=[pattern], client=client)
    assert (result == []) is allowed


def test_host_part_is_not_matched_for_groups():
    # AllowGroups patterns have no @HOST part: an @ is part of the name.
    assert refusals(allow_groups=["sudo@10.0.0.0/8"]) == ["sshd_allow_groups"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # A negated match wins over a positive one.
        ({"allow_users": ["*", "!operator"]}, ["sshd_allow_users"]),
        ({"deny_users": ["*", "!operator"]}, []),
        # A negation alone allows nobody / denies nobody.
        ({"allow_users": ["!root"]}, ["sshd_allow_users"]),
        ({"deny_users": ["!root"]}, []),
        ({"allow_groups": ["*", "!sudo"]}, ["sshd_allow_groups"]),
        # A negation that does not apply to this account changes nothing.
        ({"allow_users": ["*", "!root"]}, []),
        ({"allow_users": ["operator", "!operator@198.51.100.7"]}, []),
        ({"allow_users": ["operator", "!operator@192.0.2.9"]}, ["sshd_allow_users"]),
    ],
)
def test_negations(kwargs, expected):
    assert refusals(**kwargs) == expected


def test_bad_values_are_policy_errors():
    with pytest.raises(PolicyError, match="login account"):
        login_refusals("", [])
    with pytest.raises(PolicyError, match="42"):
        login_refusals("operator", [], allow_users=[42])


NAMES = st.text(alphabet="abcdefgho-_.", min_size=1, max_size=8)
PATTERNS = st.lists(st.text(alphabet="abo*?!.-", min_size=1, max_size=6), max_size=5)


@given(user=NAMES, groups=st.lists(NAMES, max_size=3), allow=PATTERNS, deny=PATTERNS)
def test_exact_name_is_allowed_unless_denied(user, groups, allow, deny):
    # Listing the account by name in AllowUsers always satisfies AllowUsers.
    result = login_refusals(user, groups, allow_users=[*allow, user], deny_users=deny)
    assert "sshd_allow_users" not in result or any(p.startswith("!") for p in allow)


@given(user=NAMES, deny=PATTERNS, extra=PATTERNS)
def test_more_deny_patterns_never_lift_a_denial_without_negation(user, deny, extra):
    deny = [p for p in deny if not p.startswith("!")]
    extra = [p for p in extra if not p.startswith("!")]
    if "sshd_deny_users" in login_refusals(user, [], deny_users=deny):
        assert "sshd_deny_users" in login_refusals(user, [], deny_users=deny + extra)


@given(
    user=NAMES, groups=st.lists(NAMES, max_size=3), allow=PATTERNS, deny=PATTERNS, data=st.data()
)
def test_pattern_order_does_not_matter(user, groups, allow, deny, data):
    first = login_refusals(user, groups, allow_users=allow, deny_groups=deny)
    shuffled_allow = data.draw(st.permutations(allow))
    shuffled_deny = data.draw(st.permutations(deny))
    assert (
        login_refusals(user, groups, allow_users=shuffled_allow, deny_groups=shuffled_deny) == first
    )


@given(name=NAMES)
def test_star_matches_every_name_and_the_name_matches_itself(name):
    assert patterns_match(["*"], [name])
    assert patterns_match([name], [name])
    assert not patterns_match([f"!{name}"], [name])


# --- authorized keys files ------------------------------------------------


def test_default_keys_files_when_sshd_t_is_empty():
    assert authorized_keys_files("", "op", "/home/op") == {
        "files": ["/home/op/.ssh/authorized_keys", "/home/op/.ssh/authorized_keys2"],
        "elsewhere": False,
    }


def test_keys_files_expand_tokens_and_keep_absolute_paths():
    sshd_t = "port 22\nauthorizedkeysfile .ssh/authorized_keys /etc/ssh/keys/%u %h/.ssh/k2 /x/%%u\n"
    assert authorized_keys_files(sshd_t, "op", "/home/op/")["files"] == [
        "/home/op/.ssh/authorized_keys",
        "/etc/ssh/keys/op",
        "/home/op//.ssh/k2",
        "/x/%u",
    ]


@pytest.mark.parametrize(
    ("line", "elsewhere"),
    [
        ("authorizedkeyscommand none", False),
        ("authorizedkeyscommand /usr/bin/sss_ssh_authorizedkeys", True),
        ("trustedusercakeys /etc/ssh/user_ca.pub", True),
        ("trustedusercakeys none", False),
    ],
)
def test_keys_from_elsewhere(line, elsewhere):
    assert authorized_keys_files(line, "op", "/home/op")["elsewhere"] is elsewhere


def test_keys_files_none():
    assert authorized_keys_files("authorizedkeysfile none", "op", "/h")["files"] == []


# --- usable keys after a key type change ----------------------------------

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE op@laptop"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ op@old"
ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAA op@x"
SK = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t op@key"
MODERN = ["ssh-ed25519", "sk-ssh-ed25519@openssh.com", "rsa-sha2-512", "rsa-sha2-256"]


@pytest.mark.parametrize(
    ("lines", "accepted", "usable"),
    [
        ([ED], MODERN, ["ssh-ed25519"]),
        # RSA keys sign with rsa-sha2-*: usable while one is accepted.
        ([RSA], MODERN, ["ssh-rsa"]),
        ([RSA], ["ssh-ed25519"], []),
        # The key type changes from ECDSA to ed25519-only: the ECDSA key is lost.
        ([ECDSA], ["ssh-ed25519"], []),
        ([ECDSA, ED], ["ssh-ed25519"], ["ssh-ed25519"]),
        ([SK], MODERN, ["sk-ssh-ed25519@openssh.com"]),
        # Options before the key type.
        ([f'from="192.0.2.0/24",no-pty {ED}'], MODERN, ["ssh-ed25519"]),
        ([f'command="echo hi there" {ED}'], MODERN, ["ssh-ed25519"]),
        # Comments and blank lines are not keys.
        ([f"# {ED}", "", "   "], MODERN, []),
    ],
)
def test_usable_keys(lines, accepted, usable):
    assert usable_keys(["\n".join(lines)], accepted)["usable"] == usable


def test_cert_authority_counts_only_with_a_certificate_algorithm():
    line = f"cert-authority,principals=op {ED}"
    with_cert = [*MODERN, "ssh-ed25519-cert-v01@openssh.com"]
    assert line in usable_keys([line], with_cert)["usable"]
    assert line not in usable_keys([line], MODERN)["usable"]


def test_key_types_are_reported_across_files():
    assert usable_keys([ED, f"{RSA}\n{ECDSA}\n"], [])["key_types"] == [
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
    ]


KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com"]


@given(
    types=st.lists(st.sampled_from(KEY_TYPES), max_size=4),
    accepted=st.lists(st.sampled_from([*KEY_TYPES, "rsa-sha2-512"]), unique=True, max_size=5),
)
def test_usable_is_exactly_the_accepted_key_types(types, accepted):
    text = "\n".join(f"{t} AAAAexample c" for t in types)
    result = usable_keys([text], accepted)
    effective = set(accepted) | ({"ssh-rsa"} if "rsa-sha2-512" in accepted else set())
    assert result["key_types"] == types
    assert result["usable"] == [t for t in types if t in effective]


# --- sshd -T mismatches ---------------------------------------------------


def test_mismatches_only_differing_or_missing():
    sshd_t = "maxauthtries 3\nx11forwarding no\npermitrootlogin without-password\n"
    expected = {"maxauthtries": "3", "x11forwarding": "yes", "ciphers": "aes256-gcm@openssh.com"}
    assert effective_mismatches(sshd_t, expected) == {"x11forwarding": "no", "ciphers": None}


def test_mismatch_keywords_are_lower_case_and_first_wins():
    assert effective_mismatches("MaxAuthTries 3\nmaxauthtries 6\n", {"maxauthtries": 3}) == {}


@given(
    st.dictionaries(st.text(alphabet="abcdefg", min_size=1), st.text(alphabet="xyz,-", min_size=1))
)
def test_sshd_t_showing_everything_has_no_mismatch(expected):
    sshd_t = "\n".join(f"{k} {v}" for k, v in expected.items())
    assert effective_mismatches(sshd_t, expected) == {}


# --- the OpenSSH probe and its cache --------------------------------------


def probe_text(version: str, lists: dict | None) -> str:
    out = [version]
    for query in SSH_QUERIES if lists is not None else ():
        out += [f"## {query}", *lists[query]]
    return "\n".join(out) + "\n"


DEB12 = DATA / "openssh-9.2-debian12"
V92 = (DEB12 / "ssh-V.txt").read_text().strip()
LISTS92 = {q: (DEB12 / f"{q}.txt").read_text().split() for q in SSH_QUERIES}


def test_probe_with_lists():
    result = ssh_query(probe_text(V92, LISTS92))
    assert result["present"] is True
    assert result["cached"] is False
    assert result["openssh"] == "9.2"
    assert result["kex"] == LISTS92["kex"]


def test_rerun_takes_the_lists_from_a_cache_of_the_same_version():
    cache = ssh_query(probe_text(V92, LISTS92))
    result = ssh_query(probe_text(V92, None), cache)
    assert result["cached"] is True
    assert {q: result[q] for q in SSH_QUERIES} == LISTS92


def test_a_cache_of_another_version_is_not_used():
    cache = ssh_query(probe_text(V92, LISTS92)) | {"version": "OpenSSH_9.1p1 Debian-1"}
    with pytest.raises(PolicyError, match="no cache"):
        ssh_query(probe_text(V92, None), cache)


def test_no_client_is_not_present():
    assert ssh_query("") == {"present": False}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("bash: ssh: not found\n", "ssh -V"),
        (f"{V92}\n## kex\nx\n## cipher\ny\n", "misses"),
        (f"{V92}\n## bogus\nx\n", "unknown query"),
        (f"{V92}\nstray\n", "before any query"),
    ],
)
def test_bad_probe_output(text, match):
    with pytest.raises(PolicyError, match=match):
        ssh_query(text)


@given(
    st.fixed_dictionaries(
        {q: st.lists(st.text(alphabet="abc-@.0123", min_size=1), max_size=4) for q in SSH_QUERIES}
    )
)
def test_probe_round_trips_through_the_cache(lists):
    fresh = ssh_query(probe_text(V92, lists))
    assert {q: fresh[q] for q in SSH_QUERIES} == lists
    cached = ssh_query(probe_text(V92, None), fresh)
    assert {q: cached[q] for q in SSH_QUERIES} == lists


# --- all five lists at once -------------------------------------------------


def test_crypto_lists_follow_the_profile():
    openssh = ssh_query(probe_text(V92, LISTS92))
    result = crypto_lists(openssh, profile="intermediate")
    assert set(result) == set(CRYPTO_QUERIES)
    for kind, query in CRYPTO_QUERIES.items():
        assert result[kind]
        assert set(result[kind]) <= set(LISTS92[query])


def test_crypto_override_used_when_supported():
    openssh = ssh_query(probe_text(V92, LISTS92))
    result = crypto_lists(openssh, {"macs": ["sshd_macs", ["hmac-sha2-512-etm@openssh.com"]]})
    assert result["macs"] == ["hmac-sha2-512-etm@openssh.com"]
    # An empty override means the profile.
    assert (
        crypto_lists(openssh, {"macs": ["sshd_macs", []]})["macs"] == crypto_lists(openssh)["macs"]
    )


def test_crypto_override_with_unsupported_name_names_the_variable():
    openssh = ssh_query(probe_text(V92, LISTS92))
    with pytest.raises(
        PolicyError, match=r"sshd_kex_algorithms names curve448-sha512, .* OpenSSH 9\.2"
    ):
        crypto_lists(openssh, {"kex": ["sshd_kex_algorithms", ["curve448-sha512"]]})


def test_crypto_lists_need_the_probe_lists():
    with pytest.raises(PolicyError, match="ssh -Q kex"):
        crypto_lists({"present": False})


@given(data=st.data())
def test_crypto_override_subsets_are_kept_as_given(data):
    openssh = ssh_query(probe_text(V92, LISTS92))
    kind = data.draw(st.sampled_from(sorted(CRYPTO_QUERIES)))
    chosen = data.draw(
        st.lists(st.sampled_from(LISTS92[CRYPTO_QUERIES[kind]]), unique=True, min_size=1)
    )
    assert crypto_lists(openssh, {kind: [f"sshd_{kind}", chosen]})[kind] == chosen


# --- the host probe before configuring ---------------------------------------


def host_probe(socket="", rsa="", moduli=""):
    return f"==> socket <==\n{socket}==> rsa <==\n{rsa}==> moduli <==\n{moduli}"


def test_host_state_of_a_debian_host():
    moduli = "2047\n3071\n3071\n4095\n8191\n"
    state = host_state(host_probe(rsa="3072 SHA256:abc root@h (RSA)\n", moduli=moduli), 3072)
    assert state == {
        "socket_activated": False,
        "rsa_bits": 3072,
        "weak_moduli": ["2047"],
        "files": "",
    }


def test_host_state_socket_and_no_rsa_key():
    state = host_state(host_probe(socket="enabled\n"))
    assert state["socket_activated"] is True
    assert state["rsa_bits"] == 0
    assert host_state(host_probe(socket="disabled\n"))["socket_activated"] is False


def test_host_state_files_section():
    files = "==> files <==\n/etc/ssh/sshd_config 1a 600 root:root\n/run/sshd - 755 root:root\n"
    state = host_state(host_probe(moduli="2047\n") + files, 3072)
    assert state["files"] == "/etc/ssh/sshd_config 1a 600 root:root\n/run/sshd - 755 root:root"
    assert state["weak_moduli"] == ["2047"]
    assert host_state(host_probe())["files"] == ""


def test_host_state_needs_every_section():
    with pytest.raises(PolicyError, match="moduli"):
        host_state("==> socket <==\n==> rsa <==\n")


@given(sizes=st.lists(st.integers(1023, 8191), max_size=20), minimum=st.integers(1024, 8192))
def test_weak_moduli_are_exactly_the_small_ones(sizes, minimum):
    weak = host_state(host_probe(moduli="".join(f"{s}\n" for s in sizes)), minimum)["weak_moduli"]
    assert set(weak) == {str(s) for s in sizes if s < minimum - 1}
    assert len(weak) == len(set(weak))


def test_override_errors_one_message_per_variable():
    openssh = ssh_query(probe_text(V92, LISTS92))
    overrides = {
        "kex": ["sshd_kex_algorithms", ["curve448-sha512", "curve25519-sha256"]],
        "macs": ["sshd_macs", ["hmac-md5-96-bogus"]],
        "ciphers": ["sshd_ciphers", []],
    }
    errors = override_errors(openssh, overrides)
    assert len(errors) == 2
    assert errors[0].startswith("sshd_kex_algorithms names curve448-sha512, ")
    assert errors[1].startswith("sshd_macs names hmac-md5-96-bogus, ")
    assert override_errors(openssh, {"kex": ["sshd_kex_algorithms", ["curve25519-sha256"]]}) == []
