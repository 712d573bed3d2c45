# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters resolve by FQCN inside a real ansible-playbook run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
DATA = REPO / "tests" / "unit" / "plugins" / "data"

PLAYBOOK = """
- name: Use every bulwark.hardening filter by FQCN
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    kex_deb13: "{{ lookup('ansible.builtin.file', data + '/openssh-10.0-debian13/kex.txt') }}"
    keys_deb12: "{{ lookup('ansible.builtin.file', data + '/openssh-9.2-debian12/key-sig.txt') }}"
  tasks:
    - name: Compute
      ansible.builtin.set_fact:
        result:
          kex: "{{ kex_deb13 | bulwark.hardening.ssh_algorithms('kex') }}"
          kex_intermediate: >-
            {{ kex_deb13 | bulwark.hardening.ssh_algorithms('kex', profile='intermediate') }}
          host_keys: >-
            {{ keys_deb12 | bulwark.hardening.ssh_algorithms('host_key_algorithms',
                                                              rsa_host_key=true) }}
          tls: >-
            {{ 'intermediate' | bulwark.hardening.tls_profile(
                 openssl_version='OpenSSL 3.0.17 1 Jul 2025', nginx_version='1.22.1') }}
          tls_old: "{{ 'old' | bulwark.hardening.tls_profile(openssl_version='3.0.17') }}"
          csp: >-
            {{ {'default-src': ['self'], 'img-src': ['self', 'data:']} | bulwark.hardening.csp }}
          csp_parsed: >-
            {{ "default-src 'none'; script-src 'self'" | bulwark.hardening.csp_parse }}
          permissions: >-
            {{ {'camera': [], 'geolocation': ['self']} | bulwark.hardening.permissions_policy }}
          hsts: "{{ 63072000 | bulwark.hardening.hsts(preload=true) }}"
          quoted: "{{ 'say \\"hi\\"' | bulwark.hardening.nginx_quote }}"
          headers: >-
            {{ {'Cache-Control': none}
               | bulwark.hardening.security_headers(drop=['Referrer-Policy']) }}

    - name: Write it out for the test
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
        mode: "0600"

    - name: A bad value fails the task with the filter's name
      ansible.builtin.debug:
        msg: "{{ {'Expect-CT': 'max-age=1'} | bulwark.hardening.security_headers }}"
      register: __bad
      ignore_errors: true

    - name: Check the failure
      ansible.builtin.assert:
        that:
          - __bad is failed
          - "'bulwark.hardening.security_headers: Expect-CT is retired' in __bad.msg"
"""


def _ansible_playbook() -> str:
    beside_python = Path(sys.executable).with_name("ansible-playbook")
    return str(beside_python) if beside_python.exists() else "ansible-playbook"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("playbook")
    (tmp / "site.yml").write_text(PLAYBOOK)
    out = tmp / "result.json"
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections"),
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    proc = subprocess.run(
        [
            _ansible_playbook(),
            "-i",
            "localhost,",
            str(tmp / "site.yml"),
            "-e",
            json.dumps(
                {"data": str(DATA), "out": str(out), "ansible_python_interpreter": sys.executable}
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), proc.stdout + proc.stderr


def test_ssh_algorithms_in_a_playbook(run):
    result, _ = run
    assert result["kex"] == [
        "mlkem768x25519-sha256",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
    ]
    assert result["kex_intermediate"][-2:] == ["curve25519-sha256", "curve25519-sha256@libssh.org"]
    assert result["host_keys"][0] == "sk-ssh-ed25519-cert-v01@openssh.com"
    assert result["host_keys"][-1] == "rsa-sha2-256"


def test_tls_profile_in_a_playbook(run):
    result, output = run
    assert result["tls"]["protocols"] == ["TLSv1.2", "TLSv1.3"]
    assert result["tls"]["ecdh_curves"] == ["X25519", "prime256v1", "secp384r1"]
    assert result["tls"]["session_tickets"] is False
    assert result["tls_old"]["guidelines_version"] == "5.7"
    assert "[WARNING]: bulwark.hardening.tls_profile: profile 'old'" in " ".join(output.split())


def test_header_filters_in_a_playbook(run):
    result, _ = run
    assert result["csp"] == "default-src 'self'; img-src 'self' data:"
    assert result["csp_parsed"] == {"default-src": ["none"], "script-src": ["self"]}
    assert result["permissions"] == "camera=(), geolocation=(self)"
    assert result["hsts"] == "max-age=63072000; includeSubDomains; preload"
    assert result["quoted"] == '"say \\"hi\\""'
    names = [h["name"] for h in result["headers"]]
    assert "Cache-Control" not in names
    assert "Referrer-Policy" not in names
    assert names[0] == "X-Frame-Options"
    assert names[-1] == "Strict-Transport-Security"
