# SPDX-License-Identifier: GPL-3.0-or-later
"""Commit-confirmed on the host: the decisions behind the commit_confirm module.

Before a change that can cut the operator off goes live, the module saves the
files it touches (a snapshot), writes a small revert script and arms a timer
on the host (a transient systemd timer, or an `at` job without systemd). When
the play proves access afterwards it confirms: the timer is stopped and old
snapshots are pruned. Otherwise the host runs the script at the window's end:
the snapshot's files come back (files that did not exist are removed) and the
service is reloaded.

Everything here is pure (no I/O), so that the unit tests cover each decision;
the module only reads and writes what these functions describe.

State kept on the host, under <root>/<name>/:
  snapshots/<id>/files/<path>  the saved files, with mode and owner
  snapshots/<id>/manifest.json which paths existed when the snapshot was taken
  pending                      present while a revert is armed (JSON)
  at_job                       the `at` job number, when `at` is used
  bulwark-confirm              the script: `revert` or `confirm`
  lock                         flock(1) lock shared by the script and the module
"""

from __future__ import annotations

import math
import re
import shlex

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

UNIT_PREFIX = "bulwark-revert-"
SCRIPT = "bulwark-confirm"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}(\.\d+)?Z$")
MIN_WINDOW = 10
# A revert whose checks fail is tried this many times in all.
REVERT_ATTEMPTS = 3
MAX_WINDOW = 86400


def check_name(name: object) -> str:
    """The change's name (usually the role): part of a unit name and a path."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise PolicyError(
            f"name must be lower-case letters, digits, '-' or '_' (1-41 characters): {shown(name)}"
        )
    return name


def unit_name(name: str) -> str:
    """The transient unit's name: bulwark-revert-<name> (.timer and .service)."""
    return UNIT_PREFIX + check_name(name)


def check_window(window: object) -> int:
    """The window in seconds: long enough to prove access, short enough to matter."""
    if isinstance(window, bool) or not isinstance(window, int):
        raise PolicyError(f"window must be a whole number of seconds: {shown(window)}")
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise PolicyError(f"window must be {MIN_WINDOW}-{MAX_WINDOW} seconds: {shown(window)}")
    return window


def check_paths(paths: object) -> list[str]:
    """Absolute, normalised, distinct paths of regular files."""
    if not isinstance(paths, list) or not paths:
        raise PolicyError(f"paths must be a non-empty list of absolute paths: {shown(paths)}")
    seen: list[str] = []
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/") or path.endswith("/"):
            raise PolicyError(f"paths: not an absolute file path: {shown(path)}")
        if any(part in ("", ".", "..") for part in path[1:].split("/")):
            raise PolicyError(f"paths: not a normalised path: {shown(path)}")
        if path not in seen:
            seen.append(path)
    return seen


def choose_method(has_systemd: bool, has_at: bool) -> str:
    """systemd when it runs as init, else `at`; neither is an error before any change."""
    if has_systemd:
        return "systemd"
    if has_at:
        return "at"
    raise PolicyError(
        "cannot arm a revert: neither systemd (systemd-run) nor at is available on the host; "
        "install at, or set bulwark_confirm to false to change without a safety net"
    )


def plan_arm(
    pending: dict | None, snapshot_paths: list[str] | None, paths: list[str], new_id: str
) -> dict:
    """What arming does, given what is already pending on the host.

    - Nothing pending: a new snapshot of every path.
    - A revert pending (an earlier run changed and never confirmed): its
      snapshot is the last confirmed state, so it is kept (not replaced by the
      unconfirmed files now live); only paths it lacks are added now. The one
      timer is re-armed for a full window: never two timers, never a revert
      to an unconfirmed state.
    """
    if pending and pending.get("snapshot") and snapshot_paths is not None:
        missing = [p for p in paths if p not in snapshot_paths]
        return {"snapshot": pending["snapshot"], "new": False, "take": missing, "rearmed": True}
    return {"snapshot": new_id, "new": True, "take": list(paths), "rearmed": False}


def prune(snapshot_ids: list[str], keep: int, protect: str | None = None) -> list[str]:
    """Snapshot ids to delete: all but the newest `keep`, never the protected one."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise PolicyError(f"retain must be a whole number >= 0: {shown(keep)}")
    ordered = sorted(i for i in snapshot_ids if _SNAPSHOT_ID.match(i))
    first_kept = max(0, len(ordered) - keep)
    kept = set(ordered[first_kept:] if keep else [])
    if protect:
        kept.add(protect)
    return [i for i in ordered if i not in kept]


def timer_argv(method: str, name: str, window: int, script: str) -> list[str]:
    """The command that arms the revert (for `at`, the job text goes on stdin)."""
    unit = unit_name(name)
    if method == "systemd":
        return [
            "systemd-run",
            f"--unit={unit}",
            f"--description=bulwark.hardening: revert {name} unless confirmed",
            f"--on-active={window}s",
            "--timer-property=AccuracySec=1s",
            "--collect",
            "/bin/sh",
            script,
            "revert",
        ]
    if method == "at":
        # at counts in minutes: round up, the window is a minimum.
        return ["at", "-M", "now", "+", str(math.ceil(window / 60)), "minutes"]
    raise PolicyError(f"unknown method: {shown(method)}")


def at_job_text(script: str) -> str:
    return f"/bin/sh {shlex.quote(script)} revert\n"


def parse_at_job(stderr: str) -> str | None:
    """The job number `at` prints on stderr ("job 7 at Wed Dec  2 06:00:00 2026")."""
    match = re.search(r"^job (\d+) at ", stderr, re.MULTILINE)
    return match.group(1) if match else None


def render_script(
    name: str,
    state_dir: str,
    snapshot: str,
    existed: dict[str, bool],
    reload: list[str],
    *,
    prepare: list[str] | None = None,
    check: list[str] | None = None,
) -> str:
    """The host-side script: `revert` restores the snapshot and reloads, `confirm` disarms.

    Both take the same lock and act only while `pending` exists, so a revert
    that fires while a run confirms does nothing once the confirmation is in,
    and a confirmation after a revert finds nothing to disarm.

    A revert runs `prepare` (before the files come back: ufw stops the live
    firewall while its files still say how), puts the files back, runs
    `reload`, then `check`: commands that prove the restored state is live.
    A failed check repeats the whole sequence, up to REVERT_ATTEMPTS times;
    still failing, the revert exits 1 and says so. Without checks it runs once.
    """
    unit = unit_name(name)
    q = shlex.quote
    snap = f"{state_dir}/snapshots/{snapshot}/files"
    restore = []
    for path, was in existed.items():
        if was:
            restore.append(f"cp -p {q(snap + path)} {q(path)} || status=1")
        else:
            restore.append(f"rm -f {q(path)} || status=1")
    prepares = [f"{{ {cmd} ; }} || status=1" for cmd in prepare or []]
    reloads = [f"{{ {cmd} ; }} || status=1" for cmd in reload]
    checks = [f"{{ {cmd} ; }} || ok=0" for cmd in check or []]
    lines = [
        "#!/bin/sh",
        f"# bulwark.hardening commit-confirmed for {name}: `revert` puts back the files",
        f"# saved in {snap} and reloads; `confirm` keeps the live files.",
        "# Written by the bulwark.hardening.commit_confirm module; do not edit.",
        "set -u",
        f"dir={q(state_dir)}",
        'exec 9>"$dir/lock"',
        "flock 9",
        'if [ ! -f "$dir/pending" ]; then',
        f'  echo "bulwark: nothing pending for {name}"',
        "  exit 0",
        "fi",
        "disarm() {",
        f"  systemctl stop {unit}.timer 2>/dev/null || true",
        '  if [ -f "$dir/at_job" ]; then atrm "$(cat "$dir/at_job")" 2>/dev/null || true; fi',
        '  rm -f "$dir/at_job" "$dir/pending"',
        "}",
        'case "${1:-}" in',
        "  revert)",
        "    attempt=0",
        "    while :; do",
        "      attempt=$((attempt + 1))",
        "      status=0",
        "      ok=1",
        *("      " + line for line in prepares),
        *("      " + line for line in restore),
        *("      " + line for line in reloads),
        *("      " + line for line in checks),
        f'      if [ "$ok" = 1 ] || [ "$attempt" -ge {REVERT_ATTEMPTS} ]; then break; fi',
        f'      echo "bulwark: {name}: the restored state is not live (attempt $attempt), again"',
        "      sleep 2",
        "    done",
        '    if [ "$ok" != 1 ]; then',
        f'      echo "bulwark: {name}: the restored state is still not live after'
        ' $attempt attempts" >&2',
        "      status=1",
        "    fi",
        "    disarm",
        f'    echo "bulwark: reverted {name} to snapshot {snapshot}'
        ' (status $status, attempts $attempt)"',
        "    exit $status",
        "    ;;",
        "  confirm)",
        "    disarm",
        f'    echo "bulwark: confirmed {name}"',
        "    ;;",
        "  *)",
        '    echo "usage: $0 revert|confirm" >&2',
        "    exit 2",
        "    ;;",
        "esac",
        "",
    ]
    return "\n".join(lines)


def armed_message(name: str, method: str, window: int, script: str, rearmed: bool) -> str:
    """What the play tells the operator once the revert is armed."""
    unit = unit_name(name)
    how = (
        f"a transient systemd timer {unit}.timer"
        if method == "systemd"
        else "an at job (at rounds the window up to whole minutes)"
    )
    what = (
        "re-armed (a revert was already pending: it keeps the last confirmed files)"
        if rearmed
        else "armed"
    )
    return (
        f"{name}: automatic revert {what}: {how} restores the previous files and reloads "
        f"in {window} seconds unless confirmed. "
        f"Confirm by hand: sudo sh {script} confirm. Revert now: sudo sh {script} revert."
    )
