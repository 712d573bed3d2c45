# SPDX-License-Identifier: GPL-3.0-or-later
"""The sites of the nginx reverse proxy: normalisation and policy.

``nginx_proxy_sites`` lists the front ends one proxy serves (an app, its API,
an admin site), each with its own names, upstreams, certificate, headers and
limits. Without it, the role's single-site variables are the one site. Every
name of every site is on the proxy's allow-list, so a name may belong to one
site only; everything that ends up in nginx configuration is checked here.

Also: the certbot certificates the sites ask for (one per site, names given
once) and the OCSP stapling decision for a site's certificate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils._headers import (
    security_headers,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

SHORTHAND_NAME = "app"

_SITE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_DNS_NAME = re.compile(
    r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)
_IPV4ISH = re.compile(r"[0-9.]+")
_UPSTREAM = re.compile(
    r"unix:/[A-Za-z0-9._/@+-]+"
    r"|([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})"
)
_SIZE = re.compile(r"[0-9]+[kKmMgG]?")
_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}
_PREFIX = re.compile(r"/[A-Za-z0-9._~/@+:=-]+")
_ALIAS = re.compile(r"/[A-Za-z0-9._/@+-]*/")
_PATH = re.compile(r"/[A-Za-z0-9._/@+:=-]*")
_CERT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

SITE_KEYS = frozenset(
    {
        "name",
        "server_names",
        "upstreams",
        "certificate",
        "certificate_key",
        "certbot",
        "headers",
        "headers_drop",
        "csp",
        "permissions_policy",
        "client_max_body_size",
        "login_paths",
        "static_locations",
        "waf",
        "waf_exclusions",
    }
)
DEFAULT_KEYS = frozenset(
    {
        "server_names",
        "upstreams",
        "certificate",
        "certificate_key",
        "headers",
        "headers_drop",
        "csp",
        "permissions_policy",
        "hsts_max_age",
        "hsts_include_subdomains",
        "hsts_preload",
        "client_max_body_size",
        "login_paths",
        "static_locations",
        "waf",
        "waf_exclusions",
    }
)
WAF_MODES = ("off", "detect", "block")


def _str_list(value: object, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise PolicyError(f"{what} must be a list of strings, got {shown(value)}")
    for item in value:
        if not isinstance(item, str):
            raise PolicyError(f"{what} must be a list of strings, got {shown(item)} in it")
    return list(value)


def _server_names(value: object, what: str) -> list[str]:
    names = _str_list(value, what)
    if not names:
        raise PolicyError(f"{what} must list at least one DNS name")
    for name in names:
        if not _DNS_NAME.fullmatch(name) or _IPV4ISH.fullmatch(name) or len(name) > 253:
            raise PolicyError(
                f"{what}: {shown(name)} is not a lower-case DNS name (optionally starting "
                "with '*.'); IP addresses are not server names"
            )
    if len(set(names)) != len(names):
        raise PolicyError(f"{what} lists a name twice: {shown(names)}")
    return names


def _upstreams(value: object, what: str) -> list[str]:
    servers = _str_list(value, what)
    if not servers:
        raise PolicyError(f"{what} must list at least one server")
    for server in servers:
        match = _UPSTREAM.fullmatch(server)
        port = match.group(3) if match else None
        if not match or (port is not None and not 1 <= int(port) <= 65535):
            raise PolicyError(
                f"{what}: {shown(server)} is not host:port (port 1-65535), [ipv6]:port or "
                "unix:/absolute/path"
            )
    return servers


def _path(value: object, what: str) -> str:
    if not isinstance(value, str) or not _PATH.fullmatch(value):
        raise PolicyError(
            f"{what} must be an absolute path without spaces, quotes, ';', '{{', '}}', '$' or "
            f"'#', got {shown(value)}"
        )
    return value


def _locations(static: object, login: object, what: str) -> tuple[list[dict], list[str]]:
    if isinstance(static, str) or not isinstance(static, Sequence):
        raise PolicyError(f"{what}static_locations must be a list, got {shown(static)}")
    statics = []
    for entry in static:
        if not isinstance(entry, Mapping) or set(entry) != {"location", "alias"}:
            raise PolicyError(
                f"{what}static_locations entries are {{location, alias}}, got {shown(entry)}"
            )
        if not isinstance(entry["location"], str) or not _PREFIX.fullmatch(entry["location"]):
            raise PolicyError(
                f"{what}static_locations: location {shown(entry['location'])} is not a URL "
                "prefix such as /static/"
            )
        if not isinstance(entry["alias"], str) or not _ALIAS.fullmatch(entry["alias"]):
            raise PolicyError(
                f"{what}static_locations: alias {shown(entry['alias'])} is not an absolute "
                "directory ending in /"
            )
        statics.append({"location": entry["location"], "alias": entry["alias"]})
    logins = _str_list(login, f"{what}login_paths")
    for path in logins:
        if not _PREFIX.fullmatch(path):
            raise PolicyError(
                f"{what}login_paths: {shown(path)} is not a URL prefix such as /accounts/login/"
            )
    prefixes = [s["location"] for s in statics] + logins
    if len(set(prefixes)) != len(prefixes):
        raise PolicyError(f"{what}: a URL prefix appears twice in {shown(prefixes)}")
    return statics, logins


def _site_headers(raw: Mapping, defaults: Mapping, *, what: str, prefix: str, get) -> list[dict]:
    """The site's security headers: its own overrides win over the role-wide ones."""
    headers = dict(defaults["headers"] or {})
    site_headers = raw.get("headers") or {}
    if not isinstance(site_headers, Mapping):
        raise PolicyError(f"{prefix}headers must be a mapping, got {shown(site_headers)}")
    lowered = {key.lower(): key for key in headers if isinstance(key, str)}
    for key, value in site_headers.items():
        if isinstance(key, str) and key.lower() in lowered:
            del headers[lowered[key.lower()]]
        headers[key] = value
    try:
        return security_headers(
            headers,
            drop=get("headers_drop"),
            csp=get("csp"),
            permissions=get("permissions_policy"),
            hsts_max_age=defaults["hsts_max_age"],
            hsts_include_subdomains=defaults["hsts_include_subdomains"],
            hsts_preload=defaults["hsts_preload"],
        )
    except PolicyError as exc:
        raise PolicyError(f"{what} headers: {exc}") from exc


def _site(
    raw: Mapping,
    defaults: Mapping,
    *,
    what: str,
    prefix: str,
    certbot_live: set[str],
    selfsigned: str,
) -> dict:
    """One site; ``prefix`` is how a key is named in messages (``server_names`` or
    ``nginx_proxy_server_names``)."""
    name = raw["name"]

    def get(key: str, default_key: str | None = None):
        return raw[key] if key in raw else defaults[default_key or key]

    site: dict = {"name": name}
    site["server_names"] = _server_names(raw.get("server_names"), f"{prefix}server_names")
    site["upstreams"] = _upstreams(
        get("upstreams"),
        f"{prefix}{'upstream_servers' if prefix.startswith('nginx') else 'upstreams'}",
    )
    site["upstream_name"] = f"nginx_proxy_{name}"

    size = get("client_max_body_size")
    if not isinstance(size, str) or not _SIZE.fullmatch(size):
        raise PolicyError(
            f"{prefix}client_max_body_size must look like 10m (bytes, k, m or g), got {shown(size)}"
        )
    site["client_max_body_size"] = size
    site["client_max_body_bytes"] = (
        int(size[:-1]) * _UNITS[size[-1].lower()] if size[-1].isalpha() else int(size)
    )
    site["waf"] = get("waf")
    if site["waf"] not in WAF_MODES:
        raise PolicyError(f"{prefix}waf must be one of {list(WAF_MODES)}, got {shown(site['waf'])}")
    exclusions = get("waf_exclusions")
    if isinstance(exclusions, str) or not isinstance(exclusions, Sequence):
        raise PolicyError(
            f"{prefix}waf_exclusions must be a list of rule ids, got {shown(exclusions)}"
        )
    for rule in exclusions:
        if isinstance(rule, bool) or not isinstance(rule, int) or not 1 <= rule <= 9999999:
            raise PolicyError(f"{prefix}waf_exclusions: {shown(rule)} is not a ModSecurity rule id")
    site["waf_exclusions"] = sorted(set(exclusions))
    site["static_locations"], site["login_paths"] = _locations(
        get("static_locations"), get("login_paths"), prefix
    )

    site["headers"] = _site_headers(raw, defaults, what=what, prefix=prefix, get=get)
    site["headers_sent"] = {h["name"]: h["raw"] for h in site["headers"]}

    # Certificate: certbot's lineage once it exists, else the given files, else
    # a self-signed one so that nginx can start.
    certbot = raw.get("certbot", "")
    if not isinstance(certbot, str) or (certbot and not _CERT_NAME.fullmatch(certbot)):
        raise PolicyError(
            f"{prefix}certbot must be a certbot certificate name, got {shown(certbot)}"
        )
    # A role-wide certificate is for the sites that name no certbot certificate.
    cert = raw.get("certificate", "" if certbot else defaults["certificate"])
    key = raw.get("certificate_key", "" if certbot else defaults["certificate_key"])
    if bool(cert) != bool(key):
        raise PolicyError(
            f"{prefix}certificate and {prefix}certificate_key: set both or neither "
            "(then a self-signed certificate is created)"
        )
    if cert and certbot:
        raise PolicyError(f"{what}: give either certificate/certificate_key or certbot, not both")
    if cert:
        _path(cert, f"{prefix}certificate")
        _path(key, f"{prefix}certificate_key")
    site["certbot"] = certbot
    if certbot and certbot in certbot_live:
        site["certificate"] = f"/etc/letsencrypt/live/{certbot}/fullchain.pem"
        site["certificate_key"] = f"/etc/letsencrypt/live/{certbot}/privkey.pem"
        site["selfsigned"] = False
    elif cert:
        site["certificate"], site["certificate_key"] = cert, key
        site["selfsigned"] = False
    else:
        site["certificate"] = f"{selfsigned}/fullchain.pem"
        site["certificate_key"] = f"{selfsigned}/privkey.pem"
        site["selfsigned"] = True
    site["selfsigned_dir"] = selfsigned
    site["certificate_source"] = (
        "certbot" if certbot and certbot in certbot_live else "given" if cert else "self-signed"
    )
    return site


def proxy_sites(
    sites: object,
    defaults: object,
    *,
    certbot_live: object = (),
    selfsigned_dir: object = "/etc/ssl/nginx_proxy",
) -> list[dict]:
    """Return the normalised sites.

    ``sites`` is ``nginx_proxy_sites`` (a list; empty: the single site made of
    ``defaults``); ``defaults`` holds the role-wide values under the keys of
    DEFAULT_KEYS; ``certbot_live`` names the certbot lineages whose files
    exist on the host; self-signed certificates live in ``selfsigned_dir``
    (a subdirectory per named site).
    """
    if not isinstance(defaults, Mapping) or set(defaults) != DEFAULT_KEYS:
        missing = sorted(DEFAULT_KEYS - set(defaults)) if isinstance(defaults, Mapping) else []
        raise PolicyError(
            f"defaults must be a mapping with {sorted(DEFAULT_KEYS)}; missing {missing}"
        )
    live = set(_str_list(certbot_live, "certbot_live"))
    selfsigned = _path(selfsigned_dir, "nginx_proxy_selfsigned_dir")
    if isinstance(sites, str) or not isinstance(sites, Sequence):
        raise PolicyError(f"nginx_proxy_sites must be a list of sites, got {shown(sites)}")

    if not sites:
        raw = {"name": SHORTHAND_NAME, "server_names": defaults["server_names"]}
        return [
            _site(
                raw,
                defaults,
                what="nginx_proxy",
                prefix="nginx_proxy_",
                certbot_live=live,
                selfsigned=selfsigned,
            )
        ]

    result: list[dict] = []
    owner: dict[str, str] = {}
    for index, raw in enumerate(sites):
        what = f"nginx_proxy_sites[{index}]"
        if not isinstance(raw, Mapping):
            raise PolicyError(f"{what} must be a mapping, got {shown(raw)}")
        unknown = sorted(set(raw) - SITE_KEYS)
        if unknown:
            raise PolicyError(f"{what}: unknown keys {unknown}; allowed: {sorted(SITE_KEYS)}")
        name = raw.get("name")
        if not isinstance(name, str) or not _SITE_NAME.fullmatch(name):
            raise PolicyError(
                f"{what}: name must be a short identifier ([a-z][a-z0-9_]*, at most 32), got "
                f"{shown(name)}"
            )
        what = f"nginx_proxy_sites[{index}] ({name})"
        if any(site["name"] == name for site in result):
            raise PolicyError(f"{what}: the site name {name!r} is used twice")
        site = _site(
            raw,
            defaults,
            what=what,
            prefix=f"{what}: ",
            certbot_live=live,
            selfsigned=f"{selfsigned}/{name}",
        )
        for server_name in site["server_names"]:
            if server_name in owner:
                raise PolicyError(
                    f"{what}: {server_name!r} is already a name of site {owner[server_name]!r}; "
                    "a name may belong to one site only"
                )
            owner[server_name] = name
        certbots = [s["certbot"] for s in result if s["certbot"]]
        if site["certbot"] and site["certbot"] in certbots:
            raise PolicyError(f"{what}: certbot certificate {site['certbot']!r} is used twice")
        result.append(site)
    return result


def sites_certbot_certificates(sites: object) -> list[dict]:
    """certbot_certificates entries for the sites that name a certbot certificate:
    ``{name, domains}`` with the site's server names (wildcards refused: they
    need dns-01)."""
    if isinstance(sites, str) or not isinstance(sites, Sequence):
        raise PolicyError(f"nginx_proxy_sites must be a list of sites, got {shown(sites)}")
    certs = []
    for index, site in enumerate(sites):
        if not isinstance(site, Mapping):
            raise PolicyError(f"nginx_proxy_sites[{index}] must be a mapping, got {shown(site)}")
        name = site.get("certbot")
        if not name:
            continue
        domains = _server_names(
            site.get("server_names"), f"nginx_proxy_sites[{index}].server_names"
        )
        wild = [d for d in domains if d.startswith("*.")]
        if wild:
            raise PolicyError(
                f"nginx_proxy_sites[{index}] ({site.get('name')}): certbot cannot get {wild} "
                "with http-01 (wildcards need dns-01); give this site a certificate instead"
            )
        certs.append({"name": name, "domains": domains})
    return certs


def ocsp_stapling(mode: object, profile_wants: object, ocsp_uri: object) -> dict:
    """Whether nginx staples OCSP for a certificate, and why (``{staple, reason}``).

    Stapling needs a responder: a certificate without an OCSP URL (self-signed,
    or Let's Encrypt's since 2025, which dropped OCSP) would only make nginx
    log errors.
    """
    if mode not in ("auto", "off"):
        raise PolicyError(f"mode must be auto or off, got {shown(mode)}")
    if mode == "off":
        return {"staple": False, "reason": "nginx_proxy_ocsp_stapling is off"}
    if not profile_wants:
        return {"staple": False, "reason": "the TLS profile does not ask for OCSP stapling"}
    if not ocsp_uri:
        return {
            "staple": False,
            "reason": "the certificate names no OCSP responder (self-signed, or a CA such as "
            "Let's Encrypt that no longer runs OCSP)",
        }
    if not isinstance(ocsp_uri, str) or not ocsp_uri.startswith("http://"):
        return {
            "staple": False,
            "reason": f"the certificate's OCSP responder {shown(ocsp_uri)} is not an http:// URL",
        }
    return {"staple": True, "reason": f"the certificate names the OCSP responder {ocsp_uri}"}
