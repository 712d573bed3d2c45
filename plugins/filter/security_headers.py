# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: security_headers
short_description: The ordered set of security headers for the reverse proxy
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Returns the security response headers for an nginx reverse proxy as an ordered list of
    C({name, value, raw}) items, ready for C(add_header NAME "VALUE" always;).
  - "Defaults, in order: C(X-Frame-Options: DENY); C(X-Content-Type-Options: nosniff);
    C(Content-Security-Policy: default-src 'self'; object-src 'none'; child-src 'self';
    frame-ancestors 'none'; upgrade-insecure-requests); C(X-Permitted-Cross-Domain-Policies: none);
    C(Referrer-Policy: no-referrer); C(Cross-Origin-Embedder-Policy: require-corp);
    C(Cross-Origin-Opener-Policy: same-origin); C(Cross-Origin-Resource-Policy: same-origin);
    C(Permissions-Policy) disabling accelerometer, autoplay, camera, display-capture,
    document-domain, encrypted-media, fullscreen, geolocation, gyroscope, magnetometer,
    microphone, midi, payment, picture-in-picture, publickey-credentials-get, screen-wake-lock,
    usb, web-share and xr-spatial-tracking, with C(sync-xhr=(self));
    C(Cache-Control: no-store, max-age=0); C(Strict-Transport-Security: max-age=63072000;
    includeSubDomains)."
  - These follow the OpenKAT production hardening table, modernised. C(block-all-mixed-content)
    is left out of the CSP (obsolete). Retired headers are refused with the reason -
    C(Expect-CT), C(Public-Key-Pins), C(Public-Key-Pins-Report-Only), C(Feature-Policy),
    C(X-Content-Security-Policy), C(X-WebKit-CSP), and C(X-XSS-Protection) with any value but
    C(0).
  - C(Clear-Site-Data) is never a default (it wipes the browser's cookies and storage for the
    site). Add it only where it belongs, for example on a logout location, with
    O(clear_site_data) or an override.
  - Every C(value) is safe between double quotes in nginx configuration. CR, LF, NUL, other
    control characters and non-ASCII characters are errors; C(") and C(\) are escaped; C($) is
    an error unless O(allow_nginx_variables) is true.
options:
  _input:
    description:
      - Overrides, a mapping of header name to value. A name matching a default (case-insensitive)
        replaces that default in place; other names are appended in the given order.
      - A value of null or false drops the header.
      - Values are the header as the browser should see it (not nginx-escaped). A
        Content-Security-Policy (or -Report-Only) value is parsed and validated like
        P(bulwark.hardening.csp_parse#filter); a Strict-Transport-Security value must be
        C(max-age=N[; includeSubDomains][; preload]).
    type: dict
    default: {}
  drop:
    description: Default headers to leave out, by name (case-insensitive). Naming a header that
      is not a default is an error, to catch typos.
    type: list
    elements: str
    default: []
  csp:
    description: The Content-Security-Policy, as a mapping (see P(bulwark.hardening.csp#filter))
      or a policy string. Replaces the default policy.
    type: raw
  permissions:
    description: The Permissions-Policy, as a mapping (see
      P(bulwark.hardening.permissions_policy#filter)). Replaces the default policy.
    type: dict
  hsts_max_age:
    description: max-age of Strict-Transport-Security in seconds.
    type: int
    default: 63072000
  hsts_include_subdomains:
    description: Add C(includeSubDomains) to Strict-Transport-Security.
    type: bool
    default: true
  hsts_preload:
    description: Add C(preload) to Strict-Transport-Security (needs max-age of a year or more and
      includeSubDomains).
    type: bool
    default: false
  clear_site_data:
    description: Add C(Clear-Site-Data) with these types (C(cache), C(cookies), C(storage),
      C(executionContexts), C(prefetchCache), C(prerenderCache), C(clientHints), C(*)).
    type: list
    elements: str
  allow_nginx_variables:
    description: Allow nginx variable references (C($request_id)) in override values. CSP values
      are validated against the CSP grammar and cannot contain them.
    type: bool
    default: false
"""

EXAMPLES = r"""
---
- name: Headers for the proxy, allowing one image CDN and no Cache-Control
  ansible.builtin.set_fact:
    nginx_proxy_headers: >-
      {{ {'Cache-Control': none}
         | bulwark.hardening.security_headers(
             csp={'default-src': ['self'], 'img-src': ['self', 'https://img.example.com'],
                  'object-src': ['none'], 'frame-ancestors': ['none']}) }}

# In the nginx template:
#   {% for header in nginx_proxy_headers %}
#   add_header {{ header.name }} "{{ header.value }}" always;
#   {% endfor %}

- name: Logout location
  ansible.builtin.set_fact:
    nginx_logout_headers: >-
      {{ {} | bulwark.hardening.security_headers(clear_site_data=['cache', 'storage']) }}
  # last item: {name: Clear-Site-Data, value: '\"cache\", \"storage\"', raw: '"cache", "storage"'}
"""

RETURN = r"""
_value:
  description: The headers in order.
  type: list
  elements: dict
  contains:
    name:
      description: Header name.
      type: str
    value:
      description: Header value escaped for a double-quoted nginx string (C(") as C(\")).
      type: str
    raw:
      description: The value as the browser receives it, for tests. Never put it in nginx
        configuration.
      type: str
"""

from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._headers import (  # noqa: E402
    HSTS_DEFAULT_MAX_AGE,
    security_headers,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.security_headers"


def security_headers_filter(
    overrides: Mapping[str, Any] | None = None,
    *,
    drop: list[str] | None = None,
    csp: Mapping[str, Any] | str | None = None,
    permissions: Mapping[str, Any] | None = None,
    hsts_max_age: int = HSTS_DEFAULT_MAX_AGE,
    hsts_include_subdomains: bool = True,
    hsts_preload: bool = False,
    clear_site_data: list[str] | None = None,
    allow_nginx_variables: bool = False,
) -> list[dict[str, str]]:
    try:
        return security_headers(
            overrides,
            drop=[] if drop is None else drop,
            csp=csp,
            permissions=permissions,
            hsts_max_age=hsts_max_age,
            hsts_include_subdomains=hsts_include_subdomains,
            hsts_preload=hsts_preload,
            clear_site_data=clear_site_data,
            allow_nginx_variables=allow_nginx_variables,
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: security response headers for nginx."""

    def filters(self) -> dict[str, object]:
        return {"security_headers": security_headers_filter}
