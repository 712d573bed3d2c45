# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings of the web app behind bulwark.hardening.nginx_proxy.

Every decision of the role ``app_settings`` lives here: which Host names the
app accepts, which origins it trusts for unsafe requests, how it recognises
HTTPS behind the proxy, which cookie, HSTS and header settings agree with the
proxy, what the environment file holds for each framework, whether a
hand-set SECRET_KEY is strong enough and how a rotation moves keys into the
fallback list.

Error messages name the role variable (``app_settings_<option>``) and never
contain a secret key.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
import string
from collections.abc import Mapping, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils import _headers
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

PREFIX = "app_settings_"
FRAMEWORKS = ("django", "flask", "invenio")
ENV_PREFIX = {"django": "DJANGO_", "flask": "FLASK_", "invenio": "INVENIO_"}

# nginx_proxy sets (never appends) these request headers towards the app:
#   proxy_set_header X-Forwarded-Proto $scheme;
#   proxy_set_header X-Forwarded-For $remote_addr;  (and X-Forwarded-Host, -Port)
# so the app trusts exactly one hop. WSGI servers turn the header name into
# the CGI variable HTTP_X_FORWARDED_PROTO; nginx's $scheme is "https" on TLS.
FORWARDED_PROTO_HEADER = "X-Forwarded-Proto"
PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
PROXY_HOPS = 1

# Django's own rules for a SECRET_KEY (django.core.checks.security.base, W009/W025).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
INSECURE_PREFIX = "django-insecure-"
# Characters a key may hold: printable ASCII that needs no quoting in an
# environment file and cannot split a list (no space, quotes, backslash,
# comma, '#', '$' or '`').
_KEY_CHARS = set(string.ascii_letters + string.digits + "!%&()*+-./:;<=>?@[]^_{|}~")
GENERATED_ALPHABET = string.ascii_letters + string.digits + "-_"
GENERATED_LENGTH = 64

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_IPV4 = re.compile(
    r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}"
)
_ORIGIN = re.compile(r"https://([^/:?#\s]+)(?::([0-9]{1,5}))?")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_BARE = re.compile(r"[A-Za-z0-9_.,:/@%+=()\[\]{}-]*")
SAMESITE = ("Lax", "Strict")
X_FRAME_OPTIONS = ("DENY", "SAMEORIGIN")
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)
COOP = ("same-origin", "same-origin-allow-popups", "unsafe-none")


def _err(option: str, message: str) -> PolicyError:
    return PolicyError(f"{PREFIX}{option}: {message}")


# ------------------------------------------------------------------ hosts
def host_name(option: str, value: object) -> str:
    """Return one allowed host (lower case) or raise naming the variable."""
    if not isinstance(value, str) or not value:
        raise _err(option, f"{shown(value)} is not a host name")
    if "://" in value:
        raise _err(
            option,
            f"{shown(value)} has a scheme: give the bare name (the proxy's server name), "
            "the role adds https:// where it is needed",
        )
    if "*" in value or value.startswith("."):
        raise _err(
            option,
            f"{shown(value)} is a wildcard: the app must accept exactly the names the proxy "
            "serves, so that a forged Host header is refused by both",
        )
    if any(c in value for c in "/:?#@ \t"):
        raise _err(option, f"{shown(value)} is not a bare host name (no port, path or user)")
    name = value.lower().rstrip(".")
    if _IPV4.fullmatch(name):
        return name
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _err(option, f"{shown(value)} is not a DNS name")
    return name


def allowed_hosts(names: object, option: str = "allowed_hosts") -> list[str]:
    """The Host names the app accepts: the proxy's names, checked, without duplicates."""
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise _err(
            option,
            f"must be a non-empty list of the proxy's server names (set bulwark_server_names "
            f"once for the proxy and the app), got {shown(names)}",
        )
    out: list[str] = []
    for value in names:
        name = host_name(option, value)
        if name not in out:
            out.append(name)
    return out


def https_port(value: object, option: str = "https_port") -> int:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,5}", value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        raise _err(option, f"must be a TCP port, got {shown(value)}")
    return value


def origin_of(host: str, port: int) -> str:
    """The browser's Origin for a page of ``host`` served on HTTPS ``port``."""
    return f"https://{host}" if port == 443 else f"https://{host}:{port}"


def trusted_origins(
    hosts: list[str], port: int, given: object = None, option: str = "csrf_trusted_origins"
) -> list[str]:
    """CSRF trusted origins: https:// + each allowed host (and port), or the given list."""
    if given is None or (isinstance(given, Sequence) and not isinstance(given, str) and not given):
        return [origin_of(host, port) for host in hosts]
    if isinstance(given, str) or not isinstance(given, Sequence):
        raise _err(option, f"must be a list of origins (https://name[:port]), got {shown(given)}")
    out = []
    for value in given:
        match = _ORIGIN.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise _err(
                option,
                f"{shown(value)} is not an HTTPS origin (https://name or https://name:port, "
                "no path): the app is only reached through the TLS proxy",
            )
        host = host_name(option, match.group(1))
        origin = origin_of(host, int(match.group(2)) if match.group(2) else 443)
        if origin not in out:
            out.append(origin)
    return out


# ------------------------------------------------------------------ proxy
def proxy_count(value: object, option: str = "proxy_count") -> int:
    """The number of proxies the app trusts for X-Forwarded-*: what nginx_proxy produces."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _err(option, f"must be an integer, got {shown(value)}")
    if value != PROXY_HOPS:
        why = (
            "With more, a client can forge its address and scheme by sending the header "
            "itself; a load balancer in front of nginx belongs in nginx_proxy_real_ip_from."
            if value > PROXY_HOPS
            else "With none, the app cannot tell HTTPS requests from plain ones."
        )
        raise _err(
            option,
            f"is {value}, but the app sits behind nginx_proxy, which sets (never appends) "
            f"X-Forwarded-For/-Proto/-Host: the app sees exactly {PROXY_HOPS} hop. {why}",
        )
    return value


def _proxy_headers(headers: object) -> dict[str, str]:
    """The proxy's response headers as {lower-case name: value}."""
    if headers is None:
        return {}
    if isinstance(headers, Mapping):
        items = list(headers.items())
    elif isinstance(headers, Sequence) and not isinstance(headers, str):
        items = []
        for item in headers:
            if not isinstance(item, Mapping) or "name" not in item:
                raise _err("proxy_headers", f"entries must be {{name, value}}, got {shown(item)}")
            items.append((item["name"], item.get("raw", item.get("value"))))
    else:
        raise _err(
            "proxy_headers", f"must be a mapping of header name to value, got {shown(headers)}"
        )
    out = {}
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, (str, int)):
            raise _err("proxy_headers", f"{shown(name)}: {shown(value)} is not a header")
        out[name.lower()] = str(value)
    return out


def _hsts(value: object, option: str) -> dict[str, object] | None:
    """Parse app_settings_hsts (a mapping) into {seconds, include_subdomains, preload}."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err(
            option,
            f"must be a mapping {{max_age, include_subdomains, preload}}, got {shown(value)}",
        )
    unknown = set(value) - {"max_age", "include_subdomains", "preload"}
    if unknown:
        raise _err(
            option, f"unknown keys {sorted(unknown)}; known: max_age, include_subdomains, preload"
        )
    try:
        header = _headers.hsts(
            value.get("max_age", _headers.HSTS_DEFAULT_MAX_AGE),
            value.get("include_subdomains", True),
            value.get("preload", False),
        )
    except PolicyError as exc:
        raise _err(option, str(exc)) from exc
    return _parse_hsts_header(header)


def _parse_hsts_header(header: str) -> dict[str, object]:
    canonical = _headers.parse_hsts(header)
    parts = [p.strip() for p in canonical.split(";")]
    return {
        "seconds": int(parts[0].split("=", 1)[1]),
        "include_subdomains": "includeSubDomains" in parts,
        "preload": "preload" in parts,
    }


def hsts_decision(proxy_headers: Mapping[str, str], app_hsts: object) -> dict[str, object]:
    """HSTS in one place: the proxy's header, or the app's when the proxy sends none.

    When the proxy sends Strict-Transport-Security it hides the app's header
    of that name (nginx_proxy hides every header it sets), so the app's
    SECURE_HSTS_* settings mirror the proxy's value: `check --deploy` sees
    HSTS configured and no second, different header can ever reach a client.
    An app value that differs from the proxy's is refused.
    """
    wanted = _hsts(app_hsts, "hsts")
    proxy_value = proxy_headers.get("strict-transport-security")
    if proxy_value is not None:
        try:
            proxy = _parse_hsts_header(proxy_value)
        except PolicyError as exc:
            raise _err("proxy_headers", str(exc)) from exc
        if wanted is not None and wanted != proxy:
            asked = _headers.hsts(
                wanted["seconds"], wanted["include_subdomains"], wanted["preload"]
            )
            raise _err(
                "hsts",
                f"asks for {asked!r} "
                f"but the proxy already sends Strict-Transport-Security {proxy_value!r}: two "
                "different HSTS policies. Leave app_settings_hsts null (the app follows the "
                "proxy), or set the proxy's nginx_proxy_hsts_* instead, or drop the proxy's "
                "header (nginx_proxy_headers_drop) to let the app send it",
            )
        return {**proxy, "sent_by": "proxy"}
    if wanted is None:
        raise _err(
            "hsts",
            "the proxy sends no Strict-Transport-Security header, so the app must: set "
            "app_settings_hsts: {max_age: 63072000} (or keep HSTS in nginx_proxy)",
        )
    return {**wanted, "sent_by": "app"}


def _choice(option: str, value: object, choices: Sequence[str], what: str) -> str:
    for choice in choices:
        if isinstance(value, str) and value.strip().lower() == choice.lower():
            return choice
    raise _err(option, f"{what} {shown(value)} is not one of {', '.join(choices)}")


def header_settings(proxy_headers: Mapping[str, str]) -> dict[str, str]:
    """X-Frame-Options, Referrer-Policy and COOP equal to what the proxy sends."""
    xfo = proxy_headers.get("x-frame-options", "DENY")
    referrer = proxy_headers.get("referrer-policy", "same-origin")
    coop = proxy_headers.get("cross-origin-opener-policy", "same-origin")
    policies = [p.strip() for p in referrer.split(",") if p.strip()]
    return {
        "X_FRAME_OPTIONS": _choice("proxy_headers", xfo, X_FRAME_OPTIONS, "X-Frame-Options"),
        "SECURE_REFERRER_POLICY": ",".join(
            _choice("proxy_headers", p, REFERRER_POLICIES, "Referrer-Policy") for p in policies
        ),
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": _choice(
            "proxy_headers", coop, COOP, "Cross-Origin-Opener-Policy"
        ),
    }


# ------------------------------------------------------------------ settings
def settings(config: Mapping[str, object]) -> dict[str, object]:
    """Decide every setting from the role's variables (keys without the prefix).

    Keys: framework, allowed_hosts, https_port, csrf_trusted_origins,
    proxy_count, proxy_headers, hsts, samesite, secret_file, env (extra
    variables), secret_key (a hand-set key or empty; only checked, never
    returned).
    """
    if not isinstance(config, Mapping):
        raise PolicyError(f"expected a mapping of settings, got {shown(config)}")
    framework = config.get("framework", "django")
    if framework not in FRAMEWORKS:
        raise _err("framework", f"{shown(framework)} is not one of {', '.join(FRAMEWORKS)}")
    hosts = allowed_hosts(config.get("allowed_hosts"))
    port = https_port(config.get("https_port", 443))
    origins = trusted_origins(hosts, port, config.get("csrf_trusted_origins"))
    hops = proxy_count(config.get("proxy_count", PROXY_HOPS))
    proxy = _proxy_headers(config.get("proxy_headers"))
    hsts = hsts_decision(proxy, config.get("hsts"))
    samesite = _choice("samesite", config.get("samesite", "Lax"), SAMESITE, "SameSite")
    secret_file = config.get("secret_file", "")
    if not isinstance(secret_file, str) or not re.fullmatch(r"/[A-Za-z0-9._/@+-]+", secret_file):
        raise _err("secret_file", f"must be an absolute path, got {shown(secret_file)}")
    given_key = config.get("secret_key") or ""
    if given_key:
        problems = secret_key_problems(given_key)
        if problems:
            raise _err("secret_key", "the hand-set key is refused: " + "; ".join(problems))

    django: dict[str, object] = {
        "DEBUG": False,
        "ALLOWED_HOSTS": hosts,
        "CSRF_TRUSTED_ORIGINS": origins,
        "SECURE_PROXY_SSL_HEADER": list(PROXY_SSL_HEADER),
        "USE_X_FORWARDED_HOST": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": samesite,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": samesite,
        "SECURE_HSTS_SECONDS": hsts["seconds"],
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": hsts["include_subdomains"],
        "SECURE_HSTS_PRELOAD": hsts["preload"],
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        **header_settings(proxy),
        # check --deploy warns (W021) whenever HSTS lacks preload; preloading is
        # hard to undo and the collection only does it when asked
        # (nginx_proxy_hsts_preload / app_settings_hsts.preload), so this one
        # warning is silenced exactly when preload is off by that decision.
        "SILENCED_SYSTEM_CHECKS": [] if hsts["preload"] else ["security.W021"],
        # Not a Django setting: where the snippet finds SECRET_KEY(_FALLBACKS).
        "SECRET_KEY_FILE": secret_file,
    }
    proxyfix = {"x_for": hops, "x_proto": hops, "x_host": hops, "x_port": hops, "x_prefix": 0}
    flask: dict[str, object] = {
        "DEBUG": False,
        "TRUSTED_HOSTS": hosts,
        "PREFERRED_URL_SCHEME": "https",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": samesite,
        "PROXYFIX_CONFIG": proxyfix,
    }
    invenio: dict[str, object] = {
        "APP_ALLOWED_HOSTS": hosts,
        "WSGI_PROXIES": hops,
        "PROXYFIX_CONFIG": proxyfix,
        "PREFERRED_URL_SCHEME": "https",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": samesite,
        "SITE_UI_URL": origins[0] if origins else origin_of(hosts[0], port),
        "SITE_API_URL": (origins[0] if origins else origin_of(hosts[0], port)) + "/api",
        "APP_DEFAULT_SECURE_HEADERS": {
            "force_https": True,
            "strict_transport_security": hsts["sent_by"] == "app",
            "strict_transport_security_max_age": hsts["seconds"],
            "strict_transport_security_include_subdomains": hsts["include_subdomains"],
            "strict_transport_security_preload": hsts["preload"],
        },
    }
    chosen = {"django": django, "flask": flask, "invenio": invenio}[framework]
    extra = config.get("env") or {}
    if not isinstance(extra, Mapping):
        raise _err("env", f"must be a mapping of variable name to value, got {shown(extra)}")
    return {
        "framework": framework,
        "env_prefix": ENV_PREFIX[framework],
        "allowed_hosts": hosts,
        "settings": chosen,
        "env_lines": env_lines(framework, chosen, extra),
        "hsts_sent_by": hsts["sent_by"],
        "secret_key_hand_set": bool(given_key),
    }


# ------------------------------------------------------------------ env files
def _django_value(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def encode(framework: str, value: object) -> str:
    """A value as the framework's environment loader reads it, quoted for an env file.

    django: the role's settings snippet (comma-separated lists, True/False);
    flask: Flask's ``from_prefixed_env`` (JSON);
    invenio: invenio-config's environment loader (Python literals).
    """
    if framework == "django":
        text = _django_value(value)
    elif framework == "flask":
        text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    elif framework == "invenio":
        text = repr(value)
        if ast.literal_eval(text) != value:  # pragma: no cover - plain data only
            raise PolicyError(f"{shown(value)} has no Python literal")
    else:
        raise PolicyError(f"unknown framework {shown(framework)}")
    return quote(text)


def quote(text: str) -> str:
    """Quote a value for a systemd EnvironmentFile (and the Django snippet's reader)."""
    if any(c in text for c in "\n\r\0"):
        raise PolicyError("an environment value cannot hold a line break or NUL")
    if _BARE.fullmatch(text):
        return text
    if "'" not in text and "\\" not in text:
        return f"'{text}'"
    if '"' not in text and "\\" not in text and "$" not in text and "`" not in text:
        return f'"{text}"'
    raise PolicyError("an environment value cannot hold both quote characters or a backslash")


def unquote(text: str) -> str:
    """Inverse of :func:`quote` for the values it writes."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def env_lines(
    framework: str, values: Mapping[str, object], extra: Mapping[str, object] | None = None
) -> list[str]:
    """``PREFIX_NAME=value`` lines for the settings, then the extra variables as given."""
    prefix = ENV_PREFIX[framework]
    lines = [f"{prefix}{name}={encode(framework, value)}" for name, value in values.items()]
    for name, value in (extra or {}).items():
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise _err("env", f"{shown(name)} is not an environment variable name (A-Z, 0-9, _)")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _err("env", f"{name}: the value must be a string or integer, got {shown(value)}")
        try:
            lines.append(f"{name}={quote(str(value))}")
        except PolicyError as exc:
            raise _err("env", f"{name}: {exc}") from exc
    names = [line.split("=", 1)[0] for line in lines]
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        raise _err("env", f"{', '.join(doubles)} would be set twice (the role sets these itself)")
    return lines


def parse_env(text: str) -> dict[str, str]:
    """Read an environment file the way the Django snippet does."""
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = unquote(value.strip())
    return values


# ------------------------------------------------------------------ secret key
def secret_key_problems(key: object) -> list[str]:
    """Why Django (check --deploy, W009) or the env file would refuse this key.

    The reasons never quote the key.
    """
    if not isinstance(key, str):
        return [f"it must be a string, not {type(key).__name__}"]
    problems = []
    if len(key) < SECRET_KEY_MIN_LENGTH:
        problems.append(
            f"it has {len(key)} characters, Django wants at least {SECRET_KEY_MIN_LENGTH}"
        )
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        problems.append(
            f"it has {len(set(key))} different characters, "
            f"Django wants at least {SECRET_KEY_MIN_UNIQUE}"
        )
    if key.startswith(INSECURE_PREFIX):
        problems.append(
            f"it starts with {INSECURE_PREFIX!r}: a key Django generated for development"
        )
    bad = sorted({c for c in key if c not in _KEY_CHARS})
    if bad:
        problems.append(
            f"it holds {len(bad)} kind(s) of character an environment file or list cannot carry "
            "unquoted (whitespace, quotes, backslash, comma, '#', '$', '`' or non-ASCII)"
        )
    return problems


def generate_secret_key(length: int = GENERATED_LENGTH) -> str:
    """A new random key that passes :func:`secret_key_problems`."""
    while True:
        key = "".join(secrets.choice(GENERATED_ALPHABET) for _index in range(length))
        if not secret_key_problems(key):
            return key


def rotate(
    current: str | None,
    fallbacks: Sequence[str],
    new: str,
    keep: int,
) -> tuple[str, list[str]]:
    """Make ``new`` the key; the old current key goes to the front of the fallbacks.

    At most ``keep`` fallbacks stay, newest first: with keep=1 the next
    rotation drops the key that was moved there by this one.
    """
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        raise _err("secret_key_fallbacks", f"must be an integer >= 0, got {shown(keep)}")
    olds = ([current] if current and current != new else []) + [
        key for key in fallbacks if key not in (new, current)
    ]
    return new, olds[:keep]


def secret_lines(framework: str, current: str, fallbacks: Sequence[str]) -> list[str]:
    """The secret file: SECRET_KEY and SECRET_KEY_FALLBACKS for the framework."""
    prefix = ENV_PREFIX[framework]
    return [
        f"{prefix}SECRET_KEY={encode(framework, current)}",
        f"{prefix}SECRET_KEY_FALLBACKS={encode(framework, list(fallbacks))}",
    ]


def parse_secret(framework: str, text: str) -> tuple[str | None, list[str]]:
    """Read back a secret file written by :func:`secret_lines`."""
    prefix = ENV_PREFIX[framework]
    values = parse_env(text)
    current = values.get(f"{prefix}SECRET_KEY")
    fallbacks_raw = values.get(f"{prefix}SECRET_KEY_FALLBACKS", "")
    if framework == "django":
        return current or None, [k for k in fallbacks_raw.split(",") if k]
    loads = json.loads if framework == "flask" else ast.literal_eval
    try:
        key = loads(current) if current else None
        fallbacks = loads(fallbacks_raw) if fallbacks_raw else []
    except (ValueError, SyntaxError):
        return None, []
    if not isinstance(key, str) or not isinstance(fallbacks, list):
        return None, []
    return key, [k for k in fallbacks if isinstance(k, str)]
