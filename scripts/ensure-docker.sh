#!/usr/bin/env bash
# Make sure a Docker engine answers. On a fresh Debian-family machine where we
# are root, install docker.io (and debootstrap, needed for the base images) from
# the distribution's packages and start dockerd in the background; this machine
# kind has no systemd on the host, so the daemon is launched directly.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ERROR: no Docker engine answers 'docker info'." >&2
  echo "Start one yourself, or run as root on a Debian-family host so that" >&2
  echo "this script can install docker.io and start dockerd." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo ">> installing docker.io and debootstrap from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io debootstrap >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo ">> starting dockerd in the background (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo ">> Docker engine is up"
    exit 0
  fi
  sleep 1
done
echo "ERROR: dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
