#!/usr/bin/env bash
# Makes a sample PKI the book's way: a CA, a localhost server certificate and a client
# certificate, as the book's chapter does with openssl and a config file.
# Usage: certs/make.sh [DIR] (default: the folder this script is in). The committed
# certs/ were made by `tlsprobe certs init`; the tests use this script.
# FOR TESTS AND DEMOS ONLY: the private keys are public. Never trust ca.crt.
set -euo pipefail
dir=${1:-$(dirname "$0")}
mkdir -p "$dir"
cd "$dir"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/ca.ext" <<'X'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
X
cat >"$tmp/server.ext" <<'X'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
cat >"$tmp/client.ext" <<'X'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X

q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }

# The CA (self-signed, v3, 20 years).
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 7300 -sha256 \
  -subj "/C=US/O=tlsprobe sample PKI (do not trust)/CN=tlsprobe Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME SUBJECT EXTFILE: a v3 leaf signed by the CA (10 years).
sign() {
  q openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$tmp/$1.csr" -subj "$2"
  q openssl x509 -req -in "$tmp/$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -sha256 -extfile "$3" -out "$1.crt"
  cat "$1.crt" "$1.key" >"$1.pem" # the book's bundle: certificate, then key
}
sign localhost "/C=US/O=tlsprobe sample PKI (do not trust)/CN=localhost" "$tmp/server.ext"
sign client "/C=US/O=tlsprobe sample PKI (do not trust)/CN=tlsprobe test client" "$tmp/client.ext"
rm -f ca.srl
chmod 600 ./*.key localhost.pem client.pem
chmod 644 ca.crt localhost.crt client.crt
echo "made $(pwd): ca.crt ca.key localhost.{crt,key,pem} client.{crt,key,pem}"
