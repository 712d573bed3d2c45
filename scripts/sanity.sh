#!/usr/bin/env bash
# ansible-test sanity on the built collection, as Galaxy's and Automation Hub's
# CI would run it: the tarball is installed into
# build/sanity/ansible_collections/bulwark/hardening (a git repository of its
# own, since ansible-test reads the file list from git and build/ is ignored
# by this checkout's), and every test that runs without Docker runs there with
# the controller's Python. ansible-test installs each test's pinned
# requirements into its own virtualenv from the package index; the pip
# bootstrap it would download is seeded with scripts/get_pip_seed.py.
# Usage: scripts/sanity.sh build/dist/bulwark-hardening-X.Y.Z.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$1
shift
python=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="'"$python"'", path=""))["pip"])')
cache=~/.ansible/test/cache
mkdir -p "$cache"
cp scripts/get_pip_seed.py "$cache/get_pip_${pip_version//./_}.py"

dest=build/sanity/ansible_collections/bulwark/hardening
rm -rf build/sanity
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest"
cd "$dest"
git init --quiet
git add --all
log=$OLDPWD/build/sanity.log
if ! ansible-test sanity --python "$python" --color no "$@" >"$log" 2>&1; then
  grep -E '^(ERROR|FATAL)' "$log" >&2 || tail -n 40 "$log" >&2
  echo "ansible-test sanity: FAILED, see $log" >&2
  exit 1
fi
grep -E '^WARNING: (Skipping|Reviewing)' "$log" || true
echo "ansible-test sanity: $(grep -c '^Running sanity test' "$log") tests passed on Python $python ($(grep -c '^WARNING: Skipping' "$log") skipped)"
