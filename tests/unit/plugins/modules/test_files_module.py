# SPDX-License-Identifier: GPL-3.0-or-later
"""The files module on real files: make, write, keep, check, refuse, report."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.hardening.plugins.modules import files as files_module

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(capsys, tmp_path, check_mode: bool = False, diff: bool = False, **args) -> dict:
    args.setdefault("files", [])
    for spec in [*args["files"], *args.get("paths", [])]:
        if spec.get("state") in ("mode", "absent"):
            continue
        spec.setdefault("owner", OWNER)
        spec.setdefault("group", GROUP)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    args["_ansible_tmpdir"] = str(tmp_path / "remote-tmp")
    (tmp_path / "remote-tmp").mkdir(exist_ok=True)
    with patch_module_args(args), pytest.raises(SystemExit):
        files_module.main()
    return json.loads(capsys.readouterr().out)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_then_changes_nothing(tmp_path, capsys):
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    files = [
        {"dest": str(a), "content": "one\n"},
        {"dest": str(b), "content": "two\n", "mode": "0640"},
    ]
    first = run(capsys, tmp_path, files=[dict(f) for f in files])
    assert first["changed"] and first["changed_files"] == [str(a), str(b)]
    assert first["content_changed"] == [str(a), str(b)]
    assert a.read_text() == "one\n" and b.read_text() == "two\n"
    assert (mode_of(a), mode_of(b)) == (0o644, 0o640)
    before = (a.stat().st_mtime_ns, b.stat().st_mtime_ns)
    again = run(capsys, tmp_path, files=[dict(f) for f in files])
    assert not again["changed"] and again["changed_files"] == [] and again["content_changed"] == []
    assert (a.stat().st_mtime_ns, b.stat().st_mtime_ns) == before


def test_content_and_mode_changes_are_told_apart(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("old\n")
    b.write_text("same\n")
    b.chmod(0o666)
    out = run(
        capsys,
        tmp_path,
        files=[{"dest": str(a), "content": "new\n"}, {"dest": str(b), "content": "same\n"}],
    )
    assert out["changed_files"] == [str(a), str(b)] and out["content_changed"] == [str(a)]
    assert a.read_text() == "new\n" and mode_of(b) == 0o644 and b.read_text() == "same\n"


def test_a_new_secret_file_is_never_readable_by_others(tmp_path, capsys, monkeypatch):
    """The file appears by rename with its mode already set (no 0644 moment)."""
    seen = []
    real_rename = os.rename

    def rename(src, dst):
        seen.append(mode_of(src))
        real_rename(src, dst)

    monkeypatch.setattr(files_module.os, "rename", rename)
    path = tmp_path / "secret"
    run(capsys, tmp_path, files=[{"dest": str(path), "content": "k=v\n", "mode": "0600"}])
    assert seen == [0o600] and mode_of(path) == 0o600


def test_check_mode_reports_and_writes_nothing(tmp_path, capsys):
    a = tmp_path / "a"
    a.write_text("old\n")
    new_dir = tmp_path / "d"
    out = run(
        capsys,
        tmp_path,
        check_mode=True,
        paths=[{"path": str(new_dir)}],
        files=[
            {"dest": str(a), "content": "new\n"},
            {"dest": str(new_dir / "f"), "content": "x\n"},
        ],
    )
    assert out["changed"] and out["content_changed"] == [str(a), str(new_dir / "f")]
    assert a.read_text() == "old\n" and not new_dir.exists()


def test_diff_shows_old_and_new_content(tmp_path, capsys):
    a = tmp_path / "a"
    a.write_text("old\n")
    out = run(
        capsys, tmp_path, diff=True, check_mode=True, files=[{"dest": str(a), "content": "new\n"}]
    )
    assert out["diff"] == [
        {"before_header": str(a), "after_header": str(a), "before": "old\n", "after": "new\n"}
    ]


def test_validate_refuses_a_candidate_and_stops_there(tmp_path, capsys):
    first, bad, later = tmp_path / "first", tmp_path / "bad", tmp_path / "later"
    bad.write_text("good\n")
    out = run(
        capsys,
        tmp_path,
        files=[
            {"dest": str(first), "content": "1\n"},
            {"dest": str(bad), "content": "broken\n", "validate": "grep -q good %s"},
            {"dest": str(later), "content": "3\n"},
        ],
    )
    assert out["failed"] and str(bad) in out["msg"] and "grep -q good" in out["msg"]
    assert out["rc"] == 1 and out["changed_files"] == [str(first)]
    assert first.read_text() == "1\n" and bad.read_text() == "good\n" and not later.exists()
    # Nothing left behind: no candidate, no half-written file next to it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "first", "remote-tmp"]
    assert list((tmp_path / "remote-tmp").iterdir()) == []


def test_validate_sees_the_candidate_content(tmp_path, capsys):
    a = tmp_path / "a"
    out = run(
        capsys,
        tmp_path,
        files=[{"dest": str(a), "content": "good\n", "validate": "grep -qx good %s"}],
    )
    assert out["changed"] and a.read_text() == "good\n"


def test_validate_without_placeholder_is_refused(tmp_path, capsys):
    a = tmp_path / "a"
    out = run(capsys, tmp_path, files=[{"dest": str(a), "content": "x\n", "validate": "true"}])
    assert out["failed"] and "must contain %s" in out["msg"] and not a.exists()


def test_force_false_keeps_an_existing_content_but_sets_the_mode(tmp_path, capsys):
    log = tmp_path / "log"
    log.write_text("lines\n")
    log.chmod(0o600)
    out = run(
        capsys, tmp_path, files=[{"dest": str(log), "content": "", "force": False, "mode": "0640"}]
    )
    assert out["changed_files"] == [str(log)] and out["content_changed"] == []
    assert log.read_text() == "lines\n" and mode_of(log) == 0o640
    fresh = tmp_path / "fresh"
    out = run(capsys, tmp_path, files=[{"dest": str(fresh), "content": "", "force": False}])
    assert out["content_changed"] == [str(fresh)] and fresh.read_text() == ""


def test_paths_are_made_before_the_files_and_kept(tmp_path, capsys):
    d = tmp_path / "conf.d"
    args = {
        "paths": [{"path": str(d), "mode": "0750"}],
        "files": [{"dest": str(d / "x.conf"), "content": "x\n"}],
    }
    out = run(capsys, tmp_path, **json.loads(json.dumps(args)))
    assert out["changed_files"] == [str(d), str(d / "x.conf")]
    assert mode_of(d) == 0o750 and (d / "x.conf").read_text() == "x\n"
    assert not run(capsys, tmp_path, **json.loads(json.dumps(args)))["changed"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"content": "x", "mode": "u+rw"}, "is not an octal mode"),
        ({"content": "x", "owner": "no-such-user-bulwark"}, "no user 'no-such-user-bulwark'"),
        ({"content": "x", "group": "no-such-group-bulwark"}, "no group 'no-such-group-bulwark'"),
    ],
)
def test_bad_input_is_refused_naming_the_file(tmp_path, capsys, spec, message):
    path = tmp_path / "f"
    out = run(capsys, tmp_path, files=[{"dest": str(path), **spec}])
    assert out["failed"] and message in out["msg"] and str(path) in out["msg"] and not path.exists()


def test_a_missing_directory_is_an_error(tmp_path, capsys):
    path = tmp_path / "missing" / "f"
    out = run(capsys, tmp_path, files=[{"dest": str(path), "content": "x"}])
    assert out["failed"] and f"directory {tmp_path / 'missing'}" in out["msg"]


def test_relative_paths_are_under_base_dir(tmp_path, capsys):
    stage = tmp_path / "stage"
    stage.mkdir()
    out = run(
        capsys,
        tmp_path,
        base_dir=str(stage),
        paths=[{"path": "filter.d"}],
        files=[
            {"dest": "filter.d/x.local", "content": "x\n"},
            {"dest": "jail.local", "content": "j\n"},
        ],
    )
    assert out["changed_files"] == [
        str(stage / "filter.d"),
        str(stage / "filter.d/x.local"),
        str(stage / "jail.local"),
    ]
    assert (stage / "filter.d/x.local").read_text() == "x\n"


def test_paths_made_when_missing_check_mode_first(tmp_path, capsys):
    new_dir, new_file = tmp_path / "d" / "e", tmp_path / "log"
    paths = [
        {"path": str(new_dir), "mode": "0750"},
        {"path": str(new_file), "state": "file", "mode": "0640"},
    ]
    check = run(capsys, tmp_path, check_mode=True, paths=[dict(p) for p in paths])
    assert check["changed_files"] == [str(new_dir), str(new_file)]
    assert not new_dir.exists() and not new_file.exists()
    assert run(capsys, tmp_path, paths=[dict(p) for p in paths])["changed_files"] == [
        str(new_dir),
        str(new_file),
    ]
    assert new_dir.is_dir() and mode_of(new_dir) == 0o750
    assert new_file.is_file() and new_file.stat().st_size == 0 and mode_of(new_file) == 0o640
    assert not run(capsys, tmp_path, paths=[dict(p) for p in paths])["changed"]


def test_paths_set_a_differing_mode_and_keep_content(tmp_path, capsys):
    kept, skipped = tmp_path / "kept.log", tmp_path / "absent"
    kept.write_text("old lines\n")
    kept.chmod(0o644)
    before = kept.stat().st_mtime_ns
    paths = [
        {"path": str(kept), "state": "file", "mode": "0600"},
        {"path": str(skipped), "state": "mode", "mode": "0700"},
    ]
    assert run(capsys, tmp_path, check_mode=True, paths=[dict(p) for p in paths])[
        "changed_files"
    ] == [str(kept)]
    assert mode_of(kept) == 0o644
    assert run(capsys, tmp_path, paths=[dict(p) for p in paths])["changed_files"] == [str(kept)]
    assert (
        mode_of(kept) == 0o600
        and kept.read_text() == "old lines\n"
        and kept.stat().st_mtime_ns == before
    )
    assert not skipped.exists()


def test_mode_entry_follows_a_link_and_leaves_the_owner(tmp_path, capsys):
    target, link = tmp_path / "target", tmp_path / "link"
    target.write_text("x")
    target.chmod(0o644)
    link.symlink_to(target)
    out = run(capsys, tmp_path, paths=[{"path": str(link), "state": "mode", "mode": "0600"}])
    assert out["changed_files"] == [str(link)] and mode_of(target) == 0o600 and link.is_symlink()


@pytest.mark.parametrize(
    ("state", "message"), [("directory", "is not a directory"), ("file", "is not a regular file")]
)
def test_paths_refuse_the_wrong_kind(tmp_path, capsys, state, message):
    clash = tmp_path / "clash"
    if state == "directory":
        clash.write_text("")
    else:
        clash.mkdir()
    out = run(capsys, tmp_path, paths=[{"path": str(clash), "state": state}])
    assert out["failed"] and f"{clash} {message}" in out["msg"]


def test_absent_removes_a_file_or_link_but_never_a_directory(tmp_path, capsys):
    gone, kept_dir = tmp_path / "off.sh", tmp_path / "dir"
    gone.write_text("TMOUT=600\n")
    kept_dir.mkdir()
    entry = [{"path": str(gone), "state": "absent"}]
    assert (
        run(capsys, tmp_path, check_mode=True, paths=[dict(e) for e in entry])["changed"]
        and gone.exists()
    )
    assert run(capsys, tmp_path, paths=[dict(e) for e in entry])["changed_files"] == [str(gone)]
    assert not gone.exists()
    assert not run(capsys, tmp_path, paths=[dict(e) for e in entry])["changed"]
    refused = run(capsys, tmp_path, paths=[{"path": str(kept_dir), "state": "absent"}])
    assert (
        refused["failed"] and "is a directory, not removed" in refused["msg"] and kept_dir.is_dir()
    )


def test_an_empty_owner_and_group_leave_them_as_they_are(tmp_path, capsys, monkeypatch):
    """Log files whose owner nginx's packaging and logrotate set."""
    log = tmp_path / "access.log"
    log.write_text("line\n")
    log.chmod(0o644)
    chowned = []
    monkeypatch.setattr(files_module.os, "chown", lambda *a, **k: chowned.append(a))
    entry = {"path": str(log), "state": "file", "mode": "0640", "owner": "", "group": ""}
    assert run(capsys, tmp_path, paths=[dict(entry)])["changed_files"] == [str(log)]
    assert mode_of(log) == 0o640 and chowned == [(str(log), -1, -1)]
    assert not run(capsys, tmp_path, paths=[dict(entry)])["changed"]
