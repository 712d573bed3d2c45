# SPDX-License-Identifier: GPL-3.0-or-later
"""Make a value safe inside a double-quoted nginx string.

nginx's config parser turns ``\\"``, ``\\'`` and ``\\\\`` into the plain
character and ``\\n``, ``\\r``, ``\\t`` into control characters, inside and
outside quotes alike.  So a lone backslash is not harmless: ``\\r\\n`` in a
header value would become a real line break in the response.  ``$`` starts a
variable that nginx expands at request time and has no escape at all.

Rules here: control characters (C0, DEL) and anything outside printable
ASCII are errors (HTTP field values should be visible ASCII and a Unicode
line separator has no business in a header); ``"`` and ``\\`` are escaped;
``$`` is an error unless the caller allows nginx variables, and then only as
a well-formed ``$name`` or ``${name}`` reference.
"""

from __future__ import annotations

import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

_FORBIDDEN = re.compile(r"[^\x20-\x7e]")
_VARIABLE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")


def check_value(value: object, what: str = "value", allow_variables: bool = False) -> str:
    """Return ``value`` unchanged if it may appear in an HTTP header through
    nginx, else raise PolicyError naming ``what``."""
    if not isinstance(allow_variables, bool):
        raise PolicyError(f"allow_variables must be a boolean, got {shown(allow_variables)}")
    if not isinstance(value, str):
        raise PolicyError(f"{what} must be a string, got {type(value).__name__} {shown(value)}")
    bad = _FORBIDDEN.search(value)
    if bad:
        raise PolicyError(
            f"{what} {shown(value)} contains the character {bad.group()!r} at position "
            f"{bad.start()}; only printable ASCII is allowed (no control characters, "
            "CR, LF or NUL)"
        )
    without_vars = _VARIABLE.sub("", value) if allow_variables else value
    if "$" in without_vars:
        hint = (
            "only $name or ${name} variable references are allowed"
            if allow_variables
            else "nginx would expand it as a variable and has no way to escape it"
        )
        raise PolicyError(f"{what} {shown(value)} contains '$': {hint}")
    return value


def escape(value: object, what: str = "value", allow_variables: bool = False) -> str:
    """Return the checked value with ``\\`` and ``"`` backslash-escaped, ready
    to go between double quotes in nginx configuration."""
    checked = check_value(value, what, allow_variables)
    return checked.replace("\\", "\\\\").replace('"', '\\"')


def unescape(escaped: str) -> str:
    """Inverse of :func:`escape` (what nginx sends for an escaped value)."""
    return re.sub(r"\\(.)", r"\1", escaped)


def quote(value: object, what: str = "value", allow_variables: bool = False) -> str:
    """Return a complete double-quoted nginx string token."""
    return '"' + escape(value, what, allow_variables) + '"'
