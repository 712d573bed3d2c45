#!/usr/bin/env python3
"""Print (JSON) two packages whose security-suite version is newer than the
release suite's, each installable at its release version alone (one new
package, no upgrade of anything else) and depending on no package that is
itself pending. Run on the target after apt-get update.

Usage: pick_pending.py CODENAME
"""

import glob
import json
import subprocess
import sys


def parse(path):
    packages, cur = {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                if "Package" in cur:
                    packages[cur["Package"]] = cur
                cur = {}
                continue
            if line[0] in " \t":
                continue
            key, _, value = line.partition(": ")
            cur[key] = value
    if "Package" in cur:
        packages[cur["Package"]] = cur
    return packages


def lists(suite):
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return glob.glob(f"/var/lib/apt/lists/*_dists_{suite}_main_binary-{arch}_Packages")


def _order(c):
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _compare_part(a, b):
    """dpkg's verrevcmp: alternate non-digit and digit runs."""
    while a or b:
        first_diff = 0
        while (a and not a[0].isdigit()) or (b and not b[0].isdigit()):
            ac = _order(a[0]) if a else 0
            bc = _order(b[0]) if b else 0
            if ac != bc:
                return ac - bc
            a, b = a[1:], b[1:]
        while a and a[0] == "0":
            a = a[1:]
        while b and b[0] == "0":
            b = b[1:]
        while a and a[0].isdigit() and b and b[0].isdigit():
            if not first_diff:
                first_diff = ord(a[0]) - ord(b[0])
            a, b = a[1:], b[1:]
        if a and a[0].isdigit():
            return 1
        if b and b[0].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(v):
    epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
    return int(epoch or 0), upstream, revision


def newer(a, b):
    """True when Debian version a is greater than b (dpkg --compare-versions a gt b)."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return ea > eb
    return (_compare_part(ua, ub) or _compare_part(ra, rb)) > 0


def depends(package):
    """Names of the first alternative of each dependency."""
    fields = ",".join(package.get(k, "") for k in ("Pre-Depends", "Depends"))
    names = (dep.split("|")[0].split("(")[0].split(":")[0].strip() for dep in fields.split(","))
    return {name for name in names if name}


def main():
    codename = sys.argv[1]
    release = {}
    for path in lists(codename):
        release.update(parse(path))
    security = {}
    for path in lists(f"{codename}-security"):
        security.update(parse(path))
    versions = dict(
        line.split(" ", 1)
        for line in subprocess.run(
            ["dpkg-query", "-W", "-f", "${Package} ${Version}\n"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    )
    installed = set(versions)
    # Installed packages already pending from the security suite: a pick
    # must not depend on them, or holding the pick back (blacklist) would
    # hold them back too.
    pending = {
        name
        for name, sec in security.items()
        if name in versions and newer(sec["Version"], versions[name])
    }
    candidates = sorted(
        (
            (int(sec.get("Installed-Size", "0")), name)
            for name, sec in security.items()
            if name in release
            and name not in installed
            and sec.get("Architecture") in ("all", "amd64", "arm64")
            and depends(sec) <= installed - pending
            and depends(release[name]) <= installed - pending
            and newer(sec["Version"], release[name]["Version"])
        ),
    )
    picked = []
    for _, name in candidates:
        spec = f"{name}={release[name]['Version']}"
        sim = subprocess.run(
            ["apt-get", "install", "-s", "--no-install-recommends", spec],
            capture_output=True,
            text=True,
            check=False,
        )
        actions = [line for line in sim.stdout.splitlines() if line.startswith(("Inst ", "Remv "))]
        if sim.returncode == 0 and len(actions) == 1:
            picked.append({"name": name, "spec": spec})
        if len(picked) == 2:
            break
    if len(picked) < 2:
        sys.exit(f"fewer than two installable packages updated by {codename}-security: {picked}")
    print(json.dumps(picked))


if __name__ == "__main__":
    main()
