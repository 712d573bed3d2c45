#!/usr/bin/env bash
# Build the Debian base images the Molecule scenarios run on, with debootstrap,
# because no container registry is reachable here. The mirror is read from this
# machine's own apt configuration, never written into the repository.
#
# Each image looks like an installed Debian host: apt sources for the release,
# -updates and -security suites. The rootfs is *not* upgraded after debootstrap,
# so security updates are pending in the image, as on a host that has been
# running for a while; the auto_updates tests rely on that.
#
# Usage: scripts/build-images.sh [debian12|debian13|peer|acme]...   (default: all)
# An image is rebuilt only when it is missing or was built by another version of
# this script's recipe (label bulwark.recipe).
set -euo pipefail

# Bump when the image contents below change, so cached images are rebuilt.
recipe=2
# Packages an installed Debian server has besides the minimal base.
include="python3,systemd,systemd-sysv,dbus,ca-certificates,openssh-server,sudo,iproute2,procps,apt-utils,cron,logrotate,gnupg"

# Print the first URI from the host's apt sources whose suites match $1
# (a regex), from deb822 .sources files and one-line sources.list alike.
host_apt_uri() {
  local want=$1 f
  python3 - "$want" /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list <<'PY'
import re, sys, pathlib
want = re.compile(sys.argv[1])
for name in sys.argv[2:]:
    p = pathlib.Path(name)
    if not p.is_file():
        continue
    text = p.read_text()
    if name.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
            if any(want.search(s) for s in fields.get("Suites", "").split()):
                print(fields["URIs"].split()[0]); sys.exit(0)
    else:
        for line in text.splitlines():
            m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
            if m and want.search(m.group(2)):
                print(m.group(1)); sys.exit(0)
sys.exit(1)
PY
}

mirror=${BULWARK_DEBIAN_MIRROR:-$(host_apt_uri '^[a-z]+(-updates)?$' || true)}
security=${BULWARK_DEBIAN_SECURITY_MIRROR:-$(host_apt_uri '-security$' || true)}
if [ -z "$mirror" ] || [ -z "$security" ]; then
  echo "ERROR: could not read a Debian mirror and security URI from /etc/apt;" >&2
  echo "set BULWARK_DEBIAN_MIRROR and BULWARK_DEBIAN_SECURITY_MIRROR." >&2
  exit 1
fi

# True when the image exists and was built by this recipe.
is_current() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "bulwark.recipe" }}' "$1" 2>/dev/null || true)" = "$recipe" ]
}

build() {
  local name=$1 suite=$2 tag="bulwark/$1:latest"
  if is_current "$tag"; then
    echo ">> $tag is up to date, skipping"
    return 0
  fi
  echo ">> building $tag from $suite"
  local root
  root=$(mktemp -d "/var/tmp/bulwark-$name.XXXXXX")
  trap 'rm -rf "$root"' RETURN
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -30 "$root.log" >&2; return 1; }
  rm -f "$root.log"
  # Sources like an installed host: release, -updates and -security.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # A fresh machine-id per container, as on a first boot.
  : >"$root/etc/machine-id"
  # No console in a container: gettys would only fail.
  rm -f "$root"/etc/systemd/system/getty.target.wants/*
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import \
    -c 'ENV container=docker' \
    -c 'CMD ["/lib/systemd/systemd"]' \
    -c "LABEL bulwark.recipe=$recipe" \
    - "$tag" >/dev/null
  echo ">> built $tag"
}

# An image on top of bulwark/debian13 with a few more packages, built from a
# Dockerfile on stdin; docker's output (including the legacy builder's
# deprecation notice) is shown only when the build fails.
build_tool_image() {
  local tag=$1 packages=$2 out
  if is_current "$tag"; then
    echo ">> $tag is up to date, skipping"
    return 0
  fi
  echo ">> building $tag"
  out=$(docker build -q -t "$tag" --label "bulwark.recipe=$recipe" - 2>&1 <<DOCKERFILE
FROM bulwark/debian13:latest
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages \\
 && rm -rf /var/lib/apt/lists/*
CMD ["sleep", "infinity"]
DOCKERFILE
  ) || {
    echo "$out" >&2
    return 1
  }
  echo ">> built $tag"
}

# The peer: a client container the tests use to reach a target from outside
# (ssh logins, failed logins for fail2ban, port probes, TLS handshakes). Its
# own address lets a test tell an attacker from the operator.
build_peer() {
  build_tool_image bulwark/peer:latest "openssh-client sshpass curl openssl netcat-openbsd"
}

# The ACME server for certbot tests: Debian's pebble (a real RFC 8555 server
# meant for tests) in a container of its own, so certificates are issued for
# real without leaving the project's containers.
build_acme() {
  build_tool_image bulwark/acme:latest pebble
}

declare -A suites=([debian12]=bookworm [debian13]=trixie)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(debian12 debian13 peer acme)
for t in "${targets[@]}"; do
  case $t in
    peer) build_peer; continue ;;
    acme) build_acme; continue ;;
  esac
  [ -n "${suites[$t]:-}" ] || { echo "ERROR: unknown image $t" >&2; exit 1; }
  build "$t" "${suites[$t]}"
done
