#!/usr/bin/env bash
# Run Molecule scenarios, JOBS at a time (default 3), longest first (by the
# previous run's times, see below), each
# logging to build/molecule-logs/<scenario>.log. Prints one line per scenario
# with its wall time, and the tail of the log of any that failed.
# Usage: scripts/run-molecule.sh [scenario...]   (default: every molecule/*/)
set -euo pipefail
cd "$(dirname "$0")/.."

# Three lanes on a 2-core machine: much of a scenario's time is waiting
# (systemd, apt, sleeps in the ban and revert tests), and the longest
# scenario (site, ~20 min) then bounds the run. Measured on 2 cores: all
# scenarios in 1212 s with 3 lanes, against ~2350 s of the others in one lane
# beside site with 2.
jobs=${MOLECULE_JOBS:-3}
logs=build/molecule-logs
mkdir -p "$logs"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi

# One scenario: run it in the foreground, output to the terminal.
if [ ${#scenarios[@]} -eq 1 ]; then
  exec molecule test -s "${scenarios[0]}"
fi

# Longest first, so the lanes finish close together. The order comes from
# the wall times the previous run recorded (build/molecule-logs/*.result);
# a scenario without one (a fresh clone, as in CI, or a new scenario) counts
# the time its molecule.yml states in a `# run-molecule: N s` line (measured on
# this project's 2-core CI machines), and one without that line counts as
# longer than all. New scenarios need no edit here.
sorted=()
while read -r _ s; do sorted+=("$s"); done < <(
  for s in "${scenarios[@]}"; do
    secs=$(awk '{ sub(/s$/, "", $NF); print $NF; exit }' "$logs/$s.result" 2>/dev/null || true)
    if ! [[ $secs =~ ^[0-9]+$ ]]; then
      secs=$(sed -n 's/^# run-molecule: \([0-9][0-9]*\) s.*/\1/p' "molecule/$s/molecule.yml" 2>/dev/null | head -n 1)
    fi
    [[ $secs =~ ^[0-9]+$ ]] || secs=1000000
    echo "$secs $s"
  done | sort -k1,1nr -k2,2 -s
)

run_one() {
  local s=$1 start rc
  start=$(date +%s)
  if molecule test -s "$s" >"$logs/$s.log" 2>&1; then rc=0; else rc=$?; fi
  printf '%-14s %s %4ss\n' "$s" "$([ $rc -eq 0 ] && echo passed || echo FAILED)" "$(( $(date +%s) - start ))" \
    | tee "$logs/$s.result"
  return $rc
}
export -f run_one
export logs

echo ">> molecule: ${sorted[*]} ($jobs at a time; logs in $logs/)"
rm -f "$logs"/*.result
status=0
printf '%s\n' "${sorted[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} || status=$?

failed=0
for s in "${sorted[@]}"; do
  if ! grep -q " passed " "$logs/$s.result" 2>/dev/null; then
    failed=$((failed + 1))
    echo "=================== $s: last 250 lines of $logs/$s.log"
    tail -n 250 "$logs/$s.log" || true
  fi
done
echo "molecule: $(( ${#sorted[@]} - failed )) passed, $failed failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]
