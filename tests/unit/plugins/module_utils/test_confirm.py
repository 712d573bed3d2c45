# SPDX-License-Identifier: GPL-3.0-or-later
"""commit_confirm's decisions, and its host-side script run for real with sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.bulwark.hardening.plugins.module_utils import _confirm
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)

# --- names, windows, paths ------------------------------------------------------


@pytest.mark.parametrize("name", ["sshd", "ufw", "os_baseline", "a", "x-1"])
def test_good_names_make_the_unit(name):
    assert _confirm.unit_name(name) == f"bulwark-revert-{name}"


@pytest.mark.parametrize("name", ["", "SSHD", "../etc", "a b", "-x", "a" * 42, None, 3])
def test_bad_names_refused(name):
    with pytest.raises(PolicyError, match="name must be"):
        _confirm.check_name(name)


@pytest.mark.parametrize("window", [10, 300, 86400])
def test_windows_in_range(window):
    assert _confirm.check_window(window) == window


@pytest.mark.parametrize(
    ("window", "why"),
    [(9, "10-86400"), (86401, "10-86400"), (True, "whole"), ("60", "whole"), (1.5, "whole")],
)
def test_windows_out_of_range(window, why):
    with pytest.raises(PolicyError, match=why):
        _confirm.check_window(window)


def test_paths_deduplicated_in_order():
    assert _confirm.check_paths(["/etc/b", "/etc/a", "/etc/b"]) == ["/etc/b", "/etc/a"]


@pytest.mark.parametrize(
    "paths",
    [[], "/etc/x", ["etc/x"], ["/etc/"], ["/etc/../shadow"], ["/etc//x"], ["/etc/./x"], [None]],
)
def test_bad_paths_refused(paths):
    with pytest.raises(PolicyError, match="paths"):
        _confirm.check_paths(paths)


# --- method and timer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("systemd", "at", "method"),
    [(True, True, "systemd"), (True, False, "systemd"), (False, True, "at")],
)
def test_method(systemd, at, method):
    assert _confirm.choose_method(systemd, at) == method


def test_no_method_is_an_error_that_names_the_way_out():
    with pytest.raises(PolicyError, match="install at, or set bulwark_confirm to false"):
        _confirm.choose_method(False, False)


def test_systemd_timer_command():
    argv = _confirm.timer_argv("systemd", "sshd", 30, "/s/bulwark-confirm")
    assert argv[0] == "systemd-run"
    assert "--unit=bulwark-revert-sshd" in argv
    assert "--on-active=30s" in argv
    assert "--collect" in argv  # a failed revert unit must not block the next arming
    assert argv[-3:] == ["/bin/sh", "/s/bulwark-confirm", "revert"]


@pytest.mark.parametrize(("window", "minutes"), [(10, "1"), (60, "1"), (61, "2"), (300, "5")])
def test_at_rounds_the_window_up(window, minutes):
    assert _confirm.timer_argv("at", "ufw", window, "/s") == [
        "at",
        "-M",
        "now",
        "+",
        minutes,
        "minutes",
    ]


def test_at_job_text_and_number():
    assert _confirm.at_job_text("/var/lib/x y/s") == "/bin/sh '/var/lib/x y/s' revert\n"
    assert (
        _confirm.parse_at_job(
            "warning: commands will be executed using /bin/sh\njob 17 at Wed Dec  2 06:00:00 2026\n"
        )
        == "17"
    )
    assert (
        _confirm.parse_at_job("Can't open /var/run/atd.pid to signal atd. No atd running?\n")
        is None
    )


def test_unknown_method():
    with pytest.raises(PolicyError, match="unknown method"):
        _confirm.timer_argv("cron", "sshd", 30, "/s")


# --- arming with and without a pending revert ------------------------------------


def test_arm_with_nothing_pending_takes_a_new_snapshot():
    plan = _confirm.plan_arm(None, None, ["/a", "/b"], "20261202T060000.000001Z")
    assert plan == {
        "snapshot": "20261202T060000.000001Z",
        "new": True,
        "take": ["/a", "/b"],
        "rearmed": False,
    }


def test_arm_with_a_pending_revert_keeps_its_snapshot():
    pending = {"snapshot": "20261202T050000.000001Z"}
    plan = _confirm.plan_arm(pending, ["/a"], ["/a", "/b"], "20261202T060000.000001Z")
    # the old snapshot is the last confirmed state; only the new path is added
    assert plan == {
        "snapshot": "20261202T050000.000001Z",
        "new": False,
        "take": ["/b"],
        "rearmed": True,
    }


def test_arm_with_a_pending_marker_but_no_snapshot_starts_over():
    plan = _confirm.plan_arm(
        {"snapshot": "20261202T050000.000001Z"}, None, ["/a"], "20261202T060000.000001Z"
    )
    assert plan["new"] is True and plan["snapshot"] == "20261202T060000.000001Z"


# --- pruning ----------------------------------------------------------------------

IDS = [f"2026120{d}T060000.000001Z" for d in range(1, 6)]


@pytest.mark.parametrize(("keep", "deleted"), [(0, IDS), (2, IDS[:3]), (5, []), (9, [])])
def test_prune_keeps_the_newest(keep, deleted):
    assert _confirm.prune(list(reversed(IDS)), keep) == deleted


def test_prune_never_deletes_the_protected_or_foreign_names():
    assert _confirm.prune([*IDS, "lost+found"], 0, protect=IDS[0]) == IDS[1:]


@pytest.mark.parametrize("keep", [-1, True, "3"])
def test_prune_bad_retain(keep):
    with pytest.raises(PolicyError, match="retain"):
        _confirm.prune(IDS, keep)


# --- the host-side script, run with sh --------------------------------------------

needs_flock = pytest.mark.skipif(shutil.which("flock") is None, reason="flock(1) not installed")


def _setup(tmp_path: Path, reload: list[str], prepare=None, check=None):
    """A live tree, a snapshot of its earlier state, and the script, as the module lays them out."""
    live = tmp_path / "etc"
    live.mkdir()
    kept, added = live / "sshd_config", live / "dropin.conf"
    state = tmp_path / "state"
    snap = "20261202T060000.000001Z"
    saved = state / "snapshots" / snap / "files"
    (saved / str(kept)[1:]).parent.mkdir(parents=True)
    (saved / str(kept)[1:]).write_text("old\n")
    os.chmod(saved / str(kept)[1:], 0o600)
    kept.write_text("new, locks out\n")
    added.write_text("new file\n")
    existed = {str(kept): True, str(added): False}
    script = state / "bulwark-confirm"
    script.write_text(
        _confirm.render_script(
            "sshd", str(state), snap, existed, reload, prepare=prepare, check=check
        )
    )
    (state / "pending").write_text(json.dumps({"snapshot": snap}))
    return kept, added, state, script


def _sh(script: Path, verb: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/sh", str(script), verb], capture_output=True, text=True, check=False, timeout=30
    )


@needs_flock
def test_revert_restores_removes_reloads_and_disarms(tmp_path):
    log = tmp_path / "reload.log"
    kept, added, state, script = _setup(tmp_path, [f"echo one >> {log}", f"echo two >> {log}"])
    result = _sh(script, "revert")
    assert result.returncode == 0, result.stderr
    assert kept.read_text() == "old\n"
    assert oct(kept.stat().st_mode & 0o777) == "0o600"  # cp -p: the saved mode comes back
    assert not added.exists()  # it did not exist before the change
    assert log.read_text() == "one\ntwo\n"  # reload commands, in order
    assert not (state / "pending").exists()
    assert "reverted sshd" in result.stdout


@needs_flock
def test_revert_after_confirm_changes_nothing(tmp_path):
    log = tmp_path / "reload.log"
    kept, added, state, script = _setup(tmp_path, [f"echo reload >> {log}"])
    assert _sh(script, "confirm").returncode == 0
    assert not (state / "pending").exists()
    result = _sh(script, "revert")  # the timer firing late, or a second hand
    assert result.returncode == 0
    assert kept.read_text() == "new, locks out\n"
    assert added.exists()
    assert not log.exists()
    assert "nothing pending" in result.stdout


@needs_flock
def test_a_failing_reload_is_reported_but_the_rest_still_runs(tmp_path):
    log = tmp_path / "reload.log"
    kept, _added, state, script = _setup(tmp_path, ["false", f"echo second >> {log}"])
    result = _sh(script, "revert")
    assert result.returncode == 1
    assert kept.read_text() == "old\n"
    assert log.read_text() == "second\n"
    assert not (state / "pending").exists()


@needs_flock
def test_prepare_runs_before_the_files_come_back(tmp_path):
    log = tmp_path / "steps.log"
    kept, *_rest, script = _setup(
        tmp_path,
        [f"echo reload >> {log}"],
        prepare=[f"cat {tmp_path}/etc/sshd_config >> {log}", f"echo prepare >> {log}"],
    )
    result = _sh(script, "revert")
    assert result.returncode == 0, result.stderr
    # prepare saw the files the change left, reload ran after they came back
    assert log.read_text() == "new, locks out\nprepare\nreload\n"
    assert kept.read_text() == "old\n"
    assert "attempts 1" in result.stdout


@needs_flock
def test_a_failing_check_runs_the_whole_revert_again(tmp_path):
    log = tmp_path / "steps.log"
    tries = tmp_path / "tries"
    # the check passes from the second time on
    check = f"echo x >> {tries}; [ $(wc -l < {tries}) -ge 2 ]"
    kept, _added, state, script = _setup(
        tmp_path, [f"echo reload >> {log}"], prepare=[f"echo prepare >> {log}"], check=[check]
    )
    result = _sh(script, "revert")
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.read_text() == "prepare\nreload\n" * 2
    assert "not live (attempt 1), again" in result.stdout
    assert "status 0, attempts 2" in result.stdout
    assert kept.read_text() == "old\n"
    assert not (state / "pending").exists()


@needs_flock
def test_a_check_that_never_passes_fails_the_revert_after_the_last_attempt(tmp_path):
    log = tmp_path / "steps.log"
    kept, _added, state, script = _setup(
        tmp_path, [f"echo reload >> {log}"], check=["true", "false"]
    )
    result = _sh(script, "revert")
    assert result.returncode == 1
    assert log.read_text() == "reload\n" * _confirm.REVERT_ATTEMPTS
    assert f"still not live after {_confirm.REVERT_ATTEMPTS} attempts" in result.stderr
    assert kept.read_text() == "old\n"
    # disarmed all the same: a revert that keeps firing would not do better
    assert not (state / "pending").exists()


@needs_flock
def test_unknown_verb(tmp_path):
    *_rest, script = _setup(tmp_path, [])
    result = _sh(script, "maybe")
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_script_quotes_paths_and_names_the_unit():
    text = _confirm.render_script(
        "ufw", "/var/lib/b c", "S", {"/etc/a b": True, "/etc/x'y": False}, ["ufw reload"]
    )
    assert "cp -p '/var/lib/b c/snapshots/S/files/etc/a b' '/etc/a b'" in text
    assert "rm -f '/etc/x'\"'\"'y'" in text
    assert "systemctl stop bulwark-revert-ufw.timer" in text
    assert "{ ufw reload ; } || status=1" in text


# --- the operator's message -------------------------------------------------------


def test_message_says_what_how_long_and_how_to_confirm_or_revert():
    msg = _confirm.armed_message(
        "sshd", "systemd", 300, "/var/lib/bulwark/confirm/sshd/bulwark-confirm", False
    )
    assert "bulwark-revert-sshd.timer" in msg
    assert "300 seconds" in msg
    assert "sh /var/lib/bulwark/confirm/sshd/bulwark-confirm confirm" in msg
    assert "sh /var/lib/bulwark/confirm/sshd/bulwark-confirm revert" in msg


def test_message_for_a_rearmed_revert_and_at():
    msg = _confirm.armed_message("ufw", "at", 90, "/s", True)
    assert "re-armed" in msg and "last confirmed" in msg
    assert "at job" in msg and "whole minutes" in msg
