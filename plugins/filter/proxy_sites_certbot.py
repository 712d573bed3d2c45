# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_sites_certbot
short_description: The certbot certificates the proxy's sites ask for
version_added: 1.1.0
author: bulwark.hardening maintainers
description:
  - Returns C(certbot_certificates) entries, one per site of C(nginx_proxy_sites) that names a
    certbot certificate (key C(certbot)), with the site's server names as domains. The names
    are given once, in the site; C(bulwark.hardening.proxy) feeds certbot with this when
    C(certbot_certificates) is not set.
  - Wildcard names are refused (certbot's http-01 cannot prove them).
options:
  _input:
    description: C(nginx_proxy_sites).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
---
- name: certbot_certificates from the sites
  ansible.builtin.set_fact:
    certbot_certificates: "{{ nginx_proxy_sites | bulwark.hardening.proxy_sites_certbot }}"
  # [{name: shop, domains: [shop.example.org, www.shop.example.org]}, ...]
"""

RETURN = r"""
_value:
  description: C([{name, domains}]), in the order of the sites.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._proxy_sites import (  # noqa: E402
    sites_certbot_certificates,
)

_FQCN = "bulwark.hardening.proxy_sites_certbot"


def proxy_sites_certbot_filter(sites: object) -> list[dict]:
    try:
        return sites_certbot_certificates(sites)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: certbot certificates of the proxy's sites."""

    def filters(self) -> dict[str, object]:
        return {"proxy_sites_certbot": proxy_sites_certbot_filter}
