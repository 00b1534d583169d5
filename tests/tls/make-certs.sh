#!/usr/bin/env bash
# Makes the test-only certificates in this folder: a CA, and a server certificate for
# `localhost` and 127.0.0.1 signed by it, both P-256 and valid for 100 years. The CA key is
# thrown away. Nothing here protects anything: the keys are public, in the repository.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
  -subj "/CN=picomqtt test CA" -keyout "$work/ca.key" -out ca.crt
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout server.key -out "$work/server.csr"
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" > "$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA ca.crt -CAkey "$work/ca.key" -CAcreateserial \
  -CAserial "$work/ca.srl" -days 36500 -extfile "$work/ext.cnf" -out server.crt
chmod 644 server.key
