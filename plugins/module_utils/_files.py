# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of a role's files differ from what a probe of the host read.

A role whose probe already reads the host lists, for each file or directory
it writes, one line `PATH SHA1 MODE OWNER:GROUP` (`sha1sum` of the content,
`-` for a directory, `stat -L -c '%a %U:%G'`; no line for a missing path),
with the shell function `_bulwark_file_state` of roles/bulwark/vars/main.yml.

The files module then runs only for what differs: a rerun that changes
nothing costs no call.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
)


def parse_state(text: str) -> dict[str, tuple[str, int, str, str]]:
    """{path: (sha1, mode, owner, group)} from the probe's lines."""
    state = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.rsplit(" ", 3)
        if len(fields) != 4 or ":" not in fields[3]:
            raise PolicyError(
                f"line {number} of the file state is not 'PATH SHA1 MODE OWNER:GROUP': {line!r}"
            )
        path, sha1, mode, ids = fields
        owner, group = ids.split(":", 1)
        try:
            state[path] = (sha1, int(mode, 8), owner, group)
        except ValueError:
            raise PolicyError(
                f"line {number} of the file state has no octal mode: {line!r}"
            ) from None
    return state


def _attributes_match(entry: dict, where: str, default_mode: str, have: tuple) -> bool:
    """Whether the mode, owner and group the probe read are the entry's (an
    empty owner or group matches any)."""
    _sha1, mode, owner, group = have
    try:
        want_mode = int(str(entry.get("mode", default_mode)), 8)
    except ValueError:
        raise PolicyError(f"mode of {where} is not octal: {entry.get('mode')!r}") from None
    ids_ok = entry.get("owner", "root") in ("", owner) and entry.get("group", "root") in ("", group)
    return mode == want_mode and ids_ok


def files_to_write(files: list[dict], state_text: str, base_dir: str = "") -> list[dict]:
    """The entries of `files` (the files module's O(files)) that the host
    does not have as given: missing, other content (unless force is false),
    other mode, owner or group (an empty owner or group matches any). A
    relative dest is under base_dir (the module's option of that name)."""
    state = parse_state(state_text)
    differ = []
    for entry in files:
        if not isinstance(entry, dict) or "dest" not in entry or "content" not in entry:
            raise PolicyError(f"each file needs a dest and a content: {entry!r}")
        have = state.get(os.path.join(base_dir, entry["dest"]) if base_dir else entry["dest"])
        if have is None:
            differ.append(entry)
            continue
        attributes_ok = _attributes_match(entry, entry["dest"], "0644", have)
        content = str(entry["content"]).encode("utf-8")
        content_ok = not entry.get("force", True) or have[0] == hashlib.sha1(content).hexdigest()
        if not (content_ok and attributes_ok):
            differ.append(entry)
    return differ


def paths_to_make(paths: list[dict], state_text: str) -> list[dict]:
    """The entries of `paths` (the files module's O(paths)) that the host does
    not have as given. The probe's line for a directory has `-` for its
    SHA-1; a path without a line does not exist."""
    state = parse_state(state_text)
    differ = []
    for entry in paths:
        if not isinstance(entry, dict) or "path" not in entry:
            raise PolicyError(f"each path needs a path: {entry!r}")
        kind = entry.get("state", "directory")
        if kind not in ("directory", "file", "mode", "absent"):
            raise PolicyError(
                f"state of {entry['path']} is not directory, file, mode or absent: {kind!r}"
            )
        have = state.get(entry["path"])
        if kind == "absent" or have is None:
            if (kind == "absent") == (have is not None) and kind != "mode":
                differ.append(entry)
            continue
        if kind == "mode":
            # Only the mode: the owner and group are whatever they are.
            entry_ok = _attributes_match(
                {**entry, "owner": "", "group": ""}, entry["path"], "0755", have
            )
        else:
            kind_ok = (have[0] == "-") == (kind == "directory")
            entry_ok = kind_ok and _attributes_match(entry, entry["path"], "0755", have)
        if not entry_ok:
            differ.append(entry)
    return differ
