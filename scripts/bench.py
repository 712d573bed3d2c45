#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: how long playbooks/site.yml takes, against a floor and a base.

For the tree checked out here ("new") and, with BASE=<git ref>, a worktree of
that ref ("base", under build/bench/, removed afterwards), in one run:

  converge  fresh converge of site.yml (the proxy included, with the variables
            of that tree's scripts/demo.sh) on one fresh container, over the
            docker connection with Ansible's defaults (no pipelining). Always
            run: every other part needs a converged host.
  floor     a bare `apt-get update; apt-get install --no-install-recommends`
            of every package the converge installed (the same set by
            construction), on a fresh container of the same image.
  rerun     the no-change rerun on that host (changed must be 0), time and
            round trips by role.
  fleet     the no-change rerun on BENCH_HOSTS hosts at once (clones of the
            converged host, forks = hosts), against the one-host rerun.
  ssh       the no-change rerun on one host over real SSH (ControlPersist and
            pipelining, as the README recommends), and over the docker
            connection with pipelining, to tell the transport from pipelining.
  mitogen   (not in the default set) the rerun under Mitogen's strategy, from
            a throwaway install under build/bench/mitogen.

Parts run one tree after the other, part by part, so that new and base are
measured in the same minutes. Settings (environment or make variables):
  BASE=<ref>  BENCH_PARTS=rerun,fleet,...  BENCH_HOSTS=10
  BENCH_BASE_PARTS=rerun,floor (the parts also run on the base)
  BENCH_FROM_IMAGE=<image>: start the new tree's host from a converged host
  saved with `docker commit` instead of converging (nothing on the base)
  BENCH_SAVE_IMAGE=<image>: after the new tree's converge, save its host with
  `docker commit` under that name (for BENCH_FROM_IMAGE; kept at the end)
  BENCH_IMAGE=bulwark/debian12:latest
The table is printed and written to build/bench/bench.md and bench.json.
Containers are named bench-*, labelled bulwark-bench, and removed at the end.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_report as report

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "bench"
CALLBACKS = REPO / "scripts" / "bench_callbacks"
LABEL = "bulwark-bench"
# The docker-connection parts before the SSH ones: os_baseline's record names
# the account the play logs in as (root over docker, operator over SSH), so
# the first run over another connection changes it once, and the 10 hosts
# are clones of the first host as the docker reruns left it.
DEFAULT_PARTS = ("rerun", "floor", "fleet", "ssh")
ALL_PARTS = ("rerun", "floor", "pipelining", "fleet", "ssh", "mitogen")
# The parts also run on BASE: the ones its targets are ratios of. The others
# (ratios within one tree, and the dearest) run on the working tree only,
# unless BENCH_BASE_PARTS names them.
BASE_PARTS = ("rerun", "floor")
MITOGEN = "mitogen==0.3.54"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
DOCKER_RUN = [
    *("--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW"),
    *("--security-opt", "seccomp=unconfined", "--cgroupns", "host"),
    *("-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"),
    *("--tmpfs", "/tmp", "--stop-signal", "RTMIN+3"),
]
# The README's recommendation for SSH at scale (see "Running at scale").
SSH_ARGS = "-C -o ControlMaster=auto -o ControlPersist=300s"


def say(message: str) -> None:
    print(f">> {message}", flush=True)


def sh(*args: str, check: bool = True, capture: bool = True, **kwargs) -> str:
    """Run a command; its stdout, stripped."""
    done = subprocess.run(args, check=check, capture_output=capture, text=True, **kwargs)
    return (done.stdout or "").strip()


@dataclass
class Tree:
    """A checkout whose site.yml is measured: the working tree or a base worktree."""

    name: str
    root: Path
    ref: str
    collections: Path
    demo_groups: list[str] = field(default_factory=list)
    demo_vars: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)

    def host(self, n: int = 1) -> str:
        return f"bench-{self.name}-{n}"


# --- containers ---------------------------------------------------------------


def start_container(name: str, image: str) -> None:
    sh("docker", "rm", "-f", name, check=False)
    sh(
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "--label",
        LABEL,
        *DOCKER_RUN,
        image,
    )


def container_ip(name: str) -> str:
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    return sh("docker", "inspect", "-f", fmt, name)


def in_container(name: str, command: str) -> str:
    return sh("docker", "exec", name, "sh", "-c", command)


def wait_for_boot(name: str) -> None:
    in_container(name, "systemctl is-system-running --wait || true")


def packages(name: str) -> tuple[dict[str, str], set[str]]:
    """Installed packages with their versions, and those marked manual."""
    versions = dict(
        line.split(" ", 1)
        for line in in_container(name, "dpkg-query -W -f '${Package} ${Version}\\n'").splitlines()
    )
    return versions, set(in_container(name, "apt-mark showmanual").split())


def cleanup() -> None:
    ids = sh("docker", "ps", "-aq", "--filter", f"label={LABEL}").split()
    if ids:
        sh("docker", "rm", "-f", *ids, check=False)
    images = sh("docker", "images", "-q", "--filter", "reference=bulwark-bench/*").split()
    if images:
        sh("docker", "rmi", "-f", *images, check=False)


# --- trees --------------------------------------------------------------------


def make_tree(name: str, root: Path, collections: Path) -> Tree:
    ref = sh("git", "-C", str(root), "rev-parse", "--short", "HEAD")
    if sh("git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"):
        ref += "+changes"
    link = collections / "ansible_collections" / "bulwark" / "hardening"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(root, target_is_directory=True)
    tree = Tree(name=name, root=root, ref=ref, collections=collections)
    demo = root / "scripts" / "demo.sh"
    tree.demo_groups, tree.demo_vars = report.demo_inventory(demo.read_text(encoding="utf-8"))
    tree.notes.append(
        f"{name} ({ref}): groups {tree.demo_groups} and variables {sorted(tree.demo_vars)} "
        "from its own scripts/demo.sh"
    )
    return tree


def add_base(ref: str) -> Tree:
    path = WORK / "base"
    sh("git", "-C", str(REPO), "worktree", "remove", "--force", str(path), check=False)
    sh("git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref)
    return make_tree("base", path, WORK / "base-collections")


def remove_base() -> None:
    path = WORK / "base"
    if path.exists():
        sh("git", "-C", str(REPO), "worktree", "remove", "--force", str(path), check=False)


# --- inventories and plays ----------------------------------------------------


def connection_vars(host: str, kind: str) -> dict:
    if kind == "docker":
        return {"ansible_connection": "community.docker.docker", "ansible_host": host}
    return {
        "ansible_connection": "ssh",
        "ansible_host": container_ip(host),
        "ansible_user": "operator",
        "ansible_become": True,
        "ansible_ssh_private_key_file": str(WORK / "operator_ed25519"),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }


def write_inventory(tree: Tree, hosts: list[str], kind: str, path: Path) -> Path:
    """Hosts in the groups of the tree's demo (plus `targets` for the bench's
    own plays), with the demo's variables and the bench's connection."""
    entries = {
        h: {
            **tree.demo_vars,
            **connection_vars(h, kind),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        for h in hosts
    }
    groups = {g: {"hosts": {h: None for h in hosts}} for g in tree.demo_groups if g != "all"}
    groups.setdefault("targets", {"hosts": {h: None for h in hosts}})
    inventory = {"all": {"hosts": entries, "children": groups}}
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return path


def ansible_env(tree: Tree, trace: Path | None, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(tree.collections),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_PIPELINING="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
        MOLECULE_EPHEMERAL_DIRECTORY=str(WORK),
    )
    for key in ("ANSIBLE_SSH_ARGS", "ANSIBLE_STRATEGY", "ANSIBLE_FORKS"):
        env.pop(key, None)
    if trace is not None:
        trace.unlink(missing_ok=True)
        env.update(
            BENCH_TRACE=str(trace),
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="bench_trace",
        )
    env.update(extra or {})
    return env


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent (every core), from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = stat.readline().split()[1:]
    busy = sum(int(f) for i, f in enumerate(fields) if i not in (3, 4))  # not idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def controller_cpu_seconds() -> float:
    """CPU time of this process's finished children (ansible-playbook, its
    workers and what they ran on the controller: the docker or ssh clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook(tree: Tree, inventory: Path, play: Path, log: Path, env: dict) -> tuple[float, int]:
    """Run one play from the tree's root; (seconds, exit code). Output in log."""
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(play)],
            cwd=tree.root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    return time.monotonic() - start, done.returncode


def ready_play() -> Path:
    """The bench's own preparation after boot: the small app behind the proxy."""
    path = WORK / "ready.yml"
    tasks = REPO / "molecule" / "shared" / "tasks" / "echo_app.yml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Bench host ready",
                    "hosts": "targets",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Wait for systemd",
                            "ansible.builtin.command": "systemctl is-system-running --wait",
                            "changed_when": False,
                            "failed_when": False,
                        },
                        {
                            "name": "The app behind the proxy",
                            "ansible.builtin.include_tasks": str(tasks),
                            "vars": {
                                "echo_app_src": str(REPO / "molecule/shared/echo_app.py"),
                                "echo_app_port": 8000,
                            },
                        },
                    ],
                }
            ],
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return path


def prepare(tree: Tree, hosts: list[str], full: bool) -> None:
    """Untimed: boot, and for a fresh host the shared Molecule prepare (the
    operator account with its key, for the SSH part); then the app."""
    # Before any module: systemd's boot cleans /tmp, where modules run.
    for host in hosts:
        wait_for_boot(host)
    inventory = write_inventory(tree, hosts, "docker", WORK / f"{tree.name}-prepare.yml")
    env = ansible_env(tree, None)
    plays = [REPO / "molecule" / "shared" / "prepare.yml"] if full else []
    for play in [*plays, ready_play()]:
        log = WORK / f"{tree.name}-prepare-{play.stem}.log"
        _, rc = playbook(tree, inventory, play, log, env)
        if rc:
            raise RuntimeError(f"{tree.name}: preparing {hosts} failed, see {log}")


def site_run(
    tree: Tree, label: str, hosts: list[str], kind: str = "docker", extra_env: dict | None = None
) -> dict:
    """One timed site.yml run; its summary goes to tree.runs[label]."""
    inventory = write_inventory(tree, hosts, kind, WORK / f"{tree.name}-{label}-inventory.yml")
    trace = WORK / f"{tree.name}-{label}.trace.jsonl"
    log = WORK / f"{tree.name}-{label}.log"
    env = ansible_env(tree, trace, extra_env)
    say(f"{tree.name} ({tree.ref}): {label} on {len(hosts)} host(s) over {kind} (log: {log})")
    cpu = (controller_cpu_seconds(), machine_cpu_seconds())
    seconds, rc = playbook(tree, inventory, tree.root / "playbooks" / "site.yml", log, env)
    controller_cpu = controller_cpu_seconds() - cpu[0]
    machine_cpu = machine_cpu_seconds() - cpu[1]
    run = report.summarize(report.read_trace(trace.read_text(encoding="utf-8").splitlines()))
    tree.runs[label] = run
    result = {
        "seconds": round(seconds, 1),
        "rc": rc,
        "hosts": len(hosts),
        "changed": run.total_changed,
        "failed": run.total_failed,
        "tasks_per_host": round(run.per_host("tasks"), 1),
        "round_trips_per_host": round(run.per_host("remote"), 1),
        # The containers run on this machine: the machine's CPU includes the
        # hosts' side (docker, runc, the modules), the controller's does not.
        "controller_cpu_s": round(controller_cpu, 1),
        "machine_cpu_s": round(machine_cpu, 1),
        "log": str(log.relative_to(REPO)),
    }
    tree.results[label] = result
    if rc:
        say(f"!! {tree.name}: {label} FAILED (exit {rc}); see {log}")
    return result


# --- the parts ----------------------------------------------------------------


def part_converge(tree: Tree, image: str) -> None:
    host = tree.host()
    kept = os.environ.get("BENCH_FROM_IMAGE", "")
    if kept and tree.name == "new":
        # A converged host saved earlier (docker commit): the parts after the
        # converge without waiting for one; the converge is not measured.
        start_container(host, kept)
        prepare(tree, [host], full=False)
        tree.notes.append(f"new: converge not measured, host started from {kept}")
        return
    start_container(host, image)
    prepare(tree, [host], full=True)
    tree.results["before"] = packages(host)
    site_run(tree, "converge", [host])
    versions_before, manual_before = tree.results.pop("before")
    versions_after, manual_after = packages(host)
    change = report.package_change(versions_before, manual_before, versions_after, manual_after)
    tree.results["packages"] = change
    save = os.environ.get("BENCH_SAVE_IMAGE", "")
    if save and tree.name == "new":
        sh("docker", "commit", host, save)
        tree.notes.append(f"new: converged host saved as {save}")


def timed_exec(name: str, command: str, tries: int = 1) -> tuple[float, int, str]:
    """Run a shell command in a container; (seconds of the last try, exit
    code, end of stderr). Retries are for a mirror's passing failure."""
    for _ in range(tries):
        start = time.monotonic()
        done = subprocess.run(["docker", "exec", name, "sh", "-c", command],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode == 0:
            break
    return time.monotonic() - start, done.returncode, done.stderr[-500:]


def part_floor(tree: Tree, image: str) -> None:
    """apt-get install, without Recommends, of every package the converge
    installed (so the same set by construction), after an apt-get update."""
    wanted = tree.results["packages"]["installed"]
    name = f"bench-{tree.name}-floor"
    start_container(name, image)
    wait_for_boot(name)
    say(f"{tree.name}: floor, apt-get install of {len(wanted)} packages on a fresh container")
    update, rc, err = timed_exec(name, "apt-get update -qq", tries=3)
    install = 0.0
    if rc == 0:
        install, rc, err = timed_exec(
            name,
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
            + " ".join(sorted(wanted)),
        )
    installed = len(set(packages(name)[0]) - set(tree.results["packages"]["image"]))
    sh("docker", "rm", "-f", name, check=False)
    tree.results["floor"] = {"seconds": round(update + install, 1), "rc": rc,
                             "installed": installed}  # fmt: skip
    if rc:
        say(f"!! {tree.name}: floor install failed: {err}")


def part_rerun(tree: Tree, image: str) -> None:
    site_run(tree, "rerun", [tree.host()])


def part_fleet(tree: Tree, image: str, hosts: int) -> None:
    snapshot = f"bulwark-bench/{tree.name}:converged"
    say(f"{tree.name}: cloning the converged host into {hosts - 1} more")
    sh("docker", "commit", tree.host(), snapshot)
    clones = [tree.host(n) for n in range(2, hosts + 1)]
    for clone in clones:
        start_container(clone, snapshot)
    prepare(tree, clones, full=False)
    try:
        site_run(
            tree,
            "fleet",
            [tree.host(n) for n in range(1, hosts + 1)],
            extra_env={"ANSIBLE_FORKS": str(hosts)},
        )
    finally:
        sh("docker", "rm", "-f", *clones, check=False)
        sh("docker", "rmi", "-f", snapshot, check=False)


def part_pipelining(tree: Tree, image: str) -> None:
    site_run(tree, "docker-pipelining", [tree.host()], extra_env={"ANSIBLE_PIPELINING": "true"})


def part_ssh(tree: Tree, image: str) -> None:
    # Untimed: the first run over SSH records the login account (operator)
    # in os_baseline's local fact; the timed run is then a no-change rerun
    # over SSH, as when a host is always reached the same way.
    settle = WORK / f"{tree.name}-ssh-settle"
    env = ansible_env(tree, None, {"ANSIBLE_PIPELINING": "true", "ANSIBLE_SSH_ARGS": SSH_ARGS})
    inventory = write_inventory(tree, [tree.host()], "ssh", settle.with_suffix(".yml"))
    playbook(tree, inventory, tree.root / "playbooks" / "site.yml", settle.with_suffix(".log"), env)
    site_run(
        tree,
        "ssh-pipelining",
        [tree.host()],
        kind="ssh",
        extra_env={"ANSIBLE_PIPELINING": "true", "ANSIBLE_SSH_ARGS": SSH_ARGS},
    )


def mitogen_env() -> dict:
    target = WORK / "mitogen"
    if not (target / "ansible_mitogen").exists():
        pip = Path(sys.executable).parent / "pip"
        sh(str(pip), "install", "--quiet", "--target", str(target), MITOGEN)
    return {
        "PYTHONPATH": str(target),
        "ANSIBLE_STRATEGY_PLUGINS": str(target / "ansible_mitogen" / "plugins" / "strategy"),
        "ANSIBLE_STRATEGY": "mitogen_linear",
    }


def part_mitogen(tree: Tree, image: str) -> None:
    # Mitogen speeds up its own connections (ssh here), not community.docker.docker.
    site_run(tree, "mitogen", [tree.host()], kind="ssh", extra_env=mitogen_env())


# --- the report ---------------------------------------------------------------


STATE = WORK / "state.json"


def save_state(trees: list[Tree], parts: list[str], hosts: int) -> None:
    """What was measured so far, so that the table can be printed again
    (BENCH_RENDER_ONLY=1) without measuring again."""
    state = {
        "parts": parts,
        "hosts": hosts,
        "trees": [
            {"name": t.name, "ref": t.ref, "notes": t.notes, "results": t.results,
             "traces": {label: str(WORK / f"{t.name}-{label}.trace.jsonl") for label in t.runs}}
            for t in trees
        ],
    }  # fmt: skip
    STATE.write_text(json.dumps(state, indent=1, default=sorted), encoding="utf-8")


def load_state() -> tuple[list[Tree], list[str], int]:
    state = json.loads(STATE.read_text(encoding="utf-8"))
    trees = []
    for saved in state["trees"]:
        tree = Tree(saved["name"], REPO, saved["ref"], REPO, notes=saved["notes"])
        tree.results = saved["results"]
        for label, path in saved["traces"].items():
            lines = Path(path).read_text(encoding="utf-8").splitlines()
            tree.runs[label] = report.summarize(report.read_trace(lines))
        trees.append(tree)
    return trees, state["parts"], state["hosts"]


def write_report(trees: list[Tree], parts: list[str], hosts: int, elapsed: float) -> str:
    text = report.render(
        {t.name: t.results for t in trees},
        {t.name: {k: v for k, v in t.runs.items()} for t in trees},
        refs={t.name: t.ref for t in trees},
        notes=[n for t in trees for n in t.notes],
        hosts=hosts,
    )
    text += f"\nBench wall time: {elapsed / 60:.1f} min (parts: {', '.join(parts)}).\n"
    (WORK / "bench.md").write_text(text, encoding="utf-8")
    data = {
        "parts": parts,
        "elapsed_seconds": round(elapsed, 1),
        "trees": {
            t.name: {
                "ref": t.ref,
                "notes": t.notes,
                "results": t.results,
                "roles": {
                    label: {role: asdict(cost) for role, cost in run.roles.items()}
                    for label, run in t.runs.items()
                },
            }
            for t in trees
        },
    }
    (WORK / "bench.json").write_text(json.dumps(data, indent=2, default=list), encoding="utf-8")
    return text


def parse_parts(value: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[,\s]+", value) if p.strip()] or list(DEFAULT_PARTS)
    unknown = sorted(set(parts) - {*ALL_PARTS, "converge"})
    if unknown:
        raise SystemExit(f"bench: unknown BENCH_PARTS {unknown}; choose from {ALL_PARTS}")
    return [p for p in ALL_PARTS if p in parts]


def main() -> int:
    if os.environ.get("BENCH_RENDER_ONLY"):
        trees, parts, hosts = load_state()
        print(write_report(trees, parts, hosts, 0.0))
        return 0
    parts = parse_parts(os.environ.get("BENCH_PARTS", ""))
    base_parts = parse_parts(os.environ.get("BENCH_BASE_PARTS", ",".join(BASE_PARTS)))
    hosts = int(os.environ.get("BENCH_HOSTS", "10"))
    image = os.environ.get("BENCH_IMAGE", "bulwark/debian12:latest")
    base = os.environ.get("BASE", "").strip()
    WORK.mkdir(parents=True, exist_ok=True)
    # A kill still removes the containers and the base worktree (finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))
    started = time.monotonic()
    cleanup()
    trees = [make_tree("new", REPO, REPO / "build" / "collections")]
    try:
        if base:
            trees.append(add_base(base))
        steps = [("converge", lambda t: part_converge(t, image))]
        for part in parts:
            if part == "fleet":
                steps.append((part, lambda t: part_fleet(t, image, hosts)))
            else:
                steps.append((part, lambda t, p=part: globals()[f"part_{p}"](t, image)))
        for part, step in steps:
            for tree in trees:
                if tree.name == "base" and part not in {"converge", *base_parts}:
                    continue
                try:
                    step(tree)
                except Exception as err:  # one part's failure is reported, not fatal
                    tree.notes.append(f"{tree.name}: {part} not measured: {err!r}")
                    say(f"!! {tree.notes[-1]}")
                save_state(trees, parts, hosts)
    finally:
        cleanup()
        remove_base()
    text = write_report(trees, ["converge", *parts], hosts, time.monotonic() - started)
    print(text)
    bad = [
        t.name
        for t in trees
        for label, r in t.results.items()
        if isinstance(r, dict) and label != "converge" and r.get("changed")
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
