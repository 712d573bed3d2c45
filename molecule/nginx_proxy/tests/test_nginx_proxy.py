"""nginx_proxy seen from outside: the peer container is the browser.

Expected values are computed here, independently of the role's templates,
by calling the collection's policy code (plugins/module_utils) with the
scenario's inventory variables and the versions the target really runs.
The upstream is tests' echo app (side_effect.yml): it reports what it
received and adds headers the proxy must hide or replace.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import uuid
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "build" / "collections"))

from ansible_collections.bulwark.hardening.plugins.module_utils import (  # noqa: E402
    _headers,
    _tls,
)
from conftest import ansible_playbook, response, sslyze  # noqa: E402

APP_MARKER = '"app": "bulwark-echo"'
# Every TLS 1.3 suite OpenSSL knows and groups a client may offer.
TLS13_SUITES = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
)
GROUPS = ("X25519MLKEM768", "X25519", "prime256v1", "secp384r1", "secp521r1", "X448", "ffdhe2048")


# ---------------------------------------------------------------- helpers
@cache
def _vars(hostname: str, host) -> dict:
    return host.ansible.get_variables()


def var(host, name, default=None):
    return _vars(host.backend.get_hostname(), host).get(name, default)


def sites(host) -> list[dict]:
    """The scenario's sites as a client must see them: nginx_proxy_sites, or
    the single-site variables as one site, with the role-wide values (or the
    role's documented defaults) where a site sets none."""
    raw = var(host, "nginx_proxy_sites") or [
        {"name": "app", "server_names": var(host, "nginx_proxy_server_names")}
    ]
    role_wide = {
        "upstreams": var(host, "nginx_proxy_upstream_servers", ["127.0.0.1:8000"]),
        "login_paths": var(host, "nginx_proxy_login_paths", []),
        "static_locations": var(host, "nginx_proxy_static_locations", []),
        "client_max_body_size": var(host, "nginx_proxy_client_max_body_size", "10m"),
        "headers_drop": var(host, "nginx_proxy_headers_drop"),
        "csp": var(host, "nginx_proxy_csp"),
        "permissions_policy": var(host, "nginx_proxy_permissions_policy"),
    }
    result = []
    for site in raw:
        merged = {**role_wide, **site}
        merged["headers"] = {**var(host, "nginx_proxy_headers", {}), **site.get("headers", {})}
        result.append(merged)
    return result


def first_site(host) -> dict:
    return sites(host)[0]


def server_name(host) -> str:
    return first_site(host)["server_names"][0]


def upstream_port(site: dict) -> int:
    return int(site["upstreams"][0].rsplit(":", 1)[1])


def expected_tls(host) -> dict:
    out = host.run("nginx -V").stderr
    nginx = re.search(r"nginx/([0-9.]+)", out).group(1)
    running = re.search(r"running with OpenSSL (\S+)", out)
    openssl = running.group(1) if running else re.search(r"built with OpenSSL (\S+)", out).group(1)
    settings, _ = _tls.tls_profile(
        var(host, "nginx_proxy_tls_profile", "intermediate"),
        openssl_version=openssl,
        nginx_version=nginx,
    )
    return settings


def expected_headers(host, site: dict | None = None) -> dict[str, str]:
    """Header name -> value as the browser must see it on a site (default:
    the first), from the scenario's vars."""
    site = site or first_site(host)
    kwargs = {}
    for option, value in (
        ("drop", site["headers_drop"]),
        ("csp", site["csp"]),
        ("permissions", site["permissions_policy"]),
        ("hsts_max_age", var(host, "nginx_proxy_hsts_max_age")),
        ("hsts_include_subdomains", var(host, "nginx_proxy_hsts_include_subdomains")),
        ("hsts_preload", var(host, "nginx_proxy_hsts_preload")),
    ):
        if value is not None:
            kwargs[option] = value
    headers = _headers.security_headers(site["headers"], **kwargs)
    return {h["name"]: h["raw"] for h in headers}


def https(peer, host, target_ip, path="/", *, name=None, opts="") -> str:
    """curl command for the proxy's HTTPS URL, resolved to the target."""
    name = name or server_name(host)
    port = var(host, "nginx_proxy_https_port", 443)
    return (
        f"curl -sk --max-time 10 --resolve {name}:{port}:{target_ip} {opts} "
        f"{shlex.quote(f'https://{name}:{port}{path}')}"
    )


def assert_security_headers(
    host, headers: dict[str, list[str]], what: str, site: dict | None = None
) -> None:
    expected = expected_headers(host, site)
    for name, value in expected.items():
        assert headers.get(name.lower()) == [value], f"{what}: {name}: {headers.get(name.lower())}"
    # The app's own versions of these headers (and its X-Powered-By) are gone.
    assert "x-powered-by" not in headers, what
    assert headers.get("server") == ["nginx"], f"{what}: Server {headers.get('server')}"


def s_client(peer, host, target_ip, args: str) -> bool:
    """True when a TLS handshake with these client options succeeds."""
    port = var(host, "nginx_proxy_https_port", 443)
    result = peer.run(
        f"openssl s_client -connect {target_ip}:{port} -servername {server_name(host)} "
        f"{args} </dev/null >/dev/null 2>&1"
    )
    return result.returncode == 0


# ---------------------------------------------------------------- service
def test_nginx_running_and_config_valid(host):
    assert host.service("nginx").is_running
    result = host.run("nginx -t")
    assert result.rc == 0, result.stderr


def test_no_candidate_copies_left_behind(host):
    assert host.run("ls -d /tmp/nginx-candidate.* 2>/dev/null").stdout == ""


def test_rejected_input_never_reached_the_live_config(host):
    # side_effect.yml ran the role with a directive nginx -t refuses.
    assert "bulwark_no_such_directive" not in host.run("nginx -T").stdout


# ---------------------------------------------------------------- the app behind
def test_app_gets_host_and_forwarded_headers_not_client_forgeries(host, peer, target_ip):
    name = server_name(host)
    forged = (
        "-H 'X-Forwarded-For: 203.0.113.66' -H 'X-Forwarded-Proto: http' "
        "-H 'X-Forwarded-Host: evil.example.test' -H 'Proxy: http://203.0.113.66:3128'"
    )
    status, _, body = response(peer, https(peer, host, target_ip, "/echo?x=1", opts=forged))
    assert status == 200
    seen = json.loads(body)
    assert seen["app"] == "bulwark-echo" and seen["path"] == "/echo?x=1"
    received = seen["headers"]
    assert received["host"] == name
    assert received["x-forwarded-proto"] == "https"
    assert received["x-forwarded-for"] == peer.ip
    assert received["x-forwarded-host"] == name
    assert received["x-real-ip"] == peer.ip
    assert "proxy" not in received


def test_every_name_reaches_the_app(host, peer, target_ip):
    for site in sites(host):
        for name in site["server_names"]:
            status, _, body = response(peer, https(peer, host, target_ip, "/", name=name))
            assert status == 200 and APP_MARKER in body, name


def test_security_headers_exact_and_once(host, peer, target_ip):
    status, headers, _ = response(peer, https(peer, host, target_ip, "/"))
    assert status == 200
    assert_security_headers(host, headers, "app response")
    assert "strict-transport-security" in headers


def test_http2_negotiated(host, peer, target_ip):
    result = peer.run(
        https(peer, host, target_ip, "/", opts="--http2 -o /dev/null -w '%{http_version}'")
    )
    assert result.stdout == "2", result.stderr


# ---------------------------------------------------------------- errors
def test_nginx_404_is_minimal_and_keeps_headers(host, peer, target_ip):
    for path in ("/.env", "/.git/config", "/app/.htpasswd"):
        status, headers, body = response(peer, https(peer, host, target_ip, path))
        assert status == 404, path
        assert APP_MARKER not in body
        assert "nginx" not in body.lower(), body
        assert "404" in body
        assert_security_headers(host, headers, f"404 for {path}")


def test_app_500_replaced_by_proxy_page(host, peer, target_ip):
    status, headers, body = response(peer, https(peer, host, target_ip, "/status/500"))
    assert status == 500
    assert "SECRET" not in body and "Traceback" not in body
    assert "nginx" not in body.lower()
    assert_security_headers(host, headers, "500")


def test_app_404_passes_through(host, peer, target_ip):
    # Not in nginx_proxy_intercept_errors: the app's own answer is kept.
    status, headers, body = response(peer, https(peer, host, target_ip, "/status/404"))
    assert status == 404
    assert "APP-ERROR-404" in body
    assert_security_headers(host, headers, "app 404")


def test_oversized_body_413_minimal(host, peer, target_ip):
    opts = "-X POST -H 'Content-Type: application/octet-stream' --data-binary @/tmp/big"
    peer.run("head -c 11000000 /dev/zero > /tmp/big")
    status, headers, body = response(peer, https(peer, host, target_ip, "/upload", opts=opts))
    assert status == 413
    assert "nginx" not in body.lower() and APP_MARKER not in body
    assert_security_headers(host, headers, "413")


# ---------------------------------------------------------------- HTTP
def test_http_redirects_to_https_without_hsts(host, peer, target_ip):
    name = server_name(host)
    status, headers, body = response(
        peer, f"curl -s --max-time 10 -H 'Host: {name}' 'http://{target_ip}/a/b?c=d'"
    )
    assert status == 301
    assert headers["location"] == [f"https://{name}/a/b?c=d"]
    assert "strict-transport-security" not in headers
    assert headers.get("server") == ["nginx"]
    assert "nginx" not in body.lower()


def test_acme_challenge_served_on_http(host, peer, target_ip):
    name = server_name(host)
    url = f"http://{target_ip}/.well-known/acme-challenge/"
    status, _, body = response(
        peer, f"curl -s --max-time 10 -H 'Host: {name}' '{url}bulwark-token'"
    )
    assert (status, body) == (200, "bulwark-acme-token-content")
    status, _, body = response(peer, f"curl -s --max-time 10 -H 'Host: {name}' '{url}missing'")
    assert status == 404 and "nginx" not in body.lower()


# ---------------------------------------------------------------- allow-list
@pytest.mark.parametrize("host_header", [None, "evil.example.test", "{ip}"])
def test_unknown_host_on_http_is_closed(host, peer, target_ip, host_header):
    opts = f"-H 'Host: {host_header.format(ip=target_ip)}'" if host_header else "-H 'Host:'"
    result = peer.run(
        f"curl -s --max-time 10 {opts} -o /dev/null -w '%{{http_code}}' http://{target_ip}/"
    )
    # 52: empty reply, the connection was closed without an answer (444).
    assert result.returncode == 52, (result.returncode, result.stdout)


def test_unknown_sni_or_bare_ip_refused_in_tls_handshake(host, peer, target_ip):
    port = var(host, "nginx_proxy_https_port", 443)
    bare_ip = peer.run(f"curl -sk --max-time 10 https://{target_ip}:{port}/")
    assert bare_ip.returncode == 35, bare_ip  # TLS handshake failed
    unknown = peer.run(https(peer, host, target_ip, "/", name="evil.example.test"))
    assert unknown.returncode == 35, unknown
    no_sni = peer.run(f"openssl s_client -connect {target_ip}:{port} -noservername </dev/null")
    assert no_sni.returncode != 0
    assert "unrecognized name" in no_sni.stdout + no_sni.stderr


@pytest.mark.parametrize("version", ["--http1.1", "--http2"])
def test_known_sni_with_foreign_host_header_gets_no_app(host, peer, target_ip, version):
    result = peer.run(
        https(peer, host, target_ip, "/", opts=f"{version} -H 'Host: evil.example.test'")
    )
    assert APP_MARKER not in result.stdout
    assert result.returncode != 0 or re.match(r"HTTP/\S+ 4\d\d", result.stdout) is None


# ---------------------------------------------------------------- several sites
def other_sites(host) -> list[dict]:
    more = sites(host)[1:]
    if not more:
        pytest.skip("one site on this platform (the single-site variables)")
    return more


def test_each_site_reaches_its_own_app_with_its_own_headers(host, peer, target_ip):
    other_sites(host)
    csps = set()
    for site in sites(host):
        for name in site["server_names"]:
            status, headers, body = response(peer, https(peer, host, target_ip, "/e", name=name))
            assert status == 200, name
            seen = json.loads(body)
            # The app behind this site, not another site's.
            assert seen["port"] == upstream_port(site), (name, seen["port"])
            assert seen["headers"]["host"] == name
            assert_security_headers(host, headers, f"site {site['name']} ({name})", site)
            csps.add(headers["content-security-policy"][0])
    assert len(csps) == len(sites(host)), csps


def test_body_size_is_per_site(host, peer, target_ip):
    for site in other_sites(host):
        limit = site["client_max_body_size"]
        size = int(limit[:-1]) * {"k": 1024, "m": 1024**2}[limit[-1].lower()]
        name = site["server_names"][0]
        # A file upload (multipart) that, with its framing, just fits; one just over.
        peer.run(
            f"head -c {size - 4096} /dev/urandom > /tmp/at-limit && "
            f"head -c {size + 1} /dev/urandom > /tmp/over"
        )
        opts = "-F 'file=@/tmp/{};type=image/jpeg'"
        status, _, body = response(
            peer, https(peer, host, target_ip, "/up", name=name, opts=opts.format("at-limit"))
        )
        assert status == 200 and json.loads(body)["port"] == upstream_port(site)
        status, headers, _ = response(
            peer, https(peer, host, target_ip, "/up", name=name, opts=opts.format("over"))
        )
        assert status == 413
        assert_security_headers(host, headers, f"413 on {name}", site)


@pytest.mark.parametrize("version", ["--http1.1", "--http2"])
def test_no_cross_site_routing(host, peer, target_ip, version):
    """A connection opened (SNI) for one site never reaches another site's app,
    whatever Host (or :authority) the request then names."""
    other = other_sites(host)[0]
    first = first_site(host)
    for sni_site, host_site in ((first, other), (other, first)):
        sni = sni_site["server_names"][0]
        wanted = host_site["server_names"][0]
        status, headers, body = response(
            peer, https(peer, host, target_ip, "/", name=sni, opts=f"{version} -H 'Host: {wanted}'")
        )
        assert status == 421, (sni, wanted)
        assert APP_MARKER not in body
        assert "421" in body and "nginx" not in body.lower(), body
        # The proxy's own page, with the headers of the site the Host named.
        assert_security_headers(host, headers, f"421 for {wanted} over {sni}", host_site)


def test_name_of_no_site_refused(host, peer, target_ip):
    other_sites(host)
    unknown = peer.run(https(peer, host, target_ip, "/", name="admin.example.test"))
    assert unknown.returncode == 35, unknown  # no TLS handshake for a name of no site
    http = peer.run(
        f"curl -s --max-time 10 -H 'Host: admin.example.test' -o /dev/null http://{target_ip}/"
    )
    assert http.returncode == 52, http  # connection closed, no answer


def test_other_sites_certificates_and_protocols(host, peer, target_ip):
    tls = expected_tls(host)
    port = var(host, "nginx_proxy_https_port", 443)
    for site in other_sites(host):
        name = site["server_names"][0]
        out = peer.run(
            f"openssl s_client -connect {target_ip}:{port} -servername {name} </dev/null "
            "2>/dev/null | openssl x509 -noout -ext subjectAltName"
        ).stdout
        assert sorted(re.findall(r"DNS:([^,\s]+)", out)) == sorted(site["server_names"])
        for flag, protocol in (("-tls1", "TLSv1"), ("-tls1_1", "TLSv1.1"), ("-tls1_2", "TLSv1.2")):
            accepted = (
                peer.run(
                    f"openssl s_client -connect {target_ip}:{port} -servername {name} "
                    f"{flag} -cipher 'ALL:@SECLEVEL=0' </dev/null >/dev/null 2>&1"
                ).returncode
                == 0
            )
            assert accepted == (protocol in tls["protocols"]), (name, protocol)


# ---------------------------------------------------------------- web application firewall
SQLI = "/search?m={m}&id=1%27%20OR%20%271%27%3D%271"
TRAVERSAL = "/files?m={m}&name=..%2F..%2F..%2F..%2Fetc%2Fpasswd"


def waf_site(host, mode: str) -> dict:
    found = [s for s in sites(host) if s.get("waf", var(host, "nginx_proxy_waf", "off")) == mode]
    if not found:
        pytest.skip(f"no site with waf {mode} on this platform")
    return found[0]


def audit_log(host) -> str:
    path = var(host, "nginx_proxy_waf_audit_log", "/var/log/modsecurity/audit.log")
    return host.file(path).content_string


def marker() -> str:
    return uuid.uuid4().hex


def refusals(host, m: str) -> int:
    """ModSecurity's "Access denied" lines for marker m in the error log (fail2ban's input)."""
    path = var(host, "nginx_proxy_error_log", "/var/log/nginx/nginx_proxy.error.log")
    lines = host.file(path).content_string.splitlines()
    return len([line for line in lines if m in line and "ModSecurity: Access denied" in line])


def test_waf_block_refuses_sqli_and_traversal_with_proxy_page(host, peer, target_ip):
    site = waf_site(host, "block")
    name = site["server_names"][0]
    for probe in (SQLI, TRAVERSAL):
        m = marker()
        status, headers, body = response(
            peer, https(peer, host, target_ip, probe.format(m=m), name=name)
        )
        assert status == 403, probe
        assert APP_MARKER not in body
        assert "403" in body and "nginx" not in body.lower(), body
        assert_security_headers(host, headers, f"WAF 403 for {probe}", site)
        assert m in audit_log(host), f"{probe} not in the audit log"
        # One line per refused request: fail2ban's WAF jail counts them.
        assert refusals(host, m) == 1, f"{probe}: {refusals(host, m)} 'Access denied' lines"


def test_waf_block_failed_post_gets_its_error_page_not_a_refusal(host, peer, target_ip):
    # nginx fetches the error page of a failed POST as a GET that still has the
    # POST's body; the firewall must not refuse (nor log) that as "GET with body".
    site = waf_site(host, "block")
    m = marker()
    status, headers, body = response(
        peer,
        https(
            peer,
            host,
            target_ip,
            f"/status/500?m={m}",
            name=site["server_names"][0],
            opts="--data-urlencode 'comment=thanks for the quick reply'",
        ),
    )
    assert status == 500 and "SECRET" not in body and "500" in body, (status, body)
    assert_security_headers(host, headers, "500 after a POST", site)
    assert refusals(host, m) == 0


def test_waf_block_passes_normal_traffic_without_rule_hits(host, peer, target_ip):
    site = waf_site(host, "block")
    name = site["server_names"][0]
    limit = site["client_max_body_size"]
    size = int(limit[:-1]) * {"k": 1024, "m": 1024**2}[limit[-1].lower()]
    # A file that, with its multipart framing, fills the site's body size:
    # binary, with bytes that read as "put x...<CR>" in the middle. Such bytes
    # in 4 of ~400 random files matched CRS rule 921110 ("request smuggling")
    # on the raw body before the role kept upload bodies out of it.
    half = (size - 4096) // 2
    peer.run(
        f"head -c {half} /dev/urandom > /tmp/upload.bin && "
        r"printf 'put edzwt\016\342h\r\n' >> /tmp/upload.bin && "
        f"head -c {half - 16} /dev/urandom >> /tmp/upload.bin"
    )
    markers = []
    for path, opts in (
        ("/", ""),
        ("/articles/2024/hello-world?page=2&sort=date", ""),
        (
            "/contact",
            "-X POST --data-urlencode 'name=Alice Example' "
            "--data-urlencode 'message=See you at 10:30, thanks!'",
        ),
        ("/upload", "-F 'title=holiday photos' -F 'file=@/tmp/upload.bin;type=image/jpeg'"),
    ):
        m = marker()
        markers.append(m)
        sep = "&" if "?" in path else "?"
        status, _, body = response(
            peer, https(peer, host, target_ip, f"{path}{sep}m={m}", name=name, opts=opts)
        )
        assert status == 200 and APP_MARKER in body, path
        assert json.loads(body)["port"] == upstream_port(site)
    log = audit_log(host)
    assert not [m for m in markers if m in log], "normal traffic hit a WAF rule"


def test_waf_detect_passes_and_logs_probes(host, peer, target_ip):
    site = waf_site(host, "detect")
    name = site["server_names"][0]
    for probe in (SQLI, TRAVERSAL):
        m = marker()
        status, _, body = response(peer, https(peer, host, target_ip, probe.format(m=m), name=name))
        assert status == 200 and APP_MARKER in body, probe
        entry = audit_log(host).split(m, 1)
        assert len(entry) == 2, f"{probe} passed but was not logged"


def test_waf_exclusion_is_per_site(host, peer, target_ip):
    blocking = waf_site(host, "block")
    excluded = blocking.get("waf_exclusions", [])
    if 913100 not in excluded:
        pytest.skip("no site excludes rule 913100")
    detecting = waf_site(host, "detect")
    scanner = "-A 'Nikto/2.1.6'"
    m = marker()
    name = blocking["server_names"][0]
    status, _, body = response(
        peer, https(peer, host, target_ip, f"/?m={m}", name=name, opts=scanner)
    )
    assert status == 200 and APP_MARKER in body
    assert m not in audit_log(host)
    m = marker()
    name = detecting["server_names"][0]
    status, _, _ = response(peer, https(peer, host, target_ip, f"/?m={m}", name=name, opts=scanner))
    assert status == 200
    log = audit_log(host)
    assert m in log and '"913100"' in log.split(m, 1)[1].split("-Z--", 1)[0]


def test_waf_audit_log_readable_by_fail2ban(host):
    waf_site(host, "block")
    log = host.file(var(host, "nginx_proxy_waf_audit_log", "/var/log/modsecurity/audit.log"))
    assert (log.user, log.group, log.mode) == ("www-data", "adm", 0o640)


def test_waf_audit_log_still_written_after_the_daily_rotation(host, peer, target_ip):
    # logrotate's daily run rotates every rule in /etc/logrotate.d: Debian's
    # nginx one and the audit log's. ModSecurity reopens nothing on nginx's
    # USR1, so the audit log must be rotated in place.
    site = waf_site(host, "block")
    path = var(host, "nginx_proxy_waf_audit_log", "/var/log/modsecurity/audit.log")
    with host.sudo():
        rotated = host.run("logrotate -f /etc/logrotate.conf")
    assert rotated.rc == 0, rotated.stderr
    assert host.file(f"{path}.1").exists, "the audit log was not rotated"
    m = marker()
    status, _, _ = response(
        peer, https(peer, host, target_ip, SQLI.format(m=m), name=site["server_names"][0])
    )
    assert status == 403
    assert m in host.file(path).content_string, "a refusal after rotation missed the live log"
    log = host.file(path)
    assert (log.user, log.group, log.mode) == ("www-data", "adm", 0o640)


# ---------------------------------------------------------------- TLS
def test_sslyze_every_site_meets_its_mozilla_profile(host, target_ip):
    # sslyze's own check against Mozilla's configuration of the profile the
    # inventory names, for every site, plus the attacks it tests for.
    port = var(host, "nginx_proxy_https_port", 443)
    profile = var(host, "nginx_proxy_tls_profile", "intermediate")
    targets = [f"{site['server_names'][0]}:{port}{{{target_ip}}}" for site in sites(host)]
    scans, findings = sslyze(host, targets, profile)
    assert set(findings) == {target.split("{")[0] for target in targets}, findings
    # The scenario's certificates are self-signed placeholders: no CA to build
    # a path to, and a year's life. Anything else sslyze finds is a failure.
    placeholder = ("certificate_path_validation:", "maximum_certificate_lifespan:")
    for target, found in findings.items():
        assert not [f for f in found if not f.startswith(placeholder)], f"{target}: {found}"
    hsts_age = var(host, "nginx_proxy_hsts_max_age", 63072000)
    assert len(scans["server_scan_results"]) == len(targets)
    for scan in scans["server_scan_results"]:
        name = scan["server_location"]["hostname"]
        assert scan["scan_status"] == "COMPLETED", name
        result = {
            key: value["result"] for key, value in scan["scan_result"].items() if value["result"]
        }
        assert not result["heartbleed"]["is_vulnerable_to_heartbleed"], name
        assert not result["openssl_ccs_injection"]["is_vulnerable_to_ccs_injection"], name
        assert result["robot"]["robot_result"].startswith("NOT_VULNERABLE"), name
        assert not result["tls_compression"]["supports_compression"], name
        assert result["tls_fallback_scsv"]["supports_fallback_scsv"], name
        renegotiation = result["session_renegotiation"]
        assert renegotiation["supports_secure_renegotiation"], name
        assert not renegotiation["is_vulnerable_to_client_renegotiation_dos"], name
        hsts = result["http_headers"]["strict_transport_security_header"]
        assert hsts and hsts["max_age"] == hsts_age, f"{name}: {hsts}"


@pytest.mark.parametrize(
    ("flag", "protocol"),
    [("-tls1", "TLSv1"), ("-tls1_1", "TLSv1.1"), ("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")],
)
def test_tls_protocols_follow_profile(host, peer, target_ip, flag, protocol):
    # @SECLEVEL=0 lets the client offer TLS 1.0/1.1: a refusal is the server's.
    accepted = s_client(peer, host, target_ip, f"{flag} -cipher 'ALL:@SECLEVEL=0'")
    assert accepted == (protocol in expected_tls(host)["protocols"])


def test_tls12_ciphers_exactly_profile(host, peer, target_ip):
    tls = expected_tls(host)
    if "TLSv1.2" not in tls["protocols"]:
        pytest.skip("profile without TLS 1.2 (refusal tested in test_tls_protocols_follow_profile)")
    ecdsa = var(host, "nginx_proxy_selfsigned_key_type", "ecdsa") == "ecdsa"
    expected = {c for c in tls["ciphers"].split(":") if ("-ECDSA-" in c) == ecdsa}
    port = var(host, "nginx_proxy_https_port", 443)
    name = server_name(host)
    # One handshake per cipher the client knows for TLS 1.2, in one exec.
    script = (
        "for c in $(openssl ciphers -tls1_2 'ALL:@SECLEVEL=0' | tr ':' ' '); do "
        f"openssl s_client -connect {target_ip}:{port} -servername {name} -tls1_2 "
        '-cipher "$c:@SECLEVEL=0" </dev/null >/dev/null 2>&1 && echo "$c"; done'
    )
    result = peer.run(script, timeout=240)
    accepted = set(result.stdout.split())
    assert accepted == expected
    assert "AES128-SHA" not in accepted


def test_tls13_suites_follow_profile(host, peer, target_ip):
    tls = expected_tls(host)
    allowed = set(tls["ciphersuites"].split(":")) if tls["ciphersuites"] else set()
    for suite in TLS13_SUITES:
        accepted = s_client(peer, host, target_ip, f"-tls1_3 -ciphersuites {suite}")
        assert accepted == (suite in allowed), suite


def test_key_exchange_groups_follow_profile(host, peer, target_ip):
    tls = expected_tls(host)
    flag = "-tls1_3" if "TLSv1.3" in tls["protocols"] else "-tls1_2"
    for group in GROUPS:
        accepted = s_client(peer, host, target_ip, f"{flag} -groups {group}")
        assert accepted == (group in tls["ecdh_curves"]), group


def test_session_tickets_follow_profile(host, peer, target_ip):
    tls = expected_tls(host)
    if "TLSv1.2" not in tls["protocols"]:
        pytest.skip("TLS 1.3 only: tickets are part of every TLS 1.3 session")
    port = var(host, "nginx_proxy_https_port", 443)
    out = peer.run(
        f"openssl s_client -connect {target_ip}:{port} -servername {server_name(host)} "
        "-tls1_2 </dev/null 2>&1"
    ).stdout
    assert ("TLS session ticket lifetime hint" in out) == tls["session_tickets"]


def test_certificate_key_type_and_names(host, peer, target_ip):
    port = var(host, "nginx_proxy_https_port", 443)
    out = peer.run(
        f"openssl s_client -connect {target_ip}:{port} -servername {server_name(host)} </dev/null "
        "2>/dev/null | openssl x509 -noout -text"
    ).stdout
    if var(host, "nginx_proxy_selfsigned_key_type", "ecdsa") == "rsa":
        assert "rsaEncryption" in out and "2048 bit" in out
    else:
        assert "id-ecPublicKey" in out and "prime256v1" in out
    for name in first_site(host)["server_names"]:
        assert f"DNS:{name}" in out


# ---------------------------------------------------------------- optional locations
def test_login_path_rate_limited(host, peer, target_ip):
    paths = first_site(host)["login_paths"]
    if not paths:
        pytest.skip("no nginx_proxy_login_paths on this platform")
    command = https(peer, host, target_ip, paths[0], opts="-o /dev/null -w '%{http_code} '")
    codes = peer.run(f"for i in 1 2 3 4 5 6 7 8; do {command}; done").stdout.split()
    burst = var(host, "nginx_proxy_login_burst")
    assert codes[: burst + 1] == ["200"] * (burst + 1), codes
    assert codes[-1] == "429", codes
    status, headers, body = response(peer, https(peer, host, target_ip, paths[0]))
    assert status == 429 and "nginx" not in body.lower()
    assert_security_headers(host, headers, "429")
    # fail2ban's nginx-limit-req jail reads this line from the error log.
    log = host.file(var(host, "nginx_proxy_error_log", "/var/log/nginx/nginx_proxy.error.log"))
    assert re.search(
        rf"limiting requests, excess: .* client: {re.escape(peer.ip)}", log.content_string
    )


def test_static_location_served_without_listing_or_dotfiles(host, peer, target_ip):
    statics = first_site(host)["static_locations"]
    if not statics:
        pytest.skip("no nginx_proxy_static_locations on this platform")
    prefix = statics[0]["location"]
    status, headers, body = response(peer, https(peer, host, target_ip, f"{prefix}hello.txt"))
    assert (status, body) == (200, "bulwark-static-hello")
    assert_security_headers(host, headers, "static file")
    for path in (prefix, f"{prefix}sub/"):
        status, headers, body = response(peer, https(peer, host, target_ip, path))
        assert status in (403, 404) and "file.txt" not in body and "nginx" not in body.lower()
        assert_security_headers(host, headers, f"listing of {path}")
    status, _, body = response(peer, https(peer, host, target_ip, f"{prefix}.secret"))
    assert status == 404 and "SECRET" not in body
    # nginx's own redirect to the directory's URL with a slash
    status, headers, body = response(peer, https(peer, host, target_ip, f"{prefix}sub"))
    assert status == 301 and headers["location"][0].endswith(f"{prefix}sub/")
    assert "nginx" not in body.lower()


# ---------------------------------------------------------------- logs
def test_access_log_readable_by_fail2ban(host, peer, target_ip):
    marker = "/log-marker-for-fail2ban"
    response(peer, https(peer, host, target_ip, marker))
    path = var(host, "nginx_proxy_access_log", "/var/log/nginx/nginx_proxy.access.log")
    assert path.startswith("/var/log/nginx/") and path.endswith("access.log")
    lines = [line for line in host.file(path).content_string.splitlines() if marker in line]
    assert lines, "request not logged"
    # fail2ban's nginx jails expect the combined format: client address first.
    assert lines[-1].startswith(f"{peer.ip} - - [")
    assert f'"GET {marker} HTTP/1.1" 200' in lines[-1]
    assert f'host="{server_name(host)}"' in lines[-1]


# ---------------------------------------------------------------- app down (last: stops the app)
def test_app_down_gives_minimal_502_with_headers(host, peer, target_ip):
    port = upstream_port(first_site(host))
    assert host.run("systemctl stop bulwark-echo.service").rc == 0
    try:
        status, headers, body = response(peer, https(peer, host, target_ip, "/"))
        assert status == 502
        assert APP_MARKER not in body and "nginx" not in body.lower()
        assert "502" in body
        assert_security_headers(host, headers, "502")
    finally:
        # The same transient unit side_effect.yml started.
        host.run(
            "systemd-run --unit=bulwark-echo --property=DynamicUser=yes "
            f"/usr/bin/python3 /usr/local/lib/bulwark-echo-app.py {port}"
        )
        host.run(f"timeout 20 bash -c 'until echo >/dev/tcp/127.0.0.1/{port}; do sleep 0.2; done'")


def test_unknown_host_requests_have_their_own_log(host, peer, target_ip):
    # fail2ban's nginx-unknown-host jail counts every line of this log as a
    # failure, so requests for served names must never land in it.
    marker = "/unknown-host-marker"
    peer.run(f"curl -s --max-time 10 -H 'Host: scanner.invalid' http://{target_ip}{marker}")
    response(peer, https(peer, host, target_ip, "/served-host-marker"))
    path = var(host, "nginx_proxy_unknown_host_log", "/var/log/nginx/unknown-host.access.log")
    log = host.file(path).content_string
    lines = [line for line in log.splitlines() if marker in line]
    assert lines, f"unknown-host request not in {path}"
    assert lines[-1].startswith(f"{peer.ip} - - [")
    assert 'host="scanner.invalid"' in lines[-1]
    assert "/served-host-marker" not in log
    main_path = var(host, "nginx_proxy_access_log", "/var/log/nginx/nginx_proxy.access.log")
    main_log = host.file(main_path).content_string
    assert marker not in main_log


# ---------------------------------------------------------------- a site the role does not manage
PLAIN_SITE = "/etc/nginx/sites-enabled/zz-molecule-plain"
PLAIN_PORT = 8443


@pytest.fixture
def plain_site(host):
    """A minimal TLS site as an operator or another package would drop it in:
    no ssl_protocols, no server_tokens, nothing but a certificate. It inherits
    only what nginx.conf says at http level."""
    cert = "/etc/ssl/molecule-plain"
    host.run(
        f"mkdir -p {cert} && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
        f"-subj /CN=plain.test -keyout {cert}/key.pem -out {cert}/cert.pem 2>/dev/null"
    )
    site = (
        f"server {{ listen {PLAIN_PORT} ssl; server_name plain.test; "
        f"ssl_certificate {cert}/cert.pem; ssl_certificate_key {cert}/key.pem; "
        "location / { return 404; } }\n"
    )
    host.run(f"printf %s {shlex.quote(site)} > {PLAIN_SITE}")
    reload = host.run("nginx -t && systemctl reload nginx && sleep 1")
    assert reload.rc == 0, reload.stderr
    try:
        yield PLAIN_PORT
    finally:
        host.run(f"rm -rf {PLAIN_SITE} {cert} && systemctl reload nginx")


def test_other_site_inherits_no_weak_tls_and_no_version(host, peer, target_ip, plain_site):
    expected = expected_tls(host)["protocols"]
    for flag, protocol in (
        ("-tls1", "TLSv1"),
        ("-tls1_1", "TLSv1.1"),
        ("-tls1_2", "TLSv1.2"),
        ("-tls1_3", "TLSv1.3"),
    ):
        accepted = (
            peer.run(
                f"openssl s_client -connect {target_ip}:{plain_site} -servername plain.test "
                f"{flag} -cipher 'ALL:@SECLEVEL=0' </dev/null >/dev/null 2>&1"
            ).returncode
            == 0
        )
        assert accepted == (protocol in expected), protocol
    assert "TLSv1" not in expected and "TLSv1.1" not in expected
    status, headers, body = response(
        peer,
        f"curl -sk --max-time 10 --resolve plain.test:{plain_site}:{target_ip} https://plain.test:{plain_site}/x",
    )
    assert status == 404
    assert headers.get("server") == ["nginx"], headers.get("server")
    version = re.search(r"nginx/([0-9.]+)", host.run("nginx -V").stderr).group(1)
    assert version not in body and "nginx/" not in body, body


def test_check_mode_with_nginx_but_no_selfsigned_dir(host):
    """`--check` on a host that has nginx but not the self-signed certificate's
    directory yet (a proxy set up by hand) runs through and creates nothing."""
    selfsigned = var(host, "nginx_proxy_selfsigned_dir", "/etc/ssl/nginx_proxy")
    assert host.run(f"mv {selfsigned} {selfsigned}.moved").rc == 0
    try:
        result = ansible_playbook(
            ROOT / "molecule" / "shared" / "converge.yml",
            "--check",
            "--limit",
            host.backend.get_hostname(),
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert "would create" in result.stdout
        assert not host.file(selfsigned).exists
    finally:
        host.run(f"rm -rf {selfsigned} && mv {selfsigned}.moved {selfsigned}")
    assert host.service("nginx").is_running
