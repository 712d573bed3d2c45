# SPDX-License-Identifier: GPL-3.0-or-later
"""tls_profile against Mozilla's guideline files and the generator's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from ansible_collections.bulwark.hardening.plugins.module_utils._tls import (
    parse_nginx_version,
    parse_openssl_version,
    tls_profile,
)

DATA = Path(__file__).resolve().parents[1] / "data"
G60 = json.loads((DATA / "mozilla" / "guidelines-6.0.json").read_text())["configurations"]
G57 = json.loads((DATA / "mozilla" / "guidelines-5.7.json").read_text())["configurations"]
# `openssl version` exactly as the test images print it.
OPENSSL_30 = (DATA / "openssh-9.2-debian12" / "openssl-version.txt").read_text()
OPENSSL_35 = (DATA / "openssh-10.0-debian13" / "openssl-version.txt").read_text()
NGINX_DEBIAN12 = "1.22.1"
NGINX_DEBIAN13 = "1.26.3"


@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_values_equal_mozilla_6_0_on_openssl_3_5(profile):
    guide = G60[profile]
    result, warnings = tls_profile(profile, OPENSSL_35, NGINX_DEBIAN13)
    assert warnings == []
    assert result["guidelines_version"] == "6.0"
    assert result["protocols"] == guide["tls_versions"]
    assert result["ciphers"] == ":".join(guide["ciphers_openssl"])
    assert result["ciphersuites"] == ":".join(guide["ciphersuites"])
    assert result["ecdh_curves"] == guide["tls_curves"]
    assert result["prefer_server_ciphers"] is guide["server_preferred_order"]
    assert result["hsts_min_age"] == guide["hsts_min_age"]
    assert result["ocsp_stapling"] is guide["ocsp_staple"]
    assert result["certificate_types"] == guide["certificate_types"]
    assert result["certificate_curves"] == guide["certificate_curves"]
    assert result["rsa_key_size"] == guide["rsa_key_size"]
    assert result["dh_param_size"] == guide["dh_param_size"]
    # 6.0 has no DHE cipher in either profile, so no dhparam file.
    assert result["dhparam"] is False


def test_modern_has_no_tls12_cipher_string():
    result, _ = tls_profile("modern", "3.5.0", "1.26.3")
    assert result["ciphers"] == ""
    assert result["protocols"] == ["TLSv1.3"]


@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_openssl_3_0_drops_the_mlkem_hybrid_only(profile):
    result, warnings = tls_profile(profile, OPENSSL_30, NGINX_DEBIAN12)
    assert result["ecdh_curves"] == ["X25519", "prime256v1", "secp384r1"]
    assert result["protocols"] == G60[profile]["tls_versions"]
    assert result["ciphers"] == ":".join(G60[profile]["ciphers_openssl"])
    assert warnings == []


@pytest.mark.parametrize(
    ("version", "has_mlkem"),
    [
        ("3.4.2", False),
        ("3.5.0", True),
        ("3.5.0-beta1", True),
        ("OpenSSL 3.6.0 1 Oct 2025", True),
        ("1.1.1w", False),
    ],
)
def test_mlkem_boundary_is_openssl_3_5_0(version, has_mlkem):
    result, _ = tls_profile("intermediate", version, "1.26.3")
    assert ("X25519MLKEM768" in result["ecdh_curves"]) is has_mlkem


def test_x25519_needs_openssl_1_1_0():
    result, _ = tls_profile("intermediate", "1.0.2u", "1.18.0")
    assert result["ecdh_curves"] == ["prime256v1", "secp384r1"]
    assert result["protocols"] == ["TLSv1.2"]
    assert result["ciphersuites"] == ""


@pytest.mark.parametrize(
    ("openssl", "nginx", "protocols"),
    [
        ("1.1.0l", "1.26.3", ["TLSv1.2"]),
        ("1.1.1", "1.26.3", ["TLSv1.2", "TLSv1.3"]),
        ("3.0.2", "1.12.2", ["TLSv1.2"]),
        ("3.0.2", "1.13.0", ["TLSv1.2", "TLSv1.3"]),
    ],
)
def test_tls13_needs_openssl_1_1_1_and_nginx_1_13(openssl, nginx, protocols):
    result, _ = tls_profile("intermediate", openssl, nginx)
    assert result["protocols"] == protocols


@pytest.mark.parametrize(("openssl", "nginx"), [("1.1.0", "1.26.3"), ("3.0.2", "1.12.0")])
def test_modern_without_tls13_is_an_error(openssl, nginx):
    with pytest.raises(PolicyError, match=r"needs TLS 1\.3"):
        tls_profile("modern", openssl, nginx)


@pytest.mark.parametrize(
    ("nginx", "openssl", "tickets"),
    [
        ("1.22.1", "3.0.2", False),  # Debian 12: nginx never rotates the key
        ("1.23.1", "3.0.2", False),
        ("1.23.2", "3.0.2", True),  # rotates ticket keys itself from here on
        ("1.26.3", "3.5.0", True),
        ("1.22.1", "1.0.2k", True),  # the generator only turns them off from 1.0.2l
        ("1.5.8", "3.0.2", True),  # no ssl_session_tickets directive yet
    ],
)
def test_session_tickets_follow_the_generator(nginx, openssl, tickets):
    result, _ = tls_profile("intermediate", openssl, nginx)
    assert result["session_tickets"] is tickets


def test_unknown_versions_are_conservative_and_warned_about():
    result, warnings = tls_profile("intermediate")
    assert result["session_tickets"] is False
    assert result["ecdh_curves"] == G60["intermediate"]["tls_curves"]
    assert len(warnings) == 1
    assert "X25519MLKEM768" in warnings[0]


def test_session_settings():
    result, _ = tls_profile("intermediate", "3.0.2", "1.22.1")
    assert result["session_timeout"] == "1d"
    assert result["session_cache"] == "shared:MozSSL:10m"


def test_ocsp_stapling_needs_nginx_1_3_7():
    assert tls_profile("intermediate", "3.0.2", "1.3.6")[0]["ocsp_stapling"] is False
    assert tls_profile("intermediate", "3.0.2", "1.3.7")[0]["ocsp_stapling"] is True


def test_old_comes_from_5_7_with_a_warning():
    guide = G57["old"]
    result, warnings = tls_profile("old", "1.1.1w", "1.18.0")
    assert result["guidelines_version"] == "5.7"
    assert result["protocols"] == guide["tls_versions"]
    assert result["ciphers"] == ":".join(guide["ciphers_openssl"])
    assert result["ecdh_curves"] == guide["tls_curves"]
    assert result["prefer_server_ciphers"] is True
    assert result["dhparam"] == guide["dh_param_size"] == 1024
    assert any("5.7" in w and "dropped" in w for w in warnings)


def test_old_on_openssl_3_lowers_the_security_level():
    result, _ = tls_profile("old", OPENSSL_30, NGINX_DEBIAN12)
    assert result["ciphers"] == "@SECLEVEL=0:" + ":".join(G57["old"]["ciphers_openssl"])


def test_old_without_openssl_version_warns_about_seclevel():
    result, warnings = tls_profile("old")
    assert not result["ciphers"].startswith("@SECLEVEL")
    assert any("@SECLEVEL=0" in w for w in warnings)


@pytest.mark.parametrize("profile", ["Modern", "legacy", "", None, 1])
def test_unknown_profile_lists_the_valid_ones(profile):
    with pytest.raises(PolicyError, match="valid profiles: modern, intermediate, old"):
        tls_profile(profile)


@pytest.mark.parametrize("bad", ["LibreSSL 3.8.2", "3.0", "three", "", 3.0, ["3.0.2"]])
def test_bad_openssl_version(bad):
    with pytest.raises(PolicyError, match="openssl_version"):
        tls_profile("intermediate", bad, "1.22.1")


@pytest.mark.parametrize("bad", ["1.22", "openresty/1.21.4.1", "nginx/x", 1.22])
def test_bad_nginx_version(bad):
    with pytest.raises(PolicyError, match="nginx_version"):
        tls_profile("intermediate", "3.0.2", bad)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("3.0.17", (3, 0, 17, "")),
        ("OpenSSL 3.0.17 1 Jul 2025", (3, 0, 17, "")),
        ("OpenSSL 1.1.1w  11 Sep 2023\n", (1, 1, 1, "w")),
        (OPENSSL_35, (3, 5, 9, "")),
    ],
)
def test_parse_openssl_version(text, parsed):
    assert parse_openssl_version(text) == parsed


@pytest.mark.parametrize(
    "text", ["1.22.1", "nginx/1.22.1", "nginx version: nginx/1.22.1", "nginx/1.22.1 (Debian)\n"]
)
def test_parse_nginx_version(text):
    assert parse_nginx_version(text) == (1, 22, 1)


def test_results_are_independent_copies():
    first, _ = tls_profile("intermediate", "3.0.2", "1.22.1")
    first["ecdh_curves"].append("junk")
    first["protocols"].clear()
    second, _ = tls_profile("intermediate", "3.0.2", "1.22.1")
    assert "junk" not in second["ecdh_curves"]
    assert second["protocols"] == ["TLSv1.2", "TLSv1.3"]
