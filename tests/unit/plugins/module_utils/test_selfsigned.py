# SPDX-License-Identifier: GPL-3.0-or-later
"""selfsigned_due on what the nginx_proxy probe prints for real keys and
certificates made here with openssl (the probe's script, read from the role)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.hardening.plugins.filter.selfsigned_due import (
    selfsigned_due_filter,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._selfsigned import selfsigned_due

ROOT = Path(__file__).resolve().parents[4]
TASKS = yaml.safe_load((ROOT / "roles/nginx_proxy/tasks/certificate.yml").read_text())
PROBE = next(t for t in TASKS if "read the self-signed keys" in t["name"])["vars"][
    "_nginx_proxy_cert_probe"
]

pytestmark = pytest.mark.skipif(
    not shutil.which("openssl") or os.getuid() != 0,
    reason="needs openssl, and root for root:root files",
)


def make(directory: Path, names: list[str], key: str = "ec", san: list[str] | None = None) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    k, c = directory / "privkey.pem", directory / "fullchain.pem"
    if key == "ec":
        subprocess.run(
            ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", k],
            check=True,
        )
    else:
        subprocess.run(["openssl", "genrsa", "-out", k, key], check=True, capture_output=True)
    alt = ",".join(f"DNS:{n}" for n in (san or names))
    subprocess.run(
        ["openssl", "req", "-x509", "-key", k, "-out", c, "-days", "30", "-subj", f"/CN={names[0]}",
         "-addext", f"subjectAltName={alt}", "-addext", "basicConstraints=CA:FALSE",
         "-addext", "extendedKeyUsage=serverAuth"],
        check=True, capture_output=True,
    )  # fmt: skip
    k.chmod(0o600)
    c.chmod(0o644)
    return {
        "name": directory.name,
        "certificate_key": str(k),
        "certificate": str(c),
        "server_names": names,
    }


def probe(*sites) -> str:
    args = [p for s in sites for p in (s["certificate_key"], s["certificate"])]
    return subprocess.run(
        ["sh", "-c", PROBE, "probe", *args], capture_output=True, text=True, check=True
    ).stdout


def test_a_site_as_the_modules_made_it_is_not_due(tmp_path):
    site = make(tmp_path / "www", ["www.example.test", "example.test"])
    assert selfsigned_due([site], probe(site), "ecdsa", "prime256v1") == []


def test_each_difference_makes_the_site_due(tmp_path):
    names = ["a.example.test"]
    good = make(tmp_path / "good", names)
    other_names = make(tmp_path / "names", names, san=["a.example.test", "old.example.test"])
    loose = make(tmp_path / "mode", names)
    Path(loose["certificate_key"]).chmod(0o644)
    swapped = make(tmp_path / "swapped", names)
    shutil.copy(good["certificate"], swapped["certificate"])
    missing = {**make(tmp_path / "gone", names), "name": "gone"}
    Path(missing["certificate"]).unlink()
    sites = [good, other_names, loose, swapped, missing]
    assert selfsigned_due(sites, probe(*sites), "ecdsa", "prime256v1") == [
        "names",
        "mode",
        "swapped",
        "gone",
    ]


def test_key_type_and_size_count(tmp_path):
    rsa = make(tmp_path / "rsa", ["r.example.test"], key="2048")
    text = probe(rsa)
    assert selfsigned_due([rsa], text, "rsa", rsa_bits=2048) == []
    assert selfsigned_due([rsa], text, "rsa", rsa_bits=3072) == ["rsa"]
    assert selfsigned_due([rsa], text, "ecdsa", "prime256v1") == ["rsa"]


def test_no_probe_means_every_site_is_due(tmp_path):
    site = {
        "name": "x",
        "certificate_key": "/nowhere/k.pem",
        "certificate": "/nowhere/c.pem",
        "server_names": ["x.test"],
    }
    assert selfsigned_due([site], "", "ecdsa", "prime256v1") == ["x"]


@pytest.mark.parametrize(
    ("sites", "key_type", "message"),
    [
        ([], "dsa", "'dsa'"),
        ([{"name": "x"}], "rsa", "needs a name, certificate_key and server_names"),
    ],
)
def test_bad_input_names_the_filter(sites, key_type, message):
    with pytest.raises(AnsibleFilterError, match=f"bulwark.hardening.selfsigned_due: .*{message}"):
        selfsigned_due_filter(sites, "", key_type)
