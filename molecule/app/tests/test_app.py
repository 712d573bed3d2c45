"""A real Django app behind nginx_proxy with app_settings, seen from outside.

The peer container is the browser; requests straight to gunicorn are sent
from inside the target (it listens on 127.0.0.1 only). Expected values come
from the scenario's inventory and Django's own behaviour, not from the role.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

from conftest import ansible_playbook

NAME = "app.example.test"
ORIGIN = f"https://{NAME}"
SECRET = "/etc/app_settings/secret.env"
ENV_FILE = "/etc/app_settings/django.env"
JAR = "/tmp/cookies.txt"


def https(target_ip: str, path: str, opts: str = "", name: str = NAME) -> str:
    return (
        f"curl -sk --http1.1 --max-time 10 --resolve {name}:443:{target_ip} {opts} "
        f"{shlex.quote(f'https://{name}{path}')}"
    )


def get_json(peer, command: str) -> dict:
    result = peer.run(command)
    assert result.returncode == 0, f"{command}: rc={result.returncode} {result.stderr}"
    return json.loads(result.stdout)


def status(peer, command: str) -> int:
    result = peer.run(command + " -o /dev/null -w '%{http_code}'")
    return int(result.stdout or 0)


def test_django_deploy_check_reports_no_issues(host):
    result = host.run(
        "cd /srv/app && runuser -u app -- env DJANGO_ENV_FILE=%s "
        "python3 manage.py check --deploy --fail-level WARNING",
        ENV_FILE,
    )
    assert result.rc == 0, result.stdout + result.stderr
    # security.W021 (no HSTS preload) is the one warning the role silences,
    # because preload stays off until asked for (see the role's README).
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_foreign_host_is_refused_by_the_proxy(host, peer, target_ip):
    # SNI of an allowed name, Host of another: nginx's default server closes (444).
    result = peer.run(https(target_ip, "/secure/", "-H 'Host: evil.example' -w '%{http_code}'"))
    assert result.returncode != 0 or result.stdout.strip() in ("", "000"), result.stdout
    # And with its own SNI the TLS handshake is refused.
    result = peer.run(https(target_ip, "/secure/", name="evil.example"))
    assert result.returncode != 0


def test_foreign_host_is_refused_by_django_itself(host):
    evil = host.run(
        "curl -s -o /dev/null -w '%%{http_code}' -H 'Host: %s' http://127.0.0.1:8000/secure/",
        "evil.example",
    )
    assert evil.stdout == "400"
    # An allowed name straight to gunicorn, without the proxy's header: not
    # HTTPS to Django, so it redirects there (SECURE_SSL_REDIRECT).
    plain = host.run(
        "curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' -H 'Host: %s' "
        "http://127.0.0.1:8000/secure/",
        NAME,
    )
    assert plain.stdout == f"301 https://{NAME}/secure/"


def test_requests_through_the_proxy_are_secure_and_cannot_be_forged(peer, target_ip):
    assert get_json(peer, https(target_ip, "/secure/"))["is_secure"] is True
    forged = get_json(peer, https(target_ip, "/secure/", "-H 'X-Forwarded-Proto: http'"))
    assert forged == {"is_secure": True, "host": NAME}
    # Plain HTTP with a forged header never reaches the app: the proxy redirects.
    result = peer.run(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 10 --resolve {NAME}:80:{target_ip} "
        f"-H 'X-Forwarded-Proto: https' http://{NAME}/secure/"
    )
    assert result.stdout == "301"


def test_exactly_one_hsts_header_the_proxys(peer, target_ip):
    result = peer.run(https(target_ip, "/secure/", "-D - -o /dev/null"))
    lines = [
        line
        for line in result.stdout.splitlines()
        if line.lower().startswith("strict-transport-security:")
    ]
    assert len(lines) == 1, result.stdout
    assert lines[0].split(":", 1)[1].strip() == "max-age=63072000; includeSubDomains"


def csrf_post(peer, target_ip, origin: str) -> int:
    peer.run(f"rm -f {JAR}")
    token = get_json(peer, https(target_ip, "/form/", f"-c {JAR} -b {JAR}"))["csrf_token"]
    return status(
        peer,
        https(
            target_ip,
            "/form/",
            f"-c {JAR} -b {JAR} -X POST -H 'Origin: {origin}' -H 'X-CSRFToken: {token}' -d x=1",
        ),
    )


def test_csrf_post_from_the_allowed_origin_succeeds(peer, target_ip):
    assert csrf_post(peer, target_ip, ORIGIN) == 200


def test_csrf_post_from_a_foreign_origin_is_refused(peer, target_ip):
    assert csrf_post(peer, target_ip, "https://evil.example") == 403


def test_cookies_are_secure_httponly_samesite(peer, target_ip):
    result = peer.run(https(target_ip, "/session/", "-D - -o /dev/null"))
    cookies = [
        line.lower()
        for line in result.stdout.splitlines()
        if line.lower().startswith("set-cookie:")
    ]
    session = [c for c in cookies if c.startswith("set-cookie: sessionid=")]
    assert session, result.stdout
    assert "; secure" in session[0] and "; httponly" in session[0] and "samesite=lax" in session[0]


def test_secret_file_mode_owner_and_strength(host):
    secret = host.file(SECRET)
    assert secret.user == "app"
    assert secret.group == "app"
    assert secret.mode == 0o600
    key = host.check_output("sed -n 's/^DJANGO_SECRET_KEY=//p' %s", SECRET)
    assert len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")
    env = host.file(ENV_FILE)
    assert (env.user, env.group, env.mode) == ("root", "app", 0o640)
    assert key not in env.content_string


def rotate() -> None:
    result = ansible_playbook(Path(__file__).resolve().parents[1] / "rotate.yml", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def session_token(peer, target_ip) -> dict:
    return get_json(peer, https(target_ip, "/session/", f"-c {JAR} -b {JAR}"))


def eventually(check, seconds: int = 20):
    """gunicorn replaces its workers after the reload; wait for the new ones."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1)


def test_rotation_keeps_sessions_once_and_drops_them_on_the_next(host, peer, target_ip):
    peer.run(f"rm -f {JAR}")
    first = session_token(peer, target_ip)
    assert first["new"] is True
    assert session_token(peer, target_ip) == {"token": first["token"], "new": False}
    key_before = host.check_output("sed -n 's/^DJANGO_SECRET_KEY=//p' %s", SECRET)

    rotate()
    key_after = host.check_output("sed -n 's/^DJANGO_SECRET_KEY=//p' %s", SECRET)
    fallbacks = host.check_output("sed -n 's/^DJANGO_SECRET_KEY_FALLBACKS=//p' %s", SECRET)
    assert key_after != key_before
    assert fallbacks == key_before
    # The cookie signed with the old key still opens the same session.
    time.sleep(3)
    assert session_token(peer, target_ip) == {"token": first["token"], "new": False}

    rotate()
    fallbacks = host.check_output("sed -n 's/^DJANGO_SECRET_KEY_FALLBACKS=//p' %s", SECRET)
    assert fallbacks == key_after
    # Signed with a key that is now neither current nor fallback: a new session.
    assert eventually(lambda: session_token(peer, target_ip)["new"] is True)
