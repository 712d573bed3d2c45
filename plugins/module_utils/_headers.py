# SPDX-License-Identifier: GPL-3.0-or-later
"""Security response headers for the nginx reverse proxy.

Defaults follow the header table of the OpenKAT production hardening page
(issue 3's seed), modernised: ``block-all-mixed-content`` is gone from the
CSP, and headers browsers have retired (Expect-CT, Public-Key-Pins,
X-XSS-Protection other than ``0``, Feature-Policy) are refused with a reason.
Clear-Site-Data is never a default: it wipes the browser's state and belongs
on a logout location only.

Every value handed back has been through ``_nginx_quote.escape``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils import _csp
from ansible_collections.bulwark.hardening.plugins.module_utils._nginx_quote import (
    check_value,
    escape,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

ONE_YEAR = 31536000
HSTS_DEFAULT_MAX_AGE = 63072000  # two years, Mozilla's hsts_min_age

DEFAULT_CSP: dict[str, list[str]] = {
    "default-src": ["self"],
    "object-src": ["none"],
    "child-src": ["self"],
    "frame-ancestors": ["none"],
    "upgrade-insecure-requests": [],
}

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "document-domain",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "sync-xhr",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
}
DEFAULT_PERMISSIONS["sync-xhr"] = ["self"]

RETIRED = {
    "expect-ct": "Expect-CT is retired: browsers enforce Certificate Transparency anyway and "
    "Chrome removed the header in version 107",
    "public-key-pins": "Public-Key-Pins (HPKP) is retired: browsers removed it because a bad "
    "pin locks users out; use Certificate Transparency monitoring instead",
    "public-key-pins-report-only": "Public-Key-Pins-Report-Only is retired together with HPKP",
    "feature-policy": "Feature-Policy was replaced by Permissions-Policy; use the permissions "
    "option",
    "x-content-security-policy": "X-Content-Security-Policy is a pre-standard prefix; use "
    "Content-Security-Policy",
    "x-webkit-csp": "X-WebKit-CSP is a pre-standard prefix; use Content-Security-Policy",
}
CLEAR_SITE_DATA_TYPES = (
    "cache",
    "cookies",
    "storage",
    "executionContexts",
    "prefetchCache",
    "prerenderCache",
    "clientHints",
    "*",
)

_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_FEATURE = re.compile(r"[a-z][a-z0-9-]*")
_ORIGIN = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?"
)
_HSTS = re.compile(
    r"\s*max-age=([0-9]+)\s*(;\s*includeSubDomains\s*)?(;\s*preload\s*)?;?\s*", re.IGNORECASE
)


def _max_age(value: object) -> int:
    # ASCII digits only: str.isdigit() also accepts '¹' or '٣', which int()
    # then refuses or reads as another number.
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise PolicyError(f"max-age must be a non-negative integer of seconds, got {shown(value)}")


def hsts(max_age: object, include_subdomains: object = True, preload: object = False) -> str:
    """Return a Strict-Transport-Security value."""
    seconds = _max_age(max_age)
    for flag, value in (("include_subdomains", include_subdomains), ("preload", preload)):
        if not isinstance(value, bool):
            raise PolicyError(f"{flag} must be a boolean, got {shown(value)}")
    if preload and (seconds < ONE_YEAR or not include_subdomains):
        raise PolicyError(
            f"preload requires max-age of at least {ONE_YEAR} (one year) and "
            f"includeSubDomains (hstspreload.org rules); got max-age={seconds}, "
            f"include_subdomains={include_subdomains}"
        )
    parts = [f"max-age={seconds}"]
    if include_subdomains:
        parts.append("includeSubDomains")
    if preload:
        parts.append("preload")
    return "; ".join(parts)


def parse_hsts(value: object) -> str:
    """Validate a Strict-Transport-Security string; return it canonical."""
    match = _HSTS.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise PolicyError(
            f"Strict-Transport-Security {shown(value)} is not "
            "'max-age=N[; includeSubDomains][; preload]'"
        )
    return hsts(int(match.group(1)), bool(match.group(2)), bool(match.group(3)))


def _allow_list(feature: str, raw: object) -> list[str]:
    if raw is None:
        return []
    entries = raw.split() if isinstance(raw, str) else raw
    if not isinstance(entries, Sequence) or not all(isinstance(e, str) for e in entries):
        raise PolicyError(f"{feature}: the allow-list must be a list of strings, got {shown(raw)}")
    out = []
    for entry in entries:
        bare = entry.strip('"')
        if bare in ("self", "*"):
            out.append(bare)
        elif bare in ("none", "'none'", "()"):
            raise PolicyError(f"{feature}: use an empty list for no origin, not {entry!r}")
        elif _ORIGIN.fullmatch(bare):
            out.append(f'"{bare}"')
        else:
            raise PolicyError(
                f"{feature}: {shown(entry)} is not self, * or an origin (https://host[:port])"
            )
    if "*" in out and len(out) > 1:
        raise PolicyError(f"{feature}: '*' cannot be combined with other entries")
    return out


def permissions_policy_raw(policy: object) -> str:
    """Return the Permissions-Policy value as the browser sees it."""
    if not isinstance(policy, Mapping) or not policy:
        raise PolicyError(
            f"the Permissions-Policy must be a non-empty mapping of feature to allow-list, "
            f"got {shown(policy)}"
        )
    items = []
    for feature, raw in policy.items():
        if not isinstance(feature, str) or not _FEATURE.fullmatch(feature):
            raise PolicyError(f"{shown(feature)} is not a Permissions-Policy feature name")
        entries = _allow_list(feature, raw)
        if entries == ["*"]:
            items.append(f"{feature}=*")
        else:
            items.append(f"{feature}=({' '.join(entries)})")
    return ", ".join(items)


def permissions_policy(policy: object) -> str:
    """Return the Permissions-Policy value escaped for an nginx string."""
    return escape(permissions_policy_raw(policy), "Permissions-Policy")


def clear_site_data_value(types: object) -> str:
    """Return a Clear-Site-Data value for a list of data types."""
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, Sequence) or not types:
        raise PolicyError(f"clear_site_data must be a non-empty list, got {shown(types)}")
    for kind in types:
        if kind not in CLEAR_SITE_DATA_TYPES:
            raise PolicyError(
                f"clear_site_data: unknown type {shown(kind)}; known: "
                f"{', '.join(CLEAR_SITE_DATA_TYPES)}"
            )
    return ", ".join(f'"{kind}"' for kind in types)


def _header_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise PolicyError(f"{what}: {shown(name)} is not a header name")
    if name.lower() in RETIRED:
        raise PolicyError(RETIRED[name.lower()])
    return name


def _override_value(name: str, value: object) -> str | None:
    """Return the raw override value, or None when the header is dropped."""
    if value is None or value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PolicyError(
            f"{name}: the value must be a string (or null to drop), got {shown(value)}"
        )
    lowered = name.lower()
    if lowered == "x-xss-protection" and value.strip() != "0":
        raise PolicyError(
            f"X-XSS-Protection {value!r} is refused: browsers removed their XSS auditors and "
            "'1' re-enabled cross-site leaks in the ones left; only '0' is allowed"
        )
    if lowered in ("content-security-policy", "content-security-policy-report-only"):
        return _csp.build(_csp.parse(value))
    if lowered == "strict-transport-security":
        return parse_hsts(value)
    return value


def security_headers(
    overrides: object = None,
    *,
    drop: object = (),
    csp: object = None,
    permissions: object = None,
    hsts_max_age: object = HSTS_DEFAULT_MAX_AGE,
    hsts_include_subdomains: object = True,
    hsts_preload: object = False,
    clear_site_data: object = None,
    allow_nginx_variables: object = False,
) -> list[dict[str, str]]:
    """Return the ordered header set as ``[{name, value, raw}]``."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise PolicyError(
            f"overrides must be a mapping of header name to value, got {shown(overrides)}"
        )
    if isinstance(drop, str) or not isinstance(drop, Sequence):
        raise PolicyError(f"drop must be a list of header names, got {shown(drop)}")
    if not isinstance(allow_nginx_variables, bool):
        raise PolicyError(
            f"allow_nginx_variables must be a boolean, got {shown(allow_nginx_variables)}"
        )

    if csp is None:
        csp_value = _csp.build(DEFAULT_CSP)
    else:
        csp_value = _csp.build(_csp.parse(csp) if isinstance(csp, str) else csp)
    if isinstance(permissions, str):
        permissions_value = check_value(permissions, "Permissions-Policy")
    else:
        permissions_value = permissions_policy_raw(
            DEFAULT_PERMISSIONS if permissions is None else permissions
        )

    defaults: dict[str, tuple[str, str]] = {}
    for name, value in (
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", csp_value),
        ("X-Permitted-Cross-Domain-Policies", "none"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", permissions_value),
        ("Cache-Control", "no-store, max-age=0"),
        ("Strict-Transport-Security", hsts(hsts_max_age, hsts_include_subdomains, hsts_preload)),
    ):
        defaults[name.lower()] = (name, value)

    dropped = set()
    for name in drop:
        _header_name(name, "drop")
        if name.lower() not in defaults:
            raise PolicyError(
                f"drop: {name!r} is not a default header; defaults are "
                f"{', '.join(header for header, _value in defaults.values())}"
            )
        dropped.add(name.lower())

    given: dict[str, tuple[str, str | None]] = {}
    for name, value in overrides.items():
        _header_name(name, "overrides")
        key = name.lower()
        if key in given:
            raise PolicyError(f"overrides: header {name!r} is given twice")
        if key in dropped:
            raise PolicyError(f"header {name!r} is both in drop and in overrides")
        if key == "content-security-policy" and csp is not None:
            raise PolicyError("give the CSP either as the csp option or as an override, not both")
        if key == "permissions-policy" and permissions is not None:
            raise PolicyError(
                "give Permissions-Policy either as the permissions option or as an override, "
                "not both"
            )
        given[key] = (name, _override_value(name, value))

    if clear_site_data is not None:
        if "clear-site-data" in given:
            raise PolicyError(
                "give Clear-Site-Data either as clear_site_data or as an override, not both"
            )
        given["clear-site-data"] = ("Clear-Site-Data", clear_site_data_value(clear_site_data))

    ordered: list[tuple[str, str | None]] = []
    for key, (name, value) in defaults.items():
        if key in dropped:
            continue
        ordered.append((name, given.pop(key)[1] if key in given else value))
    ordered.extend(given.values())

    return [
        {"name": name, "value": escape(raw, name, allow_nginx_variables), "raw": raw}
        for name, raw in ordered
        if raw is not None
    ]
