#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: commit_confirm
short_description: Arm, confirm or run a revert on the host itself (commit-confirmed)
version_added: 1.0.0
author: bulwark.hardening maintainers (@bulwark-hardening)
description:
  - Before a change that can cut the operator off goes live (sshd, ufw), I(state=armed) saves
    the listed files and arms a revert on the host itself, a transient systemd timer
    C(bulwark-revert-<name>) (or an C(at) job where systemd is not init). Unless confirmed
    within I(window) seconds, the host runs the I(prepare) commands, puts the saved files
    back (removing those that did not exist), runs the I(reload) commands and then the
    I(check) commands, with no help from the controller; a failed
    proof, a failed play and a play that never comes back end the same way.
  - I(state=confirmed) disarms the revert and prunes the snapshots down to I(retain).
    I(state=reverted) runs the revert now. I(state=query) only reports.
  - A run that finds a revert already pending (an earlier run changed and did not confirm)
    keeps that revert's snapshot, the last confirmed files, and re-arms the one timer for a
    full window; it never arms a second one and never makes unconfirmed files the revert's
    target. A revert that fires while a confirmation runs does nothing (both take one lock
    and act only while the revert is pending).
  - On the host, C(sh <root>/<name>/bulwark-confirm confirm) confirms by hand, and
    C(... revert) reverts now.
  - The internal role C(bulwark.hardening.bulwark) wraps this module (C(tasks_from=arm) and
    C(tasks_from=confirm)) for the sshd and ufw roles.
options:
  name:
    description: What is changed (the role's name); names the unit and the state directory.
    type: str
    required: true
  state:
    description: C(armed), C(confirmed), C(reverted) or C(query).
    type: str
    choices: [armed, confirmed, reverted, query]
    default: query
  paths:
    description: The files the change may write (state=armed). Missing files are recorded as
      missing and removed by a revert.
    type: list
    elements: path
  prepare:
    description: Shell commands the revert runs before it puts the files back, in order
      (ufw stops the live firewall while its files still describe it).
    type: list
    elements: str
    default: []
    version_added: 1.1.0
  reload:
    description: Shell commands the revert runs after putting the files back, in order.
    type: list
    elements: str
    default: []
  check:
    description:
      - Shell commands the revert runs last, each proving that the restored state is live (for
        ufw, the kernel's rules match the restored files). When one fails, the revert runs
        again from I(prepare), three times in all; still failing, it exits 1 and says so in
        the journal.
    type: list
    elements: str
    default: []
    version_added: 1.1.0
  window:
    description: Seconds before the revert runs unless confirmed (10-86400).
    type: int
    default: 300
  retain:
    description: Snapshots kept after a confirmation (the newest ones).
    type: int
    default: 3
  root:
    description: Where the state (snapshots, script, pending marker) is kept.
    type: path
    default: /var/lib/bulwark/confirm
notes:
  - Check mode changes nothing; it reports what would be armed, confirmed or reverted.
  - A transient timer does not survive a reboot; an C(at) job does. After a reboot with a
    revert pending (the marker file C(pending) exists), run the script by hand.
"""

EXAMPLES = r"""
---
- name: Arm a revert of sshd_config, 300 seconds
  bulwark.hardening.commit_confirm:
    name: sshd
    state: armed
    paths: [/etc/ssh/sshd_config]
    reload: [systemctl try-reload-or-restart ssh]
    window: 300

- name: Confirm once a fresh login worked
  bulwark.hardening.commit_confirm:
    name: sshd
    state: confirmed
    retain: 3
"""

RETURN = r"""
pending:
  description: The pending revert after the task (null when none); C(snapshot), C(armed_at),
    C(deadline) (epoch seconds), C(window), C(method), C(paths).
  type: dict
  returned: always
rearmed:
  description: state=armed found a revert pending and kept its snapshot.
  type: bool
  returned: always
pruned:
  description: Snapshot ids deleted by a confirmation.
  type: list
  elements: str
  returned: always
unit:
  description: The transient unit's name (without .timer/.service).
  type: str
  returned: always
script:
  description: The host-side script (C(revert) or C(confirm)).
  type: str
  returned: always
msg:
  description: What was done, for how long, and how to confirm or revert by hand.
  type: str
  returned: always
"""

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils import _confirm  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (  # noqa: E402
    PolicyError,
)


def _read_json(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _write(path: str, text: str, mode: int) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(state_dir: str):
    with open(os.path.join(state_dir, "lock"), "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _snapshot_ids(state_dir: str) -> list[str]:
    snaps = os.path.join(state_dir, "snapshots")
    return sorted(os.listdir(snaps)) if os.path.isdir(snaps) else []


def _take(snap_dir: str, paths: list[str], existed: dict[str, bool]) -> None:
    files = os.path.join(snap_dir, "files")
    for path in paths:
        existed[path] = os.path.isfile(path)
        if existed[path]:
            dest = files + path
            os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
            shutil.copy2(path, dest)
            info = os.stat(path)
            os.chown(dest, info.st_uid, info.st_gid)


def _disarm_units(module: AnsibleModule, unit: str) -> None:
    """Stop a leftover timer and its service (a revert waiting on the lock included)."""
    if shutil.which("systemctl"):
        for verb in ("stop", "reset-failed"):
            module.run_command(["systemctl", verb, f"{unit}.timer", f"{unit}.service"])


def _arm(module: AnsibleModule, p: dict, state_dir: str, script: str, unit: str) -> dict:
    paths = _confirm.check_paths(p["paths"])
    window = _confirm.check_window(p["window"])
    method = _confirm.choose_method(
        os.path.isdir("/run/systemd/system") and bool(shutil.which("systemd-run")),
        bool(shutil.which("at")),
    )
    if module.check_mode:
        return {"changed": True, "rearmed": False, "pending": None}
    # The snapshots may hold secrets (shadow, keys): root only, from the top.
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    os.chmod(state_dir, 0o700)
    os.makedirs(os.path.join(state_dir, "snapshots"), mode=0o700, exist_ok=True)
    with _locked(state_dir):
        _disarm_units(module, unit)
        pending = _read_json(os.path.join(state_dir, "pending"))
        snap_paths = None
        if pending:
            manifest = _read_json(
                os.path.join(state_dir, "snapshots", pending.get("snapshot", "-"), "manifest.json")
            )
            snap_paths = list(manifest["paths"]) if manifest else None
        stamp = time.time()
        new_id = (
            time.strftime("%Y%m%dT%H%M%S", time.gmtime(stamp)) + f".{int(stamp % 1 * 1e6):06d}Z"
        )
        plan = _confirm.plan_arm(pending, snap_paths, paths, new_id)
        snap_dir = os.path.join(state_dir, "snapshots", plan["snapshot"])
        manifest = _read_json(os.path.join(snap_dir, "manifest.json")) if not plan["new"] else None
        existed: dict[str, bool] = dict(manifest["paths"]) if manifest else {}
        os.makedirs(snap_dir, mode=0o700, exist_ok=True)
        _take(snap_dir, plan["take"], existed)
        _write(
            os.path.join(snap_dir, "manifest.json"), json.dumps({"paths": existed}, indent=1), 0o600
        )
        _write(
            script,
            _confirm.render_script(
                p["name"],
                state_dir,
                plan["snapshot"],
                existed,
                p["reload"],
                prepare=p["prepare"],
                check=p["check"],
            ),
            0o700,
        )
        now = time.time()
        pending = {
            "snapshot": plan["snapshot"],
            "armed_at": now,
            "deadline": now + window,
            "window": window,
            "method": method,
            "paths": list(existed),
        }
        _write(os.path.join(state_dir, "pending"), json.dumps(pending, indent=1), 0o600)
        argv = _confirm.timer_argv(method, p["name"], window, script)
        if method == "at":
            rc, _out, err = module.run_command(
                argv, data=_confirm.at_job_text(script), binary_data=True
            )
            job = _confirm.parse_at_job(err)
            if rc == 0 and job:
                _write(os.path.join(state_dir, "at_job"), job + "\n", 0o600)
        else:
            rc, _out, err = module.run_command(argv)
        if rc != 0:
            os.unlink(os.path.join(state_dir, "pending"))
            module.fail_json(
                msg=f"commit_confirm: could not arm the revert ({' '.join(argv)}): {err.strip()}"
            )
    return {"changed": True, "rearmed": plan["rearmed"], "pending": pending}


def _run_script(module: AnsibleModule, script: str, verb: str) -> str:
    rc, out, err = module.run_command(["/bin/sh", script, verb])
    if rc != 0:
        module.fail_json(
            msg=f"commit_confirm: `sh {script} {verb}` failed (rc {rc}): "
            f"{err.strip() or out.strip()}"
        )
    return out.strip()


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {
                "type": "str",
                "default": "query",
                "choices": ["armed", "confirmed", "reverted", "query"],
            },
            "paths": {"type": "list", "elements": "path"},
            "prepare": {"type": "list", "elements": "str", "default": []},
            "reload": {"type": "list", "elements": "str", "default": []},
            "check": {"type": "list", "elements": "str", "default": []},
            "window": {"type": "int", "default": 300},
            "retain": {"type": "int", "default": 3},
            "root": {"type": "path", "default": "/var/lib/bulwark/confirm"},
        },
        required_if=[("state", "armed", ["paths"])],
        supports_check_mode=True,
    )
    p = module.params
    try:
        unit = _confirm.unit_name(p["name"])
        _confirm.prune([], p["retain"])
    except PolicyError as exc:
        module.fail_json(msg=f"commit_confirm: {exc}")
    state_dir = os.path.join(p["root"], p["name"])
    script = os.path.join(state_dir, _confirm.SCRIPT)
    pending_file = os.path.join(state_dir, "pending")
    result = {"changed": False, "rearmed": False, "pruned": [], "unit": unit, "script": script}
    pending = _read_json(pending_file)

    try:
        if p["state"] == "armed":
            result.update(_arm(module, p, state_dir, script, unit))
            result["msg"] = _confirm.armed_message(
                p["name"],
                (result["pending"] or {}).get("method", "systemd"),
                p["window"],
                script,
                result["rearmed"],
            )
        elif p["state"] == "confirmed":
            if pending:
                result["changed"] = True
                if not module.check_mode:
                    _run_script(module, script, "confirm")
                    result["pruned"] = _confirm.prune(_snapshot_ids(state_dir), p["retain"])
                    for snap in result["pruned"]:
                        shutil.rmtree(os.path.join(state_dir, "snapshots", snap))
            result["pending"] = None if not module.check_mode else pending
            result["msg"] = (
                f"{p['name']}: confirmed" if pending else f"{p['name']}: nothing pending"
            )
        elif p["state"] == "reverted":
            result["changed"] = bool(pending)
            out = _run_script(module, script, "revert") if pending and not module.check_mode else ""
            result["pending"] = None if not module.check_mode else pending
            result["msg"] = out or f"{p['name']}: nothing pending"
        else:
            result["pending"] = pending
            due = max(0, round(pending["deadline"] - time.time())) if pending else 0
            result["msg"] = (
                f"{p['name']}: revert pending, due in {due} s"
                if pending
                else f"{p['name']}: nothing pending"
            )
    except PolicyError as exc:
        module.fail_json(msg=f"commit_confirm: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
