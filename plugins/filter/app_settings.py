# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: app_settings
short_description: Settings of the web app behind nginx_proxy, decided from the proxy's values
version_added: 0.1.0
author: bulwark.hardening maintainers
description:
  - Decides the security settings of a Django, Flask or Invenio app that sits behind
    P(bulwark.hardening.nginx_proxy#role), from the values the proxy uses, and returns the
    lines of the app's environment file. Used by the role P(bulwark.hardening.app_settings#role).
  - Allowed hosts are the proxy's server names; a name with a scheme, a port or a wildcard is
    an error. CSRF trusted origins are C(https://) + each name, with C(:port) when the HTTPS
    port is not 443.
  - The proxy sets (never appends) C(X-Forwarded-Proto) from C($scheme), so Django's
    C(SECURE_PROXY_SSL_HEADER) is C((HTTP_X_FORWARDED_PROTO, https)) and the app trusts
    exactly one proxy hop; any other proxy count is an error.
  - HSTS is decided in one place. When the proxy sends C(Strict-Transport-Security) the app's
    C(SECURE_HSTS_*) mirror it (the proxy hides the app's copy), and a different app value is
    an error; when the proxy sends none, O(_input.hsts) is required and the app sends it.
  - C(X_FRAME_OPTIONS), C(SECURE_REFERRER_POLICY) and C(SECURE_CROSS_ORIGIN_OPENER_POLICY) equal
    the proxy's headers.
  - A hand-set O(_input.secret_key) is checked like Django's C(check --deploy) does (at least 50
    characters, at least 5 different ones, no C(django-insecure-) prefix) and for characters an
    environment file cannot carry. Error messages never contain the key and the key is not
    returned.
  - Errors name the role variable (C(app_settings_<key>)).
options:
  _input:
    description: The role's variables without the C(app_settings_) prefix.
    type: dict
    required: true
    suboptions:
      framework:
        description: C(django), C(flask) or C(invenio).
        type: str
        default: django
      allowed_hosts:
        description: The proxy's server names.
        type: list
        elements: str
        required: true
      https_port:
        description: The proxy's HTTPS port.
        type: int
        default: 443
      csrf_trusted_origins:
        description: HTTPS origins; empty or null derives them from the hosts and the port.
        type: list
        elements: str
      proxy_count:
        description: Proxy hops the app trusts; must be 1 behind nginx_proxy.
        type: int
        default: 1
      proxy_headers:
        description: The proxy's response headers, as a mapping of name to value or as the
          list P(bulwark.hardening.security_headers#filter) returns.
        type: raw
      hsts:
        description: The app's HSTS C({max_age, include_subdomains, preload}); null follows the
          proxy.
        type: dict
      samesite:
        description: SameSite of the session and CSRF cookies, C(Lax) or C(Strict).
        type: str
        default: Lax
      secret_file:
        description: Absolute path of the secret file (Django reads it through the snippet).
        type: path
        required: true
      env:
        description: Extra environment variables for the app, written as given.
        type: dict
      secret_key:
        description: A hand-set key to check, or empty.
        type: str
"""

EXAMPLES = r"""
---
- name: Decide the Django settings for the proxy's names
  ansible.builtin.set_fact:
    __settings: >-
      {{ {'framework': 'django', 'allowed_hosts': ['app.example.com'], 'https_port': 443,
          'proxy_headers': {'Strict-Transport-Security': 'max-age=63072000; includeSubDomains'},
          'secret_file': '/etc/app/secret.env'} | bulwark.hardening.app_settings }}
  # __settings.settings.CSRF_TRUSTED_ORIGINS == ['https://app.example.com']
  # __settings.env_lines[0] == 'DJANGO_DEBUG=False'
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    framework:
      description: The framework.
      type: str
    env_prefix:
      description: C(DJANGO_), C(FLASK_) or C(INVENIO_).
      type: str
    allowed_hosts:
      description: The checked host names.
      type: list
      elements: str
    settings:
      description: Setting name to value, as the framework reads it.
      type: dict
    env_lines:
      description: The lines of the environment file, C(PREFIX_NAME=value), quoted for a
        systemd EnvironmentFile.
      type: list
      elements: str
    hsts_sent_by:
      description: C(proxy) or C(app).
      type: str
    secret_key_hand_set:
      description: Whether a hand-set key was given (and passed the checks).
      type: bool
"""

from collections.abc import Mapping  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._app_settings import (  # noqa: E402
    settings,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)

_FQCN = "bulwark.hardening.app_settings"


def app_settings_filter(config: Mapping) -> dict:
    try:
        return settings(config)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{_FQCN}: {exc}") from exc


class FilterModule:
    """Ansible filter: the app's settings behind nginx_proxy."""

    def filters(self) -> dict[str, object]:
        return {"app_settings": app_settings_filter}
