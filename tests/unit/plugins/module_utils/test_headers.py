# SPDX-License-Identifier: GPL-3.0-or-later
"""HSTS, Permissions-Policy and the security_headers set."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._headers import (
    hsts,
    permissions_policy,
    permissions_policy_raw,
    security_headers,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from hypothesis import given
from hypothesis import strategies as st

# The seed's header table (OpenKAT production hardening), modernised by hand:
# Expect-CT and Clear-Site-Data out, block-all-mixed-content out of the CSP,
# X-Frame-Options in its canonical upper case, HSTS at Mozilla's two years.
EXPECTED_DEFAULTS = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'self'; object-src 'none'; child-src 'self'; frame-ancestors 'none'; "
        "upgrade-insecure-requests",
    ),
    ("X-Permitted-Cross-Domain-Policies", "none"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "accelerometer=(), autoplay=(), camera=(), display-capture=(), document-domain=(), "
        "encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), midi=(), payment=(), picture-in-picture=(), "
        "publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), "
        "web-share=(), xr-spatial-tracking=()",
    ),
    ("Cache-Control", "no-store, max-age=0"),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
]


def pairs(headers):
    return [(h["name"], h["raw"]) for h in headers]


# --- HSTS -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "value"),
    [
        ((63072000,), {}, "max-age=63072000; includeSubDomains"),
        ((63072000,), {"preload": True}, "max-age=63072000; includeSubDomains; preload"),
        ((31536000,), {"preload": True}, "max-age=31536000; includeSubDomains; preload"),
        ((300,), {"include_subdomains": False}, "max-age=300"),
        (("0",), {}, "max-age=0; includeSubDomains"),
    ],
)
def test_hsts(args, kwargs, value):
    assert hsts(*args, **kwargs) == value


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((31535999,), {"preload": True}, "at least 31536000"),
        ((63072000,), {"preload": True, "include_subdomains": False}, "includeSubDomains"),
        ((-1,), {}, "non-negative integer"),
        ((True,), {}, "non-negative integer"),
        (("1y",), {}, "non-negative integer"),
        ((1.5,), {}, "non-negative integer"),
        ((300,), {"preload": "yes"}, "preload must be a boolean"),
        ((300,), {"include_subdomains": 1}, "include_subdomains must be a boolean"),
    ],
)
def test_hsts_errors(args, kwargs, message):
    with pytest.raises(PolicyError, match=message):
        hsts(*args, **kwargs)


# --- Permissions-Policy ---------------------------------------------------


def test_permissions_policy_forms():
    policy = {
        "camera": [],
        "geolocation": ["self", "https://maps.example.com"],
        "fullscreen": ["*"],
        "usb": None,
        "payment": "self https://pay.example.com:8443",
    }
    raw = (
        'camera=(), geolocation=(self "https://maps.example.com"), fullscreen=*, usb=(), '
        'payment=(self "https://pay.example.com:8443")'
    )
    assert permissions_policy_raw(policy) == raw
    assert permissions_policy(policy) == raw.replace('"', '\\"')


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"camera": ["none"]}, "empty list"),
        ({"camera": ["()"]}, "empty list"),
        ({"camera": ["*", "self"]}, "cannot be combined"),
        ({"camera": ["https://a.example/path"]}, "not self, \\* or an origin"),
        ({"camera": ["a.example"]}, "not self, \\* or an origin"),
        ({"camera": ['https://a.example") , x=(*']}, "not self"),
        ({"Camera": []}, "not a Permissions-Policy feature"),
        ({"camera=()": []}, "not a Permissions-Policy feature"),
        ({"camera": [1]}, "list of strings"),
        ({}, "non-empty mapping"),
        (["camera"], "non-empty mapping"),
    ],
)
def test_permissions_policy_errors(policy, message):
    with pytest.raises(PolicyError, match=message):
        permissions_policy(policy)


# --- security_headers -----------------------------------------------------


def test_defaults():
    headers = security_headers()
    assert pairs(headers) == EXPECTED_DEFAULTS
    assert all(h["value"] == h["raw"] for h in headers)  # nothing needs escaping


def test_override_in_place_drop_and_append():
    headers = security_headers(
        {
            "referrer-policy": "strict-origin-when-cross-origin",
            "Cache-Control": None,
            "X-Robots-Tag": "noindex",
            "Cross-Origin-Embedder-Policy": False,
        },
        drop=["x-permitted-cross-domain-policies"],
    )
    names = [h["name"] for h in headers]
    assert names == [
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Content-Security-Policy",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
        "Permissions-Policy",
        "Strict-Transport-Security",
        "X-Robots-Tag",
    ]
    assert headers[3]["raw"] == "strict-origin-when-cross-origin"
    assert headers[-1]["raw"] == "noindex"


def test_csp_and_permissions_options():
    headers = dict(
        pairs(
            security_headers(
                csp={"default-src": ["none"], "img-src": ["self", "data:"]},
                permissions={"camera": ["self"]},
            )
        )
    )
    assert headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self' data:"
    assert headers["Permissions-Policy"] == "camera=(self)"
    string_csp = security_headers(csp="default-src 'self'")
    assert dict(pairs(string_csp))["Content-Security-Policy"] == "default-src 'self'"


def test_hsts_options():
    headers = dict(pairs(security_headers(hsts_max_age=31536000, hsts_preload=True)))
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    with pytest.raises(PolicyError, match="preload requires"):
        security_headers(hsts_max_age=86400, hsts_preload=True)


def test_hsts_override_is_validated():
    headers = security_headers({"Strict-Transport-Security": "max-age=600"})
    assert dict(pairs(headers))["Strict-Transport-Security"] == "max-age=600"
    with pytest.raises(PolicyError, match="Strict-Transport-Security"):
        security_headers({"Strict-Transport-Security": "max-age=1; preload; evil"})
    with pytest.raises(PolicyError, match="preload requires"):
        security_headers({"Strict-Transport-Security": "max-age=600; includeSubDomains; preload"})


def test_csp_override_is_validated_and_canonical():
    headers = security_headers({"content-security-policy": "DEFAULT-SRC 'SELF'"})
    assert dict(pairs(headers))["Content-Security-Policy"] == "default-src 'self'"
    with pytest.raises(PolicyError, match="unquoted 'self'"):
        security_headers({"Content-Security-Policy": "default-src self"})
    with pytest.raises(PolicyError, match="unknown CSP directive"):
        security_headers({"Content-Security-Policy-Report-Only": "scirpt-src 'self'"})


def test_clear_site_data_only_when_asked():
    assert "Clear-Site-Data" not in [h["name"] for h in security_headers()]
    option = security_headers(clear_site_data=["cache", "storage"])[-1]
    assert option == {
        "name": "Clear-Site-Data",
        "value": '\\"cache\\", \\"storage\\"',
        "raw": '"cache", "storage"',
    }
    override = security_headers({"Clear-Site-Data": '"*"'})[-1]
    assert (override["name"], override["value"]) == ("Clear-Site-Data", '\\"*\\"')


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("Expect-CT", "max-age=86400, enforce", "Expect-CT is retired"),
        ("public-key-pins", 'pin-sha256="x"; max-age=1', "HPKP"),
        ("Public-Key-Pins-Report-Only", "x", "retired"),
        ("Feature-Policy", "camera 'none'", "Permissions-Policy"),
        ("X-WebKit-CSP", "default-src 'self'", "pre-standard"),
        ("X-XSS-Protection", "1; mode=block", "only '0' is allowed"),
        ("X-XSS-Protection", 1, "only '0' is allowed"),
    ],
)
def test_retired_headers_are_errors(name, value, message):
    with pytest.raises(PolicyError, match=message):
        security_headers({name: value})


@pytest.mark.parametrize("value", ["0", 0])
def test_x_xss_protection_zero_is_allowed(value):
    assert security_headers({"X-XSS-Protection": value})[-1]["raw"] == "0"


def test_retired_header_in_drop_is_an_error_too():
    with pytest.raises(PolicyError, match="Expect-CT is retired"):
        security_headers(drop=["Expect-CT"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overrides": {"X-Evil": "a\r\nSet-Cookie: x=1"}}, "only printable ASCII"),
        ({"overrides": {"X-Evil": 'x"; add_header Y "z'}}, None),
        ({"overrides": {"X-Evil": "$remote_addr"}}, r"contains '\$'"),
        ({"overrides": {"X-Evil\r\n": "x"}}, "not a header name"),
        ({"overrides": {"X Evil": "x"}}, "not a header name"),
        ({"overrides": {"X-A": ["x"]}}, "must be a string"),
        ({"overrides": {"X-A": True}}, "must be a string"),
        ({"overrides": {"X-A": "1", "x-a": "2"}}, "given twice"),
        ({"overrides": ["X-A"]}, "overrides must be a mapping"),
        ({"drop": "Cache-Control"}, "drop must be a list"),
        ({"drop": ["Cache-Contrl"]}, "not a default header"),
        ({"drop": ["Cache-Control"], "overrides": {"cache-control": "x"}}, "both in drop"),
        (
            {"csp": {"default-src": ["self"]}, "overrides": {"Content-Security-Policy": "x"}},
            "not both",
        ),
        ({"permissions": {"camera": []}, "overrides": {"Permissions-Policy": "x"}}, "not both"),
        ({"clear_site_data": ["cache"], "overrides": {"Clear-Site-Data": "x"}}, "not both"),
        ({"clear_site_data": ["everything"]}, "unknown type"),
        ({"clear_site_data": []}, "non-empty list"),
        ({"allow_nginx_variables": "yes"}, "allow_nginx_variables must be a boolean"),
    ],
)
def test_security_headers_errors(kwargs, message):
    overrides = kwargs.pop("overrides", None)
    if message is None:
        # A quote cannot end the nginx string: it comes back escaped.
        value = security_headers(overrides, **kwargs)[-1]["value"]
        assert value == 'x\\"; add_header Y \\"z'
        return
    with pytest.raises(PolicyError, match=message):
        security_headers(overrides, **kwargs)


def test_nginx_variables_only_when_allowed():
    headers = security_headers({"X-Request-Id": "$request_id"}, allow_nginx_variables=True)
    assert headers[-1]["value"] == "$request_id"


_header_name = st.from_regex(r"X-[A-Za-z0-9-]{1,12}", fullmatch=True)


@given(st.dictionaries(_header_name, st.text(max_size=60), max_size=3))
def test_values_are_refused_or_nginx_safe(overrides):
    try:
        headers = security_headers(overrides)
    except PolicyError:
        return
    for header in headers:
        value = header["value"]
        assert not any(ord(c) < 0x20 or ord(c) >= 0x7F for c in value)
        # every " and \ is escaped: strip escape pairs, nothing special may remain
        stripped = value.replace("\\\\", "").replace('\\"', "")
        assert '"' not in stripped
        assert "\\" not in stripped
