#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Make a role's directories, files and modes in one call
version_added: 1.1.0
author: bulwark.hardening maintainers (@bulwark-hardening)
description:
  - The one way the collection's roles write configuration files and make or mode paths. Each
    file's content is given (render a template with the P(ansible.builtin.template#lookup)
    lookup), so a run that changes nothing costs one call to the host for all of a role's
    files and paths, where a M(ansible.builtin.template) task costs two per file and a
    M(ansible.builtin.file) task one per path.
  - O(paths) are handled first, then O(files).
  - Files are handled in the order given, each as M(ansible.builtin.template) would; a file
    whose content differs is written to a candidate first, the candidate is checked with
    O(files[].validate), and only a candidate that passes replaces the file (an atomic rename
    of a file that already has its owner, group and mode, so a secret is never readable by
    others, not even for a moment). A failed check fails the task and leaves that file and every
    later one untouched; the files before it are written, as separate tasks would have.
  - Owner, group and mode are set when they differ, also when the content is right.
attributes:
  check_mode:
    description: Reports what would change, writes nothing.
    support: full
  diff_mode:
    description: The old and new content of each file whose content changes.
    support: full
options:
  base_dir:
    description: When set, a relative O(files[].dest) or O(paths[].path) is under this
      directory (a role that writes the same files into a staging copy first, say).
    type: path
  paths:
    description: Directories, empty files, modes and removals, in order (a parent before its
      children).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The path. Relative, it is under O(base_dir).
        type: path
        required: true
      state:
        description:
          - C(directory) (parents made as needed) or C(file) (an empty regular file) is made when
            missing, and its owner, group and mode are set when they differ; an existing file
            keeps its content and times.
          - C(mode) only sets the mode, and only of a path that exists.
          - C(absent) removes a file or link when it is there (never a directory).
        type: str
        choices: [directory, file, mode, absent]
        default: directory
      owner:
        description: Owner (C(directory) and C(file)); empty, an existing path keeps its own
          and a new one gets the module's user.
        type: str
        default: root
      group:
        description: Group (C(directory) and C(file)); empty, as for O(paths[].owner).
        type: str
        default: root
      mode:
        description: Mode, in octal (not used by C(absent)).
        type: str
        default: "0755"
  files:
    description: The files, in the order they are written.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: The file. Its directory must exist (or be in O(paths)). Relative, it is
          under O(base_dir).
        type: path
        required: true
      content:
        description: The whole content.
        type: str
        required: true
      owner:
        description: Owner; empty, as for O(paths[].owner).
        type: str
        default: root
      group:
        description: Group; empty, as for O(paths[].owner).
        type: str
        default: root
      mode:
        description: Mode, in octal.
        type: str
        default: "0644"
      validate:
        description: Command that checks the candidate before it replaces the file, with C(%s)
          for the candidate's path (split like M(ansible.builtin.template)'s, no shell).
        type: str
      force:
        description: When false, an existing file keeps its content (owner, group and mode are
          still set); only a missing one is written.
        type: bool
        default: true
notes:
  - Give the task C(no_log) when a file holds a secret; the module never returns contents
    except as the diff of C(--diff).
"""

EXAMPLES = r"""
---
- name: The client drop-in, and a secret file (no_log, or its content shows in --diff)
  bulwark.hardening.files:
    paths:
      - path: /etc/ssh/ssh_config.d
    files:
      - dest: /etc/ssh/ssh_config.d/50-hardening.conf
        content: "{{ lookup('ansible.builtin.template', 'ssh_config.conf.j2') }}"
        validate: ssh -G -F %s example.invalid
      - dest: /etc/myapp/secret.env
        content: "SECRET_KEY={{ myapp_secret_key }}\n"
        owner: myapp
        mode: "0600"
  no_log: true
"""

RETURN = r"""
changed_files:
  description: The paths and files this run made, removed or changed (content, owner, group or
    mode), in order.
  type: list
  elements: str
  returned: always
content_changed:
  description: The files whose content was (or, in check mode, would be) written.
  type: list
  elements: str
  returned: always
"""

import grp  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

# The diff shows text up to this size; larger or binary files are only named.
DIFF_LIMIT = 128 * 1024


class CheckFailed(Exception):
    """A candidate's validate command failed: (message, rc, stdout, stderr)."""


def _read(path: str) -> bytes | None:
    """The file's bytes; None when it (or its directory, in check mode) is missing."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _ids(module: AnsibleModule, owner: str, group: str, where: str) -> tuple[int, int]:
    """uid and gid; -1 for an empty name (left as it is)."""
    uid = gid = -1
    try:
        if owner:
            uid = pwd.getpwnam(owner).pw_uid
    except KeyError:
        module.fail_json(msg=f"files: no user {owner!r} on the host (owner of {where})")
    try:
        if group:
            gid = grp.getgrnam(group).gr_gid
    except KeyError:
        module.fail_json(msg=f"files: no group {group!r} on the host (group of {where})")
    return uid, gid


def _wanted(st: os.stat_result, uid: int, gid: int, mode: int) -> tuple[int, int, int]:
    """What the path should have: an owner or group of -1 keeps the one it has."""
    return (st.st_uid if uid == -1 else uid, st.st_gid if gid == -1 else gid, mode)


def _mode(module: AnsibleModule, mode: str, where: str) -> int:
    try:
        value = int(str(mode), 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o7777:
        module.fail_json(msg=f"files: mode {mode!r} of {where} is not an octal mode")
    return value


def _attributes_differ(path: str, uid: int, gid: int, mode: int) -> bool:
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, st.st_mode & 0o7777) != _wanted(st, uid, gid, mode)


def _set_attributes(path: str, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    os.chmod(path, mode)


def _text(data: bytes | None) -> str:
    if data is None:
        return ""
    if len(data) > DIFF_LIMIT:
        return f"({len(data)} bytes, not shown)\n"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "(binary content, not shown)\n"


def _validate(module: AnsibleModule, spec: dict, data: bytes) -> None:
    """Run the file's check on a private copy of the candidate."""
    command = spec["validate"]
    if "%s" not in command:
        module.fail_json(msg=f"files: validate of {spec['dest']} must contain %s: {command}")
    fd, candidate = tempfile.mkstemp(dir=module.tmpdir, prefix="candidate.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        rc, out, err = module.run_command(command % candidate)
    finally:
        os.unlink(candidate)
    if rc != 0:
        raise CheckFailed(
            f"files: {spec['dest']} not written, its check failed: {command}", rc, out, err
        )


def _replace(path: str, data: bytes, uid: int, gid: int, mode: int) -> None:
    """Write next to the file with its final owner and mode, then rename over it."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _path(module: AnsibleModule, spec: dict) -> bool:
    """One O(paths) entry; whether it changed (or would)."""
    path, state = spec["path"], spec["state"]
    if state == "absent":
        if not os.path.lexists(path):
            return False
        if os.path.isdir(path) and not os.path.islink(path):
            module.fail_json(msg=f"files: {path} is a directory, not removed")
        if not module.check_mode:
            os.unlink(path)
        return True
    mode = _mode(module, spec["mode"], path)
    if not os.path.exists(path):
        if state == "mode":
            return False
        uid, gid = _ids(module, spec["owner"], spec["group"], path)
        if not module.check_mode:
            if state == "directory":
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.mkdir(path, 0o700)
            else:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            _set_attributes(path, uid, gid, mode)
        return True
    if state == "directory" and not os.path.isdir(path):
        module.fail_json(msg=f"files: {path} is not a directory")
    if state == "file" and not os.path.isfile(path):
        module.fail_json(msg=f"files: {path} is not a regular file")
    st = os.stat(path)
    uid, gid = _ids(module, spec["owner"], spec["group"], path) if state != "mode" else (-1, -1)
    want = _wanted(st, uid, gid, mode)
    if (st.st_uid, st.st_gid, st.st_mode & 0o7777) == want:
        return False
    if not module.check_mode:
        if state != "mode":
            os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def _file(module: AnsibleModule, spec: dict, diffs: list) -> tuple[bool, bool]:
    """(anything changed, content changed) for one file."""
    path = spec["dest"]
    uid, gid = _ids(module, spec["owner"], spec["group"], path)
    mode = _mode(module, spec["mode"], path)
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory) and not module.check_mode:
        module.fail_json(msg=f"files: directory {directory} of {path} does not exist")
    if os.path.isdir(path):
        module.fail_json(msg=f"files: {path} is a directory")
    data = spec["content"].encode("utf-8")
    old = _read(path)
    write = old is None or (spec["force"] and old != data)
    if write:
        if module._diff:
            diffs.append(
                {
                    "before_header": path,
                    "after_header": path,
                    "before": _text(old),
                    "after": _text(data),
                }
            )
        if not module.check_mode:
            if spec.get("validate"):
                _validate(module, spec, data)
            if old is not None:
                uid, gid, mode = _wanted(os.lstat(path), uid, gid, mode)
            _replace(path, data, uid, gid, mode)
        return True, True
    if _attributes_differ(path, uid, gid, mode):
        if not module.check_mode:
            _set_attributes(path, uid, gid, mode)
        return True, False
    return False, False


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "base_dir": {"type": "path"},
            "paths": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "path": {"type": "path", "required": True},
                    "state": {
                        "type": "str",
                        "default": "directory",
                        "choices": ["directory", "file", "mode", "absent"],
                    },
                    "owner": {"type": "str", "default": "root"},
                    "group": {"type": "str", "default": "root"},
                    "mode": {"type": "str", "default": "0755"},
                },
            },
            "files": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "dest": {"type": "path", "required": True},
                    "content": {"type": "str", "required": True},
                    "owner": {"type": "str", "default": "root"},
                    "group": {"type": "str", "default": "root"},
                    "mode": {"type": "str", "default": "0644"},
                    "validate": {"type": "str"},
                    "force": {"type": "bool", "default": True},
                },
            },
        },
        supports_check_mode=True,
    )
    base = module.params["base_dir"]
    if base:
        for spec in module.params["paths"]:
            spec["path"] = os.path.join(base, spec["path"])
        for spec in module.params["files"]:
            spec["dest"] = os.path.join(base, spec["dest"])
    changed_files: list[str] = []
    content_changed: list[str] = []
    diffs: list[dict] = []
    for spec in module.params["paths"]:
        if _path(module, spec):
            changed_files.append(spec["path"])
    for spec in module.params["files"]:
        try:
            changed, content = _file(module, spec, diffs)
        except CheckFailed as failed:
            msg, rc, out, err = failed.args
            module.fail_json(msg=msg, rc=rc, stdout=out, stderr=err, changed=bool(changed_files),
                             changed_files=changed_files)  # fmt: skip
        if changed:
            changed_files.append(spec["dest"])
        if content:
            content_changed.append(spec["dest"])
    result = {"changed": bool(changed_files), "changed_files": changed_files,
              "content_changed": content_changed}  # fmt: skip
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
