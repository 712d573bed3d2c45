# SPDX-License-Identifier: GPL-3.0-or-later
"""Content-Security-Policy: build from a mapping, parse back to one.

The mapping form is what a playbook writes: directive name -> list of
sources, with keyword sources, nonces and hashes *unquoted* (``self``,
``none``, ``nonce-abc``, ``sha256-...``), because quoting inside YAML is
error-prone.  ``build`` adds the CSP quotes; ``parse`` removes them, so
``parse(build(m)) == m`` for every valid mapping ``m`` in that form.

Directive names are checked against CSP Level 3 (W3C), plus the directives
other specifications add to the same header (``upgrade-insecure-requests``,
Trusted Types, ``fenced-frame-src``).  Directives that browsers dropped are
errors with a hint, never passed through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

_FETCH = (
    "default-src",
    "child-src",
    "connect-src",
    "fenced-frame-src",
    "font-src",
    "frame-src",
    "img-src",
    "manifest-src",
    "media-src",
    "object-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "worker-src",
)
_SOURCE_LIST = (*_FETCH, "base-uri", "form-action")
_ANCESTOR_LIST = ("frame-ancestors",)
_OTHER = (
    "sandbox",
    "report-uri",
    "report-to",
    "upgrade-insecure-requests",
    "require-trusted-types-for",
    "trusted-types",
    "webrtc",
)
DIRECTIVES = (*_SOURCE_LIST, *_ANCESTOR_LIST, *_OTHER)

RETIRED = {
    "block-all-mixed-content": "obsolete (Mixed Content Level 2 blocks or upgrades all mixed "
    "content anyway); use upgrade-insecure-requests",
    "plugin-types": "removed from CSP Level 3; plugins are gone, use object-src 'none'",
    "prefetch-src": "removed from CSP Level 3; use default-src / connect-src",
    "navigate-to": "removed from CSP Level 3",
    "referrer": "removed; send a Referrer-Policy header instead",
    "reflected-xss": "removed; browsers dropped their XSS auditors",
    "disown-opener": "removed; send Cross-Origin-Opener-Policy instead",
}

KEYWORDS = (
    "self",
    "none",
    "unsafe-inline",
    "unsafe-eval",
    "strict-dynamic",
    "unsafe-hashes",
    "report-sample",
    "wasm-unsafe-eval",
    "trusted-types-eval",
    "inline-speculation-rules",
    "report-sha256",
    "report-sha384",
    "report-sha512",
)
SANDBOX_TOKENS = (
    "allow-downloads",
    "allow-forms",
    "allow-modals",
    "allow-orientation-lock",
    "allow-pointer-lock",
    "allow-popups",
    "allow-popups-to-escape-sandbox",
    "allow-presentation",
    "allow-same-origin",
    "allow-scripts",
    "allow-storage-access-by-user-activation",
    "allow-top-navigation",
    "allow-top-navigation-by-user-activation",
    "allow-top-navigation-to-custom-protocols",
)

_B64 = r"[A-Za-z0-9+/_-]+={0,2}"
_NONCE_OR_HASH = re.compile(rf"(?:nonce|sha256|sha384|sha512)-{_B64}", re.IGNORECASE)
_SCHEME_SOURCE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# CSP3 host-source; the path excludes ',', ';' and quotes (they end a
# source, directive or policy) and '$' (nginx would expand it).
_HOST_SOURCE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?"
    r"(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)"
    r"(?::(?:[0-9]+|\*))?"
    r"(?:/(?:[A-Za-z0-9._~!&()*+=:@-]|%[0-9A-Fa-f]{2})*)*"
)
_URI = re.compile(r"(?:[A-Za-z0-9._~:/?#\[\]@!&()*+=-]|%[0-9A-Fa-f]{2})+")
_TOKEN = re.compile(r"[A-Za-z0-9._~-]+")
_TT_POLICY = re.compile(r"[A-Za-z0-9#=_/@.%-]+|\*")
_TT_KEYWORDS = ("none", "allow-duplicates")
# Directives whose values are always single-quoted keywords in a policy.
_QUOTED_ONLY = ("require-trusted-types-for", "webrtc")


def _is_keyword_like(token: str) -> bool:
    return token.lower() in KEYWORDS or bool(_NONCE_OR_HASH.fullmatch(token))


def _needs_quotes(directive: str, token: str) -> bool:
    """Whether a token of a policy string must be single-quoted to mean what
    the mapping form means by it."""
    if directive in _SOURCE_LIST or directive in _ANCESTOR_LIST:
        return _is_keyword_like(token)
    if directive == "trusted-types":
        return token.lower() in _TT_KEYWORDS
    return directive in _QUOTED_ONLY


def _canon_keyword_like(token: str) -> str:
    """Lower-case keywords and the nonce/hash prefix; base64 stays as is."""
    if token.lower() in KEYWORDS:
        return token.lower()
    prefix, _sep, value = token.partition("-")
    return f"{prefix.lower()}-{value}"


def _source(directive: str, token: str) -> str:
    """Validate one source in mapping form; return its canonical form."""
    if len(token) >= 2 and token[0] == token[-1] == "'":
        token = token[1:-1]
        if not _is_keyword_like(token):
            raise PolicyError(
                f"{directive}: {shown(token)} is not a CSP keyword, nonce or hash "
                f"(keywords: {', '.join(KEYWORDS)})"
            )
    if _is_keyword_like(token):
        canon = _canon_keyword_like(token)
        if directive in _ANCESTOR_LIST and canon not in ("self", "none"):
            raise PolicyError(f"{directive} allows only 'self', 'none', hosts and schemes")
        return canon
    if _SCHEME_SOURCE.fullmatch(token) or _HOST_SOURCE.fullmatch(token):
        return token
    raise PolicyError(
        f"{directive}: {shown(token)} is neither a keyword, nonce, hash, scheme "
        "(https:) nor host source (https://*.example.com:443/path)"
    )


def _one_of(directive: str, values: list[str], allowed: Sequence[str]) -> list[str]:
    if len(values) != 1 or values[0].strip("'").lower() not in allowed:
        raise PolicyError(f"{directive} takes exactly one of {', '.join(allowed)}")
    return [values[0].strip("'").lower()]


def _values(directive: str, raw: object) -> list[str]:
    if raw is None or raw is True:
        return []
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, Sequence) and all(isinstance(v, str) for v in raw):
        for item in raw:
            if len(item.split()) != 1:
                raise PolicyError(
                    f"{directive}: {shown(item)} is not one source; give one per item"
                )
        return [item.strip() for item in raw]
    raise PolicyError(
        f"{directive}: sources must be a list of strings (or one space-separated string), "
        f"got {shown(raw)}"
    )


def _directive(name: object) -> str:
    if not isinstance(name, str):
        raise PolicyError(f"directive names must be strings, got {shown(name)}")
    lowered = name.strip().lower()
    if lowered in RETIRED:
        raise PolicyError(f"directive {name!r} is {RETIRED[lowered]}")
    if lowered not in DIRECTIVES:
        raise PolicyError(
            f"unknown CSP directive {shown(name)}; CSP Level 3 has: {', '.join(DIRECTIVES)}"
        )
    return lowered


def _normalize_values(directive: str, values: list[str]) -> list[str]:
    if directive in _SOURCE_LIST or directive in _ANCESTOR_LIST:
        if not values:
            raise PolicyError(f"{directive} needs at least one source; use ['none'] to block all")
        sources = [_source(directive, v) for v in values]
        if "none" in sources and len(sources) > 1:
            raise PolicyError(f"{directive}: 'none' cannot be combined with other sources")
        return sources
    if directive == "upgrade-insecure-requests":
        if values:
            raise PolicyError(f"{directive} takes no value, got {shown(values)}")
        return []
    if directive == "sandbox":
        for token in values:
            if token.lower() not in SANDBOX_TOKENS:
                raise PolicyError(
                    f"sandbox: unknown flag {shown(token)}; known: {', '.join(SANDBOX_TOKENS)}"
                )
        return [t.lower() for t in values]
    if directive == "report-uri":
        if not values or not all(_URI.fullmatch(v) for v in values):
            raise PolicyError(f"report-uri needs one or more URIs, got {shown(values)}")
        return values
    if directive == "report-to":
        if len(values) != 1 or not _TOKEN.fullmatch(values[0]):
            raise PolicyError(f"report-to takes one endpoint name, got {shown(values)}")
        return values
    if directive == "require-trusted-types-for":
        return _one_of(directive, values, ("script",))
    if directive == "webrtc":
        return _one_of(directive, values, ("allow", "block"))
    # trusted-types: policy names, '*', 'none', 'allow-duplicates'
    out = []
    for value in values:
        bare = value[1:-1].lower() if len(value) >= 2 and value[0] == value[-1] == "'" else value
        if bare in _TT_KEYWORDS or (bare == value and _TT_POLICY.fullmatch(value)):
            out.append(bare)
        else:
            raise PolicyError(f"trusted-types: {shown(value)} is not a policy name")
    if "none" in out and len(out) > 1:
        raise PolicyError("trusted-types: 'none' cannot be combined with policy names")
    return out


def normalize(policy: object) -> dict[str, list[str]]:
    """Validate a mapping and return it in canonical form."""
    if not isinstance(policy, Mapping):
        raise PolicyError(f"the CSP must be a mapping of directive to sources, got {shown(policy)}")
    if not policy:
        raise PolicyError("the CSP mapping is empty")
    result: dict[str, list[str]] = {}
    for raw_name, raw_values in policy.items():
        name = _directive(raw_name)
        if name in result:
            raise PolicyError(f"directive {name!r} is given twice")
        result[name] = _normalize_values(name, _values(name, raw_values))
    return result


def _quoted(directive: str, value: str) -> str:
    if directive in _SOURCE_LIST or directive in _ANCESTOR_LIST:
        return f"'{value}'" if _is_keyword_like(value) else value
    if directive in _QUOTED_ONLY:
        return f"'{value}'"
    if directive == "trusted-types" and value in _TT_KEYWORDS:
        return f"'{value}'"
    return value


def build(policy: object) -> str:
    """Return the policy string for a mapping (see module docstring)."""
    parts = []
    for name, values in normalize(policy).items():
        parts.append(" ".join([name, *(_quoted(name, v) for v in values)]))
    return "; ".join(parts)


def parse(text: object) -> dict[str, list[str]]:
    """Parse a policy string into the canonical mapping form."""
    if not isinstance(text, str):
        raise PolicyError(f"the CSP must be a string, got {shown(text)}")
    if re.search(r"[^\x20-\x7e\t]", text):
        raise PolicyError(f"the CSP {shown(text)} contains control or non-ASCII characters")
    if "," in text:
        raise PolicyError("a ',' separates several policies; give one policy")
    mapping: dict[str, list[str]] = {}
    for chunk in text.split(";"):
        tokens = chunk.split()
        if not tokens:
            continue
        name = _directive(tokens[0])
        if name in mapping:
            raise PolicyError(f"directive {name!r} is given twice")
        values = tokens[1:]
        for token in values:
            if not token.startswith("'") and _needs_quotes(name, token):
                raise PolicyError(
                    f"{name}: unquoted {token!r} means something else to browsers; "
                    f"write '{token}' with single quotes"
                )
        mapping[name] = values
    if not mapping:
        raise PolicyError("the CSP string has no directives")
    return normalize(mapping)
