"""Shared testinfra helpers for every Molecule scenario.

Tests check behaviour from outside the target: they use the `peer` container
(image bulwark/peer, built by `make images`) as a client with its own address,
and the controller's own view of the target's address.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PEER_IMAGE = os.environ.get("BULWARK_IMAGE_PEER", "bulwark/peer:latest")
ROOT = Path(__file__).resolve().parents[1]
SSH_AUDIT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ".")) / ".venv" / "bin" / "ssh-audit"
# `make sslyze`: sslyze has a virtualenv of its own.
SSLYZE = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ".")) / ".venv-sslyze" / "bin" / "sslyze"


def docker(*args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=timeout
    )


def container_name(host) -> str:
    """The Docker container behind a testinfra host (Molecule names them so)."""
    return host.backend.get_hostname()


def container_ip(name: str) -> str:
    out = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", name).stdout
    networks = json.loads(out)
    for net in networks.values():
        if net.get("IPAddress"):
            return net["IPAddress"]
    raise AssertionError(f"container {name} has no IP address: {out}")


@pytest.fixture
def target_ip(host) -> str:
    return container_ip(container_name(host))


def operator_key() -> Path:
    """Private key of the `operator` account created by molecule/shared/prepare.yml."""
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "operator_ed25519"


def save_report(name: str, text: str) -> None:
    """Keep a tool's report in Molecule's ephemeral directory for later reading."""
    Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name).write_text(text)


def ssh_audit_server(host, target_ip: str) -> subprocess.CompletedProcess:
    """Run ssh-audit from the controller against the target's sshd; save its report.

    --skip-rate-test: OpenSSH 10 penalises a burst of unauthenticated
    connections from one address, which would spoil the tests that follow.
    """
    result = subprocess.run(
        [str(SSH_AUDIT), "--skip-rate-test", "-n", "-t", "20", target_ip],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    save_report(f"ssh-audit-{container_name(host)}.txt", result.stdout)
    return result


# What sslyze checks: every protocol's cipher suites, the certificate and the
# curves (what its Mozilla check reads), known attacks, and the HTTP headers.
SSLYZE_SCANS = [
    "--sslv2",
    "--sslv3",
    "--tlsv1",
    "--tlsv1_1",
    "--tlsv1_2",
    "--tlsv1_3",
    "--certinfo",
    "--elliptic_curves",
    "--heartbleed",
    "--robot",
    "--openssl_ccs",
    "--reneg",
    "--compression",
    "--fallback",
    "--http_headers",
]


def sslyze(host, targets: list[str], mozilla_profile: str) -> tuple[dict, dict[str, list[str]]]:
    """Scan `name:port{ip}` targets with sslyze from the controller.

    Returns sslyze's JSON scan results and, per target (`name:port`), the
    findings of its check against Mozilla's configuration of that name
    (empty: compliant). The text report is kept in the ephemeral directory.
    """
    assert SSLYZE.exists(), f"{SSLYZE} is missing: run `make sslyze`"
    json_out = (
        Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"sslyze-{container_name(host)}.json"
    )
    result = subprocess.run(
        [
            str(SSLYZE),
            *SSLYZE_SCANS,
            f"--mozilla_config={mozilla_profile}",
            f"--json_out={json_out}",
            *targets,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    save_report(f"sslyze-{container_name(host)}.txt", result.stdout + result.stderr)
    report = result.stdout.split("COMPLIANCE AGAINST TLS CONFIGURATION", 1)
    assert len(report) == 2, result.stdout + result.stderr
    findings: dict[str, list[str]] = {}
    current = None
    for line in report[1].splitlines():
        target = re.match(r"\s+(\S+:\d+): (OK|FAILED)", line)
        if target:
            current = target.group(1)
            findings[current] = []
        elif current and line.strip().startswith("* "):
            findings[current].append(line.strip()[2:])
    return json.loads(json_out.read_text()), findings


def run_audit(
    out: Path, converge: Path, hosts: tuple[str, ...], *extra: str, timeout: int = 2400
) -> dict:
    """Run playbooks/audit.yml as an operator would, on these hosts, with this
    scenario's converge as the drift check; its log is kept next to `out`.

    Returns the JSON report, each host's play recap and the report directory.
    """
    result = ansible_playbook(
        ROOT / "playbooks" / "audit.yml",
        "-e",
        f"bulwark_audit_dir={out}",
        "-e",
        f"bulwark_audit_playbook={converge}",
        "-e",
        f"bulwark_audit_hosts={','.join(hosts)}",
        *extra,
        timeout=timeout,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    recaps = dict(re.findall(r"^(\S+)\s*:\s*(ok=.*)$", plain, re.M))
    assert set(hosts) <= set(recaps), result.stdout[-2000:]
    return {
        "report": json.loads((out / "report.json").read_text()),
        "recaps": {host: recaps[host] for host in hosts},
        "dir": out,
        "log": plain,
    }


def ansible_playbook(playbook: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ansible-playbook on this scenario's inventory with Molecule's own
    configuration (connection, collections), for tests that apply a role again."""
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
        ANSIBLE_ROLES_PATH=str(ROOT / "roles"),
        ANSIBLE_CONFIG=str(ephemeral / "ansible.cfg"),
    )
    command = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(ephemeral / "inventory")]
    return subprocess.run(
        [*command, str(playbook), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def revert_logged_at(host, name: str) -> float | None:
    """When the host's own commit-confirmed revert unit (bulwark-revert-<name>)
    said it had reverted, in epoch seconds; None when it never did."""
    out = host.run(f"journalctl -u bulwark-revert-{name}.service -o short-unix --no-pager").stdout
    times = [float(line.split()[0]) for line in out.splitlines() if f"reverted {name}" in line]
    return times[-1] if times else None


@dataclass
class Peer:
    """A throwaway client container on the same Docker network as the targets."""

    name: str

    @property
    def ip(self) -> str:
        return container_ip(self.name)

    def run(self, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return docker("exec", self.name, "sh", "-c", command, check=False, timeout=timeout)

    def put(self, src: Path, dest: str, mode: str = "0600") -> None:
        docker("cp", str(src), f"{self.name}:{dest}")
        docker("exec", self.name, "chmod", mode, dest)


def password_login(peer: Peer, ip: str) -> subprocess.CompletedProcess:
    """Try the operator's password (set by the shared prepare) over SSH, with
    public keys off: the hardened server must refuse without offering the method."""
    return peer.run(
        "sshpass -p operator-password ssh -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no "
        "-o PreferredAuthentications=password,keyboard-interactive "
        f"-o ConnectTimeout=10 operator@{ip} true"
    )


def start_peer(label: str = "peer") -> Peer:
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "adhoc")
    name = f"{label}-{scenario}-{uuid.uuid4().hex[:6]}"
    docker("run", "-d", "--rm", "--name", name, "--label", "owner=molecule", PEER_IMAGE)
    return Peer(name)


@pytest.fixture(scope="session")
def peer():
    """One client container for the whole test session, removed at the end."""
    p = start_peer()
    try:
        yield p
    finally:
        docker("rm", "-f", p.name, check=False)


@pytest.fixture
def new_peer():
    """A factory of extra client containers (each with its own address)."""
    started: list[Peer] = []

    def factory(label: str = "peer") -> Peer:
        p = start_peer(label)
        started.append(p)
        return p

    yield factory
    for p in started:
        docker("rm", "-f", p.name, check=False)


def response(peer: Peer, command: str) -> tuple[int, dict[str, list[str]], str]:
    """Run curl with -D - and split status, headers (lower-case names) and body."""
    result = peer.run(command.replace("curl ", "curl --http1.1 -D - ", 1))
    assert result.returncode == 0, f"{command}: rc={result.returncode} {result.stderr}"
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers.setdefault(key.strip().lower(), []).append(value.strip())
    return status, headers, body


# --- The ACME server (molecule/shared/acme.yml) --------------------------------

ACME = f"acme-{os.environ.get('MOLECULE_SCENARIO_NAME', 'adhoc')}"
LIVE = "/etc/letsencrypt/live"
RENEWAL_TEST_DROPIN = "/run/systemd/system/certbot.service.d/zz-molecule-test.conf"


def put_text(peer: Peer, text: str, dest: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(text)
    try:
        peer.put(Path(f.name), dest, mode="0644")
    finally:
        os.unlink(f.name)


@pytest.fixture(scope="session")
def pebble_root(peer) -> str:
    """Pebble's issuing root, from its management API, as a file on the peer.

    The API is reached over TLS checked against the listener CA that the
    ACME container generated (not the one installed on the targets).
    """
    listener_ca = docker("exec", ACME, "cat", "/run/acme/ca.pem").stdout
    put_text(peer, listener_ca, "/tmp/acme-listener-ca.pem")
    ip = container_ip(ACME)
    r = peer.run(
        f"curl -sSf --cacert /tmp/acme-listener-ca.pem --resolve acme.test:15000:{ip} "
        "https://acme.test:15000/roots/0 -o /tmp/pebble-root.pem && "
        "openssl x509 -in /tmp/pebble-root.pem -noout -subject"
    )
    assert r.returncode == 0, r.stderr
    assert "Pebble Root CA" in r.stdout
    return "/tmp/pebble-root.pem"


def served_serial(peer: Peer, ip: str, server_name: str, ca: str) -> int:
    """Serial of the certificate served on ip:443 for server_name, verified against ca."""
    r = peer.run(
        f"openssl s_client -connect {ip}:443 -servername {server_name} -CAfile {ca} "
        "-verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"
    )
    assert r.returncode == 0, f"no verified TLS handshake with {ip}:443: {r.stderr}"
    return int(r.stdout.strip().split("=", 1)[1], 16)


def run_renewal_unit(host, extra_args: str) -> tuple[str, str]:
    """Start the distribution's certbot.service with extra `certbot renew` arguments.

    Only ExecStart is replaced, by a runtime drop-in removed afterwards; the
    role's drop-in (REQUESTS_CA_BUNDLE) and the rest of the unit apply as in a
    timer-triggered run. Returns (unit Result, deploy hook journal lines).
    """
    cursor = host.run("journalctl -n 0 --show-cursor -o cat").stdout.split("cursor:", 1)[1].strip()
    dropin = (
        "[Service]\nExecStart=\n"
        f"ExecStart=/usr/bin/certbot -q renew --no-random-sleep-on-renew {extra_args}\n"
    )
    host.run(f"mkdir -p {os.path.dirname(RENEWAL_TEST_DROPIN)}")
    host.run(f"printf %s {shlex.quote(dropin)} > {RENEWAL_TEST_DROPIN} && systemctl daemon-reload")
    try:
        host.run("systemctl reset-failed certbot.service")
        host.run("systemctl start certbot.service")
        result = host.run("systemctl show -p Result --value certbot.service").stdout.strip()
    finally:
        host.run(f"rm -f {RENEWAL_TEST_DROPIN} && systemctl daemon-reload")
    hook_log = host.run(
        f"journalctl --no-pager -o cat -t certbot-deploy-hook --after-cursor={shlex.quote(cursor)}"
    ).stdout
    return result, hook_log


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test, append the target's recent journal to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    host = item.funcargs.get("host")
    if host is None:
        return
    try:
        journal = host.run("journalctl --no-pager -n 60 -o short-iso").stdout
    except Exception as exc:  # the host may be the very thing that broke
        journal = f"(journal not available: {exc})"
    report.sections.append(("journal of " + container_name(host), journal))
