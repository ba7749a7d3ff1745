#!/bin/sh
# Generates the TLS TEST FIXTURES in tests/fixtures/tls/: a throwaway CA, a
# server certificate for 127.0.0.1 / ::1 / localhost signed by it, a client
# certificate for mutual TLS, and a second CA nobody trusts (for the
# "unknown CA" tests). Valid for 100 years so tests never expire. The keys
# are public on purpose: never use them for anything but tests.
#
# Usage: sh scripts/gen_test_certs.sh   (needs openssl)
set -eu
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/tls"
mkdir -p "$dir"
cd "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
days=36500

ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout "$1-key.pem" -out "$1-cert.pem" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1-key.pem" \
    -out "$work/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" >"$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA test-ca-cert.pem -CAkey test-ca-key.pem \
    -CAcreateserial -CAserial "$work/ca.srl" -days "$days" -sha256 \
    -extfile "$work/$1.ext" -out "$1-cert.pem" 2>/dev/null
}

ca test-ca "/CN=early-hints test CA (fixture, do not trust)"
ca test-untrusted-ca "/CN=early-hints untrusted test CA (fixture)"

leaf test-server "/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

leaf test-client "/CN=early-hints test client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

# A server certificate signed by the untrusted CA.
mv test-ca-cert.pem "$work/ca-cert.pem"
mv test-ca-key.pem "$work/ca-key.pem"
cp test-untrusted-ca-cert.pem test-ca-cert.pem
cp test-untrusted-ca-key.pem test-ca-key.pem
leaf test-untrusted-server "/CN=localhost" "basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
mv "$work/ca-cert.pem" test-ca-cert.pem
mv "$work/ca-key.pem" test-ca-key.pem
rm -f test-untrusted-ca-key.pem
ls -1 "$dir"
