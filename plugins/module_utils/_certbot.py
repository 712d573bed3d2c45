# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether certbot must (re)issue a certificate, and the exact certbot argv.

A certificate is requested only when it is missing or when what exists on the
host (the live certificate and the lineage's renewal configuration) differs
from what is asked: its domains, key, OCSP must-staple flag, ACME server,
authenticator or webroot. An existing lineage is reissued with
``--force-renewal``, so certbot does not wait for the renewal window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

_REQUIRED = (
    "name",
    "domains",
    "key_type",
    "elliptic_curve",
    "rsa_key_size",
    "must_staple",
    "authenticator",
    "webroot_path",
)


def _renewal_value(conf: str, key: str) -> str:
    """A ``key = value`` of certbot's renewal configuration (first one), or ''."""
    match = re.search(rf"(?m)^{re.escape(key)}\s*=\s*([^,\n]*)", conf)
    return match.group(1).strip() if match else ""


def _bool(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PolicyError(f"{what} must be a boolean, got {shown(value)}")


def _reasons(
    cert: Mapping, x509: Mapping, renewal_conf: str, *, server: str, must_staple: bool
) -> list[str]:
    """What differs between an existing certificate and the one asked for."""
    reasons: list[str] = []
    sans = sorted(re.sub(r"^DNS:", "", san).lower() for san in x509.get("subject_alt_name") or [])
    if sans != sorted(d.lower() for d in cert["domains"]):
        reasons.append("domains changed")
    public_key = x509.get("public_key_data") or {}
    if cert["key_type"] == "ecdsa":
        wanted_key = ("ECC", public_key.get("curve"), cert["elliptic_curve"])
    else:
        wanted_key = ("RSA", public_key.get("size"), int(cert["rsa_key_size"]))
    key_type, have, want = wanted_key
    key_ok = x509.get("public_key_type") == key_type and have == want
    if not key_ok:
        reasons.append("key changed")
    if bool(x509.get("ocsp_must_staple")) != must_staple:
        reasons.append("must-staple changed")
    if _renewal_value(renewal_conf, "server") != server:
        reasons.append("ACME server changed")
    if _renewal_value(renewal_conf, "authenticator") != cert["authenticator"]:
        reasons.append("authenticator changed")
    webroot = _renewal_value(renewal_conf, "webroot_path")
    if cert["authenticator"] == "webroot" and webroot != cert["webroot_path"]:
        reasons.append("webroot changed")
    return reasons


def certbot_plan(
    cert: object,
    x509: object,
    renewal_conf: object,
    *,
    email: object,
    server: object,
    deploy_hook: object,
) -> dict:
    """Return ``{reasons, argv}``: why the certificate must be requested (empty:
    up to date) and certbot's argv to do it.

    ``cert`` is a certbot_certificates entry with every setting filled in;
    ``x509`` the result of community.crypto.x509_certificate_info for the live
    cert.pem (no ``subject_alt_name`` when there is none); ``renewal_conf`` the
    text of the lineage's renewal configuration ('' when there is none).
    """
    if not isinstance(cert, Mapping) or any(key not in cert for key in _REQUIRED):
        raise PolicyError(
            f"the certificate must be a mapping with {list(_REQUIRED)}, got {shown(cert)}"
        )
    if not isinstance(x509, Mapping):
        raise PolicyError(f"x509 must be the x509_certificate_info result, got {shown(x509)}")
    if not isinstance(renewal_conf, str):
        raise PolicyError(f"renewal_conf must be a string, got {shown(renewal_conf)}")
    for what, value in (("email", email), ("server", server), ("deploy_hook", deploy_hook)):
        if not isinstance(value, str) or not value:
            raise PolicyError(f"{what} must be a non-empty string, got {shown(value)}")
    name = cert["name"]
    domains = cert["domains"]
    if isinstance(domains, str) or not domains or not all(isinstance(d, str) for d in domains):
        raise PolicyError(
            f"{name}: domains must be a non-empty list of names, got {shown(domains)}"
        )
    domains = [d.lower() for d in domains]
    key_type = cert["key_type"]
    if key_type not in ("ecdsa", "rsa"):
        raise PolicyError(f"{name}: key_type must be ecdsa or rsa, got {shown(key_type)}")
    authenticator = cert["authenticator"]
    if authenticator not in ("webroot", "standalone"):
        raise PolicyError(
            f"{name}: authenticator must be webroot or standalone, got {shown(authenticator)}"
        )
    must_staple = _bool(cert["must_staple"], f"{name}: must_staple")
    rsa_bits = int(cert["rsa_key_size"])

    exists = x509.get("subject_alt_name") is not None
    reasons = (
        _reasons(cert, x509, renewal_conf, server=server, must_staple=must_staple)
        if exists
        else ["not issued yet"]
    )

    argv = [
        "certbot",
        "certonly",
        "--non-interactive",
        "--agree-tos",
        "--no-eff-email",
        "--email",
        email,
        "--server",
        server,
        "--cert-name",
        name,
        "--deploy-hook",
        deploy_hook,
    ]
    if key_type == "ecdsa":
        argv += ["--key-type", "ecdsa", "--elliptic-curve", cert["elliptic_curve"]]
    else:
        argv += ["--key-type", "rsa", "--rsa-key-size", str(rsa_bits)]
    if must_staple:
        argv.append("--must-staple")
    if authenticator == "webroot":
        argv += ["--webroot", "--webroot-path", cert["webroot_path"]]
    else:
        argv.append("--standalone")
    if exists:
        argv.append("--force-renewal")
    argv += ["--domains", ",".join(domains)]
    return {"reasons": reasons, "argv": argv}
