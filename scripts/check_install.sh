#!/usr/bin/env bash
# Install the built tarball into an empty collections path, as a user would,
# and use it with nothing else from this checkout: `ansible-doc -t role` for
# every role and `--syntax-check` of every playbook, run from an empty
# directory. The collection's dependencies come from the `ansible` package.
# Usage: scripts/check_install.sh build/dist/bulwark-hardening-X.Y.Z.tar.gz
set -euo pipefail
tarball=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset ANSIBLE_ROLES_PATH ANSIBLE_CONFIG
export ANSIBLE_COLLECTIONS_PATH=$tmp/collections
ansible-galaxy collection install --no-deps -p "$ANSIBLE_COLLECTIONS_PATH" "$tarball" >/dev/null
installed=$ANSIBLE_COLLECTIONS_PATH/ansible_collections/bulwark/hardening
roles=0
for role in "$installed"/roles/*/; do
  name=$(basename "$role")
  out=$(ansible-doc -t role "bulwark.hardening.$name" 2>&1) || { echo "$out" >&2; exit 1; }
  roles=$((roles + 1))
done
playbooks=0
for playbook in "$installed"/playbooks/*.yml; do
  name=$(basename "$playbook" .yml)
  ansible-playbook -i localhost, "bulwark.hardening.$name" --syntax-check >/dev/null
  playbooks=$((playbooks + 1))
done
echo "install check: $(basename "$tarball") installed; $roles roles documented, $playbooks playbooks pass --syntax-check"
