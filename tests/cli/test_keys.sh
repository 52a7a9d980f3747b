#!/usr/bin/env bash
# Keys like espsecure.py: `ota key new` (rsa3072, ecdsa256, ecdsa384),
# `ota key pub`, `ota key digest` (the eFuse digest, equal to
# digest_sbv2_public_key: checked against the vectors' known digests when
# ../shared is there); signing a signed image replaces its signature, or
# with --append adds a block in the same sector (up to 3), never a second
# sector. Usage: test_keys.sh OTA KEYDIR [VECTORS]
set -u
OTA=$1
K=$2
V=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

# --- key new / pub / digest ---------------------------------------------------
for s in rsa3072 ecdsa256 ecdsa384; do
    expect_ok "key new --scheme $s" $OTA key new "$T/$s.pem" --scheme $s
    [ "$(stat -c %a "$T/$s.pem")" = 600 ] && pass "  the private key is its owner's only (0600)" \
        || fail "  the private key is its owner's only (0600)"
    grep -q "PRIVATE KEY-----" "$T/$s.pem" && pass "  a PEM private key" || fail "  a PEM private key" "$T/$s.pem"
    expect_ok "key pub ($s)" $OTA key pub "$T/$s.pem" "$T/$s.pub.pem"
    grep -q "BEGIN PUBLIC KEY-----" "$T/$s.pub.pem" && ! grep -q PRIVATE "$T/$s.pub.pem" && pass "  only the public half" \
        || fail "  only the public half" "$T/$s.pub.pem"
done
expect_ok "key new: rsa3072 by default" $OTA key new "$T/default.pem"
grep -q "BEGIN RSA PRIVATE KEY\|BEGIN PRIVATE KEY" "$T/default.pem" && [ "$(wc -c <"$T/default.pem")" -gt 2000 ] \
    && pass "  an RSA-3072 key" || fail "  an RSA-3072 key" "$T/default.pem"
expect_fail "key new over an existing file: refused" 1 "already exists: a key is never overwritten" \
    $OTA key new "$T/default.pem"
expect_fail "key new --scheme ecdsa255: did you mean" 2 "did you mean 'ecdsa256'" $OTA key new "$T/x.pem" --scheme ecdsa255
expect_fail "key pub of a missing file: says so" 1 "cannot read key .*none.pem: No such file" \
    $OTA key pub "$T/none.pem" "$T/x.pem"
expect_fail "key digest of ecdsa384: not supported, said" 1 "ECDSA-384 is not supported" $OTA key digest "$T/ecdsa384.pem"

# The digest of a key and of its public half are one; the eFuse burns it.
for pair in "test_rsa3072.pem test_rsa3072_pub.pem" "test_p256.pem test_p256_pub.pem"; do
    set -- $pair
    expect_ok "key digest $1" $OTA key digest "$K/$1"
    d1=$(cat "$T/out")
    expect_ok "key digest $2" $OTA key digest "$K/$2" --out "$T/digest.bin"
    [ "$d1" = "$(cat "$T/out")" ] && [ ${#d1} -eq 64 ] && pass "  the same 64 hex digits" || fail "  the same 64 hex digits"
    [ "$(od -An -tx1 -v "$T/digest.bin" | tr -d ' \n')" = "$d1" ] && pass "  --out: the 32 bytes" || fail "  --out: the 32 bytes"
    $OTA flash create "$T/d.img" --table "$HERE/../../examples/ota_example/partitions.csv" >/dev/null
    $OTA efuse "$T/d.img" --burn-key "$K/$2" >"$T/out" 2>&1
    grep -q "key digest $d1" "$T/out" && pass "  what efuse --burn-key burns" || fail "  what efuse --burn-key burns" "$T/out"
    rm -f "$T/d.img"*
done
# A new key signs, and its public half verifies.
$OTA image make "$T/app.bin" --project p --version v1.0.0 --chip esp32s3 >/dev/null
expect_ok "a new rsa3072 key signs" $OTA image sign "$T/app.bin" "$T/new-signed.bin" --key "$T/rsa3072.pem"
expect_ok "  its public half verifies" $OTA image verify-signature "$T/new-signed.bin" --pub "$T/rsa3072.pub.pem"
expect_fail "an ecdsa384 key: not signed here, said" 1 "ecdsa384.pem: not an RSA-3072 or ECDSA P-256 private key.*ECDSA-384.*not supported" \
    $OTA image sign "$T/app.bin" "$T/x.bin" --key "$T/ecdsa384.pem"
[ ! -e "$T/x.bin" ] && pass "  nothing written" || fail "  nothing written"

# The known digests of the vectors (espsecure.py digest_sbv2_public_key).
if [ -n "$V" ] && [ -f "$V/signed/rsa3072_pub.pem" ]; then
    expect_ok "key digest of the vectors' RSA key" $OTA key digest "$V/signed/rsa3072_pub.pem"
    expect_out "  espsecure's digest" "^18b66f09339460a9f8cf4e60de6ae00668b9a117e8654a1414f51006151ac136$"
    expect_ok "key digest of the vectors' P-256 key" $OTA key digest "$V/signed/p256_pub.pem"
    expect_out "  espsecure's digest" "^3bb488af9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2bc$"
else
    skip "the vectors' known digests (no ../shared/vectors)"
fi

# --- signing a signed image: replace, or --append in the same sector -----------
S=$T/app.bin
expect_ok "sign" $OTA image sign "$S" "$T/s1.bin" --key "$K/test_rsa3072.pem" --deterministic
expect_ok "sign the signed image again: replaces" $OTA image sign "$T/s1.bin" "$T/s2.bin" --key "$K/test_rsa3072_other.pem"
[ "$(stat -c %s "$T/s2.bin")" = "$(stat -c %s "$T/s1.bin")" ] && pass "  no second sector" || fail "  no second sector"
expect_ok "  the new key verifies" $OTA image verify-signature "$T/s2.bin" --pub "$K/test_rsa3072_other.pem"
expect_fail "  the old key no longer" 1 "not the trusted key" $OTA image verify-signature "$T/s2.bin" --pub "$K/test_rsa3072_pub.pem"
expect_ok "sign --append: a second block" $OTA image sign "$T/s1.bin" "$T/a2.bin" --key "$K/test_rsa3072_other.pem" --append
expect_out "  block 1 of the same sector" "signature sector at 0x[0-9a-f]+, block 1\)"
[ "$(stat -c %s "$T/a2.bin")" = "$(stat -c %s "$T/s1.bin")" ] && pass "  same size: no second sector" || fail "  same size: no second sector"
cmp -n $(( $(stat -c %s "$T/s1.bin") - 4096 + 1216 )) "$T/s1.bin" "$T/a2.bin" && pass "  image and block 0 kept" || fail "  image and block 0 kept"
expect_ok "  verifies with the first key" $OTA image verify-signature "$T/a2.bin" --pub "$K/test_rsa3072_pub.pem"
expect_ok "  verifies with the second key" $OTA image verify-signature "$T/a2.bin" --pub "$K/test_rsa3072_other.pem"
expect_ok "sign --append: a third block" $OTA image sign "$T/a2.bin" "$T/a3.bin" --key "$K/test_rsa3072.pem" --append
expect_out "  block 2" "block 2\)"
expect_fail "sign --append a fourth: refused, the sector holds 3" 1 "already holds 3 signatures" \
    $OTA image sign "$T/a3.bin" "$T/a4.bin" --key "$K/test_rsa3072.pem" --append
[ ! -e "$T/a4.bin" ] && pass "  nothing written" || fail "  nothing written"
expect_ok "--append on an unsigned image: block 0" $OTA image sign "$S" "$T/u.bin" --key "$K/test_rsa3072.pem" --append
expect_out "  block 0" "block 0\)"

finish
