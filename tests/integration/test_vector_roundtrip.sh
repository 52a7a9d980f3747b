#!/usr/bin/env bash
# Every real release of ../shared/vectors/delta through `ota run --app`, in
# every form the project makes of it, onto a device running the release it
# is made for:
#  - our compact patch and our esp_delta_ota patch of each of the 7 pairs
#    (the 4 successive ones and the 3 that skip one);
#  - each of the 5 releases as a compressed image (onto the release before
#    it; the first onto the last);
# each through nginx (Range) and python's http.server (no Range), and through
# nginx with the connection cut half way (the transfer resumes with 206):
# ota_1 holds the release byte for byte and the bootloader boots it.
# Usage: test_vector_roundtrip.sh OTA [VECTORS_DIR]
set -u
OTA=$1
VEC=${2:-}
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

if [ -z "$VEC" ] || [ ! -d "$VEC/delta" ]; then
    skip "the vector releases (no ../shared/vectors)"
    finish || exit 1
    exit 77  # nothing here runs without the vectors
fi
. "$HERE/item_device.sh"
V="$VEC/delta"
rels=(d2d8d982 b7855e8e 32641331 cf645f84 12198e8d)
pairs=("0 1" "1 2" "2 3" "3 4" "0 2" "1 3" "2 4")

start_nginx "$T/www"
start_python_server "$T/www"
NG="http://127.0.0.1:$NGINX_PORT" PY="http://127.0.0.1:$PY_PORT"

# through NAME OLD NEW FILE: FILE (in www/) onto a device running OLD, from
# nginx, from python, and from nginx through a connection cut half way
through() {
    local name=$1 old=$2 new=$3 file=$4 size got
    device_running "$old"
    expect_ok "$name via nginx" $OTA -v run "$D" --app "$NG/$file"
    installed "$name via nginx" "$new"
    device_running "$old"
    expect_ok "$name via python" $OTA -v run "$D" --app "$PY/$file"
    installed "$name via python" "$new"
    device_running "$old"
    size=$(stat -c %s "$T/www/$file")
    start_cut_proxy "$NGINX_PORT" $((size / 2))
    expect_ok "$name cut at 50% via nginx" $OTA -v run "$D" --app "http://127.0.0.1:$PROXY_PORT/$file" --retry-backoff 20
    stop_cut_proxy
    installed "$name cut at 50% via nginx" "$new"
    got=$(received)
    if [ -n "$got" ] && [ "$got" -lt $((size * 11 / 10)) ] && grep -q "(resumed)" "$T/err"; then
        pass "  ... resumed with 206 ($got bytes received for $size)"
    else fail "  ... resumed with 206 (${got:-?} bytes received for $size)" "$T/err"; fi
}

for p in "${pairs[@]}"; do
    read -r i j <<<"$p"
    o=${rels[$i]} n=${rels[$j]}
    for form in compact esp; do
        $OTA delta make "$V/korvo-$o.bin" "$V/korvo-$n.bin" "$T/www/$o-$n.$form" --format "$form" >/dev/null ||
            fail "ota delta make $o -> $n --format $form"
        through "$form patch $o -> $n" "$V/korvo-$o.bin" "$V/korvo-$n.bin" "$o-$n.$form"
    done
done

for j in 0 1 2 3 4; do
    o=${rels[$(((j + 4) % 5))]} n=${rels[$j]}
    $OTA image compress "$V/korvo-$n.bin" "$T/www/$n.cz" >/dev/null || fail "ota image compress $n"
    through "compressed $n onto $o" "$V/korvo-$o.bin" "$V/korvo-$n.bin" "$n.cz"
done
finish
