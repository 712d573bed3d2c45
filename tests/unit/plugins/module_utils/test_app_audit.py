# SPDX-License-Identifier: GPL-3.0-or-later
"""The posture report's app area: the app's settings as Django (or the
settings file) holds them, the deploy check, the key's summary, the secret
file and the cookies, against app_settings' record."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils import _app_audit, _report

NOW = "2026-12-02T06:00:00Z"

# The record app_settings writes (local fact bulwark_app_settings), for a
# Django app behind a proxy sending HSTS and `Referrer-Policy: no-referrer`.
SETTINGS = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["app.example.test", "www.app.example.test"],
    "CSRF_TRUSTED_ORIGINS": ["https://app.example.test", "https://www.app.example.test"],
    "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    "USE_X_FORWARDED_HOST": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "CSRF_COOKIE_SECURE": True,
    "CSRF_COOKIE_SAMESITE": "Lax",
    "SECURE_HSTS_SECONDS": 63072000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": False,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "X_FRAME_OPTIONS": "DENY",
    "SECURE_REFERRER_POLICY": "no-referrer",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    "SILENCED_SYSTEM_CHECKS": ["security.W021"],
    "SECRET_KEY_FILE": "/etc/app_settings/secret.env",
}
RECORD = {
    "framework": "django",
    "user": "app",
    "group": "app",
    "service": "app.service",
    "env_file": "/etc/app_settings/django.env",
    "secret_file": "/etc/app_settings/secret.env",
    "secret_mode": "0600",
    "allowed_hosts": ["app.example.test", "www.app.example.test"],
    "https_port": 443,
    "audit_paths": ["/session/", "/form/"],
    "settings": SETTINGS,
    "django": {
        "python": "/usr/bin/python3",
        "settings_module": "demo.settings",
        "project_dir": "/srv/app",
    },
}
GOOD_KEY = {"length": 64, "unique": 40, "insecure_prefix": False}
# Response heads as Django 4.2 behind nginx sends them (values shortened).
SESSION = (
    "HTTP/1.1 200 OK\r\nServer: nginx\r\nVary: Cookie\r\n"
    "Set-Cookie: sessionid=eyJ0:1xYk5p:1mmd; expires=Wed, 16 Dec 2026 13:09:53 GMT; HttpOnly;"
    " Max-Age=1209600; Path=/; SameSite=Lax; Secure\r\n"
    "Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n"
)
FORM = (
    "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
    "Set-Cookie: csrftoken=Qx9; expires=Wed, 01 Dec 2027 13:09:53 GMT; Max-Age=31449600;"
    " Path=/; SameSite=Lax; Secure\r\n"
)


def django_probe(**over):
    """What audit.yml gathers on a host where the role's settings hold."""
    effective = {k: v for k, v in SETTINGS.items() if k != "SECRET_KEY_FILE"}
    # Django turns the snippet's tuple into its own; JSON makes it a list again.
    effective.update(SESSION_COOKIE_NAME="sessionid", CSRF_COOKIE_NAME="csrftoken")
    probe = {
        "present": True,
        "host": {
            "record": copy.deepcopy(RECORD),
            "env_file": {"mode": "0640", "owner": "root", "group": "app"},
            "env": {},
            "secret_file": {"mode": "0600", "owner": "app", "group": "app"},
            "secret_key": GOOD_KEY,
        },
        "django": {
            "version": "4.2.30",
            "settings": effective,
            "secret_key": GOOD_KEY,
            "from_secret_file": True,
        },
        "django_error": "",
        "deploy_check": {"rc": 0, "output": ["System check identified no issues (1 silenced)."]},
        "responses": {"/session/": SESSION, "/form/": FORM},
    }
    probe.update(over)
    return probe


def texts(result, level=None):
    return [f["text"] for f in result["findings"] if level in (None, f["level"])]


def test_settings_as_the_role_decided_are_ok():
    result = _app_audit.area_app(django_probe())
    assert result["findings"] == []
    assert result["details"]["/session/ (HTTP/1.1 200 OK)"] == ["sessionid"]
    assert result["details"]["checked"] == "Django 4.2.30's settings (demo.settings)"
    assert result["details"]["secret file"] == "/etc/app_settings/secret.env 0600 app:app"


def test_a_record_that_cannot_be_read_is_failing():
    probe = {"present": True, "host": {"error": "json.decoder.JSONDecodeError: Expecting value"}}
    result = _app_audit.area_app(probe)
    assert _report._status(result) == "failing"
    assert texts(result) == [
        "app_settings' record or the app's files cannot be read:"
        " json.decoder.JSONDecodeError: Expecting value"
    ]


def test_no_record_is_absent():
    assert _app_audit.area_app({"present": False})["status"] == "absent"
    assert _app_audit.area_app({"present": True, "host": {"record": "x"}})["status"] == "absent"
    assert _app_audit.area_app({})["status"] == "absent"


def test_debug_on_in_the_running_settings_is_failing_and_named():
    probe = django_probe()
    probe["django"]["settings"]["DEBUG"] = True
    assert texts(_app_audit.area_app(probe), "failing") == [
        "DEBUG is True in demo.settings; app_settings sets False"
    ]


@pytest.mark.parametrize(
    ("name", "value", "same"),
    [
        # Order of hosts, origins and silenced checks means nothing.
        ("ALLOWED_HOSTS", ["www.app.example.test", "app.example.test"], True),
        ("ALLOWED_HOSTS", ["app.example.test", "www.app.example.test", "*"], False),
        # The proxy header is a (name, value) pair: order matters.
        ("SECURE_PROXY_SSL_HEADER", ["https", "HTTP_X_FORWARDED_PROTO"], False),
        ("SECURE_PROXY_SSL_HEADER", None, False),
        # Django takes the referrer policy as a list or a comma string.
        ("SECURE_REFERRER_POLICY", ["no-referrer"], True),
        ("SECURE_REFERRER_POLICY", "no-referrer, origin", False),
        # A bool is not 0 or 1.
        ("SESSION_COOKIE_SECURE", 1, False),
        ("SECURE_HSTS_SECONDS", 3600, False),
        ("SESSION_COOKIE_SAMESITE", "None", False),
    ],
)
def test_each_setting_is_compared_the_way_django_reads_it(name, value, same):
    probe = django_probe()
    probe["django"]["settings"][name] = value
    found = texts(_app_audit.area_app(probe))
    assert (found == []) is same, found
    if not same:
        assert found[0].startswith(f"{name} is ")


def test_a_setting_missing_from_django_is_failing():
    probe = django_probe()
    del probe["django"]["settings"]["SECURE_CROSS_ORIGIN_OPENER_POLICY"]
    assert texts(_app_audit.area_app(probe)) == [
        "SECURE_CROSS_ORIGIN_OPENER_POLICY is not set in demo.settings;"
        " app_settings sets 'same-origin'"
    ]


def test_django_that_cannot_load_the_settings_is_failing_with_its_last_line():
    probe = django_probe(
        django={},
        django_error="Traceback (most recent call last):\n  ...\n"
        "KeyError: 'DJANGO_SECRET_KEY_FILE'\n",
    )
    found = texts(_app_audit.area_app(probe), "failing")
    assert found[0] == (
        "Django cannot load the settings demo.settings with /usr/bin/python3:"
        " KeyError: 'DJANGO_SECRET_KEY_FILE'"
    )


def test_each_deploy_check_issue_is_a_finding():
    output = [
        "SystemCheckError: System check identified some issues:",
        "",
        "WARNINGS:",
        "?: (security.W018) You should not have DEBUG set to True in deployment.",
        "?: (security.W008) Your SECURE_SSL_REDIRECT setting is not set to True.",
        "",
        "System check identified 2 issues (1 silenced).",
    ]
    probe = django_probe(deploy_check={"rc": 1, "output": output})
    assert texts(_app_audit.area_app(probe)) == [
        "manage.py check --deploy: ?: (security.W018) You should not have DEBUG set to True"
        " in deployment.",
        "manage.py check --deploy: ?: (security.W008) Your SECURE_SSL_REDIRECT setting is not"
        " set to True.",
    ]
    # A failure without Django's issue lines still says something.
    probe = django_probe(
        deploy_check={"rc": 1, "output": "ModuleNotFoundError: No module named 'x'"}
    )
    assert texts(_app_audit.area_app(probe)) == [
        "manage.py check --deploy: ModuleNotFoundError: No module named 'x'"
    ]


@pytest.mark.parametrize(
    ("summary", "says"),
    [
        ({"length": 20, "unique": 15, "insecure_prefix": False}, "20 characters"),
        ({"length": 64, "unique": 2, "insecure_prefix": False}, "2 different characters"),
        ({"length": 66, "unique": 30, "insecure_prefix": True}, "django-insecure-"),
        (None, "no key found"),
    ],
)
def test_a_weak_or_missing_key_is_failing_without_showing_it(summary, says):
    probe = django_probe()
    probe["django"]["secret_key"] = summary
    (found,) = texts(_app_audit.area_app(probe), "failing")
    assert found.startswith("SECRET_KEY (not shown): ") and says in found


def test_a_key_that_is_not_the_secret_files_is_failing():
    probe = django_probe()
    probe["django"]["from_secret_file"] = False
    (found,) = texts(_app_audit.area_app(probe))
    assert "is not the one in /etc/app_settings/secret.env" in found


@pytest.mark.parametrize(
    ("st", "level", "says"),
    [
        ({"mode": "0644", "owner": "app", "group": "app"}, "failing", "others can read it"),
        ({"mode": "0604", "owner": "app", "group": "app"}, "failing", "others can read it"),
        ({"mode": "0660", "owner": "app", "group": "app"}, "failing", "not 0600 or 0640"),
        # Still private, but not the mode the role was given: drift.
        ({"mode": "0640", "owner": "app", "group": "app"}, "drift", "app_settings sets 0600"),
        ({"mode": "0600", "owner": "root", "group": "app"}, "failing", "owned by root"),
        ({"error": "No such file or directory"}, "failing", "No such file or directory"),
    ],
)
def test_the_secret_files_mode_and_owner(st, level, says):
    probe = django_probe()
    probe["host"]["secret_file"] = st
    result = _app_audit.area_app(probe)
    (finding,) = result["findings"]
    assert finding["level"] == level and says in finding["text"], finding
    assert _report._status(result) == level


def test_a_group_readable_secret_file_of_another_group_is_failing():
    probe = django_probe()
    probe["host"]["record"]["secret_mode"] = "0640"
    probe["host"]["secret_file"] = {"mode": "0640", "owner": "app", "group": "www-data"}
    assert texts(_app_audit.area_app(probe)) == [
        "the secret file /etc/app_settings/secret.env is readable by group www-data,"
        " not the app's group app"
    ]


def test_cookie_flags():
    no_httponly = SESSION.replace(" HttpOnly;", "")
    no_secure = FORM.replace("; Secure", "")
    strict = SESSION.replace("SameSite=Lax", "SameSite=Strict")
    probe = django_probe(responses={"/a/": no_httponly, "/b/": no_secure, "/c/": strict})
    assert texts(_app_audit.area_app(probe), "failing") == [
        "the session cookie sessionid on /a/ lacks HttpOnly",
        "the CSRF cookie csrftoken on /b/ lacks Secure",
        "the session cookie sessionid on /c/ has SameSite Strict; app_settings sets Lax",
    ]


def test_cookie_names_come_from_django_and_other_cookies_are_only_listed():
    probe = django_probe()
    probe["django"]["settings"]["SESSION_COOKIE_NAME"] = "s"
    other = "HTTP/1.1 200 OK\r\nSet-Cookie: s=1; Path=/; SameSite=Lax; Secure\r\n"
    probe["responses"] = {"/x/": other, "/y/": "HTTP/1.1 200 OK\r\nSet-Cookie: theme=dark\r\n"}
    result = _app_audit.area_app(probe)
    assert texts(result) == ["the session cookie s on /x/ lacks HttpOnly"]
    assert result["details"]["/y/ (HTTP/1.1 200 OK)"] == ["theme"]


def test_no_answer_is_failing_and_no_cookie_is_only_said():
    probe = django_probe(responses={"/session/": ""})
    assert texts(_app_audit.area_app(probe)) == ["no answer through the proxy for /session/"]
    probe = django_probe(responses={"/": "HTTP/1.1 404 Not Found\r\nServer: nginx\r\n"})
    result = _app_audit.area_app(probe)
    assert result["findings"] == []
    assert result["details"]["cookies"].startswith("no session or CSRF cookie")


def flask_probe(env):
    record = {
        **copy.deepcopy(RECORD),
        "framework": "flask",
        "env_file": "/etc/app_settings/flask.env",
        "settings": {
            "DEBUG": False,
            "TRUSTED_HOSTS": ["app.example.test", "www.app.example.test"],
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "PROXYFIX_CONFIG": {"x_for": 1, "x_proto": 1, "x_prefix": 0},
        },
    }
    return {
        "present": True,
        "host": {
            "record": record,
            "env": env,
            "secret_file": {"mode": "0600", "owner": "app", "group": "app"},
            "secret_key": GOOD_KEY,
        },
        "responses": {
            "/": "HTTP/1.1 200 OK\r\nSet-Cookie: session=x; HttpOnly; Path=/; SameSite=Lax\r\n"
        },
    }


def test_flask_values_are_read_from_the_settings_file_as_json():
    env = {
        "DEBUG": "false",
        # JSON as a person writes it: other spacing, other order.
        "TRUSTED_HOSTS": '["www.app.example.test", "app.example.test"]',
        "SESSION_COOKIE_SECURE": "true",
        "SESSION_COOKIE_SAMESITE": '"Lax"',
        "PROXYFIX_CONFIG": '{"x_prefix": 0, "x_proto": 1, "x_for": 1}',
    }
    result = _app_audit.area_app(flask_probe(env))
    # Flask's session cookie, named `session`, came without Secure.
    assert texts(result) == ["the session cookie session on / lacks Secure"]
    assert result["details"]["checked"] == "the settings file /etc/app_settings/flask.env"
    env = dict(env, SESSION_COOKIE_SECURE="false")
    del env["DEBUG"]
    assert texts(_app_audit.area_app(flask_probe(env)))[:2] == [
        "DEBUG is not set in /etc/app_settings/flask.env; app_settings sets False",
        "SESSION_COOKIE_SECURE is false in /etc/app_settings/flask.env; app_settings sets True",
    ]


def test_django_without_a_settings_module_is_checked_in_the_settings_file():
    probe = django_probe(django={}, deploy_check={})
    probe["host"]["record"]["django"]["settings_module"] = ""
    probe["host"]["env"] = {
        "DEBUG": "True",
        "ALLOWED_HOSTS": "app.example.test,www.app.example.test",
    }
    found = texts(_app_audit.area_app(probe))
    assert found[0] == "DEBUG is True in /etc/app_settings/django.env; app_settings sets False"
    assert not any(t.startswith("ALLOWED_HOSTS") for t in found)
    assert "CSRF_TRUSTED_ORIGINS is not set in /etc/app_settings/django.env" in found[1]


def check_run(*tasks):
    return {
        "plays": [
            {
                "tasks": [
                    {"task": {"name": name}, "hosts": {"h1": {"changed": True}}} for name in tasks
                ]
            }
        ],
        "stats": {"h1": {}},
    }


def test_app_settings_drift_lands_in_the_app_area_only():
    run = check_run("bulwark.hardening.app_settings : Configure | the app's settings")
    rep = _report.posture_report({"h1": {"app": django_probe()}}, check_run=run, generated=NOW)
    statuses = {a["name"]: a["status"] for a in rep["hosts"][0]["areas"]}
    assert statuses["app"] == "drift"
    assert [n for n, s in statuses.items() if s not in ("absent",)] == ["app"]
    assert rep["columns"][-1] == "app"


def test_a_host_without_the_role_has_no_app_area():
    rep = _report.posture_report({"h1": {}}, generated=NOW)
    (app,) = [a for a in rep["hosts"][0]["areas"] if a["name"] == "app"]
    assert app["status"] == "absent"
