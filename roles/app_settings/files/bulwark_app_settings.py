# SPDX-License-Identifier: GPL-3.0-or-later
"""Django settings written by bulwark.hardening.app_settings.

Put this file next to your settings.py and end settings.py with

    from .bulwark_app_settings import *  # noqa: E402,F403

(or paste its body there). It reads the environment file the role writes
(DJANGO_ENV_FILE in the process environment, else the default path below)
and the secret file it names, on every import: a reload of the app (gunicorn
HUP, new workers) picks up changed settings without a restart. Standard
library only.
"""

import os
from pathlib import Path

_DEFAULT_ENV_FILE = "/etc/app_settings/django.env"


def _read_env(path):
    values = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


_env = _read_env(os.environ.get("DJANGO_ENV_FILE", _DEFAULT_ENV_FILE))
_env.update(_read_env(_env["DJANGO_SECRET_KEY_FILE"]))


def _get(name):
    return _env["DJANGO_" + name]


def _bool(name):
    return _get(name) == "True"


def _list(name):
    return [item for item in _get(name).split(",") if item]


SECRET_KEY = _get("SECRET_KEY")
SECRET_KEY_FALLBACKS = _list("SECRET_KEY_FALLBACKS")
DEBUG = _bool("DEBUG")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS")
SECURE_PROXY_SSL_HEADER = tuple(_list("SECURE_PROXY_SSL_HEADER"))
USE_X_FORWARDED_HOST = _bool("USE_X_FORWARDED_HOST")
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
SESSION_COOKIE_HTTPONLY = _bool("SESSION_COOKIE_HTTPONLY")
SESSION_COOKIE_SAMESITE = _get("SESSION_COOKIE_SAMESITE")
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE")
CSRF_COOKIE_SAMESITE = _get("CSRF_COOKIE_SAMESITE")
SECURE_HSTS_SECONDS = int(_get("SECURE_HSTS_SECONDS"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = _bool("SECURE_CONTENT_TYPE_NOSNIFF")
X_FRAME_OPTIONS = _get("X_FRAME_OPTIONS")
SECURE_REFERRER_POLICY = _get("SECURE_REFERRER_POLICY")
SECURE_CROSS_ORIGIN_OPENER_POLICY = _get("SECURE_CROSS_ORIGIN_OPENER_POLICY")
SILENCED_SYSTEM_CHECKS = _list("SILENCED_SYSTEM_CHECKS")
