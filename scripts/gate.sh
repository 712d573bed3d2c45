#!/usr/bin/env bash
# Run one `make lint` gate and say how long it took: `gate NAME: passed in Ns`.
# Usage: scripts/gate.sh NAME command [args...]
set -uo pipefail
name=$1
shift
start=$(date +%s)
"$@"
rc=$?
secs=$(($(date +%s) - start))
if [ $rc -eq 0 ]; then
  echo "gate $name: passed in ${secs}s"
else
  echo "gate $name: FAILED (exit $rc) after ${secs}s" >&2
fi
exit $rc
