# SPDX-License-Identifier: GPL-3.0-or-later
"""The shell scripts that stand in for a loop of module calls (one round trip
instead of one per item), run here on temporary files: bulwark's `paths`
step and os_baseline's login.defs editor. Each must change only what
differs, report every change, and change nothing in check mode."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PATHS = yaml.safe_load((ROOT / "roles/bulwark/vars/main.yml").read_text())["_bulwark_paths_script"]
KEYS = yaml.safe_load((ROOT / "roles/os_baseline/vars/main.yml").read_text())[
    "_os_baseline_keys_script"
]
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

needs_sh = pytest.mark.skipif(
    not shutil.which("sh") or not shutil.which("awk"), reason="needs sh and awk"
)


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", "-c", script, "step", *args], capture_output=True, text=True, check=False
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def entry(state: str, want: str, path: Path) -> list[str]:
    return [state, want, USER, GROUP, str(path)]


@needs_sh
def test_paths_creates_what_is_missing_and_check_mode_changes_nothing(tmp_path):
    new_dir, new_file = tmp_path / "d" / "e", tmp_path / "log"
    args = [*entry("directory", "0750", new_dir), *entry("file", "0640", new_file)]
    check = run(PATHS, "check", *args)
    assert check.returncode == 0
    assert f"{new_dir}: created" in check.stdout and f"{new_file}: created" in check.stdout
    assert not new_dir.exists() and not new_file.exists()
    applied = run(PATHS, "apply", *args)
    assert applied.returncode == 0, applied.stderr
    assert new_dir.is_dir() and mode(new_dir) == 0o750
    assert new_file.is_file() and new_file.stat().st_size == 0 and mode(new_file) == 0o640
    again = run(PATHS, "apply", *args)
    assert again.returncode == 0 and again.stdout == ""


@needs_sh
def test_paths_sets_a_differing_mode_and_keeps_content(tmp_path):
    kept = tmp_path / "kept.log"
    kept.write_text("old lines\n")
    kept.chmod(0o644)
    skipped = tmp_path / "absent"
    args = [*entry("file", "0600", kept), *entry("mode", "0700", skipped)]
    check = run(PATHS, "check", *args)
    assert check.stdout == f"{kept}: mode 644 -> 0600\n"
    assert mode(kept) == 0o644
    assert run(PATHS, "apply", *args).returncode == 0
    assert mode(kept) == 0o600 and kept.read_text() == "old lines\n"
    assert not skipped.exists()


@needs_sh
def test_paths_refuses_a_file_where_a_directory_is_wanted(tmp_path):
    clash = tmp_path / "clash"
    clash.write_text("")
    result = run(PATHS, "apply", *entry("directory", "0755", clash))
    assert result.returncode != 0
    assert "not a directory" in result.stderr


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


@needs_sh
def test_paths_removes_an_absent_file_but_never_a_directory(tmp_path):
    gone, kept_dir = tmp_path / "off.sh", tmp_path / "dir"
    gone.write_text("TMOUT=600\n")
    kept_dir.mkdir()
    check = run(PATHS, "check", *entry("absent", "0755", gone))
    assert check.stdout == f"{gone}: removed\n" and gone.exists()
    assert run(PATHS, "apply", *entry("absent", "0755", gone)).returncode == 0
    assert not gone.exists()
    assert run(PATHS, "apply", *entry("absent", "0755", gone)).stdout == ""
    refused = run(PATHS, "apply", *entry("absent", "0755", kept_dir))
    assert refused.returncode != 0 and kept_dir.is_dir()
