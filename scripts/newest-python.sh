#!/usr/bin/env bash
# Print the newest Python 3.12+ on this machine (ansible-core 2.21 needs 3.12
# or newer), or nothing. Looks at python3.N on PATH and at pyenv's versions.
set -uo pipefail
best="" best_minor=0
candidates=()
for minor in 15 14 13 12; do candidates+=("python3.$minor"); done
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do [ -x "$p" ] && candidates+=("$p"); done
for c in "${candidates[@]}"; do
  minor=$("$c" -c 'import sys, venv; print(sys.version_info[1] if sys.version_info >= (3, 12) else 0)' 2>/dev/null) || continue
  if [ "${minor:-0}" -gt "$best_minor" ]; then best=$(command -v "$c"); best_minor=$minor; fi
done
[ -n "$best" ] && "$best" -c 'import sys; print(sys.executable)'
exit 0
