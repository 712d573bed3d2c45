# SPDX-License-Identifier: GPL-3.0-or-later
"""The app_secret_key module on a real file: generate once, keep, rotate, refuse, never show."""

from __future__ import annotations

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.hardening.plugins.module_utils import _app_settings as app
from ansible_collections.bulwark.hardening.plugins.modules import app_secret_key


def run(capsys, check_mode: bool = False, **args) -> dict:
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        app_secret_key.main()
    return json.loads(capsys.readouterr().out)


def keys(path) -> tuple[str | None, list[str]]:
    return app.parse_secret("django", path.read_text())


def test_generated_once_then_kept_with_mode(tmp_path, capsys):
    path = tmp_path / "secret.env"
    first = run(capsys, path=str(path), mode="0600")
    assert first["changed"] and first["generated"] and not first["rotated"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key, fallbacks = keys(path)
    assert app.secret_key_problems(key) == [] and fallbacks == []
    assert key not in json.dumps(first)
    before = path.stat()
    again = run(capsys, path=str(path), mode="0600")
    assert not again["changed"] and not again["generated"]
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert keys(path) == (key, [])


def test_rotation_twice(tmp_path, capsys):
    path = tmp_path / "secret.env"
    run(capsys, path=str(path))
    k1, _ = keys(path)
    out = run(capsys, path=str(path), rotate=True)
    assert out["changed"] and out["rotated"] and out["fallbacks"] == 1
    k2, fallbacks = keys(path)
    assert k2 != k1 and fallbacks == [k1]
    run(capsys, path=str(path), rotate=True)
    k3, fallbacks = keys(path)
    assert fallbacks == [k2] and k3 not in (k1, k2)


def test_check_mode_writes_nothing(tmp_path, capsys):
    path = tmp_path / "secret.env"
    out = run(capsys, check_mode=True, path=str(path))
    assert out["changed"] and not path.exists()


def test_weak_hand_set_key_is_refused_without_showing_it(tmp_path, capsys):
    path = tmp_path / "secret.env"
    weak = "django-insecure-" + "abcdefghij" * 5
    out = run(capsys, path=str(path), secret_key=weak)
    assert out["failed"] and "django-insecure-" in out["msg"]
    assert weak not in json.dumps(out)
    assert not path.exists()


def test_hand_set_key_replaces_and_keeps_the_old_one(tmp_path, capsys):
    path = tmp_path / "secret.env"
    run(capsys, path=str(path))
    old, _ = keys(path)
    given = "Zq3-" * 13 + "xy"
    out = run(capsys, path=str(path), secret_key=given)
    assert out["changed"] and out["rotated"] and given not in json.dumps(out)
    assert keys(path) == (given, [old])
    assert not run(capsys, path=str(path), secret_key=given)["changed"]
