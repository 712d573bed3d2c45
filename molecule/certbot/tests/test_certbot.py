"""certbot role, checked against a real ACME server (pebble, container acme-<scenario>).

Expected values come from the scenario's inventory (the role's input) and from
pebble itself (its issuing root, fetched from its management API), never from
the role's code. Traffic goes only to the project's own containers.
"""

from __future__ import annotations

import json

import pytest
from conftest import LIVE, put_text, run_renewal_unit, served_serial
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def wanted_certs(host) -> list[dict]:
    certs = host.ansible.get_variables().get("certbot_certificates", [])
    return [c for c in certs if c.get("state", "present") == "present"]


def acme_server(host) -> str:
    # `renew --dry-run` switches to Let's Encrypt staging unless --server is
    # given (certbot behaviour), so dry runs name the private server.
    return host.ansible.get_variables()["certbot_acme_server"]


def has_nginx(host) -> bool:
    return bool(host.ansible.get_variables().get("certbot_molecule_nginx", False))


def load_cert(host, name: str, kind: str = "cert") -> x509.Certificate:
    pem = host.file(f"{LIVE}/{name}/{kind}.pem").content_string
    return x509.load_pem_x509_certificate(pem.encode())


def sans(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(ext.value.get_values_for_type(x509.DNSName))


def test_renewal_timer_enabled_and_active(host):
    assert host.run("systemctl is-enabled certbot.timer").stdout.strip() == "enabled"
    assert host.run("systemctl is-active certbot.timer").stdout.strip() == "active"


def test_certificates_issued_by_pebble(host, peer, pebble_root):
    for want in wanted_certs(host):
        name = want["name"]
        cert = load_cert(host, name)
        # The names are the requested ones (certbot lower-cases them).
        assert sans(cert) == {d.lower() for d in want["domains"]}, name
        # The key is the requested one; ECDSA P-384 is the role's documented default.
        key = cert.public_key()
        if want.get("key_type", "ecdsa") == "rsa":
            assert isinstance(key, rsa.RSAPublicKey), name
            assert key.key_size == want.get("rsa_key_size", 3072), name
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey), name
            assert key.curve.name == want.get("elliptic_curve", "secp384r1"), name
        # Issued by pebble: the leaf verifies up to pebble's own root, through
        # the chain certbot saved.
        put_text(peer, host.file(f"{LIVE}/{name}/cert.pem").content_string, "/tmp/leaf.pem")
        put_text(peer, host.file(f"{LIVE}/{name}/chain.pem").content_string, "/tmp/chain.pem")
        r = peer.run(
            f"openssl verify -CAfile {pebble_root} -untrusted /tmp/chain.pem /tmp/leaf.pem"
        )
        assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stdout + r.stderr


def test_absent_certificate_not_requested(host):
    certs = host.ansible.get_variables().get("certbot_certificates", [])
    for c in certs:
        if c.get("state") == "absent":
            assert not host.file(f"/etc/letsencrypt/renewal/{c['name']}.conf").exists
            assert not host.file(f"{LIVE}/{c['name']}").exists


def test_nginx_serves_the_certificate(host, peer, pebble_root, target_ip):
    if not has_nginx(host):
        pytest.skip("no web server on this platform (standalone authenticator)")
    want = wanted_certs(host)[0]
    on_disk = load_cert(host, want["name"]).serial_number
    for domain in want["domains"]:
        assert served_serial(peer, target_ip, domain, pebble_root) == on_disk


def test_renewal_needs_the_ca_bundle(host):
    """Negative control: without the CA bundle certbot cannot reach the private ACME server."""
    r = host.run(
        "env -u REQUESTS_CA_BUNDLE certbot renew --dry-run --no-random-sleep-on-renew --server %s",
        acme_server(host),
    )
    assert r.rc != 0
    assert "certificate verify failed" in (r.stdout + r.stderr).lower(), r.stdout + r.stderr


def test_renew_dry_run_through_the_unit(host):
    """certbot.service, with the role's drop-in, completes a simulated renewal against pebble."""
    before = {c["name"]: load_cert(host, c["name"]).serial_number for c in wanted_certs(host)}
    result, _ = run_renewal_unit(host, f"--dry-run --server {acme_server(host)}")
    assert result == "success"
    log = host.run("tail -n 400 /var/log/letsencrypt/letsencrypt.log").stdout
    assert "all simulated renewals succeeded" in log.lower()
    # A dry run saves nothing.
    after = {c["name"]: load_cert(host, c["name"]).serial_number for c in wanted_certs(host)}
    assert after == before


def test_hook_skips_absent_service_and_refuses_broken_config(host):
    hook = "/etc/letsencrypt/renewal-hooks/deploy/50-bulwark-reload-services"
    name = wanted_certs(host)[0]["name"]
    if not has_nginx(host):
        r = host.run(f"RENEWED_LINEAGE={LIVE}/{name} {hook}")
        assert r.rc == 0, r.stdout + r.stderr
        assert "nginx is not running" in r.stdout
        return
    pid = host.run("systemctl show -p MainPID --value nginx").stdout.strip()
    host.run("echo 'this is not nginx syntax;' > /etc/nginx/conf.d/zz-broken.conf")
    try:
        r = host.run(f"RENEWED_LINEAGE={LIVE}/{name} {hook}")
    finally:
        host.run("rm -f /etc/nginx/conf.d/zz-broken.conf")
    assert r.rc == 1, r.stdout + r.stderr
    assert "configuration check failed" in r.stdout
    assert host.run("systemctl is-active nginx").stdout.strip() == "active"
    assert host.run("systemctl show -p MainPID --value nginx").stdout.strip() == pid


def test_forced_renewal_runs_the_deploy_hook_and_reloads(host, peer, pebble_root, target_ip):
    certs = wanted_certs(host)
    before = {c["name"]: load_cert(host, c["name"]).serial_number for c in certs}
    nginx = has_nginx(host)
    if nginx:
        pid_before = host.run("systemctl show -p MainPID --value nginx").stdout.strip()
        domain = certs[0]["domains"][0]
        assert served_serial(peer, target_ip, domain, pebble_root) == before[certs[0]["name"]]

    result, hook_log = run_renewal_unit(host, "--force-renewal")
    assert result == "success"

    after = {c["name"]: load_cert(host, c["name"]).serial_number for c in certs}
    for name, serial in before.items():
        assert after[name] != serial, f"{name} was not renewed"
    # The hook ran for each renewed certificate.
    if nginx:
        for name in before:
            assert f"({name}) nginx reloaded" in hook_log, hook_log
        # Reloaded, not restarted: same master process, new certificate served.
        assert host.run("systemctl show -p MainPID --value nginx").stdout.strip() == pid_before
        assert served_serial(peer, target_ip, domain, pebble_root) == after[certs[0]["name"]]
    else:
        for name in before:
            assert f"({name}) nginx is not running" in hook_log, hook_log


# ---------------------------------------------------------------- CAA (side_effect.yml)
def caa_reports(host, case: str) -> dict[str, dict]:
    path = f"/var/tmp/bulwark-caa-{case}.json"
    if not host.file(path).exists:
        pytest.skip("the CAA cases run on the webroot platform only")
    return {r["name"]: r for r in json.loads(host.file(path).content_string)}


def test_caa_reports_differ_per_record_set(host):
    """challtestsrv served four CAA sets on d13.bulwark.test; the role's report
    on both domains follows RFC 8659 (the parent's set decides for www) and
    RFC 8657 (certbot's own account, http-01)."""
    domains = {d.lower() for c in wanted_certs(host) for d in c["domains"]}
    regr = host.run(
        "find /etc/letsencrypt/accounts/acme.test:14000 -name regr.json | head -n 1 | xargs cat"
    ).stdout
    account = json.loads(regr)["uri"]
    expected = {
        "none": "none",
        "wrong_issuer": "ca_not_allowed",
        "wrong_account": "account_mismatch",
        "matching": "allowed",
    }
    messages: dict[str, set[str]] = {d: set() for d in domains}
    for case, status in expected.items():
        reports = caa_reports(host, case)
        assert set(reports) == domains, case
        for name, report in reports.items():
            assert report["status"] == status, (case, report)
            assert report["relevant"] == (None if case == "none" else "d13.bulwark.test")
            # The record to publish binds this CA, certbot's account and http-01.
            assert report["advice"] == (
                f'{name}. IN CAA 0 issue "acme.test; accounturi={account}; '
                'validationmethods=http-01"'
            )
            messages[name].add(report["message"])
    # Four record sets, four different reports for each name.
    assert all(len(texts) == len(expected) for texts in messages.values()), messages
    assert "other-ca.example" in caa_reports(host, "wrong_issuer")["d13.bulwark.test"]["message"]
