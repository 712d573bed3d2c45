#!/bin/sh
# Entry point of the throwaway ACME server container (image bulwark/acme:
# Debian's pebble package). Started by molecule/shared/acme.yml.
#
# - pebble's HTTPS listener needs a certificate: a fresh test CA and a leaf
#   for the name `acme.test` (the targets map it to this container in
#   /etc/hosts) are made here with openssl; the CA is what the role gets as
#   its CA bundle, like a private ACME server's CA;
# - pebble-challtestsrv is pebble's DNS: the prepare adds A records for the
#   test domains, pointing at each target, so pebble's http-01 validation
#   really fetches http://<domain>/.well-known/acme-challenge/... from the
#   target's port 80;
# - PEBBLE_VA_NOSLEEP=1: no random validation delay; PEBBLE_WFE_NONCEREJECT=0:
#   no random badNonce rejections (flaky tests otherwise); PEBBLE_AUTHZREUSE=0:
#   every order is validated again, renewals included.
set -eu
dir=/run/acme
mkdir -p "$dir"
cd "$dir"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=bulwark molecule ACME listener CA" \
  -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=acme.test" -keyout key.pem -out listener.csr 2>/dev/null
printf 'subjectAltName=DNS:acme.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' >listener.ext
openssl x509 -req -in listener.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 2 -extfile listener.ext -out cert.pem 2>/dev/null

# httpPort/tlsPort: the ports pebble's validation authority connects to on
# the targets (the real ACME ports). Short-lived certificates are not needed:
# renewals are forced or dry runs.
cat >config.json <<JSON
{
  "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "$dir/cert.pem",
    "privateKey": "$dir/key.pem",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "certificateValidityPeriod": 7776000
  }
}
JSON

pebble-challtestsrv -management :8055 -dns01 :8053 -defaultIPv4 "" -defaultIPv6 "" \
  -http01 "" -https01 "" -tlsalpn01 "" -doh "" &
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 exec pebble -config config.json -dnsserver 127.0.0.1:8053
