# SPDX-License-Identifier: GPL-3.0-or-later
"""Which self-signed placeholder certificates nginx_proxy must (re)make.

The role's probe prints, for each self-signed site, a section headed by the
key's path (`==> KEY <==`) with what openssl reads from the key and the
certificate (see roles/nginx_proxy/tasks/certificate.yml). A site whose key
and certificate are already what the crypto modules would make needs none
of them: a rerun costs no round trip for it. Anything missing, unreadable
or different makes the site due, and the modules decide as before.
"""

from __future__ import annotations

import hashlib
import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)

_EXT_PREFIX = "X509v3 "
_SECTION = re.compile(r"^==> (.+) <==$", re.MULTILINE)
# sha1sum of nothing: openssl printed no public key.
_EMPTY_SHA1 = hashlib.sha1(b"").hexdigest()


def _extensions(lines: list[str]) -> dict[str, str]:
    """{extension name: its value} from `openssl x509 -ext ...` output."""
    found: dict[str, str] = {}
    name = None
    for line in lines:
        if line.startswith(_EXT_PREFIX):
            name = line.removeprefix(_EXT_PREFIX).rstrip(": ").strip()
            found[name] = ""
        elif name and line.startswith("    "):
            found[name] = (found[name] + " " + line.strip()).strip()
    return found


def _site_is_current(
    lines: list[str], site: dict, key_type: str, curve: str, rsa_bits: int
) -> bool:
    values = {}
    for line in lines:
        key, _sep, value = line.partition(" ")
        values.setdefault(key, value.strip())
    if values.get("key") != "600 root:root" or values.get("cert") != "644 root:root":
        return False
    if key_type == "ecdsa":
        if f"ASN1 OID: {curve}" not in lines:
            return False
    elif f"Private-Key: ({rsa_bits} bit" not in " ".join(lines):
        return False
    keypub, certpub = values.get("keypub"), values.get("certpub")
    if not keypub or keypub == _EMPTY_SHA1 or keypub != certpub:
        return False
    names = list(site["server_names"])
    if f"subject=CN={names[0]}" not in lines:
        return False
    ext = _extensions(lines)
    san = {
        item.strip() for item in ext.get("Subject Alternative Name", "").split(",") if item.strip()
    }
    san_ok = san == {f"DNS:{name}" for name in names}
    constraints_ok = ext.get("Basic Constraints") == "CA:FALSE"
    usage_ok = ext.get("Extended Key Usage") == "TLS Web Server Authentication"
    return san_ok and constraints_ok and usage_ok


def selfsigned_due(
    sites: list, probe: str, key_type: str, curve: str = "", rsa_bits: int = 2048
) -> list[str]:
    """The names of the self-signed sites whose key or certificate must be made.

    sites: the role's self-signed sites (name, certificate_key, server_names);
    probe: the probe's text; key_type: ecdsa or rsa; curve: the EC curve's
    OpenSSL name (prime256v1); rsa_bits: the RSA key size.
    """
    if key_type not in ("ecdsa", "rsa"):
        raise PolicyError(f"key_type must be ecdsa or rsa, got {key_type!r}")
    parts = _SECTION.split(probe or "")
    sections = dict(zip(parts[1::2], (p.splitlines() for p in parts[2::2]), strict=True))
    due = []
    for site in sites:
        if not isinstance(site, dict) or not {"name", "certificate_key", "server_names"} <= set(
            site
        ):
            raise PolicyError(f"each site needs a name, certificate_key and server_names: {site!r}")
        if not site["server_names"]:
            raise PolicyError(f"site {site['name']!r} has no server names")
        lines = [line.rstrip() for line in sections.get(site["certificate_key"], [])]
        if not _site_is_current(lines, site, key_type, curve, rsa_bits):
            due.append(site["name"])
    return due
