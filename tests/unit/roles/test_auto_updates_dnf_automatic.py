# SPDX-License-Identifier: GPL-3.0-or-later
"""The auto_updates role's dnf-automatic configuration, rendered without a RHEL host.

ansible-playbook renders the role's own template on localhost with the role's
defaults and per-distribution vars (RedHat.yml: dnf 4, Fedora.yml: dnf5) and
the test parses the result as dnf-automatic does (an INI file), checking the
values and that every key is one dnf-automatic knows (a typo would be ignored
silently by dnf). Users with a registry can run the real thing: see the role's
README (BULWARK_IMAGE_ROCKY).
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "auto_updates"

# dnf-automatic(8), dnf 4 and dnf5 automatic: the keys of each section ([base]
# takes dnf.conf options: only the ones the role writes are listed).
KNOWN = {
    "commands": {
        "upgrade_type",
        "random_sleep",
        "network_online_timeout",
        "download_updates",
        "apply_updates",
        "reboot",
        "reboot_command",
    },
    "emitters": {"emit_via", "system_name"},
    "email": {"email_from", "email_to", "email_host", "email_port", "email_tls"},
    "base": {"debuglevel", "excludepkgs"},
}

CASES = {
    "dnf4-defaults": ("RedHat.yml", {}),
    "dnf5-reboot-mail": (
        "Fedora.yml",
        {
            "auto_updates_reboot": True,
            "auto_updates_reboot_time": "04:15",
            "auto_updates_mail": "ops@example.org",
            "auto_updates_regular_updates": True,
            "auto_updates_package_blacklist": ["kernel*", "postgresql*"],
        },
    ),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, configparser.ConfigParser]:
    tmp = tmp_path_factory.mktemp("dnf")
    plays = []
    for name, (vars_file, overrides) in CASES.items():
        plays.append(
            {
                "name": name,
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "vars_files": [
                    str(ROLE / "defaults" / "main.yml"),
                    str(ROLE / "vars" / "main.yml"),
                    str(ROLE / "vars" / vars_file),
                ],
                "tasks": [
                    {
                        "name": "Render the role's template",
                        "ansible.builtin.template": {
                            "src": str(ROLE / "templates" / "dnf-automatic.conf.j2"),
                            "dest": str(tmp / f"{name}.conf"),
                            "mode": "0644",
                        },
                        "vars": overrides,
                    }
                ],
            }
        )
    playbook = tmp / "render.yml"
    playbook.write_text(json.dumps(plays))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "build" / "collections"))
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    result = subprocess.run(
        [
            str(ansible_playbook),
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = {}
    for name in CASES:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string((tmp / f"{name}.conf").read_text())
        parsed[name] = parser
    return parsed


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_keys_dnf_automatic_knows(rendered, case):
    conf = rendered[case]
    assert set(conf.sections()) <= set(KNOWN)
    for section in conf.sections():
        unknown = set(conf[section]) - KNOWN[section]
        assert not unknown, f"[{section}] {sorted(unknown)}"


def test_defaults_apply_security_updates_without_reboot(rendered):
    conf = rendered["dnf4-defaults"]
    assert conf["commands"]["upgrade_type"] == "security"
    assert conf["commands"]["download_updates"] == "yes"
    assert conf["commands"]["apply_updates"] == "yes"
    assert conf["commands"]["reboot"] == "never"
    assert conf["emitters"]["emit_via"] == "stdio"
    assert not conf.has_option("base", "excludepkgs")


def test_reboot_mail_regular_updates_and_exclusions(rendered):
    conf = rendered["dnf5-reboot-mail"]
    assert conf["commands"]["upgrade_type"] == "default"
    assert conf["commands"]["reboot"] == "when-needed"
    assert "shutdown -r 04:15" in conf["commands"]["reboot_command"]
    assert conf["emitters"]["emit_via"] == "email"
    assert conf["email"]["email_to"] == "ops@example.org"
    assert conf["base"]["excludepkgs"].split() == ["kernel*", "postgresql*"]
