# SPDX-License-Identifier: GPL-3.0-or-later
"""files_to_write and paths_to_make against the state that the probes' shell
line reads from real files."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.hardening.plugins.filter.files_to_write import (
    files_to_write_filter,
)
from ansible_collections.bulwark.hardening.plugins.filter.paths_to_make import paths_to_make_filter
from ansible_collections.bulwark.hardening.plugins.module_utils._files import (
    files_to_write,
    paths_to_make,
)

ROOT = Path(__file__).resolve().parents[4]
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
# The function the roles' probes print each path's state with.
PROBE = (
    yaml.safe_load((ROOT / "roles/bulwark/vars/main.yml").read_text())["_bulwark_file_state"]
    + 'file_state "$@"'
)

pytestmark = pytest.mark.skipif(not shutil.which("sha1sum"), reason="needs coreutils")


def probe(*paths) -> str:
    done = subprocess.run(
        ["sh", "-c", PROBE, "probe", *map(str, paths)], capture_output=True, text=True, check=True
    )
    return done.stdout


def entry(path, content, **extra) -> dict:
    return {"dest": str(path), "content": content, "owner": OWNER, "group": GROUP, **extra}


def test_same_files_need_no_write_and_each_difference_is_seen(tmp_path):
    same, text, mode, gone = (tmp_path / n for n in ("same", "text", "mode", "gone"))
    same.write_text("a\n")
    text.write_text("old\n")
    mode.write_text("m\n")
    for p in (same, text, mode):
        p.chmod(0o644)
    mode.chmod(0o600)
    files = [entry(same, "a\n"), entry(text, "new\n"), entry(mode, "m\n"), entry(gone, "g\n")]
    assert files_to_write(files, probe(same, text, mode, gone)) == files[1:]


def test_owner_group_and_force(tmp_path):
    log = tmp_path / "log"
    log.write_text("lines\n")
    log.chmod(0o640)
    state = probe(log)
    assert files_to_write([entry(log, "", mode="0640", force=False)], state) == []
    assert files_to_write([entry(log, "", mode="0640", owner="", group="")], state) != []
    assert files_to_write([entry(log, "lines\n", mode="0640", owner="", group="")], state) == []
    other = "nobody" if OWNER != "nobody" else "root"
    assert len(files_to_write([entry(log, "lines\n", mode="0640", owner=other)], state)) == 1


def test_content_is_compared_as_utf8(tmp_path):
    banner = tmp_path / "issue"
    banner.write_text("Zugriff nur für Befugte\n", encoding="utf-8")
    banner.chmod(0o644)
    assert files_to_write([entry(banner, "Zugriff nur für Befugte\n")], probe(banner)) == []


@pytest.mark.parametrize(
    ("files", "state", "message"),
    [
        ([{"dest": "/x"}], "", "needs a dest and a content"),
        ([{"dest": "/x", "content": "", "mode": "rw"}], "/x 0 644 root:root", "not octal"),
        ([], "/x garbage", "not 'PATH SHA1 MODE OWNER:GROUP'"),
        ([], "/x abc 9z root:root", "no octal mode"),
    ],
)
def test_bad_input_names_the_filter(files, state, message):
    with pytest.raises(AnsibleFilterError, match=f"bulwark.hardening.files_to_write: .*{message}"):
        files_to_write_filter(files, state)


def test_paths_with_spaces(tmp_path):
    spaced = tmp_path / "a b.conf"
    spaced.write_text("x\n")
    spaced.chmod(0o644)
    assert files_to_write([entry(spaced, "x\n")], probe(spaced)) == []


def test_paths_each_kind_against_the_host(tmp_path):
    made, log, kept, gone, missing = (tmp_path / n for n in ("d", "log", "kept", "gone", "missing"))
    made.mkdir()
    made.chmod(0o755)
    log.write_text("lines\n")
    log.chmod(0o640)
    kept.write_text("x")
    kept.chmod(0o600)
    gone.write_text("TMOUT=600\n")
    state = probe(made, log, kept, gone, missing)
    same = [
        {"path": str(made), "owner": OWNER, "group": GROUP},
        {"path": str(log), "state": "file", "mode": "0640", "owner": "", "group": ""},
        {"path": str(kept), "state": "mode", "mode": "0600"},
        {"path": str(missing), "state": "mode", "mode": "0600"},
        {"path": str(missing), "state": "absent"},
    ]
    assert paths_to_make(same, state) == []
    differ = [
        {"path": str(made), "mode": "0700", "owner": OWNER, "group": GROUP},
        {"path": str(log), "owner": OWNER, "group": GROUP, "mode": "0640"},
        {"path": str(made), "state": "file", "mode": "0755", "owner": OWNER, "group": GROUP},
        {"path": str(kept), "state": "mode", "mode": "0644"},
        {"path": str(gone), "state": "absent"},
        {"path": str(missing), "state": "file", "owner": OWNER, "group": GROUP},
    ]
    assert paths_to_make(differ, state) == differ


@pytest.mark.parametrize(
    ("paths", "message"),
    [([{"mode": "0755"}], "needs a path"), ([{"path": "/x", "state": "link"}], "'link'")],
)
def test_bad_paths_name_the_filter(paths, message):
    with pytest.raises(AnsibleFilterError, match=f"bulwark.hardening.paths_to_make: .*{message}"):
        paths_to_make_filter(paths, "")


def test_relative_dests_under_base_dir(tmp_path):
    (tmp_path / "jail.local").write_text("j\n")
    (tmp_path / "jail.local").chmod(0o644)
    files = [{"dest": "jail.local", "content": "j\n", "owner": OWNER, "group": GROUP}]
    state = probe(tmp_path / "jail.local")
    assert files_to_write(files, state, base_dir=str(tmp_path)) == []
    assert files_to_write(files, state) == files
