# SPDX-License-Identifier: GPL-3.0-or-later
"""The posture report: area statuses and findings from probe outputs, and
drift from an ansible.posix.json check run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils import _report
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import PolicyError

NOW = "2026-12-02T06:00:00Z"

SSHD_POLICY = {
    "sshd_password_authentication": False,
    "sshd_kbd_interactive_authentication": False,
    "sshd_permit_empty_passwords": False,
    "sshd_pubkey_authentication": True,
    "sshd_permit_root_login": "prohibit-password",
    "sshd_x11_forwarding": False,
    "sshd_max_auth_tries": 3,
    "sshd_allow_agent_forwarding": False,
    "sshd_allow_tcp_forwarding": "no",
    "sshd_log_level": "VERBOSE",
}
CRYPTO = {
    "kex": ["sntrup761x25519-sha512", "curve25519-sha256"],
    "ciphers": ["aes256-gcm@openssh.com"],
}
SSHD_T = """port 22
permitrootlogin without-password
passwordauthentication no
kbdinteractiveauthentication no
permitemptypasswords no
pubkeyauthentication yes
x11forwarding no
maxauthtries 3
allowagentforwarding no
allowtcpforwarding no
loglevel VERBOSE
kexalgorithms sntrup761x25519-sha512,curve25519-sha256
ciphers aes256-gcm@openssh.com
"""


def sshd_probe(**over):
    probe = {
        "present": True,
        "active": True,
        "effective": SSHD_T,
        "policy": SSHD_POLICY,
        "crypto": CRYPTO,
        "dropins": "",
    }
    probe.update(over)
    return probe


def report(probes, check_run=None):
    return _report.posture_report({"h1": probes}, check_run=check_run, generated=NOW)


def area(rep, name):
    return next(a for a in rep["hosts"][0]["areas"] if a["name"] == name)


def test_sshd_as_configured_is_ok():
    assert _report.area_sshd(sshd_probe())["findings"] == []


def test_sshd_effective_value_off_policy_is_drift():
    probe = sshd_probe(effective=SSHD_T.replace("maxauthtries 3", "maxauthtries 6"))
    (finding,) = _report.area_sshd(probe)["findings"]
    assert finding == {"level": "drift", "text": "sshd -T shows maxauthtries 6; policy: 3"}


def test_sshd_algorithm_list_off_policy_is_drift():
    probe = sshd_probe(
        effective=SSHD_T.replace("ciphers aes256-gcm@openssh.com", "ciphers aes128-ctr")
    )
    (finding,) = _report.area_sshd(probe)["findings"]
    assert "ciphers aes128-ctr; policy: aes256-gcm@openssh.com" in finding["text"]


def test_sshd_dropin_asking_for_another_value_is_drift_even_when_shadowed():
    dropins = "### /etc/ssh/sshd_config.d/90-hand.conf\n# by hand\nPasswordAuthentication yes\n"
    (finding,) = _report.area_sshd(sshd_probe(dropins=dropins))["findings"]
    assert finding["level"] == "drift"
    assert finding["text"].startswith(
        "/etc/ssh/sshd_config.d/90-hand.conf sets PasswordAuthentication yes;"
    )


def test_sshd_dropins_agreeing_or_adding_to_lists_are_not_drift():
    dropins = (
        "### /etc/ssh/sshd_config.d/50-cloud-init.conf\nPasswordAuthentication no\n"
        "### /etc/ssh/sshd_config.d/60-port.conf\nPort 22\nUnknownToSshdT foo\n"
    )
    assert _report.area_sshd(sshd_probe(dropins=dropins))["findings"] == []


def test_sshd_dropin_match_block_is_named():
    dropins = "### /x.conf\nMatch User deploy\n  X11Forwarding yes\n"
    (finding,) = _report.area_sshd(sshd_probe(dropins=dropins))["findings"]
    assert "inside a Match block" in finding["text"]


def test_sshd_down_is_failing():
    assert _report.area_sshd(sshd_probe(active=False))["findings"][0]["level"] == "failing"


def test_sshd_expected_follows_the_role_variables():
    expected = _report.sshd_expected(dict(SSHD_POLICY, sshd_password_authentication=True), CRYPTO)
    assert expected["passwordauthentication"] == "yes"
    assert expected["permitrootlogin"] == "without-password"
    assert expected["kexalgorithms"] == "sntrup761x25519-sha512,curve25519-sha256"
    assert "macs" not in expected  # no list computed: not compared


UFW_STATUS = """Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere                   # bulwark: ssh
443/tcp                    ALLOW IN    Anywhere                   # bulwark: web
22/tcp (v6)                ALLOW IN    Anywhere (v6)              # bulwark: ssh
"""
SS = """tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=1,fd=3))
tcp   LISTEN 0      511          0.0.0.0:443       0.0.0.0:*    users:(("nginx",pid=2,fd=6))
tcp   LISTEN 0      5          127.0.0.1:8000      0.0.0.0:*    users:(("python3",pid=3,fd=3))
tcp   LISTEN 0      80           0.0.0.0:3306      0.0.0.0:*    users:(("mariadbd",pid=4,fd=3))
udp   UNCONN 0      0               [::]:5353         [::]:*    users:(("avahi",pid=5,fd=3))
"""


def test_firewall_reachable_sockets_are_those_ufw_allows():
    result = _report.area_firewall({"present": True, "status": UFW_STATUS, "listening": SS})
    assert result["findings"] == []
    reachable = result["details"]["reachable sockets"]
    assert reachable == [
        "22/tcp sshd on 0.0.0.0 from Anywhere",
        "443/tcp nginx on 0.0.0.0 from Anywhere",
    ]


def test_firewall_inactive_is_failing_and_everything_reachable():
    status = "Status: inactive\n"
    result = _report.area_firewall({"present": True, "status": status, "listening": SS})
    assert result["findings"] == [{"level": "failing", "text": "ufw is not active"}]
    assert len(result["details"]["reachable sockets"]) == 4  # all but loopback


def test_firewall_inactive_on_purpose_is_not_failing():
    result = _report.area_firewall(
        {"present": True, "want_active": False, "status": "Status: inactive\n"}
    )
    assert result["findings"] == []


def test_firewall_extra_rule_is_drift():
    extra = [{"rule": "allow", "line": "allow tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in"}]
    result = _report.area_firewall({"present": True, "status": UFW_STATUS, "extra_rules": extra})
    (finding,) = result["findings"]
    assert finding["level"] == "drift" and "allow tcp 2222" in finding["text"]


F2B = """### sshd
Status for the jail: sshd
|- Filter
|  |- Currently failed:\t1
|  |- Total failed:\t7
|  `- Journal matches:\t_SYSTEMD_UNIT=ssh.service + _COMM=sshd
`- Actions
   |- Currently banned:\t1
   |- Total banned:\t2
   `- Banned IP list:\t192.0.2.7
## logpath
No file is currently monitored
## journalmatch
Current journal match filter:
`- _SYSTEMD_UNIT=ssh.service + _COMM=sshd
### nginx-botsearch
Status for the jail: nginx-botsearch
|- Filter
|  |- Currently failed:\t0
`- Actions
   |- Currently banned:\t0
   |- Total banned:\t0
   `- Banned IP list:\t
## logpath
Current monitored log file(s):
`- /var/log/nginx/nginx_proxy.access.log
## journalmatch
No journal match filter set
"""


def test_fail2ban_jails_what_they_watch_and_bans():
    result = _report.area_fail2ban({"present": True, "active": True, "jails": F2B})
    assert result["findings"] == []
    assert result["details"]["jail sshd"] == (
        "watches journal: _SYSTEMD_UNIT=ssh.service + _COMM=sshd;"
        " banned now 1 (192.0.2.7); banned in total 2"
    )
    assert result["details"]["jail nginx-botsearch"].startswith(
        "watches /var/log/nginx/nginx_proxy.access.log; banned now 0;"
    )


def test_fail2ban_without_jails_or_down_is_failing():
    assert (
        _report.area_fail2ban({"present": True, "active": True, "jails": ""})["findings"][0][
            "level"
        ]
        == "failing"
    )
    assert _report.area_fail2ban({"present": True, "active": False})["findings"][0]["text"] == (
        "fail2ban is not running"
    )


UPDATES = """### timers
apt-daily.timer active next Thu 2026-12-03 01:00:00 UTC
apt-daily-upgrade.timer active next Thu 2026-12-03 06:00:00 UTC
### origins
Unattended-Upgrade::Origins-Pattern "";
Unattended-Upgrade::Origins-Pattern:: "origin=Debian,codename=trixie-security";
### pending
### last_run
2026-12-02 06:01:00,000 INFO No packages found that can be upgraded unattended
"""


def test_updates_ok_and_pending_security_update_is_failing():
    assert _report.area_updates({"present": True, "sections": UPDATES})["findings"] == []
    pending = UPDATES.replace(
        "### pending\n",
        "### pending\nInst openssl [3.5.1-1]"
        " (3.5.1-1+deb13u1 Debian-Security:13/stable-security [amd64])\n",
    )
    (finding,) = _report.area_updates({"present": True, "sections": pending})["findings"]
    assert finding == {"level": "failing", "text": "1 security update(s) pending: openssl"}


def test_updates_timer_off_is_failing():
    sections = UPDATES.replace("apt-daily-upgrade.timer active", "apt-daily-upgrade.timer inactive")
    (finding,) = _report.area_updates({"present": True, "sections": sections})["findings"]
    assert finding["text"] == "apt-daily-upgrade.timer is not active"


def test_rkhunter_recent_clean_scan_ok_old_or_warning_failing():
    now = datetime(2026, 12, 2, 6, tzinfo=UTC)
    fresh = str(now.timestamp() - 3600)
    assert (
        _report.area_rkhunter(
            {"present": True, "sections": f"### mtime\n{fresh}\n### warnings\n"}, now
        )["findings"]
        == []
    )
    old = str(now.timestamp() - 10 * 86400)
    (finding,) = _report.area_rkhunter({"present": True, "sections": f"### mtime\n{old}\n"}, now)[
        "findings"
    ]
    assert finding["text"] == "last rkhunter scan is 10 days old"
    warned = (
        f"### mtime\n{fresh}\n### warnings\n[06:00:01] Warning: The file properties have changed:\n"
    )
    (finding,) = _report.area_rkhunter({"present": True, "sections": warned}, now)["findings"]
    assert finding["text"] == "1 rkhunter warning(s)"


def test_rkhunter_no_scan_yet_is_ok_only_while_the_baseline_is_recent():
    now = datetime(2026, 12, 2, 6, tzinfo=UTC)
    recent = str(now.timestamp() - 3 * 86400)
    result = _report.area_rkhunter(
        {"present": True, "sections": f"### mtime\n### warnings\n### baseline\n{recent}\n"}, now
    )
    assert result["findings"] == []
    assert result["details"]["last scan"].startswith("none yet: the file properties baseline is")
    stale = str(now.timestamp() - 9 * 86400)
    for sections in (f"### mtime\n### baseline\n{stale}\n", "### mtime\n### baseline\n"):
        (finding,) = _report.area_rkhunter({"present": True, "sections": sections}, now)["findings"]
        assert finding["text"] == "no rkhunter scan yet (/var/log/rkhunter.log missing)"


CERT = """### /etc/nginx/ssl/x.pem
subject=CN=audit.example.test
issuer=CN=audit.example.test
notAfter=Dec 12 05:00:00 2026 GMT
X509v3 Subject Alternative Name:
    DNS:audit.example.test, DNS:www.audit.example.test
"""


def test_certificate_days_names_and_near_expiry_failing():
    now = datetime(2026, 12, 2, 6, tzinfo=UTC)
    result = _report.area_certificates({"certs": CERT}, now)
    (finding,) = result["findings"]
    assert finding == {"level": "failing", "text": "/etc/nginx/ssl/x.pem expires in 9 day(s)"}
    assert result["details"]["/etc/nginx/ssl/x.pem"] == (
        "audit.example.test, www.audit.example.test; issuer CN=audit.example.test (self-signed);"
        " 9 days to expiry"
    )
    later = datetime(2026, 11, 1, tzinfo=UTC)
    assert _report.area_certificates({"certs": CERT}, later)["findings"] == []


def test_acme_certificate_without_renewal_timer_is_failing():
    now = datetime(2026, 11, 1, tzinfo=UTC)
    result = _report.area_certificates({"certs": CERT, "acme": True, "renewal_timer": ""}, now)
    assert result["findings"][0]["text"] == "ACME certificates but the renewal timer is missing"


NGINX_T = """server {
    server_name audit.example.test;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ecdh_curve X25519MLKEM768:X25519;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
}
"""
RESPONSE = """HTTP/1.1 200 OK\r
Server: nginx\r
Strict-Transport-Security: max-age=63072000\r
X-Content-Type-Options: nosniff\r
\r
Content-Security-Policy: in the body, not a header
"""


def test_nginx_settings_and_headers():
    result = _report.area_nginx(
        {
            "present": True,
            "active": True,
            "config": NGINX_T,
            "responses": {"200 probe (/)": RESPONSE},
        }
    )
    assert result["findings"] == []
    details = result["details"]
    assert details["ssl_protocols"] == ["TLSv1.2 TLSv1.3"]
    assert details["ssl_ecdh_curve"] == ["X25519MLKEM768:X25519"]
    headers = details["200 probe (/) (HTTP/1.1 200 OK)"]
    assert headers[:2] == [
        "strict-transport-security: max-age=63072000",
        "x-content-type-options: nosniff",
    ]
    assert headers[-1].startswith("absent: content-security-policy,")


def test_nginx_no_answer_is_failing():
    result = _report.area_nginx(
        {"present": True, "active": True, "config": NGINX_T, "responses": {"404": ""}}
    )
    assert result["findings"] == [{"level": "failing", "text": "no answer for the 404 probe"}]


def check_run(*tasks, stats=("h1",)):
    return {
        "plays": [
            {"play": {"name": "p"}, "tasks": [{"task": {"name": n}, "hosts": h} for n, h in tasks]}
        ],
        "stats": {s: {"changed": 0} for s in stats},
    }


def test_check_run_changed_task_is_drift_in_its_roles_area_with_diff():
    diff = {
        "before": "a\nadd_header X-Content-Type-Options nosniff;\nb\n",
        "after": "a\nb\n",
        "before_header": "/etc/nginx/sites-available/nginx_proxy.conf",
    }
    run = check_run(
        ("bulwark.hardening.nginx_proxy : Write the site", {"h1": {"changed": True, "diff": diff}}),
        ("bulwark.hardening.sshd : Write sshd_config", {"h1": {"changed": False}}),
        ("bulwark.hardening.bulwark : Find out which account", {"h1": {"changed": True}}),
    )
    drift = _report.check_run_drift(run)
    (finding,) = drift["h1"]["nginx"]
    assert finding["text"] == "would change: bulwark.hardening.nginx_proxy : Write the site"
    assert finding["diff"] == [
        "/etc/nginx/sites-available/nginx_proxy.conf:",
        "-add_header X-Content-Type-Options nosniff;",
    ]
    assert set(drift["h1"]) == {"nginx"}  # the bulwark role only reads


def test_check_run_loop_items_failures_and_tasks_outside_roles():
    run = check_run(
        (
            "ufw : Add the listed rules",
            {
                "h1": {
                    "changed": True,
                    "results": [
                        {"changed": False, "item": 1},
                        {"changed": True, "item": "8080/tcp"},
                    ],
                }
            },
        ),
        ("fail2ban : Validate", {"h1": {"failed": True, "msg": "bad jail\nmore"}}),
        ("Set a fact", {"h1": {"changed": True}}),
    )
    drift = _report.check_run_drift(run)["h1"]
    assert drift["firewall"][0]["text"] == "would change: ufw : Add the listed rules (8080/tcp)"
    assert drift["fail2ban"] == [
        {"level": "failing", "text": "fail2ban : Validate: fails in check mode: bad jail"}
    ]
    assert drift["playbook"][0]["level"] == "drift"


def test_check_run_must_be_callback_json():
    with pytest.raises(PolicyError, match=r"ansible\.posix\.json"):
        _report.check_run_drift({"plays": "nope"})


def full_probes():
    return {
        "sshd": sshd_probe(),
        "ssh_client": {"present": True, "config": "ciphers aes256-gcm@openssh.com\n"},
        "firewall": {"present": True, "status": UFW_STATUS, "listening": SS},
        "fail2ban": {"present": True, "active": True, "jails": F2B},
        "nginx": {
            "present": True,
            "active": True,
            "config": NGINX_T,
            "responses": {"200": RESPONSE},
        },
        "certificates": {"certs": CERT.replace("2026 GMT", "2027 GMT")},
    }


# The os_baseline role's record, as it writes it in a container.
BASELINE_RECORD = {
    "container": True,
    "sysctl_file": "/etc/sysctl.d/60-bulwark-hardening.conf",
    "sysctl_skipped": [
        {"key": "kernel.kptr_restrict", "reason": "in a container this key is the host's"}
    ],
    "modules": "Container: the host loads modules.",
    "auditd": "",
    "ageing_left": [{"name": "operator", "reason": "the login account"}],
}


def test_baseline_keys_that_took_are_ok_and_skipped_keys_are_listed_with_why():
    sysctl = "net.ipv4.tcp_syncookies|1|1\nkernel.kptr_restrict|2|0\nfs.x|1  2|1\t2\n"
    result = _report.area_baseline({"present": True, "record": BASELINE_RECORD, "sysctl": sysctl})
    assert result["findings"] == []
    details = result["details"]
    assert details["sysctl keys checked live"] == 2
    assert details["sysctl keys not applied"] == [
        "kernel.kptr_restrict: in a container this key is the host's"
    ]
    assert details["modules skipped"] == "Container: the host loads modules."
    assert "auditd skipped" not in details
    assert details["password ageing left as is"] == ["operator: the login account"]


def test_baseline_key_that_did_not_take_is_failing_and_no_record_is_absent():
    sysctl = "net.ipv4.tcp_syncookies|1|0\nkernel.dmesg_restrict|1|\n"
    result = _report.area_baseline({"present": True, "record": BASELINE_RECORD, "sysctl": sysctl})
    assert [f["text"] for f in result["findings"]] == [
        "sysctl net.ipv4.tcp_syncookies is 0, the drop-in sets 1",
        "sysctl kernel.dmesg_restrict is ?, the drop-in sets 1",
    ]
    assert {f["level"] for f in result["findings"]} == {"failing"}
    assert _report.area_baseline({"present": False})["status"] == "absent"
    assert _report.area_baseline({"present": True, "record": "x"})["status"] == "absent"


def test_os_baseline_drift_lands_in_the_baseline_area():
    run = check_run(
        ("bulwark.hardening.os_baseline : Write the sysctl drop-in", {"h1": {"changed": True}})
    )
    statuses = {
        a["name"]: a["status"] for a in report(full_probes(), check_run=run)["hosts"][0]["areas"]
    }
    assert statuses["baseline"] == "drift"
    assert [n for n, v in statuses.items() if v == "drift"] == ["baseline"]


def test_report_statuses_per_area_and_host():
    rep = report(full_probes(), check_run=check_run())
    statuses = {a["name"]: a["status"] for a in rep["hosts"][0]["areas"]}
    assert statuses == {
        "sshd": "ok",
        "ssh_client": "ok",
        "firewall": "ok",
        "fail2ban": "ok",
        "updates": "absent",
        "rkhunter": "absent",
        "certificates": "ok",
        "nginx": "ok",
        "baseline": "absent",
        "app": "absent",
    }
    assert rep["hosts"][0]["status"] == "ok"
    assert rep["counts"] == {"ok": 1, "drift": 0, "failing": 0, "absent": 0}
    assert rep["generated"] == NOW and rep["drift_checked"] is True


def test_worst_finding_wins_and_drift_touches_only_its_area():
    probes = full_probes()
    probes["fail2ban"]["active"] = False
    run = check_run(("bulwark.hardening.sshd : Write sshd_config", {"h1": {"changed": True}}))
    rep = report(probes, check_run=run)
    statuses = {a["name"]: a["status"] for a in rep["hosts"][0]["areas"]}
    assert statuses["sshd"] == "drift"
    assert statuses["fail2ban"] == "failing"
    assert {k for k, v in statuses.items() if v not in ("ok", "absent")} == {"sshd", "fail2ban"}
    assert rep["hosts"][0]["status"] == "failing"


def test_host_missing_from_the_check_run_is_failing():
    rep = report(full_probes(), check_run=check_run(stats=()))
    assert rep["hosts"][0]["areas"][-1]["name"] == "playbook"
    assert rep["hosts"][0]["status"] == "failing"


def test_without_check_run_drift_is_not_claimed():
    rep = report(full_probes())
    assert rep["drift_checked"] is False
    assert rep["hosts"][0]["status"] == "ok"


@pytest.mark.parametrize("bad", [{}, [], None, {"h1": "x"}])
def test_bad_hosts_are_refused(bad):
    with pytest.raises(PolicyError):
        _report.posture_report(bad)


def test_bad_time_is_refused():
    with pytest.raises(PolicyError, match="'yesterday'"):
        _report.posture_report({"h1": {}}, generated="yesterday")
