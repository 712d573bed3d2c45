#!/usr/bin/env bash
# `make demo`: start a throwaway Debian 13 container that looks like a freshly
# installed server (systemd, openssh-server, an `operator` account with an SSH
# key), apply playbooks/site.yml to it, and show what changed.
# The container is left running for a look around:
#   docker exec -it bulwark-demo bash      make demo-clean   removes it
set -euo pipefail
cd "$(dirname "$0")/.."

name=bulwark-demo
image=${BULWARK_DEMO_IMAGE:-bulwark/debian13:latest}
work=build/demo
mkdir -p "$work"

docker rm -f "$name" >/dev/null 2>&1 || true
echo ">> starting $name from $image"
docker run -d --name "$name" --hostname "$name" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW \
  --security-opt seccomp=unconfined --cgroupns host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
  --stop-signal RTMIN+3 "$image" >/dev/null

cat >"$work/inventory.yml" <<INV
---
all:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
  children:
    # molecule/shared/prepare.yml works on this group.
    targets:
      hosts:
        $name:
    # A web front end: nginx proxy (self-signed certificate; no ACME server
    # is reachable from a demo) in front of an app on 127.0.0.1:8000.
    proxies:
      hosts:
        $name:
          nginx_proxy_server_names: [demo.example.test]
          fail2ban_nginx_enabled: true
          # A container has no kernel modules to inspect.
          rkhunter_extra_disabled_tests: [avail_modules, loaded_modules]
INV

export ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default
# Show only what changed (and failures): the point of the demo.
export ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false

echo ">> preparing the demo host (operator account with an SSH key)"
# The same preparation the Molecule scenarios start from (key kept in $work).
MOLECULE_EPHEMERAL_DIRECTORY=$PWD/$work \
  ansible-playbook -i "$work/inventory.yml" molecule/shared/prepare.yml

echo ">> applying playbooks/site.yml; changed tasks follow"
ansible-playbook -i "$work/inventory.yml" --diff playbooks/site.yml | tee "$work/site.log"

echo
echo ">> second run (should change nothing):"
ansible-playbook -i "$work/inventory.yml" playbooks/site.yml | grep -E '^\S+ +: ok=' || true
echo ">> done: 'docker exec -it $name bash' to look around, 'make demo-clean' to remove it"
