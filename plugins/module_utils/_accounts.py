# SPDX-License-Identifier: GPL-3.0-or-later
"""Which accounts get password ageing, so that no key-only login ever expires.

One pure function, ``password_ageing_plan``, used through the filter
``password_ageing`` by the os_baseline role. Input: the shadow entries as
``ansible.builtin.getent database=shadow`` returns them, the ageing wanted, the
account the play logs in as, and names to leave alone. Output: the accounts to
change with ``chage`` and those left alone with the reason.

An account is aged only when it has a usable password hash. Left alone:
- no password, a locked one (``!``, ``*``, ``!$6$...``): a key-only login whose
  "password" expires is forced to change a password it does not have, which is
  a lockout;
- the login account of the play and the names in `exclude` (root by default):
  their expiry is never touched;
- a password already older than the new maximum (or flagged "change at next
  login"): ageing it now would expire it at once; it is reported instead;
- accounts whose ageing already matches.
"""

from __future__ import annotations

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

AGEING_KEYS = ("min_days", "max_days", "warn_days")


def usable_hash(field: object) -> bool:
    """True for a password hash a login could use (crypt formats, not locked)."""
    if not isinstance(field, str) or not field:
        return False
    if field[0] in "!*":
        return False
    # crypt(3): $id$... (md5, sha256/512, yescrypt, bcrypt) or 13-char DES
    return field.startswith("$") or len(field) == 13


def parse_shadow(text: str) -> dict:
    """{name: [hash, lastchg, ...]} from `getent shadow` lines (name:hash:...)."""
    shadow = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        if not sep or not name:
            raise PolicyError(f"shadow: not a getent shadow line (name:hash:...): {shown(line)}")
        shadow[name] = rest.split(":")
    return shadow


def _int_field(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check_ageing(ageing: object) -> dict[str, int]:
    if not isinstance(ageing, dict) or set(ageing) != set(AGEING_KEYS):
        raise PolicyError(
            f"ageing: expected a mapping with {', '.join(AGEING_KEYS)}, got {shown(ageing)}"
        )
    out = {}
    for key in AGEING_KEYS:
        value = ageing[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyError(f"ageing.{key}: expected a whole number of days, got {shown(value)}")
        out[key] = value
    if out["min_days"] > out["max_days"]:
        raise PolicyError(
            f"ageing: min_days ({out['min_days']}) is greater than max_days ({out['max_days']})"
        )
    if out["warn_days"] >= out["max_days"]:
        raise PolicyError(
            f"ageing: warn_days ({out['warn_days']}) must be less than max_days ({out['max_days']})"
        )
    return out


def password_ageing_plan(
    shadow: object,
    ageing: object,
    today: int,
    login_user: str = "",
    exclude: list | tuple = ("root",),
) -> dict:
    """Return ``{"change": [{"name", "min_days", "max_days", "warn_days"}],
    "left": [{"name", "reason"}]}``.

    `shadow`: {name: [hash, lastchg, min, max, warn, inactive, expire, reserved]},
    or the lines of `getent shadow` (a hash may be masked: only its first
    character and length are read);
    `today`: days since 1970-01-01 (UTC).
    """
    if isinstance(shadow, str):
        shadow = parse_shadow(shadow)
    if not isinstance(shadow, dict):
        raise PolicyError(f"shadow: expected the getent shadow mapping, got {shown(shadow)}")
    wanted = check_ageing(ageing)
    if isinstance(today, bool) or not isinstance(today, int) or today <= 0:
        raise PolicyError(f"today: expected days since 1970-01-01, got {shown(today)}")
    if not isinstance(exclude, (list, tuple)) or not all(isinstance(x, str) for x in exclude):
        raise PolicyError(f"exclude: expected a list of account names, got {shown(exclude)}")
    change: list[dict] = []
    left: list[dict] = []
    for name in sorted(shadow):
        fields = shadow[name]
        if not isinstance(fields, (list, tuple)) or not fields:
            raise PolicyError(
                f"shadow entry {shown(name)}: expected a list of fields, got {shown(fields)}"
            )
        if not usable_hash(fields[0]):
            continue  # no password: key-only or system account, never aged
        if name == login_user:
            left.append(
                {"name": name, "reason": "the account this play logs in as: expiry never touched"}
            )
            continue
        if name in exclude:
            left.append({"name": name, "reason": "listed in os_baseline_password_ageing_exclude"})
            continue
        lastchg = _int_field(fields[1] if len(fields) > 1 else None)
        if lastchg == 0:
            left.append(
                {"name": name, "reason": "already due: must change the password at next login"}
            )
            continue
        if lastchg is not None and lastchg + wanted["max_days"] <= today:
            left.append(
                {
                    "name": name,
                    "reason": f"password last changed {today - lastchg} days ago, more than "
                    f"{wanted['max_days']}: ageing it now would expire it at once; change the "
                    "password first",
                }
            )
            continue
        current = {
            "min_days": _int_field(fields[2] if len(fields) > 2 else None),
            "max_days": _int_field(fields[3] if len(fields) > 3 else None),
            "warn_days": _int_field(fields[4] if len(fields) > 4 else None),
        }
        if current != wanted:
            change.append({"name": name, **wanted})
    return {"change": change, "left": left}
