# SPDX-License-Identifier: GPL-3.0-or-later
"""Record one JSON line per task result for scripts/bench.py.

Enabled by the bench only (ANSIBLE_CALLBACKS_ENABLED=bench_trace); the file
is named by BENCH_TRACE. Each line is a task start or a result:

  {"event": "task", "t": 12.3, "role": "sshd", "name": "...", "action": "..."}
  {"event": "result", "t": 12.9, "host": "h1", "status": "ok", "changed": false,
   "items": 0, "skipped_items": 0, "controller": false}

`items` counts loop items that ran (not skipped); `controller` is true for
actions that run on the controller only (no round trip to the host).
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_trace
type: aggregate
short_description: task and result trace for make bench
description: Writes one JSON line per task start and per host result to $BENCH_TRACE.
requirements: [enable in ANSIBLE_CALLBACKS_ENABLED]
"""

# Actions that the controller runs by itself: no module goes to the host.
CONTROLLER_ACTIONS = frozenset(
    {
        "add_host",
        "assert",
        "debug",
        "fail",
        "group_by",
        "import_role",
        "import_tasks",
        "include_role",
        "include_tasks",
        "include_vars",
        "meta",
        "set_fact",
        "set_stats",
        "validate_argument_spec",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


def _short_action(action):
    return (action or "").rsplit(".", 1)[-1]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_trace"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        path = os.environ.get("BENCH_TRACE")
        # Line-buffered: a failed play still leaves what it did.
        self._out = open(path, "a", buffering=1, encoding="utf-8") if path else None  # noqa: SIM115
        self._start = time.monotonic()
        self._items = {}

    def _write(self, record):
        if self._out:
            record["t"] = round(time.monotonic() - self._start, 3)
            self._out.write(json.dumps(record) + "\n")

    def _task_start(self, task, handler):
        self._write(
            {
                "event": "task",
                "role": task._role.get_name(include_role_fqcn=False) if task._role else "",
                "name": task.get_name(include_role_fqcn=False),
                "action": _short_action(task.action),
                "handler": handler,
            }
        )

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task, handler=False)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task, handler=True)

    def _item(self, result, ran):
        key = (result._host.get_name(), result._task._uuid)
        done, skipped = self._items.get(key, (0, 0))
        self._items[key] = (done + 1, skipped) if ran else (done, skipped + 1)

    def v2_runner_item_on_ok(self, result):
        self._item(result, ran=True)

    def v2_runner_item_on_failed(self, result):
        self._item(result, ran=True)

    def v2_runner_item_on_skipped(self, result):
        self._item(result, ran=False)

    def _result(self, result, status):
        task = result._task
        host = result._host.get_name()
        items, skipped_items = self._items.pop((host, task._uuid), (0, 0))
        delegated = str(task.delegate_to or "") in LOCAL_HOSTS
        self._write(
            {
                "event": "result",
                "host": host,
                "status": status,
                "changed": bool(result._result.get("changed", False)),
                "items": items,
                "skipped_items": skipped_items,
                "controller": delegated or _short_action(task.action) in CONTROLLER_ACTIONS,
            }
        )

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed):
            summary = stats.summarize(host)
            self._write({"event": "stats", "host": host, **summary})
        if self._out:
            self._out.close()
            self._out = None
