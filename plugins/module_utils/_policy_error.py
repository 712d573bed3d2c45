# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception type the policy helpers raise.

Filters catch only this class, so a bug in a helper (a real TypeError,
KeyError, ...) still surfaces with its traceback instead of being dressed up
as a user error.
"""

from __future__ import annotations

_MAX_SHOWN = 80


class PolicyError(ValueError):
    """A user-supplied value does not fit the policy; the message says why."""


def shown(value: object) -> str:
    """Return a short repr of a bad value for an error message."""
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return text
