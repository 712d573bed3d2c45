#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: app_secret_key
short_description: The app's SECRET_KEY, generated on the host once, rotated on request
version_added: 0.1.0
author: bulwark.hardening maintainers (@bulwark-hardening)
description:
  - Keeps the web app's C(SECRET_KEY) and C(SECRET_KEY_FALLBACKS) in a file on the host, in the
    environment-file form the framework reads (C(DJANGO_), C(FLASK_) or C(INVENIO_) prefix).
  - The first run generates a random key on the host (64 characters of C([A-Za-z0-9_-])); later
    runs leave the file alone. The key never leaves the host and is never returned.
  - O(rotate=true) generates a new key and moves the current one to the front of the fallbacks;
    at most O(keep_fallbacks) old keys are kept, so with the default of 1 the next rotation
    drops it. A hand-set O(secret_key) that differs from the current key is rotated in the same
    way.
  - A hand-set key is checked like Django's C(check --deploy) does; the error never shows it.
  - Used by the role P(bulwark.hardening.app_settings#role).
options:
  path:
    description: The secret file.
    type: path
    required: true
  framework:
    description: Which framework's names and value syntax to write.
    type: str
    choices: [django, flask, invenio]
    default: django
  secret_key:
    description: A hand-set key (for example from Ansible Vault). Empty keeps or generates one.
    type: str
    default: ""
  rotate:
    description: Replace the key by a new random one now.
    type: bool
    default: false
  keep_fallbacks:
    description: How many old keys stay in C(SECRET_KEY_FALLBACKS).
    type: int
    default: 1
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and report whether it would change the file.
    support: full
  diff_mode:
    description: Would show the file's changes in diff mode.
    support: none
    details: The file holds secrets; no diff is ever shown.
notes:
  - Set O(mode) to C(0600) (or C(0640) with the app's group) and O(owner) to the app's user.
"""

EXAMPLES = r"""
---
- name: The app's secret key
  bulwark.hardening.app_secret_key:
    path: /etc/myapp/secret.env
    owner: myapp
    group: myapp
    mode: "0600"
  no_log: true
"""

RETURN = r"""
generated:
  description: A new key was generated (first run or rotation).
  type: bool
  returned: always
rotated:
  description: The previous key moved to the fallbacks.
  type: bool
  returned: always
fallbacks:
  description: How many fallback keys the file holds.
  type: int
  returned: always
"""

import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.bulwark.hardening.plugins.module_utils._app_settings import (  # noqa: E402
    generate_secret_key,
    parse_secret,
    rotate,
    secret_key_problems,
    secret_lines,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "framework": {
                "type": "str",
                "choices": ["django", "flask", "invenio"],
                "default": "django",
            },
            "secret_key": {"type": "str", "default": "", "no_log": True},
            "rotate": {"type": "bool", "default": False},
            "keep_fallbacks": {"type": "int", "default": 1, "no_log": False},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    framework = params["framework"]
    if params["keep_fallbacks"] < 0:
        module.fail_json(msg="keep_fallbacks must be >= 0")
    given = params["secret_key"]
    if given:
        problems = secret_key_problems(given)
        if problems:
            module.fail_json(msg="the hand-set secret key is refused: " + "; ".join(problems))

    old_text = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            old_text = handle.read()
    current, fallbacks = parse_secret(framework, old_text) if old_text else (None, [])

    generated = rotated = False
    if given:
        new = given
    elif params["rotate"] or current is None or secret_key_problems(current):
        new = generate_secret_key()
        generated = True
    else:
        new = current
    key, olds = rotate(current, fallbacks, new, params["keep_fallbacks"])
    rotated = current is not None and key != current
    text = "\n".join(secret_lines(framework, key, olds)) + "\n"

    changed = text != old_text
    if changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".app_secret_key.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    file_args = module.load_file_common_arguments(params)
    file_args["path"] = path
    if not module.check_mode or os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(
        changed=changed,
        generated=generated,
        rotated=rotated,
        fallbacks=len(olds),
        path=path,
    )


if __name__ == "__main__":
    main()
