#!/usr/bin/env bash
# Throwaway PKI for the TLS tests, made with openssl in DIR:
#   ca.pem / ca.key          the test CA
#   other-ca.pem             a CA that signed nothing here ("wrong CA")
#   good.pem / good.key      localhost + 127.0.0.1, signed by ca
#   mismatch.pem / .key      for other.invalid only, signed by ca
#   expired.pem / .key       localhost + 127.0.0.1, signed by ca, valid in January 2020 only
set -euo pipefail
D=$1
mkdir -p "$D"
cd "$D"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=ota-service test CA"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=some other CA"
leaf() {  # NAME SAN
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >"$1.ext"
    q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
}
leaf good "DNS:localhost,IP:127.0.0.1"
q openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out good.pem -days 30 -extfile good.ext
leaf mismatch "DNS:other.invalid"
q openssl x509 -req -in mismatch.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out mismatch.pem -days 30 -extfile mismatch.ext
# An expired certificate: openssl ca takes explicit start and end dates.
leaf expired "DNS:localhost,IP:127.0.0.1"
mkdir -p ca-db
: >ca-db/index.txt
echo 01 >ca-db/serial
cat >ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = $D/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
CNF
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
    -startdate 20200101000000Z -enddate 20200201000000Z -extfile expired.ext -notext
