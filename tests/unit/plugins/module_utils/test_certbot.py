# SPDX-License-Identifier: GPL-3.0-or-later
"""certbot's decision: when to (re)issue, and the argv."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._certbot import certbot_plan
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError

SERVER = "https://acme.test:14000/dir"
HOOK = "/etc/letsencrypt/renewal-hooks/deploy/50-bulwark-reload-services"
CERT = {
    "name": "web",
    "domains": ["www.d13.bulwark.test", "D13.bulwark.test"],
    "key_type": "ecdsa",
    "elliptic_curve": "secp384r1",
    "rsa_key_size": 3072,
    "must_staple": False,
    "authenticator": "webroot",
    "webroot_path": "/var/www/acme",
}
# What x509_certificate_info and certbot's renewal file say about a lineage
# issued exactly as CERT asks.
LIVE = {
    "subject_alt_name": ["DNS:d13.bulwark.test", "DNS:www.d13.bulwark.test"],
    "public_key_type": "ECC",
    "public_key_data": {"curve": "secp384r1", "size": 384},
    "ocsp_must_staple": None,
}
CONF = (
    "version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/web\n[renewalparams]\n"
    f"account = 0123abcd\nserver = {SERVER}\nauthenticator = webroot\n"
    "webroot_path = /var/www/acme,\nkey_type = ecdsa\n[[webroot_map]]\n"
)


def plan(cert=CERT, x509=LIVE, conf=CONF, server=SERVER):
    return certbot_plan(
        cert, x509, conf, email="hostmaster@bulwark.test", server=server, deploy_hook=HOOK
    )


def test_up_to_date_lineage_is_left_alone():
    assert plan()["reasons"] == []


def test_missing_certificate_is_issued_without_force_renewal():
    result = plan(x509={"failed": False, "msg": "no such file"}, conf="")
    assert result["reasons"] == ["not issued yet"]
    assert result["argv"] == [
        "certbot", "certonly", "--non-interactive", "--agree-tos", "--no-eff-email",
        "--email", "hostmaster@bulwark.test", "--server", SERVER, "--cert-name", "web",
        "--deploy-hook", HOOK, "--key-type", "ecdsa", "--elliptic-curve", "secp384r1",
        "--webroot", "--webroot-path", "/var/www/acme",
        "--domains", "www.d13.bulwark.test,d13.bulwark.test",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "x509", "conf", "reason"),
    [
        ({"domains": ["www.d13.bulwark.test"]}, LIVE, CONF, "domains changed"),
        ({"elliptic_curve": "secp256r1"}, LIVE, CONF, "key changed"),
        ({"key_type": "rsa"}, LIVE, CONF, "key changed"),
        ({"must_staple": True}, LIVE, CONF, "must-staple changed"),
        ({}, LIVE, CONF.replace(SERVER, "https://other.test/dir"), "ACME server changed"),
        ({"authenticator": "standalone"}, LIVE, CONF, "authenticator changed"),
        ({"webroot_path": "/srv/acme"}, LIVE, CONF, "webroot changed"),
        ({}, LIVE, "", "ACME server changed"),
    ],
)
def test_each_difference_reissues_with_force_renewal(change, x509, conf, reason):
    result = plan({**CERT, **change}, x509, conf)
    assert reason in result["reasons"]
    assert "--force-renewal" in result["argv"]


def test_rsa_standalone_must_staple_argv():
    cert = {**CERT, "key_type": "rsa", "rsa_key_size": "4096", "authenticator": "standalone"}
    cert["must_staple"] = "true"
    argv = plan(cert, {}, "")["argv"]
    assert argv[argv.index("--key-type") : argv.index("--key-type") + 4] == [
        "--key-type", "rsa", "--rsa-key-size", "4096",
    ]  # fmt: skip
    assert "--must-staple" in argv and "--standalone" in argv and "--webroot" not in argv


def test_rsa_key_size_compared_as_number():
    live = {**LIVE, "public_key_type": "RSA", "public_key_data": {"size": 3072}}
    assert plan({**CERT, "key_type": "rsa", "rsa_key_size": "3072"}, live)["reasons"] == []


@pytest.mark.parametrize(
    ("cert", "message"),
    [
        ({"name": "web"}, "must be a mapping with"),
        ({**CERT, "key_type": "dsa"}, "key_type must be ecdsa or rsa"),
        ({**CERT, "authenticator": "dns"}, "authenticator must be"),
        ({**CERT, "domains": "www.d13.bulwark.test"}, "domains must be"),
        ({**CERT, "must_staple": "maybe"}, "must_staple must be a boolean"),
    ],
)
def test_bad_input(cert, message):
    with pytest.raises(PolicyError, match=message):
        plan(cert)
