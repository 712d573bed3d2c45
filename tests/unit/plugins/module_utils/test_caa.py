# SPDX-License-Identifier: GPL-3.0-or-later
"""CAA decisions (RFC 8659, RFC 8657) and the minimal DNS client."""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._caa import (
    caa_chain,
    caa_report,
    parse_caa_response,
    query_caa,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError

ACCOUNT = "https://acme.test:14000/my-account/1"
LE = ["letsencrypt.org"]


def report(records, name="www.app.example.test", account=ACCOUNT, method="http-01"):
    return caa_report(name, records, identities=LE, account_uri=account, validation_method=method)


def test_chain_climbs_to_the_tld_and_strips_a_wildcard():
    assert caa_chain("www.App.example.test.") == [
        "www.app.example.test",
        "app.example.test",
        "example.test",
        "test",
    ]
    assert caa_chain("*.example.test") == ["example.test", "test"]
    with pytest.raises(PolicyError, match="not a DNS name"):
        caa_chain("bad name")


def test_no_caa_anywhere_means_any_ca():
    result = report({"www.app.example.test": [], "app.example.test": [], "example.test": []})
    assert result["status"] == "none" and "any CA may issue" in result["message"]
    assert result["advice"] == (
        'www.app.example.test. IN CAA 0 issue "letsencrypt.org; '
        f'accounturi={ACCOUNT}; validationmethods=http-01"'
    )


def test_first_name_with_caa_decides_parents_are_not_read():
    records = {
        "www.app.example.test": [],
        "app.example.test": [{"flags": 0, "tag": "issue", "value": "letsencrypt.org"}],
        "example.test": [{"flags": 0, "tag": "issue", "value": "other-ca.example"}],
    }
    result = report(records)
    assert (result["status"], result["relevant"]) == ("allowed", "app.example.test")


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("other-ca.example", "ca_not_allowed"),
        (";", "ca_not_allowed"),  # nobody may issue
        ("letsencrypt.org; accounturi=https://acme.test:14000/my-account/2", "account_mismatch"),
        ("letsencrypt.org; validationmethods=dns-01", "method_mismatch"),
        (f"letsencrypt.org; accounturi={ACCOUNT}; validationmethods=dns-01,http-01", "allowed"),
        ("LetsEncrypt.org ; validationmethods = http-01", "allowed"),
    ],
)
def test_issue_values(value, status):
    records = {"www.app.example.test": [{"flags": 0, "tag": "issue", "value": value}]}
    assert report(records)["status"] == status


def test_one_matching_record_among_several_allows():
    records = {
        "example.test": [
            {"flags": 0, "tag": "issue", "value": "letsencrypt.org; validationmethods=dns-01"},
            {"flags": 0, "tag": "issue", "value": "letsencrypt.org; validationmethods=http-01"},
        ]
    }
    assert report(records)["status"] == "allowed"


def test_account_binding_without_a_certbot_account_yet():
    records = {
        "example.test": [
            {"flags": 0, "tag": "issue", "value": f"letsencrypt.org; accounturi={ACCOUNT}"}
        ]
    }
    result = report(records, account=None)
    assert result["status"] == "account_mismatch" and "no account" in result["message"]
    assert "accounturi" not in result["advice"]


def test_iodef_only_and_critical_unknown():
    iodef = {"example.test": [{"flags": 0, "tag": "iodef", "value": "mailto:sec@example.test"}]}
    assert report(iodef)["status"] == "unrestricted"
    critical = {"example.test": [{"flags": 128, "tag": "tbs", "value": "x"}]}
    assert report(critical)["status"] == "critical_unknown"


def test_wildcard_uses_issuewild_when_present():
    records = {
        "example.test": [
            {"flags": 0, "tag": "issue", "value": "letsencrypt.org"},
            {"flags": 0, "tag": "issuewild", "value": ";"},
        ]
    }
    assert report(records, name="*.example.test")["status"] == "ca_not_allowed"
    assert report(records, name="www.example.test")["status"] == "allowed"
    assert report(records, name="*.example.test")["advice"].startswith(
        "example.test. IN CAA 0 issuewild"
    )


def test_bad_input():
    with pytest.raises(PolicyError, match="identities"):
        caa_report("example.test", {}, identities=[])
    with pytest.raises(PolicyError, match="flags, tag, value"):
        report({"example.test": [{"tag": "issue"}]})


# ---------------------------------------------------------------- the DNS client
def caa_rr(flags: int, tag: str, value: str) -> bytes:
    rdata = bytes([flags, len(tag)]) + tag.encode() + value.encode()
    # owner: a compression pointer to the question name at offset 12
    return b"\xc0\x0c" + struct.pack("!HHIH", 257, 1, 60, len(rdata)) + rdata


@pytest.fixture
def dns_server():
    """A one-shot UDP DNS server on loopback answering every query with two CAA records."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    seen = {}

    def serve():
        data, addr = sock.recvfrom(512)
        seen["query"] = data
        qid = struct.unpack("!H", data[:2])[0]
        question = data[12:]
        answer = caa_rr(0, "issue", "letsencrypt.org; validationmethods=http-01") + caa_rr(
            0, "iodef", "mailto:sec@example.test"
        )
        sock.sendto(struct.pack("!6H", qid, 0x8180, 1, 2, 0, 0) + question + answer, addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], seen
    thread.join(timeout=5)
    sock.close()


def test_query_caa_over_udp(dns_server):
    port, seen = dns_server
    records = query_caa("app.example.test", "127.0.0.1", port, timeout=5)
    assert records == [
        {"flags": 0, "tag": "issue", "value": "letsencrypt.org; validationmethods=http-01"},
        {"flags": 0, "tag": "iodef", "value": "mailto:sec@example.test"},
    ]
    # The question: app.example.test, type CAA (257), class IN.
    assert seen["query"][12:] == b"\x03app\x07example\x04test\x00\x01\x01\x00\x01"


def test_response_errors():
    with pytest.raises(PolicyError, match="short"):
        parse_caa_response(b"\x00", 1)
    with pytest.raises(PolicyError, match="another query"):
        parse_caa_response(struct.pack("!6H", 2, 0x8180, 0, 0, 0, 0), 1)
    with pytest.raises(PolicyError, match="rcode 2"):
        parse_caa_response(struct.pack("!6H", 1, 0x8182, 0, 0, 0, 0), 1)
    assert parse_caa_response(struct.pack("!6H", 1, 0x8183, 0, 0, 0, 0), 1) == []
