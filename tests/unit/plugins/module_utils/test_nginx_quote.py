# SPDX-License-Identifier: GPL-3.0-or-later
"""Quoting for double-quoted nginx strings."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._nginx_quote import (
    escape,
    quote,
    unescape,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from hypothesis import given
from hypothesis import strategies as st


def nginx_reads(token: str) -> str:
    """What nginx's parser makes of a double-quoted token (ngx_conf_read_token):
    the quotes go, backslash-escapes of ", ' and \\ give the character, and
    \\t, \\r, \\n give control characters.  Written independently of the module
    on purpose."""
    assert token[0] == token[-1] == '"'
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            raise AssertionError(f"unescaped quote ends the string early in {token!r}")
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            controls = {"t": "\t", "r": "\r", "n": "\n"}
            if nxt in "\"'\\":
                out.append(nxt)
                i += 2
                continue
            if nxt in controls:
                out.append(controls[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("nosniff", '"nosniff"'),
        ('"cache", "storage"', '"\\"cache\\", \\"storage\\""'),
        ("a\\nb", '"a\\\\nb"'),
        ("ends with \\", '"ends with \\\\"'),
        ("'single' ; { } #", "\"'single' ; { } #\""),
        ("", '""'),
    ],
)
def test_quote(value, quoted):
    assert quote(value) == quoted
    assert nginx_reads(quoted) == value


@pytest.mark.parametrize(
    "bad", ["a\r\nX-Evil: 1", "a\nb", "nul\x00", "tab\tx", "del\x7f", "\u2028"]
)
def test_control_and_non_ascii_characters_are_errors(bad):
    with pytest.raises(PolicyError, match="only printable ASCII"):
        escape(bad, "X-Test")


def test_error_names_the_header():
    with pytest.raises(PolicyError, match="X-Test"):
        escape("a\nb", "X-Test")


@pytest.mark.parametrize("value", ["$request_id", "cost: 5$", "${host}"])
def test_dollar_is_an_error_by_default(value):
    with pytest.raises(PolicyError, match=r"contains '\$'"):
        escape(value)


@pytest.mark.parametrize("value", ["$request_id", "id=${request_id}; h=$host"])
def test_variables_when_allowed(value):
    assert escape(value, allow_variables=True) == value


@pytest.mark.parametrize("value", ["5$", "$1", "${}", "${host"])
def test_malformed_variables_are_errors_even_when_allowed(value):
    with pytest.raises(PolicyError, match=r"\$name"):
        escape(value, allow_variables=True)


@pytest.mark.parametrize("bad", [None, 1, b"x", ["x"]])
def test_non_strings(bad):
    with pytest.raises(PolicyError, match="must be a string"):
        escape(bad)


def test_allow_variables_must_be_bool():
    with pytest.raises(PolicyError, match="allow_variables"):
        escape("x", allow_variables="yes")


@given(st.text(max_size=100))
def test_any_text_is_refused_or_reads_back_unchanged(text):
    try:
        token = quote(text)
    except PolicyError:
        return
    assert nginx_reads(token) == text
    assert unescape(token[1:-1]) == text
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in token)
