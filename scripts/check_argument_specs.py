#!/usr/bin/env python3
"""Fail when a role's defaults/main.yml and meta/argument_specs.yml disagree.

Every public variable in defaults/main.yml must be described in the role's
`main` entry point of meta/argument_specs.yml, and every option described there
must have a default (or be marked required). A default derived from other
variables (a Jinja string in defaults/main.yml) is left out of the spec, whose
description says where the value comes from; a literal default is declared in
both and must be equal. Also checks that each described
option has a type and a description, so `ansible-doc -t role` is useful.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _is_derived(value: object) -> bool:
    """A default computed by Jinja: a template string, or a list holding one."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(_is_derived(item) for item in value)
    return False


def check_role(role: Path) -> list[str]:
    errors: list[str] = []
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return [f"{role.name}: meta/argument_specs.yml is missing"]
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.is_file() else {}
    defaults = defaults or {}
    specs = yaml.safe_load(specs_file.read_text()) or {}
    main = (specs.get("argument_specs") or {}).get("main")
    if not main:
        return [f"{role.name}: argument_specs has no 'main' entry point"]
    options = main.get("options") or {}

    for name in sorted(set(defaults) - set(options)):
        errors.append(f"{role.name}: default '{name}' is not described in argument_specs")
    for name, spec in sorted(options.items()):
        if name not in defaults and not spec.get("required", False):
            errors.append(f"{role.name}: option '{name}' has no default and is not required")
        if "type" not in spec:
            errors.append(f"{role.name}: option '{name}' has no type")
        if not spec.get("description"):
            errors.append(f"{role.name}: option '{name}' has no description")
        if name.startswith("_"):
            errors.append(f"{role.name}: option '{name}' is internal (leading _), keep it in vars/")
        derived = _is_derived(defaults.get(name))
        if name in defaults and "default" not in spec and not derived:
            errors.append(
                f"{role.name}: option '{name}' has a literal default in defaults/main.yml"
                " but no 'default' in argument_specs"
            )
        if derived and "default" in spec and spec.get("type", "str") not in ("str", "raw"):
            errors.append(
                f"{role.name}: option '{name}' is derived (a Jinja default) and typed"
                f" {spec.get('type')}: leave 'default' out of argument_specs and say in the"
                " description where the value comes from"
            )
        if name in defaults and "default" in spec and spec["default"] != defaults[name]:
            errors.append(
                f"{role.name}: option '{name}' default differs: "
                f"argument_specs={spec['default']!r} defaults/main.yml={defaults[name]!r}"
            )
    return errors


def main() -> int:
    roles = (
        sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
        if (ROOT / "roles").is_dir()
        else []
    )
    errors = [e for role in roles for e in check_role(role)]
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    print(f"argument specs: {len(roles)} roles checked, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
