# SPDX-License-Identifier: GPL-3.0-or-later
"""Which kernel settings (sysctls) to write and to apply on a given host.

One pure function, ``sysctl_plan``, used through the filter ``sysctl_settings``
by the os_baseline role. Input: the wanted settings, and what a probe of the
target found (is it a container, which keys exist in /proc/sys, which are
writable, does the host route packets). Output: the lines of the sysctl.d
drop-in, the keys to set now, and every key left out with the reason, so the
role can say what it skipped instead of failing or claiming it was done.

Rules:
- a key the running kernel lacks (no file under /proc/sys) is skipped;
- the forwarding keys are left alone on a host that routes (Docker, a router,
  ``ip_forward`` already 1) unless the caller says ``forwarding=disable``;
- in a container only the keys of the network namespace can be set: the others
  (kernel.*, fs.*, dev.*, net.core.bpf_jit_harden, ...) belong to the host's
  kernel. They stay in the drop-in with a leading ``-`` (sysctl --system then
  ignores a failure to set them), so the same file is right on a real host, but
  they are neither applied nor reported as done;
- a key that exists but cannot be written (read-only /proc/sys, a read-only
  key) is skipped for applying, with the reason, and written with ``-`` too.
"""

from __future__ import annotations

import re

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

# Keys that turn packet forwarding on or off: a routing host needs them as they are.
FORWARDING_KEYS = frozenset(
    {
        "net.ipv4.ip_forward",
        "net.ipv4.conf.all.forwarding",
        "net.ipv4.conf.default.forwarding",
        "net.ipv6.conf.all.forwarding",
        "net.ipv6.conf.default.forwarding",
    }
)
# Prefixes of the keys that belong to a network namespace (settable from a
# container with its own network); everything else is the host kernel's.
NAMESPACED_PREFIXES = ("net.ipv4.", "net.ipv6.", "net.unix.", "net.netfilter.")
# Keys never namespaced even under a namespaced prefix.
NOT_NAMESPACED = frozenset({"net.ipv4.tcp_mem", "net.ipv4.udp_mem", "net.ipv4.tcp_rmem_max"})
FORWARDING_CHOICES = ("auto", "keep", "disable")
_KEY = re.compile(r"^[a-z0-9_-]+(\.[A-Za-z0-9_-]+)+$")
_VALUE = re.compile(r"^-?[0-9]+( -?[0-9]+)*$")


def proc_path(key: str) -> str:
    """The file under /proc/sys that holds `key`."""
    return "/proc/sys/" + key.replace(".", "/")


def namespaced(key: str) -> bool:
    """True when a container with its own network namespace can set `key`."""
    return key.startswith(NAMESPACED_PREFIXES) and key not in NOT_NAMESPACED


def normalise_value(key: str, value: object) -> str:
    """A sysctl value as /proc/sys shows it: integers separated by one space."""
    if isinstance(value, bool):
        raise PolicyError(f"sysctl {key}: {shown(value)} is a boolean; write 0 or 1")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        if _VALUE.match(text):
            return text
    raise PolicyError(
        f"sysctl {key}: {shown(value)} is not an integer or a list of integers separated by spaces"
    )


def check_settings(settings: object) -> dict[str, str]:
    """Check a mapping of sysctl keys to values; return it normalised."""
    if not isinstance(settings, dict):
        raise PolicyError(f"expected a mapping of sysctl keys to values, got {shown(settings)}")
    out: dict[str, str] = {}
    for key, value in settings.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise PolicyError(
                f"{shown(key)} is not a sysctl key (dotted names like net.ipv4.tcp_syncookies)"
            )
        out[key] = normalise_value(key, value)
    return out


def _key_list(environment: dict, name: str) -> frozenset[str]:
    value = environment.get(name, [])
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) for item in value
    ):
        raise PolicyError(f"environment.{name}: expected a list of sysctl keys, got {shown(value)}")
    return frozenset(value)


def routes(environment: dict) -> bool:
    """True when the probe found a host that forwards packets (or runs Docker)."""
    return bool(environment.get("ip_forward")) or bool(environment.get("container_engine"))


def sysctl_plan(settings: object, environment: object, forwarding: str = "auto") -> dict:
    """Decide, key by key, what goes into the drop-in and what is set now.

    `environment` keys: ``container`` (bool), ``present`` and ``writable`` (lists
    of keys found under /proc/sys, and writable there), ``ip_forward`` (bool: the
    host forwards IPv4 now), ``container_engine`` (bool: Docker, Podman or LXD is
    installed). `forwarding`: ``auto`` (leave the forwarding keys alone on a host
    that routes), ``keep`` (always leave them alone), ``disable`` (always set them).

    Returns ``{"write": [{"key", "value", "optional"}], "apply": {key: value},
    "already": [keys already set], "skipped": [{"key", "reason"}], "routing": bool}``;
    ``optional`` lines are written with a leading ``-`` so that sysctl --system
    ignores a failure.
    """
    wanted = check_settings(settings)
    if not isinstance(environment, dict):
        raise PolicyError(f"environment: expected a mapping, got {shown(environment)}")
    if forwarding not in FORWARDING_CHOICES:
        raise PolicyError(
            f"forwarding: {shown(forwarding)} is not one of {', '.join(FORWARDING_CHOICES)}"
        )
    container = environment.get("container", False)
    if not isinstance(container, bool):
        raise PolicyError(f"environment.container: expected a boolean, got {shown(container)}")
    current = environment.get("current", {})
    if not isinstance(current, dict):
        raise PolicyError(f"environment.current: expected a mapping, got {shown(current)}")
    present = _key_list(environment, "present")
    writable = _key_list(environment, "writable")
    routing = routes(environment)
    leave_forwarding = forwarding == "keep" or (forwarding == "auto" and routing)

    write: list[dict] = []
    apply: dict[str, str] = {}
    skipped: list[dict] = []
    already: list[str] = []
    for key in sorted(wanted):
        value = wanted[key]
        if key not in present:
            skipped.append({"key": key, "reason": "the running kernel has no such key"})
            continue
        if key in FORWARDING_KEYS and leave_forwarding:
            skipped.append(
                {
                    "key": key,
                    "reason": "left alone: this host routes packets (ip_forward is 1 or a "
                    "container engine is installed); set os_baseline_sysctl_forwarding=disable "
                    "to override"
                    if forwarding == "auto"
                    else "left alone: os_baseline_sysctl_forwarding is keep",
                }
            )
            continue
        host_kernel = container and not namespaced(key)
        write.append({"key": key, "value": value, "optional": host_kernel or key not in writable})
        if host_kernel:
            skipped.append(
                {
                    "key": key,
                    "reason": "not applied: in a container this key belongs to the host's kernel",
                }
            )
        elif key not in writable:
            skipped.append(
                {"key": key, "reason": "not applied: read-only here (" + proc_path(key) + ")"}
            )
        elif " ".join(str(current.get(key, "")).split()) == value:
            already.append(key)
        else:
            apply[key] = value
    return {
        "write": write,
        "apply": apply,
        "already": already,
        "skipped": skipped,
        "routing": routing,
    }
