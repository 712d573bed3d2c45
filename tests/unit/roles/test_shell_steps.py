# SPDX-License-Identifier: GPL-3.0-or-later
"""The shell script that stands in for a loop of module calls (one round trip
instead of one per item), run here on temporary files: os_baseline's
login.defs editor. It must change only what differs, report every change,
and change nothing in check mode."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
KEYS = yaml.safe_load((ROOT / "roles/os_baseline/vars/main.yml").read_text())[
    "_os_baseline_keys_script"
]

needs_sh = pytest.mark.skipif(
    not shutil.which("sh") or not shutil.which("awk"), reason="needs sh and awk"
)


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", "-c", script, "step", *args], capture_output=True, text=True, check=False
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


LOGIN_DEFS = """# UMASK is the default umask value
UMASK\t\t022
#PASS_MAX_DAYS comment mentions a key
PASS_MAX_DAYS\t99999
ENCRYPT_METHOD SHA512
"""


@needs_sh
def test_keys_replaces_active_lines_adds_missing_keys_and_leaves_comments(tmp_path):
    defs = tmp_path / "login.defs"
    defs.write_text(LOGIN_DEFS)
    defs.chmod(0o640)
    args = [
        str(defs),
        "UMASK",
        "027",
        "PASS_MAX_DAYS",
        "365",
        "ENV_SUPATH",
        "PATH=/usr/sbin:/usr/bin",
    ]
    check = run(KEYS, "check", *args)
    assert check.returncode == 0 and "+UMASK\t027" in check.stdout
    assert defs.read_text() == LOGIN_DEFS
    assert run(KEYS, "apply", *args).returncode == 0
    assert defs.read_text() == (
        "# UMASK is the default umask value\n"
        "UMASK\t027\n"
        "#PASS_MAX_DAYS comment mentions a key\n"
        "PASS_MAX_DAYS\t365\n"
        "ENCRYPT_METHOD SHA512\n"
        "ENV_SUPATH\tPATH=/usr/sbin:/usr/bin\n"
    )
    assert mode(defs) == 0o640
    again = run(KEYS, "apply", *args)
    assert again.returncode == 0 and again.stdout == ""
