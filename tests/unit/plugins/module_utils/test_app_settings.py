# SPDX-License-Identifier: GPL-3.0-or-later
"""The app's settings behind nginx_proxy: hosts, origins, proxy, HSTS, env files, keys."""

from __future__ import annotations

import ast
import json
import re
import runpy
from pathlib import Path

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils import _app_settings as app
from ansible_collections.bulwark.hardening.plugins.module_utils import _headers
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[4]
SNIPPET = ROOT / "roles" / "app_settings" / "files" / "bulwark_app_settings.py"
PROXY_TEMPLATE = ROOT / "roles" / "nginx_proxy" / "templates" / "nginx_proxy.conf.j2"
HSTS_2Y = "max-age=63072000; includeSubDomains"
STRONG = "Zq3-" * 13 + "xy"  # 54 characters, 6 different ones


def proxy_default_headers() -> dict[str, str]:
    """What nginx_proxy sends with its defaults (the security_headers defaults)."""
    return {h["name"]: h["raw"] for h in _headers.security_headers()}


def config(**kw):
    base = {
        "framework": "django",
        "allowed_hosts": ["app.example.test"],
        "https_port": 443,
        "proxy_headers": proxy_default_headers(),
        "secret_file": "/etc/app/secret.env",
    }
    base.update(kw)
    return base


# ----------------------------------------------------------- hosts and origins
def test_hosts_are_the_proxy_names_lower_case_without_duplicates():
    assert app.allowed_hosts(["App.Example.test", "www.example.test", "app.example.test."]) == [
        "app.example.test",
        "www.example.test",
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("https://app.example.test", "has a scheme"),
        ("*", "wildcard"),
        ("*.example.test", "wildcard"),
        (".example.test", "wildcard"),
        ("app.example.test:8443", "not a bare host name"),
        ("app.example.test/path", "not a bare host name"),
        ("bad_name.example", "not a DNS name"),
        ("-x.example", "not a DNS name"),
        ("", "not a host name"),
        (7, "not a host name"),
    ],
)
def test_bad_host_names_are_refused_naming_the_variable(name, reason):
    with pytest.raises(PolicyError) as err:
        app.settings(config(allowed_hosts=["ok.example.test", name]))
    assert str(err.value).startswith("app_settings_allowed_hosts: ")
    assert reason in str(err.value)


@pytest.mark.parametrize("value", [[], None, "app.example.test"])
def test_hosts_must_be_a_non_empty_list(value):
    with pytest.raises(PolicyError, match=r"^app_settings_allowed_hosts: must be a non-empty list"):
        app.settings(config(allowed_hosts=value))


def test_origins_follow_hosts_and_port():
    assert app.trusted_origins(["a.test", "b.test"], 443) == ["https://a.test", "https://b.test"]
    assert app.trusted_origins(["a.test"], 8443) == ["https://a.test:8443"]


def test_given_origins_are_checked_and_normalised():
    assert app.trusted_origins(["a.test"], 443, ["https://B.test:443", "https://c.test:8443"]) == [
        "https://b.test",
        "https://c.test:8443",
    ]
    for bad in ("http://a.test", "https://a.test/path", "https://*.a.test", "a.test"):
        with pytest.raises(PolicyError, match=r"^app_settings_csrf_trusted_origins: "):
            app.trusted_origins(["a.test"], 443, [bad])


@given(
    st.lists(
        st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z][a-z0-9]{0,10}){1,3}", fullmatch=True),
        min_size=1,
        max_size=5,
    ),
    st.integers(min_value=1, max_value=65535),
)
def test_property_each_host_has_one_origin_django_accepts(names, port):
    hosts = app.allowed_hosts(names)
    origins = app.trusted_origins(hosts, port)
    assert len(origins) == len(hosts)
    for host, origin in zip(hosts, origins, strict=True):
        # Django compares CSRF origins with scheme://host[:port] of the request.
        assert origin == ("https://" + host + ("" if port == 443 else f":{port}"))


# ----------------------------------------------------------- proxy
def test_proxy_ssl_header_matches_what_nginx_proxy_sets():
    """Read the proxy's template, not a copy of the constant."""
    template = PROXY_TEMPLATE.read_text()
    match = re.search(r"proxy_set_header (X-Forwarded-Proto) \$scheme;", template)
    assert match, "nginx_proxy no longer sets X-Forwarded-Proto from $scheme"
    cgi_name = "HTTP_" + match.group(1).upper().replace("-", "_")
    assert (cgi_name, "https") == app.PROXY_SSL_HEADER
    # Set, never appended (no $proxy_add_x_forwarded_for): one hop.
    assert "$proxy_add_x_forwarded_for" not in template
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in template
    assert app.settings(config())["settings"]["SECURE_PROXY_SSL_HEADER"] == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]


@pytest.mark.parametrize(("count", "hint"), [(2, "forge"), (0, "cannot tell HTTPS"), (5, "forge")])
def test_a_proxy_count_that_is_not_the_topology_is_refused(count, hint):
    with pytest.raises(PolicyError, match=r"^app_settings_proxy_count: ") as err:
        app.settings(config(proxy_count=count))
    assert hint in str(err.value)


def test_proxy_count_must_be_an_integer():
    with pytest.raises(PolicyError, match=r"^app_settings_proxy_count: must be an integer"):
        app.settings(config(proxy_count=True))


# ----------------------------------------------------------- HSTS and headers
def test_hsts_follows_the_proxy_by_default():
    out = app.settings(config())
    assert out["hsts_sent_by"] == "proxy"
    s = out["settings"]
    assert (
        s["SECURE_HSTS_SECONDS"],
        s["SECURE_HSTS_INCLUDE_SUBDOMAINS"],
        s["SECURE_HSTS_PRELOAD"],
    ) == (
        63072000,
        True,
        False,
    )


def test_only_the_preload_warning_is_silenced_and_only_without_preload():
    assert app.settings(config())["settings"]["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    preloaded = dict(proxy_default_headers())
    preloaded["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains; preload"
    out = app.settings(config(proxy_headers=preloaded))
    assert out["settings"]["SILENCED_SYSTEM_CHECKS"] == []


def test_same_hsts_in_the_app_is_accepted_a_different_one_refused():
    same = {"max_age": 63072000, "include_subdomains": True}
    assert app.settings(config(hsts=same))["hsts_sent_by"] == "proxy"
    with pytest.raises(PolicyError, match=r"^app_settings_hsts: .*two different HSTS"):
        app.settings(config(hsts={"max_age": 300}))


def test_without_proxy_hsts_the_app_sends_it_and_must_be_told():
    headers = {k: v for k, v in proxy_default_headers().items() if k != "Strict-Transport-Security"}
    with pytest.raises(PolicyError, match=r"^app_settings_hsts: the proxy sends no"):
        app.settings(config(proxy_headers=headers))
    out = app.settings(config(proxy_headers=headers, hsts={"max_age": 31536000, "preload": True}))
    assert out["hsts_sent_by"] == "app"
    assert out["settings"]["SECURE_HSTS_PRELOAD"] is True


def test_hsts_mapping_is_checked():
    with pytest.raises(PolicyError, match=r"^app_settings_hsts: unknown keys"):
        app.settings(config(hsts={"maxage": 1}))
    with pytest.raises(PolicyError, match=r"^app_settings_hsts: preload requires"):
        app.settings(config(proxy_headers={}, hsts={"max_age": 300, "preload": True}))


def test_frame_referrer_coop_equal_the_proxy_headers():
    s = app.settings(config())["settings"]
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_REFERRER_POLICY"] == "no-referrer"
    assert s["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    headers = {
        "X-Frame-Options": "sameorigin",
        "Referrer-Policy": "no-referrer, strict-origin-when-cross-origin",
        "Strict-Transport-Security": HSTS_2Y,
    }
    s = app.settings(config(proxy_headers=headers))["settings"]
    assert s["X_FRAME_OPTIONS"] == "SAMEORIGIN"
    assert s["SECURE_REFERRER_POLICY"] == "no-referrer,strict-origin-when-cross-origin"
    with pytest.raises(PolicyError, match=r"^app_settings_proxy_headers: X-Frame-Options"):
        app.settings(
            config(
                proxy_headers={
                    "X-Frame-Options": "ALLOW-FROM x",
                    "Strict-Transport-Security": HSTS_2Y,
                }
            )
        )


def test_the_security_headers_list_form_is_accepted():
    as_list = _headers.security_headers()
    assert app.settings(config(proxy_headers=as_list)) == app.settings(config())


# ----------------------------------------------------------- env files
def test_django_env_file_read_by_the_snippet_gives_the_decided_settings(tmp_path, monkeypatch):
    out = app.settings(config(allowed_hosts=["a.test", "b.test"], https_port=8443))
    secret = tmp_path / "secret.env"
    secret.write_text("\n".join(app.secret_lines("django", STRONG, ["old" * 20])) + "\n")
    decided = dict(out["settings"], SECRET_KEY_FILE=str(secret))
    env = tmp_path / "django.env"
    env.write_text("# managed\n" + "\n".join(app.env_lines("django", decided)) + "\n")
    monkeypatch.setenv("DJANGO_ENV_FILE", str(env))
    ns = runpy.run_path(str(SNIPPET), run_name="snippet")
    assert ns["SECRET_KEY"] == STRONG
    assert ns["SECRET_KEY_FALLBACKS"] == ["old" * 20]
    assert ns["DEBUG"] is False
    assert ns["ALLOWED_HOSTS"] == ["a.test", "b.test"]
    assert ns["CSRF_TRUSTED_ORIGINS"] == ["https://a.test:8443", "https://b.test:8443"]
    assert ns["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert ns["SECURE_SSL_REDIRECT"] is True
    assert (
        ns["SESSION_COOKIE_SECURE"]
        is ns["SESSION_COOKIE_HTTPONLY"]
        is ns["CSRF_COOKIE_SECURE"]
        is True
    )
    assert ns["SESSION_COOKIE_SAMESITE"] == ns["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert ns["SECURE_HSTS_SECONDS"] == 63072000
    assert ns["X_FRAME_OPTIONS"] == "DENY"
    assert ns["SECURE_REFERRER_POLICY"] == "no-referrer"


def test_every_django_setting_the_role_decides_is_read_by_the_snippet():
    text = SNIPPET.read_text()
    for name in app.settings(config())["settings"]:
        if name != "SECRET_KEY_FILE":
            assert re.search(rf"^{name} = ", text, re.M), name


def test_flask_values_are_json_for_from_prefixed_env():
    out = app.settings(config(framework="flask", allowed_hosts=["a.test", "b.test"]))
    values = dict(line.split("=", 1) for line in out["env_lines"])
    loads = lambda v: json.loads(app.unquote(v))  # noqa: E731
    assert loads(values["FLASK_TRUSTED_HOSTS"]) == ["a.test", "b.test"]
    assert loads(values["FLASK_SESSION_COOKIE_SECURE"]) is True
    assert loads(values["FLASK_PROXYFIX_CONFIG"])["x_for"] == 1
    assert loads(values["FLASK_SESSION_COOKIE_SAMESITE"]) == "Lax"


def test_invenio_values_are_python_literals():
    out = app.settings(config(framework="invenio", allowed_hosts=["rdm.test"], https_port=8443))
    values = dict(line.split("=", 1) for line in out["env_lines"])
    lit = lambda v: ast.literal_eval(app.unquote(v))  # noqa: E731
    assert lit(values["INVENIO_APP_ALLOWED_HOSTS"]) == ["rdm.test"]
    assert lit(values["INVENIO_WSGI_PROXIES"]) == 1
    assert lit(values["INVENIO_SITE_UI_URL"]) == "https://rdm.test:8443"
    assert lit(values["INVENIO_APP_DEFAULT_SECURE_HEADERS"])["strict_transport_security"] is False


def test_extra_env_is_checked_and_cannot_override_the_role():
    out = app.settings(config(env={"DATABASE_URL": "postgres://app@localhost/app"}))
    assert out["env_lines"][-1] == "DATABASE_URL=postgres://app@localhost/app"
    with pytest.raises(PolicyError, match=r"^app_settings_env: DJANGO_DEBUG would be set twice"):
        app.settings(config(env={"DJANGO_DEBUG": "True"}))
    with pytest.raises(PolicyError, match=r"^app_settings_env: 'lower'"):
        app.settings(config(env={"lower": "x"}))
    with pytest.raises(PolicyError, match=r"^app_settings_env: X: an environment value cannot"):
        app.settings(config(env={"X": "a\nb"}))


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_property_quote_round_trips_or_refuses(text):
    refused = "\\" in text or ("'" in text and any(c in text for c in '"$`'))
    if refused:
        with pytest.raises(PolicyError):
            app.quote(text)
    else:
        assert app.parse_env(f"K={app.quote(text)}\n")["K"] == text


# ----------------------------------------------------------- secret key
@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("short", "characters, Django wants at least 50"),
        ("ab" * 30, "different characters"),
        ("django-insecure-" + "abcdefghij" * 5, "django-insecure-"),
        ("a b,c" * 12, "cannot carry"),
    ],
)
def test_weak_hand_set_keys_are_refused_without_showing_them(key, reason):
    with pytest.raises(PolicyError) as err:
        app.settings(config(secret_key=key))
    message = str(err.value)
    assert message.startswith("app_settings_secret_key: the hand-set key is refused: ")
    assert reason in message
    assert key not in message


def test_a_strong_hand_set_key_passes_and_is_not_returned():
    out = app.settings(config(secret_key=STRONG))
    assert out["secret_key_hand_set"] is True
    assert STRONG not in json.dumps(out)


@given(st.integers(min_value=50, max_value=120))
def test_property_generated_keys_pass_and_round_trip(length):
    key = app.generate_secret_key(length)
    assert app.secret_key_problems(key) == []
    for framework in app.FRAMEWORKS:
        text = "\n".join(app.secret_lines(framework, key, [key[::-1]]))
        assert app.parse_secret(framework, text) == (key, [key[::-1]])


def test_rotation_moves_the_old_key_to_the_front_and_the_next_drops_it():
    key, fallbacks = app.rotate(None, [], "k1", keep=1)
    assert (key, fallbacks) == ("k1", [])
    key, fallbacks = app.rotate(key, fallbacks, "k2", keep=1)
    assert (key, fallbacks) == ("k2", ["k1"])
    key, fallbacks = app.rotate(key, fallbacks, "k3", keep=1)
    assert (key, fallbacks) == ("k3", ["k2"])
    assert app.rotate("k3", ["k2"], "k3", keep=1) == ("k3", ["k2"])  # no change, no rotation
    assert app.rotate("k3", ["k2", "k1"], "k4", keep=2) == ("k4", ["k3", "k2"])
    assert app.rotate("k3", ["k2"], "k4", keep=0) == ("k4", [])
    with pytest.raises(PolicyError, match=r"^app_settings_secret_key_fallbacks: "):
        app.rotate("a", [], "b", keep=-1)


@given(
    st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=8, unique=True),
    st.integers(min_value=0, max_value=4),
)
def test_property_rotation_keeps_newest_first_and_bounded(keys, keep):
    current, fallbacks = None, []
    history = []
    for new in keys:
        current, fallbacks = app.rotate(current, fallbacks, new, keep)
        history.insert(0, new)
        assert current == new
        assert fallbacks == history[1 : 1 + keep]
        assert current not in fallbacks
