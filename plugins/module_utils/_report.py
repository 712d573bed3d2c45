# SPDX-License-Identifier: GPL-3.0-or-later
"""Posture report: turn what playbooks/audit.yml read on each host into areas
with a status (ok / drift / failing / absent) and findings a person can act on.

Inputs are the raw outputs of read-only commands (``sshd -T``, ``ufw status``,
``fail2ban-client``, ``openssl x509``, ``nginx -T``, ``curl -D -``, ...) and
the JSON of a ``--check --diff`` run of the hardening playbook (the
``ansible.posix.json`` callback): every task that run would change is drift
in the area of its role. Nothing here touches a host.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime

from ansible_collections.bulwark.hardening.plugins.module_utils._app_audit import area_app
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

AREAS = (
    "sshd",
    "ssh_client",
    "firewall",
    "fail2ban",
    "updates",
    "rkhunter",
    "certificates",
    "nginx",
    "baseline",
    "app",
)
STATUSES = ("ok", "drift", "failing", "absent")
# Worst first: the area's status is its worst finding.
_RANK = {"absent": 0, "ok": 1, "drift": 2, "failing": 3}
ROLE_AREAS = {
    "sshd": "sshd",
    "ssh_client": "ssh_client",
    "ufw": "firewall",
    "fail2ban": "fail2ban",
    "auto_updates": "updates",
    "rkhunter": "rkhunter",
    "certbot": "certificates",
    "nginx_proxy": "nginx",
    "os_baseline": "baseline",
    "app_settings": "app",
}
# Roles whose tasks only read (the collection-wide values): never drift.
_QUIET_ROLES = {"bulwark"}
_MAX_DIFF_LINES = 12
CERT_WARN_DAYS = 14
# The settings the report shows (sshd -T, ssh -G keywords).
_ALGORITHMS = ["kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms"]
_SSHD_SHOWN = [
    "port",
    "listenaddress",
    "permitrootlogin",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "pubkeyauthentication",
    "authenticationmethods",
    "maxauthtries",
    "x11forwarding",
    "allowtcpforwarding",
    "loglevel",
    *_ALGORITHMS,
]
_SSH_CLIENT_SHOWN = [
    *_ALGORITHMS,
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "identitiesonly",
    "hashknownhosts",
    "stricthostkeychecking",
]
RKHUNTER_MAX_AGE_DAYS = 8


def _finding(level: str, text: str) -> dict:
    return {"level": level, "text": text}


def _kv_lines(text: str) -> dict[str, str]:
    """``key value`` lines (sshd -T, ssh -G) as a dict; first value wins, keys lower-case."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 1)
        if parts and parts[0].lower() not in out:
            out[parts[0].lower()] = parts[1] if len(parts) > 1 else ""
    return out


def _sections(text: str, marker: str = "### ") -> dict[str, str]:
    """Split a probe's output on ``### name`` header lines."""
    out: dict[str, list[str]] = {}
    current = None
    for line in (text or "").splitlines():
        if line.startswith(marker):
            current = line.removeprefix(marker).strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


# --- drift from the check run -------------------------------------------------


def _role_of(task_name: str) -> str | None:
    if " : " not in task_name:
        return None
    return task_name.split(" : ", 1)[0].strip().rsplit(".", 1)[-1]


def _diff_lines(diff) -> list[str]:
    """The changed lines of a task's --diff output, at most _MAX_DIFF_LINES."""
    diffs = diff if isinstance(diff, list) else [diff]
    lines: list[str] = []
    for d in diffs:
        if not isinstance(d, dict):
            continue
        if "prepared" in d and isinstance(d["prepared"], str):
            lines += [
                ln
                for ln in d["prepared"].splitlines()
                if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
            ]
            continue
        before, after = d.get("before", ""), d.get("after", "")
        if isinstance(before, str) and isinstance(after, str):
            # before_header names the file on the host (after_header may be a temporary source).
            header = d.get("before_header") or d.get("after_header") or ""
            changed = [
                ln
                for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
                if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
            ]
            if changed and header:
                lines.append(f"{header}:")
            lines += changed
    if len(lines) > _MAX_DIFF_LINES:
        lines = [*lines[:_MAX_DIFF_LINES], f"... ({len(lines) - _MAX_DIFF_LINES} more lines)"]
    return lines


def _changed_items(result: dict) -> list[str]:
    labels = []
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("changed"):
            label = item.get("_ansible_item_label", item.get("item"))
            labels.append(str(label))
    return labels


def check_run_drift(run: dict) -> dict[str, dict[str, list[dict]]]:
    """Findings per host and area from an ``ansible.posix.json`` check-mode run.

    A changed task is drift (with its changed loop items and diff lines); a
    failed or unreachable one is failing. Tasks outside a role go to area
    ``playbook``.
    """
    if not isinstance(run, dict) or not isinstance(run.get("plays"), list):
        raise PolicyError(f"the check run is not ansible.posix.json output: {shown(run)}")
    out: dict[str, dict[str, list[dict]]] = {}
    for play in run["plays"]:
        for task in play.get("tasks") or []:
            name = str((task.get("task") or {}).get("name", "?"))
            role = _role_of(name)
            if role in _QUIET_ROLES:
                continue
            area = ROLE_AREAS.get(role, role or "playbook")
            for host, result in (task.get("hosts") or {}).items():
                if not isinstance(result, dict):
                    continue
                if result.get("unreachable"):
                    finding = _finding("failing", f"{name}: host unreachable in the check run")
                elif result.get("failed") and not result.get("ignore_errors"):
                    msg = str(result.get("msg", "")).strip().splitlines()
                    finding = _finding(
                        "failing", f"{name}: fails in check mode" + (f": {msg[0]}" if msg else "")
                    )
                elif result.get("changed"):
                    items = _changed_items(result)
                    text = f"would change: {name}" + (f" ({', '.join(items)})" if items else "")
                    finding = _finding("drift", text)
                    diff = _diff_lines(result.get("diff")) if "diff" in result else []
                    diff += [
                        ln
                        for it in result.get("results") or []
                        if isinstance(it, dict)
                        for ln in _diff_lines(it.get("diff"))
                    ][:_MAX_DIFF_LINES]
                    if diff:
                        finding["diff"] = diff
                else:
                    continue
                out.setdefault(host, {}).setdefault(area, []).append(finding)
    return out


# --- areas from the probes ---------------------------------------------------


def sshd_expected(v: dict, crypto: dict) -> dict[str, str]:
    """What ``sshd -T`` must show under the sshd role's variables ``v`` and algorithm lists."""

    def yn(key):
        return "yes" if v[key] else "no"

    root = v["sshd_permit_root_login"]
    expected = {
        "passwordauthentication": yn("sshd_password_authentication"),
        "kbdinteractiveauthentication": yn("sshd_kbd_interactive_authentication"),
        "permitemptypasswords": yn("sshd_permit_empty_passwords"),
        "pubkeyauthentication": yn("sshd_pubkey_authentication"),
        "permitrootlogin": "without-password" if root == "prohibit-password" else str(root),
        "x11forwarding": yn("sshd_x11_forwarding"),
        "maxauthtries": str(v["sshd_max_auth_tries"]),
        "allowagentforwarding": yn("sshd_allow_agent_forwarding"),
        "allowtcpforwarding": str(v["sshd_allow_tcp_forwarding"]),
        "loglevel": str(v["sshd_log_level"]),
    }
    keywords = {
        "kex": "kexalgorithms",
        "ciphers": "ciphers",
        "macs": "macs",
        "host_key_algorithms": "hostkeyalgorithms",
        "pubkey_accepted_algorithms": "pubkeyacceptedalgorithms",
    }
    for kind, keyword in keywords.items():
        if crypto.get(kind):
            expected[keyword] = ",".join(crypto[kind])
    return expected


def _sshd_dropins(text: str, effective: dict[str, str]) -> list[dict]:
    """Drop-in lines asking for another value than the effective one."""
    findings = []
    for path, body in _sections(text).items():
        in_match = False
        for line in body.splitlines():
            parts = line.strip().split(None, 1)
            if not parts or parts[0].startswith("#"):
                continue
            key = parts[0].lower()
            value = parts[1].strip() if len(parts) > 1 else ""
            if key in ("match",):
                in_match = True
                continue
            if key in ("include",):
                continue
            actual = effective.get(key)
            if actual is None:
                continue
            # Lists (ports, algorithms, users) add up: a value already in place is no change.
            if value.lower() == actual.lower() or value.lower() in actual.lower().split():
                continue
            where = " inside a Match block" if in_match else ""
            findings.append(
                _finding(
                    "drift",
                    f"{path} sets {parts[0]} {value}{where}; effective and policy: {actual}"
                    " (a hand-made drop-in: remove it or make the role's variable say so)",
                )
            )
    return findings


def area_sshd(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    if not p.get("active"):
        findings.append(_finding("failing", "sshd is not running"))
    effective = _kv_lines(p.get("effective", ""))
    if not effective:
        findings.append(_finding("failing", "sshd -T gave no settings: " + p.get("error", "")))
    expected = sshd_expected(p["policy"], p.get("crypto") or {}) if p.get("policy") else {}
    for key, want in expected.items():
        have = effective.get(key)
        if effective and have != want:
            findings.append(
                _finding("drift", f"sshd -T shows {key} {have or '(not shown)'}; policy: {want}")
            )
    findings += _sshd_dropins(p.get("dropins", ""), effective)
    keys = _SSHD_SHOWN
    details = {k: effective[k] for k in keys if k in effective}
    if p.get("dropin_files"):
        details["drop-ins"] = ", ".join(p["dropin_files"])
    return {"findings": findings, "details": details}


def area_ssh_client(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    cfg = _kv_lines(p.get("config", ""))
    keys = _SSH_CLIENT_SHOWN
    findings = [] if cfg else [_finding("failing", "ssh -G gave no settings")]
    return {"findings": findings, "details": {k: cfg[k] for k in keys if k in cfg}}


_SS_RE = re.compile(r"^(tcp|udp)\s+\S+\s+\d+\s+\d+\s+(\S+):(\d+|\*)\s+\S+\s*(.*)$")


def _listening(ss: str) -> list[dict]:
    out = []
    for line in (ss or "").splitlines():
        m = _SS_RE.match(line.strip())
        if not m:
            continue
        proto, addr, port, rest = m.groups()
        addr = addr.strip("[]").split("%")[0]
        proc = re.search(r'users:\(\("([^"]+)"', rest)
        out.append(
            {
                "proto": proto,
                "address": addr,
                "port": port,
                "process": proc.group(1) if proc else "",
            }
        )
    return out


def _ufw_allowed(status: str) -> dict[str, list[str]]:
    """port/proto -> sources the ufw status lets in (ALLOW or LIMIT, incoming)."""
    allowed: dict[str, list[str]] = {}
    for line in (status or "").splitlines():
        m = re.match(
            r"^(\S+(?: \(v6\))?)\s+(ALLOW|LIMIT)(?: IN)?\s+(.+?)\s*(?:#.*)?$", line.strip()
        )
        if not m:
            continue
        to, _via, src = m.groups()
        to = to.replace(" (v6)", "")
        allowed.setdefault(to, []).append(src.replace(" (v6)", ""))
    return allowed


def area_firewall(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    status = p.get("status", "")
    active = "Status: active" in status
    if p.get("want_active", True) and not active:
        findings.append(_finding("failing", "ufw is not active"))
    for rule in p.get("extra_rules") or []:
        line = rule.get("line", shown(rule)) if isinstance(rule, dict) else str(rule)
        findings.append(
            _finding(
                "drift",
                f"ufw rule not in the role's rules: {line} (delete it, or add it to ufw_rules)",
            )
        )
    allowed = _ufw_allowed(status)
    reachable = []
    for sock in _listening(p.get("listening", "")):
        if sock["address"].startswith("127.") or sock["address"] == "::1":
            continue
        key = f"{sock['port']}/{sock['proto']}"
        sources = allowed.get(key, []) + allowed.get(sock["port"], [])
        if not active or sources:
            who = "anyone (ufw inactive)" if not active else ", ".join(sorted(set(sources)))
            reachable.append(f"{key} {sock['process'] or '?'} on {sock['address']} from {who}")
    details = {
        "status": next((ln for ln in status.splitlines() if ln.startswith("Status:")), "?"),
        "default": next((ln for ln in status.splitlines() if ln.startswith("Default:")), ""),
        "rules": [
            ln for ln in status.splitlines() if re.search(r"\b(ALLOW|DENY|LIMIT|REJECT)\b", ln)
        ],
        "reachable sockets": reachable,
    }
    return {"findings": findings, "details": details}


def _jail(text: str) -> dict:
    parts = _sections(text, "## ")
    head = text.split("\n## ", 1)[0]

    def val(label):
        m = re.search(rf"{label}:\s*(.*)", head)
        return m.group(1).strip() if m else ""

    def body(name):
        lines = [ln.strip(" |`-\t") for ln in parts.get(name, "").splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("Current", "No "))]
        return lines

    return {
        "currently failed": val("Currently failed"),
        "currently banned": val("Currently banned"),
        "total banned": val("Total banned"),
        "banned": val("Banned IP list").split(),
        "logpath": body("logpath"),
        "journalmatch": body("journalmatch"),
    }


def area_fail2ban(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    if not p.get("active"):
        findings.append(_finding("failing", "fail2ban is not running"))
    jails = {name: _jail(body) for name, body in _sections(p.get("jails", "")).items()}
    if p.get("active") and not jails:
        findings.append(_finding("failing", "fail2ban runs no jail"))
    details = {}
    for name, j in sorted(jails.items()):
        watches = j["logpath"] or [f"journal: {m}" for m in j["journalmatch"]] or ["(nothing)"]
        banned = f" ({' '.join(j['banned'])})" if j["banned"] else ""
        details[f"jail {name}"] = (
            f"watches {'; '.join(watches)}; banned now {j['currently banned'] or 0}{banned}"
            f"; banned in total {j['total banned'] or 0}"
        )
    return {"findings": findings, "details": details}


def area_updates(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    s = _sections(p.get("sections", ""))
    timers = s.get("timers", "")
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        if f"{timer} active " not in timers:
            findings.append(_finding("failing", f"{timer} is not active"))
    origins = re.findall(r'Origins-Pattern::\s*"([^"]*)"', s.get("origins", ""))
    origins += re.findall(r'Allowed-Origins::\s*"([^"]*)"', s.get("origins", ""))
    if not origins:
        findings.append(_finding("failing", "unattended-upgrades matches no origin"))
    pending = [ln.split()[1] for ln in s.get("pending", "").splitlines() if ln.startswith("Inst ")]
    if pending:
        findings.append(
            _finding(
                "failing", f"{len(pending)} security update(s) pending: {', '.join(pending[:10])}"
            )
        )
    last = [ln for ln in s.get("last_run", "").splitlines() if ln.strip()]
    if any(" ERROR " in ln for ln in last[-20:]):
        findings.append(_finding("failing", "the last unattended-upgrades run logged an error"))
    details = {
        "timers": [ln.strip() for ln in timers.splitlines() if ln.strip()],
        "origins": origins,
        "pending security updates": pending,
        "last run": last[-3:],
    }
    return {"findings": findings, "details": details}


def area_rkhunter(p: dict, now: datetime) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    s = _sections(p.get("sections", ""))
    mtime = s.get("mtime", "").strip()
    warnings = [ln.strip() for ln in s.get("warnings", "").splitlines() if ln.strip()]
    details: dict = {}
    baseline = s.get("baseline", "").strip()
    if not mtime:
        # A host hardened less than the scan interval ago has its file
        # properties baseline (rkhunter --propupd) and waits for the daily job.
        made = datetime.fromtimestamp(float(baseline), tz=UTC) if baseline else None
        if made is not None and (now - made).days <= RKHUNTER_MAX_AGE_DAYS:
            details["last scan"] = (
                f"none yet: the file properties baseline is from {made:%Y-%m-%d %H:%M} UTC"
                " and the daily job runs the first scan"
            )
        else:
            findings.append(
                _finding("failing", "no rkhunter scan yet (/var/log/rkhunter.log missing)")
            )
    else:
        last = datetime.fromtimestamp(float(mtime), tz=UTC)
        age = (now - last).days
        details["last scan"] = last.strftime("%Y-%m-%d %H:%M UTC")
        if age > RKHUNTER_MAX_AGE_DAYS:
            findings.append(_finding("failing", f"last rkhunter scan is {age} days old"))
    if warnings:
        findings.append(_finding("failing", f"{len(warnings)} rkhunter warning(s)"))
    details["warnings"] = warnings[:20]
    return {"findings": findings, "details": details}


def _cert(path: str, text: str, now: datetime) -> dict:
    kv = {}
    for line in text.splitlines():
        if "=" in line and line.split("=", 1)[0] in ("subject", "issuer", "notAfter"):
            k, v = line.split("=", 1)
            kv[k] = v.strip()
    names = re.findall(r"DNS:([^,\s]+)", text)
    days = None
    if "notAfter" in kv:
        end = datetime.strptime(" ".join(kv["notAfter"].split()), "%b %d %H:%M:%S %Y %Z")
        days = (end.replace(tzinfo=UTC) - now).days
    return {
        "path": path,
        "names": names,
        "subject": kv.get("subject", ""),
        "issuer": kv.get("issuer", ""),
        "days": days,
    }


def area_certificates(p: dict, now: datetime) -> dict:
    certs = [_cert(path, body, now) for path, body in sorted(_sections(p.get("certs", "")).items())]
    if not certs:
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    details = {}
    for c in certs:
        if c["days"] is None:
            findings.append(_finding("failing", f"{c['path']}: cannot read the certificate"))
            continue
        if c["days"] < CERT_WARN_DAYS:
            findings.append(_finding("failing", f"{c['path']} expires in {c['days']} day(s)"))
        self_signed = c["issuer"] == c["subject"]
        mark = " (self-signed)" if self_signed else ""
        details[c["path"]] = (
            f"{', '.join(c['names']) or c['subject']}; issuer {c['issuer']}{mark}"
            f"; {c['days']} days to expiry"
        )
    timer = (p.get("renewal_timer") or "").strip()
    details["renewal timer"] = timer or "none"
    if p.get("acme") and timer != "active":
        findings.append(
            _finding("failing", f"ACME certificates but the renewal timer is {timer or 'missing'}")
        )
    return {"findings": findings, "details": details}


def _nginx_directive(config: str, name: str) -> list[str]:
    values = re.findall(rf"(?m)^\s*{name}\s+([^;]+);", config or "")
    return sorted({" ".join(v.split()) for v in values})


def _headers(text: str) -> tuple[str, dict[str, str]]:
    status, headers = "", {}
    for line in (text or "").splitlines():
        if line.startswith("HTTP/"):
            status, headers = line.strip(), {}
        elif status and not line.strip():
            break  # the body follows
        elif ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


_SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "cross-origin-embedder-policy",
)


def area_nginx(p: dict) -> dict:
    if not p.get("present"):
        return {"status": "absent", "findings": [], "details": {}}
    findings = []
    if not p.get("active"):
        findings.append(_finding("failing", "nginx is not running"))
    config = p.get("config", "")
    if not config:
        findings.append(_finding("failing", "nginx -T gave no configuration"))
    details: dict = {
        "server names": _nginx_directive(config, "server_name"),
        "ssl_protocols": _nginx_directive(config, "ssl_protocols"),
        "ssl_ecdh_curve": _nginx_directive(config, "ssl_ecdh_curve"),
        "ssl_ciphers": _nginx_directive(config, "ssl_ciphers"),
    }
    for label, text in sorted((p.get("responses") or {}).items()):
        status, headers = _headers(text)
        if not status:
            findings.append(_finding("failing", f"no answer for the {label} probe"))
            continue
        sec = [f"{h}: {headers[h]}" for h in _SECURITY_HEADERS if h in headers]
        missing = [h for h in _SECURITY_HEADERS if h not in headers]
        details[f"{label} ({status})"] = sec + (
            [f"absent: {', '.join(missing)}"] if missing else []
        )
    return {"findings": findings, "details": details}


def area_baseline(p: dict) -> dict:
    """The OS baseline: the role's own record of what it could not do here
    (a container cannot set the host kernel's keys), and each key of its
    sysctl drop-in read back live. A key the record does not excuse whose
    live value is not the drop-in's is failing: the setting did not take.
    """
    record = p.get("record")
    if not p.get("present") or not isinstance(record, dict):
        return {"status": "absent", "findings": [], "details": {}}
    # {"key", "reason"} per key the role did not apply (plain keys accepted).
    skipped = {
        str(item.get("key")) if isinstance(item, dict) else str(item): (
            str(item.get("reason", "")) if isinstance(item, dict) else ""
        )
        for item in record.get("sysctl_skipped") or []
    }
    findings = []
    checked = 0
    for line in (p.get("sysctl") or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not parts[0] or parts[0] in skipped:
            continue
        key, want, live = parts
        checked += 1
        if " ".join(want.split()) != " ".join(live.split()):
            findings.append(
                _finding("failing", f"sysctl {key} is {live or '?'}, the drop-in sets {want}")
            )
    details: dict = {
        "in a container": bool(record.get("container")),
        "sysctl keys checked live": checked,
        "sysctl keys not applied": [
            f"{key}: {reason}" if reason else key for key, reason in sorted(skipped.items())
        ],
    }
    for key in ("modules", "auditd", "acct"):
        if record.get(key):
            details[f"{key} skipped"] = record[key]
    if record.get("mounts_not_separate"):
        details["not separate mounts"] = record["mounts_not_separate"]
    for item in record.get("ageing_left") or []:
        if isinstance(item, dict):
            details.setdefault("password ageing left as is", []).append(
                f"{item.get('name')}: {item.get('reason')}"
            )
    return {"findings": findings, "details": details}


# --- the report ----------------------------------------------------------------

_AREA_FUNCS = {
    "sshd": lambda p, now: area_sshd(p),
    "ssh_client": lambda p, now: area_ssh_client(p),
    "firewall": lambda p, now: area_firewall(p),
    "fail2ban": lambda p, now: area_fail2ban(p),
    "updates": lambda p, now: area_updates(p),
    "rkhunter": area_rkhunter,
    "certificates": area_certificates,
    "nginx": lambda p, now: area_nginx(p),
    "baseline": lambda p, now: area_baseline(p),
    "app": lambda p, now: area_app(p),
}


def _status(area: dict) -> str:
    if area.get("status") == "absent" and not area["findings"]:
        return "absent"
    worst = "ok"
    for f in area["findings"]:
        if _RANK[f["level"]] > _RANK[worst]:
            worst = f["level"]
    return worst


def posture_report(
    hosts: dict, check_run: dict | None = None, generated: str | None = None
) -> dict:
    """The report: per host, per area, a status and findings; plus a summary.

    ``hosts`` maps each host name to its probes (one dict per area, see
    playbooks/audit.yml); ``check_run`` is the JSON of the hardening playbook
    run with --check --diff (None: drift from the roles not checked);
    ``generated`` an ISO 8601 UTC time (default: now).
    """
    if not isinstance(hosts, dict) or not hosts:
        raise PolicyError(
            f"expected a non-empty mapping of host name to probes, got {shown(hosts)}"
        )
    now = datetime.now(UTC)
    if generated:
        try:
            now = datetime.fromisoformat(str(generated).replace("Z", "+00:00"))
        except ValueError as exc:
            raise PolicyError(f"generated is not an ISO 8601 time: {shown(generated)}") from exc
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    drift = check_run_drift(check_run) if check_run is not None else {}
    stats = (check_run or {}).get("stats") or {}
    report_hosts = []
    for name in sorted(hosts):
        probes = hosts[name]
        if not isinstance(probes, dict):
            raise PolicyError(f"probes of host {name} are not a mapping: {shown(probes)}")
        host_drift = drift.get(name, {})
        areas = []
        for area in list(AREAS) + sorted(set(host_drift) - set(AREAS)):
            if area in _AREA_FUNCS:
                result = _AREA_FUNCS[area](probes.get(area) or {}, now)
            else:
                result = {"findings": [], "details": {}}
            result["findings"] = result["findings"] + host_drift.get(area, [])
            status = _status(result)
            areas.append(
                {
                    "name": area,
                    "status": status,
                    "findings": result["findings"],
                    "details": result.get("details") or {},
                }
            )
        if check_run is not None and name not in stats:
            areas.append(
                {
                    "name": "playbook",
                    "status": "failing",
                    "findings": [_finding("failing", "the check run did not reach this host")],
                    "details": {},
                }
            )
        worst = max((a["status"] for a in areas), key=lambda s: _RANK[s])
        report_hosts.append({"name": name, "status": worst, "areas": areas})
    columns = list(AREAS) + sorted(
        {a["name"] for h in report_hosts for a in h["areas"]} - set(AREAS)
    )
    counts = {s: sum(1 for h in report_hosts if h["status"] == s) for s in STATUSES}
    return {
        "generated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "drift_checked": check_run is not None,
        "columns": columns,
        "hosts": report_hosts,
        "counts": counts,
    }
