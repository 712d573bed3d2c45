#!/usr/bin/env python3
"""Check that ansible-doc renders every filter and role of the collection.

A plugin whose DOCUMENTATION does not parse, or a role whose argument specs
are broken, makes ansible-doc fail; this turns that into a lint failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = "bulwark.hardening"
# ansible-core 2.21 warns about its own internal collection on every ansible-doc
# run (no MANIFEST.json in ansible/_internal/ansible_collections): not ours.
_FOREIGN_WARNING = re.compile(r"/ansible/_internal/ansible_collections/.*cannot detect version")


def ansible_doc(kind: str, name: str) -> str | None:
    result = subprocess.run(
        ["ansible-doc", "-t", kind, f"{NS}.{name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    warnings = [
        line
        for line in result.stderr.splitlines()
        if "WARNING" in line and not _FOREIGN_WARNING.search(line)
    ]
    if result.returncode != 0 or warnings or not result.stdout.strip():
        return f"ansible-doc -t {kind} {NS}.{name}: rc={result.returncode} {result.stderr.strip()}"
    return None


def main() -> int:
    filters = sorted(
        p.stem for p in (ROOT / "plugins" / "filter").glob("*.py") if p.stem != "__init__"
    )
    roles_dir = ROOT / "roles"
    roles = sorted(p.name for p in roles_dir.iterdir() if p.is_dir()) if roles_dir.is_dir() else []
    errors = [e for f in filters if (e := ansible_doc("filter", f))]
    errors += [e for r in roles if (e := ansible_doc("role", r))]
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    print(f"docs: {len(filters)} filters and {len(roles)} roles checked, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
