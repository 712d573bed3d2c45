# SPDX-License-Identifier: GPL-3.0-or-later
"""The proxy's sites: shorthand, several sites, the allow-list, certificates, OCSP."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from ansible_collections.bulwark.hardening.plugins.module_utils._proxy_sites import (
    ocsp_stapling,
    proxy_sites,
    sites_certbot_certificates,
)

DEFAULTS = {
    "server_names": ["app.example.test"],
    "upstreams": ["127.0.0.1:8000"],
    "certificate": "",
    "certificate_key": "",
    "headers": {"X-Robots-Tag": "noindex"},
    "headers_drop": [],
    "csp": None,
    "permissions_policy": None,
    "hsts_max_age": 63072000,
    "hsts_include_subdomains": True,
    "hsts_preload": False,
    "client_max_body_size": "10m",
    "login_paths": [],
    "static_locations": [],
    "waf": "off",
    "waf_exclusions": [],
}
SHOP = {
    "name": "shop",
    "server_names": ["shop.example.test", "www.shop.example.test"],
    "upstreams": ["127.0.0.1:8001"],
    "csp": {"default-src": ["self"], "img-src": ["self", "https://img.example.test"]},
    "certbot": "shop",
}
API = {
    "name": "api",
    "server_names": ["api.example.test"],
    "upstreams": ["unix:/run/api.sock"],
    "headers": {"x-robots-tag": "none", "Cache-Control": None},
    "client_max_body_size": "50m",
    "login_paths": ["/login/"],
}


def test_shorthand_is_one_site_named_app_with_top_level_selfsigned_files():
    (site,) = proxy_sites([], DEFAULTS)
    assert site["name"] == "app" and site["upstream_name"] == "nginx_proxy_app"
    assert site["server_names"] == ["app.example.test"]
    assert site["certificate"] == "/etc/ssl/nginx_proxy/fullchain.pem"
    assert site["selfsigned"] and site["certificate_source"] == "self-signed"
    assert site["headers_sent"]["X-Robots-Tag"] == "noindex"


def test_shorthand_errors_name_the_role_variables():
    with pytest.raises(PolicyError, match=r"^nginx_proxy_server_names: 'evil name;}'"):
        proxy_sites([], {**DEFAULTS, "server_names": ["app.example.test", "evil name;}"]})
    with pytest.raises(PolicyError, match=r"nginx_proxy_upstream_servers: '127\.0\.0\.1:70000'"):
        proxy_sites([], {**DEFAULTS, "upstreams": ["127.0.0.1:70000"]})
    with pytest.raises(
        PolicyError, match="nginx_proxy_certificate and nginx_proxy_certificate_key"
    ):
        proxy_sites([], {**DEFAULTS, "certificate": "/etc/ssl/a.pem"})


def test_two_sites_own_upstreams_headers_and_limits():
    shop, api = proxy_sites([SHOP, API], DEFAULTS)
    assert shop["upstreams"] == ["127.0.0.1:8001"] and api["upstreams"] == ["unix:/run/api.sock"]
    assert shop["headers_sent"]["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' https://img.example.test"
    )
    assert "upgrade-insecure-requests" in api["headers_sent"]["Content-Security-Policy"]
    # A site's override replaces the role-wide one of the same name, in any case.
    assert api["headers_sent"]["x-robots-tag"] == "none"
    assert "X-Robots-Tag" not in api["headers_sent"]
    assert "Cache-Control" not in api["headers_sent"]
    assert shop["headers_sent"]["X-Robots-Tag"] == "noindex"
    assert (shop["client_max_body_size"], api["client_max_body_size"]) == ("10m", "50m")
    assert api["client_max_body_bytes"] == 50 * 1024 * 1024
    assert api["login_paths"] == ["/login/"] and shop["login_paths"] == []
    assert shop["certificate"] == "/etc/ssl/nginx_proxy/shop/fullchain.pem"
    assert api["selfsigned_dir"] == "/etc/ssl/nginx_proxy/api"


def test_certbot_lineage_used_once_it_exists():
    shop, _ = proxy_sites([SHOP, API], DEFAULTS, certbot_live=["shop"])
    assert shop["certificate"] == "/etc/letsencrypt/live/shop/fullchain.pem"
    assert shop["certificate_key"] == "/etc/letsencrypt/live/shop/privkey.pem"
    assert not shop["selfsigned"] and shop["certificate_source"] == "certbot"


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        ([SHOP, {**API, "server_names": ["shop.example.test"]}], "already a name of site 'shop'"),
        ([SHOP, {**API, "name": "shop"}], "used twice"),
        ([SHOP, {**API, "certbot": "shop"}], "certbot certificate 'shop' is used twice"),
        ([{**API, "upstream": ["x:1"]}], r"unknown keys \['upstream'\]"),
        ([{**API, "name": "Bad-Name"}], "short identifier"),
        ([{**API, "server_names": ["10.0.0.1"]}], "IP addresses are not server names"),
        ([{**API, "server_names": []}], "at least one DNS name"),
        ([{**API, "client_max_body_size": "10 MB"}], r"\(api\): client_max_body_size"),
        ([{**API, "login_paths": ["/"]}], "not a URL prefix"),
        ([{**API, "static_locations": [{"location": "/s/", "alias": "/srv/s"}]}], "alias"),
        ([{**API, "headers": {"Expect-CT": "max-age=1"}}], r"\(api\) headers: .*Expect-CT"),
        ([{**SHOP, "certificate": "/a.pem", "certificate_key": "/a.key"}], "not both"),
        ([{**API, "certificate": "/a b.pem", "certificate_key": "/a.key"}], "absolute path"),
        ([{**API, "waf": "on"}], r"\(api\): waf must be one of"),
        ([{**API, "waf_exclusions": ["942100"]}], "not a ModSecurity rule id"),
        ([{**API, "waf_exclusions": 942100}], "must be a list of rule ids"),
        ("shop", "must be a list"),
        ([["shop"]], "must be a mapping"),
    ],
)
def test_bad_sites_refused_naming_the_site(sites, message):
    with pytest.raises(PolicyError, match=message):
        proxy_sites(sites, DEFAULTS)


def test_defaults_must_be_complete():
    with pytest.raises(PolicyError, match="missing"):
        proxy_sites([], {k: v for k, v in DEFAULTS.items() if k != "csp"})


def test_certbot_certificates_from_sites_names_given_once():
    assert sites_certbot_certificates([SHOP, API]) == [
        {"name": "shop", "domains": ["shop.example.test", "www.shop.example.test"]}
    ]
    assert sites_certbot_certificates([]) == []
    with pytest.raises(PolicyError, match="wildcards need dns-01"):
        sites_certbot_certificates([{**SHOP, "server_names": ["*.shop.example.test"]}])


@pytest.mark.parametrize(
    ("mode", "wants", "uri", "staple", "why"),
    [
        ("auto", True, "http://ocsp.example.test", True, "names the OCSP responder"),
        ("auto", True, None, False, "no OCSP responder"),
        ("auto", True, "", False, "no OCSP responder"),
        ("auto", True, "ldap://x", False, "not an http:// URL"),
        ("auto", False, "http://ocsp.example.test", False, "profile does not ask"),
        ("off", True, "http://ocsp.example.test", False, "is off"),
    ],
)
def test_ocsp_stapling_decision_says_why(mode, wants, uri, staple, why):
    decision = ocsp_stapling(mode, wants, uri)
    assert decision["staple"] is staple
    assert why in decision["reason"]


def test_ocsp_stapling_bad_mode():
    with pytest.raises(PolicyError, match="'on'"):
        ocsp_stapling("on", True, None)


def test_role_wide_certificate_for_sites_without_certbot():
    defaults = {
        **DEFAULTS,
        "certificate": "/etc/ssl/all.pem",
        "certificate_key": "/etc/ssl/all.key",
    }
    shop, api = proxy_sites([SHOP, API], defaults)
    assert shop["certificate_source"] == "self-signed"  # until certbot's lineage exists
    assert api["certificate"] == "/etc/ssl/all.pem" and api["certificate_source"] == "given"


def test_waf_mode_and_exclusions_per_site():
    defaults = {**DEFAULTS, "waf": "detect", "waf_exclusions": [920350]}
    shop, api = proxy_sites(
        [SHOP, {**API, "waf": "block", "waf_exclusions": [942100, 942100]}], defaults
    )
    assert (shop["waf"], shop["waf_exclusions"]) == ("detect", [920350])
    assert (api["waf"], api["waf_exclusions"]) == ("block", [942100])
