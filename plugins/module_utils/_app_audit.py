# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``app`` area of the posture report: the web app's settings as they
really are on a host where bulwark.hardening.app_settings is used.

playbooks/audit.yml finds the app through the role's record (the local fact
``bulwark_app_settings``: framework, files, account, settings module, the
settings the role decided; never the key) and reads, from outside the role:

- Django's own view of the settings (``django.conf.settings`` loaded as the
  app's user with the app's settings module) and ``manage.py check --deploy``;
  for Flask and Invenio, the values in the settings file the app reads;
- the secret key's length, distinct characters and prefix (never the key),
  and whether the key Django uses is the one in the role's secret file;
- the secret file's mode and owner;
- the cookies the app sets, requested through the host's own listener.

Each setting the role decided that the app does not run with, a deploy-check
issue, a weak or foreign key, a secret file others can read and a session or
CSRF cookie without its flags is ``failing``; a secret file mode other than
the one the role was given (still private) is ``drift``. What running the
role now would change comes from the check run (area of role app_settings).
"""

from __future__ import annotations

import ast
import json
import re

from ansible_collections.bulwark.hardening.plugins.module_utils import _app_settings

# Keys of the role's decision that are no setting of the app itself.
NOT_SETTINGS = frozenset({"SECRET_KEY_FILE"})
# Settings whose order means nothing (compared as sets).
UNORDERED = frozenset(
    {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SILENCED_SYSTEM_CHECKS", "TRUSTED_HOSTS"}
)
# A list Django also takes as one comma-separated string.
COMMA_LISTS = frozenset({"SECURE_REFERRER_POLICY"})
# Secret file modes the role writes (app_settings_secret_mode's choices).
SECRET_MODES = ("0600", "0640")
# Session cookie names when the app does not say (Flask's and Invenio's default).
DEFAULT_SESSION_COOKIE = "session"
_ISSUE = re.compile(r"^\S.*\((?:security|[a-z_]+)\.[A-Z]\d+\)")


def _finding(level: str, text: str) -> dict:
    return {"level": level, "text": text}


def _norm(name: str, value: object) -> object:
    if name in COMMA_LISTS and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        items = [_norm("", item) for item in value]
        return sorted(items, key=repr) if name in UNORDERED else items
    if isinstance(value, dict):
        return {str(k): _norm("", v) for k, v in value.items()}
    return value


def _show(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def same_setting(name: str, want: object, have: object) -> bool:
    """Whether the app's value ``have`` is the role's ``want`` (lists as sets where
    order means nothing, tuples as lists, a comma string as a list where Django
    takes either); a bool is never equal to 0/1."""
    a, b = _norm(name, want), _norm(name, have)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def decode_env(framework: str, text: str) -> object:
    """A value of the settings file as the framework reads it (undecodable: the text)."""
    try:
        if framework == "flask":
            return json.loads(text)
        if framework == "invenio":
            return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return text


def _env_matches(framework: str, name: str, want: object, text: str) -> bool:
    if framework == "django":
        # The role's snippet reads text: compare with what the role writes.
        return text == _app_settings.unquote(_app_settings.encode("django", want))
    return same_setting(name, want, decode_env(framework, text))


def key_problems(summary: object) -> list[str]:
    """Why Django's deploy check would refuse a key, from its summary
    ({length, unique, insecure_prefix}: the audit never reads the key itself)."""
    if not isinstance(summary, dict):
        return ["no key found"]
    problems = []
    length, unique = summary.get("length", 0), summary.get("unique", 0)
    if length < _app_settings.SECRET_KEY_MIN_LENGTH:
        problems.append(
            f"it has {length} characters, Django wants at least "
            f"{_app_settings.SECRET_KEY_MIN_LENGTH}"
        )
    if unique < _app_settings.SECRET_KEY_MIN_UNIQUE:
        problems.append(
            f"it has {unique} different characters, Django wants at least "
            f"{_app_settings.SECRET_KEY_MIN_UNIQUE}"
        )
    if summary.get("insecure_prefix"):
        problems.append(
            f"it starts with {_app_settings.INSECURE_PREFIX!r}: a key Django generated "
            "for development"
        )
    return problems


def _cookies(text: str) -> tuple[str, list[dict]]:
    """The status line and each Set-Cookie of a response head."""
    status, cookies = "", []
    for line in (text or "").splitlines():
        if line.startswith("HTTP/"):
            status, cookies = line.strip(), []
        elif line.lower().startswith("set-cookie:"):
            parts = [p.strip() for p in line.split(":", 1)[1].split(";")]
            name = parts[0].split("=", 1)[0].strip()
            attrs = {}
            for part in parts[1:]:
                key, _sep, value = part.partition("=")
                attrs[key.strip().lower()] = value.strip()
            cookies.append({"name": name, "attrs": attrs})
    return status, cookies


def cookie_findings(responses: dict, session: str, csrf: str | None, samesite: str) -> tuple:
    """Findings and details for the app's session and CSRF cookies in the responses."""
    findings, details, seen = [], {}, set()
    for path, text in sorted((responses or {}).items()):
        status, cookies = _cookies(text)
        if not status:
            findings.append(_finding("failing", f"no answer through the proxy for {path}"))
            continue
        details[f"{path} ({status})"] = [c["name"] for c in cookies] or ["no cookie"]
        for cookie in cookies:
            name, attrs = cookie["name"], cookie["attrs"]
            if name not in (session, csrf):
                continue
            seen.add(name)
            kind = "session" if name == session else "CSRF"
            missing = [flag for flag in ("secure",) if flag not in attrs]
            if kind == "session" and "httponly" not in attrs:
                missing.append("httponly")
            for flag in missing:
                findings.append(
                    _finding(
                        "failing",
                        f"the {kind} cookie {name} on {path} lacks "
                        f"{'Secure' if flag == 'secure' else 'HttpOnly'}",
                    )
                )
            have = attrs.get("samesite", "")
            if have.lower() != samesite.lower():
                findings.append(
                    _finding(
                        "failing",
                        f"the {kind} cookie {name} on {path} has SameSite "
                        f"{have or '(none)'}; app_settings sets {samesite}",
                    )
                )
    if responses and not seen:
        details["cookies"] = (
            "no session or CSRF cookie on the audited paths (app_settings_audit_paths: "
            "give a page that sets one)"
        )
    return findings, details


def _secret_file(st: object, record: dict) -> list[dict]:
    path = record.get("secret_file", "?")
    if not isinstance(st, dict) or "mode" not in st:
        why = st.get("error", "") if isinstance(st, dict) else ""
        return [_finding("failing", f"the secret file {path} cannot be read: {why or 'missing'}")]
    findings = []
    mode, want = st["mode"], str(record.get("secret_mode", "0600"))
    if int(mode, 8) & 0o007:
        findings.append(
            _finding("failing", f"the secret file {path} is mode {mode}: others can read it")
        )
    elif mode not in SECRET_MODES:
        findings.append(
            _finding("failing", f"the secret file {path} is mode {mode}, not 0600 or 0640")
        )
    elif mode != want:
        findings.append(
            _finding("drift", f"the secret file {path} is mode {mode}; app_settings sets {want}")
        )
    if st.get("owner") != record.get("user"):
        findings.append(
            _finding(
                "failing",
                f"the secret file {path} is owned by {st.get('owner')}, not the app's "
                f"user {record.get('user')}",
            )
        )
    if int(mode, 8) & 0o070 and st.get("group") != record.get("group"):
        findings.append(
            _finding(
                "failing",
                f"the secret file {path} is readable by group {st.get('group')}, not the "
                f"app's group {record.get('group')}",
            )
        )
    return findings


def _compare(want: dict, have: dict, where: str, same, show=_show) -> list[dict]:
    """A failing finding per setting of the role's decision the app does not run with."""
    findings = []
    for name, value in want.items():
        if name in NOT_SETTINGS:
            continue
        if name not in have:
            text = f"{name} is not set in {where}; app_settings sets {_show(value)}"
        elif not same(name, value, have[name]):
            text = f"{name} is {show(have[name])} in {where}; app_settings sets {_show(value)}"
        else:
            continue
        findings.append(_finding("failing", text))
    return findings


def _deploy_check(check: dict) -> tuple[list[dict], str | None]:
    """Findings from ``manage.py check --deploy`` ({rc, output lines}), or its last line."""
    raw = check.get("output") or []
    lines = raw.splitlines() if isinstance(raw, str) else [str(ln) for ln in raw]
    output = [ln.strip() for ln in lines if ln.strip()]
    if check["rc"] == 0:
        return [], output[-1] if output else "passed"
    issues = list(dict.fromkeys(ln for ln in output if _ISSUE.match(ln)))
    return [
        _finding("failing", f"manage.py check --deploy: {line}")
        for line in issues or output[-1:] or ["failed without output"]
    ], None


def area_app(p: dict) -> dict:
    """The app area from the audit's probes (see playbooks/audit.yml):
    ``host`` (the record, the files' modes, the settings file's values for the
    role's settings, the key's summary), ``django`` (Django's settings, the key's
    summary and whether it is the secret file's) or ``django_error``,
    ``deploy_check`` ({rc, output}) and ``responses`` (path: response head).
    """
    host = p.get("host") or {}
    if p.get("present") and isinstance(host, dict) and host.get("error"):
        text = f"app_settings' record or the app's files cannot be read: {host['error']}"
        return {"findings": [_finding("failing", text)], "details": {}}
    record = host.get("record") if isinstance(host, dict) else None
    if not p.get("present") or not isinstance(record, dict):
        return {"status": "absent", "findings": [], "details": {}}
    framework = record.get("framework", "django")
    want = record.get("settings") or {}
    module = (record.get("django") or {}).get("settings_module") or ""
    python = (record.get("django") or {}).get("python") or "python3"
    findings: list[dict] = []
    details: dict = {"framework": framework}

    # 1. The settings the app really runs with, against the role's decision:
    # Django's own view where it was read, else the settings file.
    django = p.get("django") or {}
    use_django = framework == "django" and bool(django or p.get("django_error"))
    if use_django and not django.get("settings"):
        error = (p.get("django_error") or "no output").strip().splitlines()
        findings.append(
            _finding(
                "failing", f"Django cannot load the settings {module} with {python}: {error[-1]}"
            )
        )
    elif use_django:
        details["checked"] = f"Django {django.get('version', '?')}'s settings ({module})"
        findings += _compare(want, django["settings"], module, same_setting)
    else:
        env_file = record.get("env_file", "?")
        details["checked"] = f"the settings file {env_file}"
        findings += _compare(
            want,
            host.get("env") or {},
            env_file,
            lambda name, value, text: _env_matches(framework, name, value, text),
            show=str,
        )

    # 2. Django's deploy check.
    check = p.get("deploy_check") or {}
    if framework == "django" and "rc" in check:
        issues, last = _deploy_check(check)
        findings += issues
        if last is not None:
            details["check --deploy"] = last

    # 3. The secret key (its summary only) and its file.
    summary = django.get("secret_key") if use_django and django else host.get("secret_key")
    findings += [
        _finding("failing", f"SECRET_KEY (not shown): {problem}")
        for problem in key_problems(summary)
    ]
    if use_django and django.get("from_secret_file") is False:
        findings.append(
            _finding(
                "failing",
                f"the SECRET_KEY Django uses is not the one in {record.get('secret_file')} "
                "(set again after the role's snippet?)",
            )
        )
    findings += _secret_file(host.get("secret_file"), record)
    st = host.get("secret_file") or {}
    if isinstance(st, dict) and "mode" in st:
        details["secret file"] = (
            f"{record.get('secret_file')} {st['mode']} {st.get('owner')}:{st.get('group')}"
        )

    # 4. The session and CSRF cookies, through the host's own listener.
    names = django.get("settings", {}) if use_django else {}
    default_session = "sessionid" if framework == "django" else DEFAULT_SESSION_COOKIE
    cookie_found, cookie_details = cookie_findings(
        p.get("responses") or {},
        names.get("SESSION_COOKIE_NAME") or default_session,
        names.get("CSRF_COOKIE_NAME") or ("csrftoken" if framework == "django" else None),
        str(want.get("SESSION_COOKIE_SAMESITE", "Lax")),
    )
    findings += cookie_found
    details.update(cookie_details)
    details["allowed hosts"] = record.get("allowed_hosts") or []
    return {"findings": findings, "details": details}
