# SPDX-License-Identifier: GPL-3.0-or-later
"""files_to_write against the state that the probes' shell line reads from real files."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.hardening.plugins.filter.files_to_write import (
    files_to_write_filter,
)
from ansible_collections.bulwark.hardening.plugins.module_utils._files import files_to_write

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
# The line the roles' probes print each file's state with.
PROBE = (
    """for f; do [ -f "$f" ] && printf '%s %s %s\\n' "$f" """
    """"$(sha1sum < "$f" | cut -d' ' -f1)" "$(stat -c '%a %U:%G' "$f")"; done; true"""
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
