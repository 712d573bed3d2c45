# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of a role's files differ from what a probe of the host read.

A role whose probe already reads the host lists, for each file it writes,
one line `PATH SHA1 MODE OWNER:GROUP` (`sha1sum` of the content, `stat -c
'%a %U:%G'`; no line for a missing file). The files module then runs only
for the files that differ: a rerun that changes nothing costs no call.
"""

from __future__ import annotations

import hashlib

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


def files_to_write(files: list[dict], state_text: str) -> list[dict]:
    """The entries of `files` (the files module's O(files)) that the host
    does not have as given: missing, other content (unless force is false),
    other mode, owner or group (an empty owner or group matches any)."""
    state = parse_state(state_text)
    differ = []
    for entry in files:
        if not isinstance(entry, dict) or "dest" not in entry or "content" not in entry:
            raise PolicyError(f"each file needs a dest and a content: {entry!r}")
        have = state.get(entry["dest"])
        if have is None:
            differ.append(entry)
            continue
        sha1, mode, owner, group = have
        try:
            want_mode = int(str(entry.get("mode", "0644")), 8)
        except ValueError:
            raise PolicyError(
                f"mode of {entry['dest']} is not octal: {entry.get('mode')!r}"
            ) from None
        want_owner = entry.get("owner", "root")
        want_group = entry.get("group", "root")
        content = str(entry["content"]).encode("utf-8")
        content_ok = not entry.get("force", True) or sha1 == hashlib.sha1(content).hexdigest()
        ids_ok = want_owner in ("", owner) and want_group in ("", group)
        same = content_ok and mode == want_mode and ids_ok
        if not same:
            differ.append(entry)
    return differ
