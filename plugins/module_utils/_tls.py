# SPDX-License-Identifier: GPL-3.0-or-later
"""Mozilla Server Side TLS profiles for nginx.

Values are Mozilla's guidelines as published by ssl-config-generator
(``src/static/guidelines/6.0.json``; ``old`` from ``5.7.json``, since 6.0 no
longer has it).  On top of the guideline, the rules the generator itself
applies for nginx are repeated here (tlsref/configurator ``src/js/state.js``
and ``helpers/nginx.js``), so a role gets what the generator would print for
the same nginx and OpenSSL versions:

* ``X25519MLKEM768`` only with OpenSSL >= 3.5.0 (older OpenSSL cannot load the
  group and nginx would refuse to start);
* TLS 1.3 only with OpenSSL >= 1.1.1 and nginx >= 1.13.0;
* ``ssl_session_tickets off`` only for 1.5.9 <= nginx < 1.23.2 (with OpenSSL
  >= 1.0.2l): nginx 1.23.2 started rotating ticket keys itself;
* ``@SECLEVEL=0`` in front of the ``old`` cipher string on OpenSSL 3, which
  otherwise refuses TLS 1.0/1.1.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

_TLS13_SUITES = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
)

# Only the guideline fields a server block uses (oldest_clients, IANA names
# and certificate lifespans are left out).
GUIDELINES: dict[str, dict[str, dict[str, Any]]] = {
    "6.0": {
        "modern": {
            "certificate_curves": ["prime256v1", "secp384r1"],
            "certificate_types": ["ecdsa"],
            "ciphers": [],
            "ciphersuites": list(_TLS13_SUITES),
            "dh_param_size": None,
            "hsts_min_age": 63072000,
            "ocsp_staple": True,
            "rsa_key_size": None,
            "server_preferred_order": False,
            "tls_curves": ["X25519MLKEM768", "X25519", "prime256v1", "secp384r1"],
            "tls_versions": ["TLSv1.3"],
        },
        "intermediate": {
            "certificate_curves": ["prime256v1", "secp384r1"],
            "certificate_types": ["ecdsa", "rsa"],
            "ciphers": [
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                "ECDHE-RSA-CHACHA20-POLY1305",
            ],
            "ciphersuites": list(_TLS13_SUITES),
            "dh_param_size": 2048,
            "hsts_min_age": 63072000,
            "ocsp_staple": True,
            "rsa_key_size": 2048,
            "server_preferred_order": False,
            "tls_curves": ["X25519MLKEM768", "X25519", "prime256v1", "secp384r1"],
            "tls_versions": ["TLSv1.2", "TLSv1.3"],
        },
    },
    "5.7": {
        "old": {
            "certificate_curves": ["prime256v1", "secp384r1"],
            "certificate_types": ["rsa"],
            "ciphers": [
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                "ECDHE-RSA-CHACHA20-POLY1305",
                "DHE-RSA-AES128-GCM-SHA256",
                "DHE-RSA-AES256-GCM-SHA384",
                "DHE-RSA-CHACHA20-POLY1305",
                "ECDHE-ECDSA-AES128-SHA256",
                "ECDHE-RSA-AES128-SHA256",
                "ECDHE-ECDSA-AES128-SHA",
                "ECDHE-RSA-AES128-SHA",
                "ECDHE-ECDSA-AES256-SHA384",
                "ECDHE-RSA-AES256-SHA384",
                "ECDHE-ECDSA-AES256-SHA",
                "ECDHE-RSA-AES256-SHA",
                "DHE-RSA-AES128-SHA256",
                "DHE-RSA-AES256-SHA256",
                "AES128-GCM-SHA256",
                "AES256-GCM-SHA384",
                "AES128-SHA256",
                "AES256-SHA256",
                "AES128-SHA",
                "AES256-SHA",
                "DES-CBC3-SHA",
            ],
            "ciphersuites": list(_TLS13_SUITES),
            "dh_param_size": 1024,
            "hsts_min_age": 63072000,
            "ocsp_staple": True,
            "rsa_key_size": 2048,
            "server_preferred_order": True,
            "tls_curves": ["X25519", "prime256v1", "secp384r1"],
            "tls_versions": ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
        },
    },
}

PROFILES = ("modern", "intermediate", "old")
LEGACY_PROFILES = ("old",)

# The first version that can load each group; groups not listed load anywhere
# nginx and OpenSSL 1.0.2+ run.
_CURVE_MIN_OPENSSL = {
    "X25519MLKEM768": (3, 5, 0, ""),
    "X25519": (1, 1, 0, ""),
}
_TLS13_MIN_OPENSSL = (1, 1, 1, "")
_TLS13_MIN_NGINX = (1, 13, 0)
_OCSP_MIN_NGINX = (1, 3, 7)
_TICKETS_OFF_NGINX = ((1, 5, 9), (1, 23, 2))  # [from, until)
_TICKETS_OFF_MIN_OPENSSL = (1, 0, 2, "l")
_SECLEVEL0_MIN_OPENSSL = (3, 0, 0, "")

# "3.0.17", "OpenSSL 3.0.17 1 Jul 2025", "1.1.1w", "3.5.0-beta1" ...
_OPENSSL_RE = re.compile(
    r"\s*(?:OpenSSL\s+)?(\d+)\.(\d+)\.(\d+)([a-z]{0,2})(?![.\d])\S*(?:\s.*)?", re.DOTALL
)
# "1.22.1", "nginx/1.22.1", "nginx version: nginx/1.22.1 (Ubuntu)"
_NGINX_RE = re.compile(
    r"\s*(?:nginx version:\s*)?(?:nginx/)?(\d+)\.(\d+)\.(\d+)(?![.\d])(?:\s.*)?", re.DOTALL
)

OpensslVersion = tuple[int, int, int, str]
NginxVersion = tuple[int, int, int]


def parse_openssl_version(value: object) -> OpensslVersion:
    """Parse an OpenSSL version as a user or `openssl version` writes it."""
    match = _OPENSSL_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise PolicyError(
            f"openssl_version {shown(value)} is not an OpenSSL version "
            "(expected '3.0.17' or the output of `openssl version`)"
        )
    major, minor, patch, letter = match.groups()
    return int(major), int(minor), int(patch), letter


def parse_nginx_version(value: object) -> NginxVersion:
    """Parse an nginx version as a user or `nginx -v` writes it."""
    match = _NGINX_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise PolicyError(
            f"nginx_version {shown(value)} is not an nginx version "
            "(expected '1.22.1' or the output of `nginx -v`)"
        )
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def guideline_for(profile: object) -> tuple[str, dict[str, Any]]:
    """Return (guideline version, configuration) for a profile name."""
    if isinstance(profile, str):
        for version, configurations in GUIDELINES.items():
            if profile in configurations:
                return version, configurations[profile]
    raise PolicyError(f"unknown profile {shown(profile)}; valid profiles: {', '.join(PROFILES)}")


def tls_profile(
    profile: str, openssl_version: str | None = None, nginx_version: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Return (settings for an nginx server block, warnings for the user)."""
    version, guide = guideline_for(profile)
    openssl = parse_openssl_version(openssl_version) if openssl_version is not None else None
    nginx = parse_nginx_version(nginx_version) if nginx_version is not None else None
    warnings: list[str] = []
    if profile in LEGACY_PROFILES:
        warnings.append(
            f"profile '{profile}' comes from Mozilla guidelines {version}; guidelines 6.0 "
            "dropped it. It enables TLS 1.0/1.1 and CBC/3DES ciphers: use it only for clients "
            "that cannot be upgraded."
        )

    protocols = list(guide["tls_versions"])
    tls13_ok = (openssl is None or openssl >= _TLS13_MIN_OPENSSL) and (
        nginx is None or nginx >= _TLS13_MIN_NGINX
    )
    if not tls13_ok:
        protocols = [p for p in protocols if p != "TLSv1.3"]
    if not protocols:
        raise PolicyError(
            f"profile {profile!r} needs TLS 1.3, which requires OpenSSL >= 1.1.1 and "
            f"nginx >= 1.13.0 (got openssl_version={openssl_version!r}, "
            f"nginx_version={nginx_version!r})"
        )

    curves = [
        curve
        for curve in guide["tls_curves"]
        if openssl is None or openssl >= _CURVE_MIN_OPENSSL.get(curve, (0, 0, 0, ""))
    ]
    if openssl is None and any(c in _CURVE_MIN_OPENSSL for c in guide["tls_curves"]):
        warnings.append(
            "openssl_version not given: ecdh_curves keeps X25519MLKEM768, which OpenSSL "
            "before 3.5.0 cannot load (nginx would fail to start)"
        )

    ciphers = list(guide["ciphers"])
    if ciphers and "TLSv1.1" in protocols:
        if openssl is None:
            warnings.append(
                "openssl_version not given: with OpenSSL 3 the 'old' profile needs "
                "@SECLEVEL=0 in the cipher string for TLS 1.0/1.1; it was not added"
            )
        elif openssl >= _SECLEVEL0_MIN_OPENSSL:
            ciphers.insert(0, "@SECLEVEL=0")

    # nginx < 1.23.2 used one ticket key for the life of the process, which
    # defeats forward secrecy; later versions rotate it.  Unknown nginx: off.
    old_nginx = nginx is not None and _TICKETS_OFF_NGINX[0] <= nginx < _TICKETS_OFF_NGINX[1]
    tickets_off = nginx is None or (
        old_nginx and (openssl is None or openssl >= _TICKETS_OFF_MIN_OPENSSL)
    )
    uses_dhe = any(c.startswith("DHE-") for c in ciphers)

    result: dict[str, Any] = {
        "profile": profile,
        "guidelines_version": version,
        "protocols": protocols,
        "ciphers": ":".join(ciphers),
        "ciphersuites": ":".join(guide["ciphersuites"]) if "TLSv1.3" in protocols else "",
        "ecdh_curves": curves,
        "prefer_server_ciphers": guide["server_preferred_order"],
        "session_tickets": not tickets_off,
        "session_timeout": "1d",
        "session_cache": "shared:MozSSL:10m",
        "hsts_min_age": guide["hsts_min_age"],
        "dhparam": guide["dh_param_size"] if uses_dhe else False,
        "dh_param_size": guide["dh_param_size"],
        "ocsp_stapling": guide["ocsp_staple"] and (nginx is None or nginx >= _OCSP_MIN_NGINX),
        "certificate_types": list(guide["certificate_types"]),
        "certificate_curves": list(guide["certificate_curves"]),
        "rsa_key_size": guide["rsa_key_size"],
    }
    return result, warnings
