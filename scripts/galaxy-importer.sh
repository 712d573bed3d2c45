#!/usr/bin/env bash
# Check the built tarball the way Galaxy and Automation Hub do on upload:
# galaxy-importer with flake8 and ansible-lint on, plus Automation Hub's
# rules (version 1.0.0 or later, a required tag). Fails on an import error and
# on any warning the importer reports (Galaxy shows those on the collection's
# page). Full log: build/galaxy-importer.log.
# Usage: scripts/galaxy-importer.sh build/dist/bulwark-hardening-X.Y.Z.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$1
build=$PWD/build
mkdir -p "$build/importer"
cat >"$build/galaxy-importer.cfg" <<CFG
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_FLAKE8 = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_TEST = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
REQUIRE_V1_OR_GREATER = True
TMP_ROOT_DIR = $build/importer
ANSIBLE_LOCAL_TMP = $build/importer/ansible-tmp
CFG
log=$build/galaxy-importer.log
rc=0
# Run in build/: the importer writes importer_result.json into its working directory.
tarball=$(realpath "$tarball")
(cd "$build" && GALAXY_IMPORTER_CONFIG=$build/galaxy-importer.cfg python -m galaxy_importer.main "$tarball") >"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ] || grep -qE '^(WARNING|ERROR)' "$log"; then
  grep -E '^(WARNING|ERROR)|Error|rror:' "$log" >&2 || tail -n 30 "$log" >&2
  echo "galaxy-importer: FAILED (exit $rc), see $log" >&2
  exit 1
fi
tail -n 1 "$log"
