"""playbooks/site.yml on the real topology, looked at from outside.

debian13-site is the proxy (group `proxies`), debian12-site a plain server;
the peer container is the client and the attacker. Expected values come from
the scenario's inventory (what a user writes), from Debian's own packaging
(nginx's log files and logrotate rule) and from pebble (its root), never from
the roles' code. Each test names the host it is about: the tests are not
repeated per host.
"""

from __future__ import annotations

import json
import os
import re
import time
from types import SimpleNamespace

import pytest
import testinfra
from conftest import (
    LIVE,
    container_ip,
    operator_key,
    password_login,
    response,
    run_renewal_unit,
    served_serial,
)
from cryptography import x509

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "site")
PROXY = f"debian13-{SCENARIO}"
SERVER = f"debian12-{SCENARIO}"
# The inventory directory: the generated inventory plus the `proxies` group
# and the group_vars of molecule.yml.
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", "inventory/x"))
NO_KNOWN_HOSTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
KEY = "/root/operator_ed25519"

# What a browser-facing proxy should send on every response (OWASP Secure
# Headers Project): each exactly once, on app pages and on errors.
SECURITY_HEADERS = [
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-opener-policy",
]


def get_host(name: str):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


@pytest.fixture(scope="module")
def proxy():
    return get_host(PROXY)


@pytest.fixture(scope="module")
def server():
    return get_host(SERVER)


@pytest.fixture(scope="module")
def proxy_vars(proxy) -> dict:
    return proxy.ansible.get_variables()


@pytest.fixture(scope="module")
def names(proxy_vars) -> list[str]:
    return proxy_vars["bulwark_server_names"]


@pytest.fixture(scope="module")
def ips() -> dict[str, str]:
    return {PROXY: container_ip(PROXY), SERVER: container_ip(SERVER)}


@pytest.fixture(scope="module")
def web(peer, pebble_root, names, ips) -> SimpleNamespace:
    """The client's view of the proxy: peer, pebble's root, the names, the address."""
    return SimpleNamespace(peer=peer, ca=pebble_root, names=names, ip=ips[PROXY])


@pytest.fixture(scope="module")
def keyed_peer(peer):
    peer.put(operator_key(), KEY)
    return peer


def curl(ip: str, name: str, path: str = "/", opts: str = "", ca: str = "") -> str:
    ca_opt = f"--cacert {ca}" if ca else ""
    return (
        f"curl -sS --max-time 10 {ca_opt} --resolve {name}:443:{ip} --resolve {name}:80:{ip} "
        f"{opts} https://{name}{path}"
    )


def banned(host, jail: str) -> list[str]:
    out = host.run(f"fail2ban-client status {jail}")
    assert out.rc == 0, out.stderr
    match = re.search(r"Banned IP list:\s*(.*)", out.stdout)
    return match.group(1).split() if match else []


def wait_for_ban(host, jail: str, ip: str, timeout: int = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ip in banned(host, jail):
            return True
        time.sleep(1)
    return False


def jail_logpaths(host, jail: str) -> set[str]:
    with host.sudo():
        out = host.run(f"fail2ban-client get {jail} logpath")
    assert out.rc == 0, out.stderr
    return set(re.findall(r"^\S- (/\S+)", out.stdout, re.MULTILINE))


def proxy_server_blocks(proxy) -> list[dict]:
    """The server blocks of the proxy's site as nginx itself reads them (nginx -T)."""
    dump = proxy.run("nginx -T 2>/dev/null").stdout
    section = dump.split("# configuration file /etc/nginx/sites-enabled/nginx_proxy.conf:", 1)
    assert len(section) == 2, "nginx -T shows no nginx_proxy.conf in sites-enabled"
    text = section[1].split("\n# configuration file ", 1)[0]
    blocks, depth, current = [], 0, None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if depth == 0 and re.match(r"server\s*\{", line):
            current = {"listen": [], "server_name": [], "access_log": [], "error_log": []}
        elif current is not None and depth >= 1:
            words = line.rstrip(";").split()
            if words and words[0] in current:
                current[words[0]].append(" ".join(words[1:]))
        depth += line.count("{") - line.count("}")
        if current is not None and depth == 0:
            blocks.append(current)
            current = None
    assert blocks, text
    return blocks


# --- The app over HTTPS ---------------------------------------------------------


def test_app_over_https_with_the_pebble_certificate(proxy, peer, pebble_root, names, ips):
    ip = ips[PROXY]
    for name in names:
        status, _, body = response(peer, curl(ip, name, "/hello", ca=pebble_root))
        assert status == 200, name
        seen = json.loads(body)
        assert seen["app"] == "bulwark-echo"
        assert seen["path"] == "/hello"
        assert seen["headers"]["host"] == name
    # The certificate on the wire: verified up to pebble's root, issued by
    # pebble's intermediate, the one certbot saved, covering every name.
    r = peer.run(
        f"openssl s_client -connect {ip}:443 -servername {names[0]} -CAfile {pebble_root} "
        "-verify_return_error </dev/null 2>/dev/null "
        "| openssl x509 -noout -issuer -ext subjectAltName"
    )
    assert r.returncode == 0, r.stderr
    assert "Pebble Intermediate CA" in r.stdout, r.stdout
    for name in names:
        assert f"DNS:{name}" in r.stdout
    name = proxy.ansible.get_variables()["certbot_certificates"][0]["name"]
    on_disk = x509.load_pem_x509_certificate(
        proxy.file(f"{LIVE}/{name}/cert.pem").content_string.encode()
    )
    assert served_serial(peer, ip, names[0], pebble_root) == on_disk.serial_number


@pytest.mark.parametrize("path,code", [("/", 200), ("/status/404", 404)])
def test_full_header_set_on_200_and_404(web, path, code):
    status, headers, body = response(web.peer, curl(web.ip, web.names[0], path, ca=web.ca))
    assert status == code
    for name in SECURITY_HEADERS:
        assert len(headers.get(name, [])) == 1, f"{path}: {name}: {headers.get(name)}"
    assert headers["x-content-type-options"] == ["nosniff"]
    hsts = headers["strict-transport-security"][0]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000, hsts
    # The app's own version headers never reach the client.
    assert "x-powered-by" not in headers
    assert headers.get("server") == ["nginx"]
    # The app's 404 page itself passes through by design (404 is not in
    # nginx_proxy_intercept_errors; the nginx_proxy scenario tests that and
    # the hidden 5xx pages), so only the 200 must be free of the app's marker.
    if code == 200:
        assert "SECRET" not in body


def test_http_redirects_to_https(peer, names, ips):
    r = peer.run(
        f"curl -sS --max-time 10 -o /dev/null -w '%{{http_code}} %{{redirect_url}}' "
        f"--resolve {names[0]}:80:{ips[PROXY]} 'http://{names[0]}/a/b?c=d'"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"301 https://{names[0]}/a/b?c=d"


def test_unknown_host_refused(peer, pebble_root, ips):
    ip = ips[PROXY]
    # HTTPS: no handshake for a name the proxy does not serve, nor for none.
    other = peer.run(curl(ip, "other.bulwark.test", ca=pebble_root))
    assert other.returncode == 35, other.stderr  # TLS handshake failed
    bare = peer.run(f"curl -sS -k --max-time 10 https://{ip}/")
    assert bare.returncode == 35, bare.stderr
    # HTTP: the connection is closed without an answer.
    plain = peer.run(f"curl -sS --max-time 10 -H 'Host: other.bulwark.test' http://{ip}/")
    assert plain.returncode == 52, plain.stderr  # empty reply


# --- SSH ------------------------------------------------------------------------


@pytest.mark.parametrize("target", [PROXY, SERVER])
def test_key_login_works(keyed_peer, ips, target):
    r = keyed_peer.run(
        f"ssh {NO_KNOWN_HOSTS} -o BatchMode=yes -o ConnectTimeout=10 -i {KEY} "
        f"operator@{ips[target]} 'id -un; sudo -n id -u'"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["operator", "0"]


@pytest.mark.parametrize("target", [PROXY, SERVER])
def test_password_login_refused(peer, ips, target):
    # The operator has a password (shared prepare); the server must not even
    # offer the method.
    r = password_login(peer, ips[target])
    assert r.returncode != 0
    assert "Permission denied (publickey)" in r.stderr, r.stderr


# --- What answers, what is installed -------------------------------------------


@pytest.mark.parametrize("target,expected", [(PROXY, [22, 80, 443]), (SERVER, [22])])
def test_only_the_expected_ports_answer(peer, ips, target, expected):
    """TCP ports 1-1024, every port the host listens on and a few usual ones."""
    listening = get_host(target).run("ss -Htln").stdout
    ports = set(range(1, 1025)) | {8000, 8080, 8443, 2222}
    ports |= {int(m) for m in re.findall(r":(\d+)\s", listening)}
    ip = ips[target]
    r = peer.run(
        f"printf '%s\\n' {' '.join(map(str, sorted(ports)))} | "
        f"xargs -P 256 -I@ sh -c 'nc -z -w 2 {ip} @ 2>/dev/null && echo @'",
        timeout=120,
    )
    assert sorted(int(p) for p in r.stdout.split()) == expected


@pytest.mark.parametrize("target", [PROXY, SERVER])
def test_no_mta_or_other_daemon_arrived(target):
    host = get_host(target)
    installed = host.run(
        "dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Provides}\\n' | awk '$1 == \"ii\"'"
    ).stdout
    mtas = [line for line in installed.splitlines() if "mail-transport-agent" in line]
    assert mtas == [], mtas
    for name in ["exim4-base", "postfix", "ruby", "apache2"]:
        assert not host.package(name).is_installed, name
    # Listening sockets: sshd everywhere; nginx and the app (loopback) on the proxy.
    with host.sudo():
        sockets = host.run("ss -Htlunp").stdout
    # The proxy's upstream (prepare.yml's echo app, loopback only) is the
    # user's app, not something a role brought; ss may not name its process.
    lines = [line for line in sockets.splitlines() if "127.0.0.1:8000 " not in line]
    processes = set(re.findall(r'users:\(\("([^"]+)"', "\n".join(lines)))
    wanted = {"sshd", "nginx"} if target == PROXY else {"sshd"}
    assert processes == wanted, sockets


# --- fail2ban watches what nginx writes ----------------------------------------


def test_nginx_jails_read_the_logs_the_proxy_writes(proxy, names):
    blocks = proxy_server_blocks(proxy)
    app = [b for b in blocks if names[0] in " ".join(b["server_name"])]
    default = [b for b in blocks if any("default_server" in listen for listen in b["listen"])]
    assert app and default, blocks
    error_logs = {e.split()[0] for b in blocks for e in b["error_log"]}
    app_access = {a.split()[0] for b in app for a in b["access_log"]}
    unknown_access = {a.split()[0] for b in default for a in b["access_log"]}
    assert error_logs and app_access and unknown_access - app_access, blocks
    assert jail_logpaths(proxy, "nginx-limit-req") == error_logs
    assert jail_logpaths(proxy, "nginx-http-auth") == error_logs
    assert jail_logpaths(proxy, "nginx-botsearch") == error_logs | app_access
    # The default servers' own log (the HTTPS one refuses the handshake and
    # never logs a request; it shares the app's log).
    assert jail_logpaths(proxy, "nginx-unknown-host") == unknown_access - app_access
    # The plain server has no nginx jails.
    with get_host(SERVER).sudo():
        jails = get_host(SERVER).run("fail2ban-client status").stdout
    assert "sshd" in jails and "nginx" not in jails, jails


# --- Renewal --------------------------------------------------------------------


def test_forced_renewal_reloads_nginx_and_serves_the_new_certificate(proxy, proxy_vars, web):
    name = proxy_vars["certbot_certificates"][0]["name"]
    peer, pebble_root, names, ips = web.peer, web.ca, web.names, {PROXY: web.ip}

    def serial() -> int:
        pem = proxy.file(f"{LIVE}/{name}/cert.pem").content_string
        return x509.load_pem_x509_certificate(pem.encode()).serial_number

    before = serial()
    pid = proxy.run("systemctl show -p MainPID --value nginx").stdout.strip()
    assert served_serial(peer, ips[PROXY], names[0], pebble_root) == before

    result, hook_log = run_renewal_unit(proxy, "--force-renewal")
    assert result == "success"
    after = serial()
    assert after != before
    assert f"({name}) nginx reloaded" in hook_log, hook_log
    # Reloaded, not restarted: the same master; the new certificate on the wire.
    assert proxy.run("systemctl show -p MainPID --value nginx").stdout.strip() == pid
    assert served_serial(peer, ips[PROXY], names[0], pebble_root) == after


# --- Bans -------------------------------------------------------------------------


def assert_web_ban(proxy, web, jail: str, attack) -> None:
    """`attack()` from the peer gets it banned in `jail`: its next HTTPS
    connection is refused; unbanned, it gets through again (the ban was the
    refusal)."""
    peer, ip, name, ca = web.peer, web.ip, web.names[0], web.ca
    assert peer.ip not in banned(proxy, jail)
    try:
        attack()
        assert wait_for_ban(proxy, jail, peer.ip), proxy.run(
            "tail -n 20 /var/log/fail2ban.log"
        ).stdout
        refused = peer.run(curl(ip, name, "/", ca=ca))
        assert refused.returncode == 7, refused.stderr  # connection refused
    finally:
        with proxy.sudo():
            proxy.run(f"fail2ban-client unban {peer.ip}")
    assert peer.run(curl(ip, name, "/", ca=ca)).returncode == 0


def test_login_burst_is_banned_through_nginx_limit_req(proxy, proxy_vars, web):
    login = proxy_vars["nginx_proxy_login_paths"][0]

    def burst() -> None:
        one = curl(web.ip, web.names[0], login, "-o /dev/null -w %{http_code}_", ca=web.ca)
        out = web.peer.run(f"for i in $(seq 15); do {one}; done", timeout=120)
        assert "429" in out.stdout, out.stdout + out.stderr

    assert_web_ban(proxy, web, "nginx-limit-req", burst)


def test_waf_refusals_are_banned_through_the_modsecurity_jail(proxy, proxy_vars, web):
    maxretry = proxy_vars.get("fail2ban_nginx_waf_maxretry", 3)
    probe = "/search?id=1%27%20OR%20%271%27%3D%271"

    def status(path: str, opts: str = "") -> str:
        command = curl(
            web.ip, web.names[0], path, f"-o /dev/null -w %{{http_code}}_ {opts}", ca=web.ca
        )
        return web.peer.run(command).stdout

    def refusals() -> None:
        # A form post is no refusal; then one refusal short of the ban (each
        # refused request must count once), then the one that bans.
        assert status("/accounts/profile", "--data-urlencode 'bio=I like tea'") == "200_"
        assert "".join(status(probe) for _ in range(maxretry - 1)) == "403_" * (maxretry - 1)
        time.sleep(2)
        assert web.peer.ip not in banned(proxy, "nginx-modsecurity"), "banned too early"
        assert status(probe) == "403_"

    assert_web_ban(proxy, web, "nginx-modsecurity", refusals)


def test_ssh_attacker_is_banned_through_sshd(server, new_peer, keyed_peer, ips):
    # A second client for the attack: ufw's rate limit on SSH counts per
    # address, and the first client's logins above must not add to it.
    attacker = new_peer("attacker")
    ip = ips[SERVER]
    try:
        for _ in range(5):
            attacker.run(
                f"ssh {NO_KNOWN_HOSTS} -o BatchMode=yes -o ConnectTimeout=5 nosuchuser@{ip} true"
            )
            if attacker.ip in banned(server, "sshd"):
                break
            time.sleep(1)
        assert wait_for_ban(server, "sshd", attacker.ip, timeout=15)
        with server.sudo():
            actions = server.run("fail2ban-client get sshd actions").stdout
        assert "ufw" in actions, actions  # ufw is active there: bans go through it
        assert attacker.run(f"nc -z -w 3 {ip} 22").returncode != 0
        # Others still get in.
        ok = keyed_peer.run(
            f"ssh {NO_KNOWN_HOSTS} -o BatchMode=yes -o ConnectTimeout=10 -i {KEY} "
            f"operator@{ip} true"
        )
        assert ok.returncode == 0, ok.stderr
    finally:
        with server.sudo():
            server.run(f"fail2ban-client unban {attacker.ip}")


# --- Logs owned like Debian's, before and after rotation ------------------------


def test_proxy_logs_like_debians_own_before_and_after_rotation(proxy, web):
    peer, pebble_root, names, ips = web.peer, web.ca, web.names, {PROXY: web.ip}
    # Debian's rule for /var/log/nginx/*.log: `create MODE OWNER GROUP`.
    rule = proxy.file("/etc/logrotate.d/nginx").content_string
    mode, owner, group = re.search(r"create\s+(\d+)\s+(\S+)\s+(\S+)", rule).groups()
    blocks = proxy_server_blocks(proxy)
    logs = {e.split()[0] for b in blocks for e in b["access_log"] + b["error_log"]}
    assert all(path.startswith("/var/log/nginx/") for path in logs), logs

    def check(when: str) -> None:
        for path in logs:
            f = proxy.file(path)
            assert (f.mode, f.user, f.group) == (int(mode, 8), owner, group), f"{when}: {path}"
            assert not f.mode & 0o004, f"{when}: {path} is world-readable"

    check("before rotation")
    with proxy.sudo():
        r = proxy.run("logrotate -f /etc/logrotate.d/nginx")
    assert r.rc == 0, r.stderr
    app_log = next(
        iter(
            {
                a.split()[0]
                for b in blocks
                if names[0] in " ".join(b["server_name"])
                for a in b["access_log"]
            }
        )
    )
    assert peer.run(curl(ips[PROXY], names[0], "/after-rotation", ca=pebble_root)).returncode == 0
    # nginx reopened its logs: the request is in the new file.
    for _ in range(10):
        if "/after-rotation" in proxy.file(app_log).content_string:
            break
        time.sleep(0.5)
    assert "/after-rotation" in proxy.file(app_log).content_string
    check("after rotation")
