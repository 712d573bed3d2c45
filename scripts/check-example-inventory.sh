#!/usr/bin/env bash
# Lint-time check of examples/inventory/ (what users copy): it parses, has a
# proxy and plain servers, and playbooks/site.yml accepts it. Cheap: nothing
# connects to the example hosts.
set -euo pipefail
cd "$(dirname "$0")/.."

inv=examples/inventory
ansible-inventory -i "$inv" --list >build/example-inventory.json
python3 - build/example-inventory.json <<'PY'
import json
import sys

data = json.load(open(sys.argv[1]))
proxies = data.get("proxies", {}).get("hosts", [])
servers = data.get("servers", {}).get("hosts", [])
assert proxies, "examples/inventory: no host in group proxies"
assert len(servers) >= 2, "examples/inventory: fewer than two plain servers"
for host in proxies:
    hv = data["_meta"]["hostvars"][host]
    for name in ("bulwark_server_names", "certbot_email", "certbot_certificates"):
        assert name in hv, f"examples/inventory: {host} lacks {name}"
PY
ansible-playbook -i "$inv" playbooks/site.yml --syntax-check >/dev/null
echo "example inventory: ok"
