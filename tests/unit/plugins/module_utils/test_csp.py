# SPDX-License-Identifier: GPL-3.0-or-later
"""CSP builder and parser."""

from __future__ import annotations

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils._csp import build, parse
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from hypothesis import given
from hypothesis import strategies as st

SEED_POLICY = {
    "default-src": ["self"],
    "object-src": ["none"],
    "child-src": ["self"],
    "frame-ancestors": ["none"],
    "upgrade-insecure-requests": [],
}
SEED_STRING = (
    "default-src 'self'; object-src 'none'; child-src 'self'; frame-ancestors 'none'; "
    "upgrade-insecure-requests"
)


def test_build_quotes_keywords():
    assert build(SEED_POLICY) == SEED_STRING


def test_parse_unquotes_keywords():
    assert parse(SEED_STRING) == SEED_POLICY


def test_sources_of_every_kind():
    policy = {
        "script-src": [
            "self",
            "strict-dynamic",
            "nonce-R4nd0m+/==",
            "sha256-AbCdEf0123456789+/=",
            "https://cdn.example.com:443/js/app.js",
            "*.example.org",
            "wss:",
        ],
        "img-src": "self data: https://*.img.example.com",
        "style-src": ["'self'", "'UNSAFE-INLINE'"],
    }
    assert build(policy) == (
        "script-src 'self' 'strict-dynamic' 'nonce-R4nd0m+/==' 'sha256-AbCdEf0123456789+/=' "
        "https://cdn.example.com:443/js/app.js *.example.org wss:; "
        "img-src 'self' data: https://*.img.example.com; "
        "style-src 'self' 'unsafe-inline'"
    )


def test_other_directive_kinds_round_trip():
    text = (
        "sandbox allow-forms allow-scripts; report-uri /csp-report https://r.example.com/x; "
        "report-to csp-endpoint; require-trusted-types-for 'script'; "
        "trusted-types app-policy 'allow-duplicates'; webrtc 'block'"
    )
    parsed = parse(text)
    assert parsed == {
        "sandbox": ["allow-forms", "allow-scripts"],
        "report-uri": ["/csp-report", "https://r.example.com/x"],
        "report-to": ["csp-endpoint"],
        "require-trusted-types-for": ["script"],
        "trusted-types": ["app-policy", "allow-duplicates"],
        "webrtc": ["block"],
    }
    assert build(parsed) == text


@pytest.mark.parametrize(
    ("directive", "hint"),
    [
        ("block-all-mixed-content", "upgrade-insecure-requests"),
        ("plugin-types", "object-src"),
        ("referrer", "Referrer-Policy"),
        ("reflected-xss", "XSS auditors"),
        ("prefetch-src", "removed"),
        ("navigate-to", "removed"),
    ],
)
def test_retired_directives_are_errors_with_a_hint(directive, hint):
    with pytest.raises(PolicyError, match=hint):
        build({"default-src": ["self"], directive: []})
    with pytest.raises(PolicyError, match=hint):
        parse(f"default-src 'self'; {directive}")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"default-scr": ["self"]}, "unknown CSP directive"),
        ({"default-src": ["self", "none"]}, "'none' cannot be combined"),
        ({"default-src": []}, "at least one source"),
        ({"frame-ancestors": ["unsafe-inline"]}, "frame-ancestors allows only"),
        ({"frame-ancestors": ["nonce-abc"]}, "frame-ancestors allows only"),
        ({"script-src": ["'self"]}, "neither a keyword"),
        ({"script-src": ["'https://a.example'"]}, "not a CSP keyword"),
        ({"script-src": ["https://exa mple.com"]}, "not one source"),
        ({"script-src": [""]}, "not one source"),
        ({"script-src": ["https://a.example/p;x"]}, "neither a keyword"),
        ({"script-src": ["https://a.example/$x"]}, "neither a keyword"),
        ({"script-src": ['https://a.example/"']}, "neither a keyword"),
        ({"script-src": ["https://a.example:port"]}, "neither a keyword"),
        ({"upgrade-insecure-requests": ["self"]}, "takes no value"),
        ({"sandbox": ["allow-everything"]}, "unknown flag"),
        ({"report-to": ["a", "b"]}, "one endpoint"),
        ({"report-uri": []}, "one or more URIs"),
        ({"webrtc": ["maybe"]}, "exactly one of allow, block"),
        ({"require-trusted-types-for": ["style"]}, "exactly one of script"),
        ({"trusted-types": ["none", "app"]}, "'none' cannot be combined"),
        ({"trusted-types": ["'app'"]}, "not a policy name"),
        ({"default-src": [1]}, "list of strings"),
        ({"default-src": False}, "list of strings"),
        ({1: ["self"]}, "must be strings"),
        ({}, "empty"),
        ("default-src 'self'", "mapping"),
    ],
)
def test_build_errors(policy, message):
    with pytest.raises(PolicyError, match=message):
        build(policy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default-src self", "unquoted 'self'"),
        ("script-src nonce-abc", "unquoted 'nonce-abc'"),
        ("require-trusted-types-for script", "unquoted 'script'"),
        ("trusted-types none", "unquoted 'none'"),
        ("default-src 'self', img-src 'self'", "several policies"),
        ("default-src 'self'; default-src 'none'", "given twice"),
        ("default-src 'self'\r\nX-Injected: 1", "control"),
        ("default-src 'self' https://\u00e9.example", "non-ASCII"),
        ("   ;  ; ", "no directives"),
        (None, "must be a string"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(PolicyError, match=message):
        parse(text)


def test_parse_is_case_insensitive_for_names_and_keywords():
    assert parse("Default-Src 'SELF'; SCRIPT-SRC 'Nonce-AbC='") == {
        "default-src": ["self"],
        "script-src": ["nonce-AbC="],
    }


# Strategies producing mappings already in canonical form.
_b64 = st.from_regex(r"[A-Za-z0-9+/_-]{1,24}={0,2}", fullmatch=True)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_host = st.builds(
    lambda scheme, wildcard, labels, port, path: (
        f"{scheme}{wildcard}{'.'.join(labels)}{port}{path}"
    ),
    st.sampled_from(["", "https://", "wss://", "http://"]),
    st.sampled_from(["", "*."]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["", ":443", ":*", ":8080"]),
    st.sampled_from(["", "/", "/static/", "/a/b.js", "/%20x"]),
)
_keyword = st.sampled_from(
    ["self", "unsafe-inline", "unsafe-eval", "strict-dynamic", "unsafe-hashes", "report-sample"]
)
_source = st.one_of(
    _keyword,
    _host,
    st.sampled_from(["https:", "data:", "blob:"]),
    st.builds(lambda a, v: f"{a}-{v}", st.sampled_from(["nonce", "sha256", "sha512"]), _b64),
)
_fetch = st.sampled_from(
    ["default-src", "script-src", "style-src", "img-src", "connect-src", "font-src", "base-uri"]
)
_ancestor = st.one_of(st.just(["none"]), st.lists(st.one_of(st.just("self"), _host), min_size=1))
_policy = st.builds(
    lambda fetch, ancestors, extra: {**fetch, **ancestors, **extra},
    st.dictionaries(
        _fetch, st.one_of(st.just(["none"]), st.lists(_source, min_size=1, max_size=5))
    ),
    st.one_of(st.just({}), st.builds(lambda a: {"frame-ancestors": a}, _ancestor)),
    st.one_of(
        st.just({}),
        st.just({"upgrade-insecure-requests": []}),
        st.just({"sandbox": []}),
        st.just({"report-to": ["main"]}),
    ),
).filter(bool)


@given(_policy)
def test_round_trip(policy):
    text = build(policy)
    assert parse(text) == policy
    assert build(parse(text)) == text


@given(st.text(max_size=200))
def test_parse_of_arbitrary_text_raises_or_round_trips(text):
    try:
        mapping = parse(text)
    except PolicyError:
        return
    rebuilt = build(mapping)
    assert parse(rebuilt) == mapping
