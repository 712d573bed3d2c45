# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.bulwark.hardening`` importable for plain pytest.

The collection is reached through build/collections, a collections path whose
bulwark/hardening entry is a symlink to the repository root; it is created
here when a fresh checkout lacks it.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "build" / "collections"
_LINK = COLLECTIONS / "ansible_collections" / "bulwark" / "hardening"

if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(Path("..", "..", "..", ".."), target_is_directory=True)

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
