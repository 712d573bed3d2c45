"""Shared testinfra helpers for every Molecule scenario.

Tests check behaviour from outside the target: they use the `peer` container
(image bulwark/peer, built by `make images`) as a client with its own address,
and the controller's own view of the target's address.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PEER_IMAGE = os.environ.get("BULWARK_IMAGE_PEER", "bulwark/peer:latest")
SSH_AUDIT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ".")) / ".venv" / "bin" / "ssh-audit"


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
