#!/usr/bin/env bash
# `make demo`: start a throwaway Debian 13 container that looks like a freshly
# installed server (systemd, openssh-server, an `operator` account with an SSH
# key, a small web app on 127.0.0.1:8000), apply playbooks/site.yml to it as a
# web front end (group `proxies`, the variables of examples/inventory/), and
# end with a posture summary seen from outside (a peer container).
# The play logs go to build/demo/, not the screen.
# The container is left running for a look around:
#   docker exec -it bulwark-demo bash      make demo-clean   removes it
set -euo pipefail
cd "$(dirname "$0")/.."

name=bulwark-demo
image=${BULWARK_DEMO_IMAGE:-bulwark/debian13:latest}
peer_image=${BULWARK_IMAGE_PEER:-bulwark/peer:latest}
site=demo.example.test
work=build/demo
mkdir -p "$work"
rm -f "$work"/*.log

step() { printf '>> %s\n' "$*"; }
# Run a play with its output in $work/$1.log; on failure show the end of it.
play() {
  local log=$work/$1.log
  shift
  if ! ansible-playbook "$@" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "FAILED: see $log" >&2
    exit 1
  fi
}

docker rm -f "$name" >/dev/null 2>&1 || true
step "starting $name from $image"
docker run -d --name "$name" --hostname "$name" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW \
  --security-opt seccomp=unconfined --cgroupns host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
  --stop-signal RTMIN+3 "$image" >/dev/null
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")

# Two inventories for the one container: docker exec prepares it like a
# fresh server; site.yml then logs in over SSH as `operator`, as it would on a
# real one (with the variable names of examples/inventory/).
cat >"$work/prepare-inventory.yml" <<INV
---
all:
  children:
    # molecule/shared/prepare.yml works on this group.
    targets:
      hosts:
        $name:
          ansible_connection: community.docker.docker
          ansible_python_interpreter: /usr/bin/python3
INV
cat >"$work/inventory.yml" <<INV
---
all:
  children:
    # A web front end: the nginx proxy (self-signed certificate: no ACME
    # server is reachable from a demo) in front of the app on 127.0.0.1:8000.
    proxies:
      hosts:
        $name:
          ansible_host: $ip
          ansible_user: operator
          ansible_become: true
          ansible_python_interpreter: /usr/bin/python3
          ansible_ssh_private_key_file: $PWD/$work/operator_ed25519
          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
      vars:
        bulwark_server_names: [$site]
        nginx_proxy_upstream_servers: ["127.0.0.1:8000"]
        nginx_proxy_login_paths: [/accounts/login/]
INV
cat >"$work/app.yml" <<APP
---
- name: A small web app behind the proxy
  hosts: targets
  gather_facts: false
  tasks:
    - name: Start the echo app
      ansible.builtin.include_tasks: $PWD/molecule/shared/tasks/echo_app.yml
      vars:
        echo_app_src: $PWD/molecule/shared/echo_app.py
        echo_app_port: 8000
APP

export ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ANSIBLE_FORCE_COLOR=false
export ANSIBLE_PIPELINING=true

step "preparing the host: operator account with an SSH key, the app (log: $work/prepare.log)"
MOLECULE_EPHEMERAL_DIRECTORY=$PWD/$work play prepare -i "$work/prepare-inventory.yml" molecule/shared/prepare.yml
play app -i "$work/prepare-inventory.yml" "$work/app.yml"

step "applying playbooks/site.yml over SSH as operator (log: $work/site.log)"
start=$(date +%s)
play site -i "$work/inventory.yml" --diff playbooks/site.yml
first=$(grep -E '^\S+ +: ok=' "$work/site.log" | sed 's/  */ /g')
step "second run, should change nothing (log: $work/site-again.log)"
play site-again -i "$work/inventory.yml" playbooks/site.yml
again=$(grep -E '^\S+ +: ok=' "$work/site-again.log" | sed 's/  */ /g')
elapsed=$(($(date +%s) - start))

# --- The posture, seen from outside: a peer container on the same network ---
step "looking at $name from outside"
peer=bulwark-demo-peer
docker rm -f "$peer" >/dev/null 2>&1 || true
docker run -d --rm --name "$peer" "$peer_image" >/dev/null
trap 'docker rm -f "$peer" >/dev/null 2>&1 || true' EXIT
on_peer() { docker exec "$peer" sh -c "$1" 2>/dev/null || true; }
on_host() { docker exec "$name" sh -c "$1" 2>/dev/null || true; }

ssh_audit=.venv/bin/ssh-audit
if [ -x "$ssh_audit" ]; then
  "$ssh_audit" --skip-rate-test -n "$ip" >"$work/ssh-audit.txt" 2>&1 && rc=0 || rc=$?
  fails=$(grep -c -- '-- \[fail\]' "$work/ssh-audit.txt" || true)
  warns=$(grep -c -- '-- \[warn\]' "$work/ssh-audit.txt" || true)
  case $rc in
    0) ssh_verdict="pass: no failures, no warnings" ;;
    *) ssh_verdict="$fails failure(s), $warns warning(s) (exit $rc; see $work/ssh-audit.txt)" ;;
  esac
else
  ssh_verdict="ssh-audit not installed (make venv)"
fi

ports=$(on_peer "for p in \$(seq 1 1024) 2222 3306 5432 8000 8080 8443; do echo \$p; done \
  | xargs -P 256 -I@ sh -c 'nc -z -w 2 $ip @ 2>/dev/null && echo @'" | sort -n | tr '\n' ' ')

jails=$(on_host "fail2ban-client status" | sed -n 's/.*Jail list:[[:space:]]*//p')

protocols=""
for p in tls1 tls1_1 tls1_2 tls1_3; do
  # -brief prints CONNECTION ESTABLISHED only for a completed handshake; the
  # long form prints a "Protocol :" line even for a refused one.
  if on_peer "openssl s_client -brief -connect $ip:443 -servername $site -$p -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1" \
    | grep -q 'CONNECTION ESTABLISHED'; then
    case $p in tls1) protocols="$protocols TLSv1.0" ;; *) protocols="$protocols TLSv1.${p#tls1_}" ;; esac
  fi
done
groups=""
for g in X25519MLKEM768 SecP256r1MLKEM768 X25519 secp256r1 secp384r1 secp521r1 X448 ffdhe2048; do
  if on_peer "openssl s_client -brief -connect $ip:443 -servername $site -groups $g </dev/null 2>&1" \
    | grep -q 'CONNECTION ESTABLISHED'; then
    groups="$groups $g"
  fi
done

headers=$(on_peer "curl -sk -o /dev/null -D - --resolve $site:443:$ip https://$site/status/404" \
  | tr -d '\r' | grep -iE '^(HTTP/|strict-transport|content-security|x-content-type|x-frame|referrer-policy|permissions-policy|cross-origin|server:)' \
  | sed 's/^/    /')
redirect=$(on_peer "curl -s -o /dev/null -w '%{http_code} -> %{redirect_url}' --resolve $site:80:$ip http://$site/")

timers=$(on_host "systemctl list-timers --all --no-legend apt-daily.timer apt-daily-upgrade.timer certbot.timer" \
  | awk '{for (i = 1; i <= NF; i++) if ($i ~ /\.timer$/) {print "    " $i ": next " $1 " " $2 " " $3; break}}')

step "running rkhunter --check (about a minute; report in $work/rkhunter.txt)"
on_host "rkhunter --check --sk --nocolors --rwo" >"$work/rkhunter.txt"
rk_warnings=$(grep -c 'Warning:' "$work/rkhunter.txt" || true)
if [ "$rk_warnings" = 0 ]; then rk="clean: no warnings"; else rk="$rk_warnings warning(s): see $work/rkhunter.txt"; fi

cat <<SUMMARY

================ bulwark.hardening posture of $name ($ip) ================
 play          first run: ${first#* }
               second run: ${again#* }   (${elapsed}s for both)
 ssh-audit     $ssh_verdict
 open ports    ${ports:-none} (TCP 1-1024 and a few usual ones, from a peer)
 fail2ban      jails: ${jails:-none}
 TLS           protocols:${protocols:- none}
               groups:${groups:- none}
 HTTP          $redirect
 headers on the app's 404 (/status/404)
$headers
 timers
$timers
 rkhunter      $rk
===========================================================================
SUMMARY

# --- The posture report: playbooks/audit.yml, read-only, with drift ---
step "writing the posture report with playbooks/audit.yml (log: $work/audit.log)"
rm -rf "$work/audit"
play audit -i "$work/inventory.yml" playbooks/audit.yml -e "bulwark_audit_dir=$PWD/$work/audit"
python3 - "$work/audit/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for host in report["hosts"]:
    areas = ", ".join(f"{a['name']} {a['status']}" for a in host["areas"])
    print(f" report        {host['name']}: {host['status']} ({areas})")
PY
cat <<WHERE
 report        $PWD/$work/audit/report.html (also report.md, report.json)
 logs in $work/   'docker exec -it $name bash' to look around, 'make demo-clean' to remove it
WHERE
