# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_sites
short_description: Normalise and check the sites of the nginx reverse proxy
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Takes C(nginx_proxy_sites) (or, when it is empty, the role's single-site variables given
    as O(defaults)) and returns one entry per site with every value filled in and checked.
  - Every name of every site is on the proxy's allow-list, so a name may belong to one site
    only; site names and certbot certificate names are unique too.
  - A site's C(headers) override the role-wide ones; C(csp), C(permissions_policy),
    C(headers_drop), C(client_max_body_size), C(login_paths), C(static_locations) and
    C(upstreams) replace them. HSTS is role-wide.
  - The certificate is certbot's lineage once it exists on the host (O(certbot_live)), else the
    given C(certificate)/C(certificate_key), else a self-signed one in O(selfsigned_dir)
    (a subdirectory per named site).
options:
  _input:
    description: C(nginx_proxy_sites), a list of mappings with C(name), C(server_names) and
      optional C(upstreams), C(certificate), C(certificate_key), C(certbot), C(headers),
      C(headers_drop), C(csp), C(permissions_policy), C(client_max_body_size),
      C(login_paths), C(static_locations), C(waf), C(waf_exclusions).
    type: list
    elements: dict
    required: true
  defaults:
    description: The role-wide values, keys C(server_names), C(upstreams), C(certificate),
      C(certificate_key), C(headers), C(headers_drop), C(csp), C(permissions_policy),
      C(hsts_max_age), C(hsts_include_subdomains), C(hsts_preload), C(client_max_body_size),
      C(login_paths), C(static_locations), C(waf), C(waf_exclusions).
    type: dict
    required: true
  certbot_live:
    description: Names of the certbot certificates whose files exist on the host.
    type: list
    elements: str
    default: []
  selfsigned_dir:
    description: Directory of the self-signed certificates.
    type: str
    default: /etc/ssl/nginx_proxy
"""

EXAMPLES = r"""
---
- name: Two sites with their own upstreams and CSPs
  ansible.builtin.set_fact:
    _sites: >-
      {{ [{'name': 'shop', 'server_names': ['shop.example.org'], 'upstreams': ['127.0.0.1:8001'],
           'csp': {'default-src': ['self']}},
          {'name': 'api', 'server_names': ['api.example.org'], 'upstreams': ['127.0.0.1:8002'],
           'certbot': 'api'}]
         | bulwark.hardening.proxy_sites(defaults) }}
"""

RETURN = r"""
_value:
  description: One mapping per site with C(name), C(server_names), C(upstreams),
    C(upstream_name), C(client_max_body_size), C(client_max_body_bytes), C(login_paths),
    C(waf), C(waf_exclusions), C(static_locations), C(headers)
    (C([{name, value, raw}]) from C(bulwark.hardening.security_headers)), C(headers_sent)
    (name to raw value), C(certbot), C(certificate), C(certificate_key), C(selfsigned),
    C(selfsigned_dir) and C(certificate_source) (C(certbot), C(given) or C(self-signed)).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._proxy_sites import (  # noqa: E402
    proxy_sites,
)

_FQCN = "bulwark.hardening.proxy_sites"


def proxy_sites_filter(
    sites: object,
    defaults: object,
    certbot_live: object = (),
    selfsigned_dir: object = "/etc/ssl/nginx_proxy",
) -> list[dict]:
    try:
        return proxy_sites(
            sites, defaults, certbot_live=certbot_live, selfsigned_dir=selfsigned_dir
        )
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the proxy's sites."""

    def filters(self) -> dict[str, object]:
        return {"proxy_sites": proxy_sites_filter}
