#!/usr/bin/env bash
# Both update paths configured: `ota run --ddi URL ... --manifest URI`. The
# DDI server (tests/integration/ddi_server.py) is asked first; the signed
# release manifest (nginx) runs when the server deploys nothing, or cannot
# be reached or used; never when the server deployed something. And the
# app's say over the switch (--defer-activation, the service's may_activate)
# holds for the release item as for a DDI deployment.
# Usage: test_ddi_manifest.sh OTA KEYDIR
set -u
OTA=$1
K=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
for v in 1 2 3; do
    $OTA image make "$T/v$v.bin" --project lamp --version "v$v.0.0" --size 300000 >/dev/null
done
mkdir -p "$T/www/rel" "$T/st"
$OTA release "$T/www/rel" --image "$T/v3.bin" --key "$K/test_p256.pem" >"$T/release.out" 2>&1 || cat "$T/release.out"
start_nginx "$T/www"
MANIFEST="http://127.0.0.1:$NGINX_PORT/rel/manifest.json"
PUB="$K/test_p256_pub.pem"
python3 "$HERE/ddi_server.py" --state "$T/st" --port-file "$T/port" 2>"$T/server.log" &
SERVER_PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/port")"
DEAD="http://127.0.0.1:$(free_port)"  # nothing listens there

new_device() {  # NAME: v1 in ota_0, booted, with a bootloader that rolls back
    rm -f "$T/$1".* "$T/st/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" --rollback >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "$T/v1.bin" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null 2>&1
}
offer() {  # NAME ID: the DDI server deploys v2 to NAME as action ID
    printf '{"action": {"id": "%s", "chunks": [{"part": "os", "name": "app", "version": "v2.0.0", "file": "%s"}]}}\n' \
        "$2" "$T/v2.bin" >"$T/st/$1.json"
}
both() {  # NAME DDI-URL [ARGS...]: one run with both paths, output in $T/err, status in RC
    local dev=$1 url=$2; shift 2
    $OTA -v run "$T/$dev.img" --ddi "$url" --controller-id "$dev" --manifest "$MANIFEST" --manifest-pub "$PUB" \
        --rollback --retry-backoff 10 --connect-timeout 1000 "$@" >"$T/out" 2>"$T/err"
    RC=$?
}
expect_rc() {  # NAME STATUS PATTERN: the last run ended with STATUS and logged PATTERN
    if [ "$RC" -ne "$2" ]; then fail "$1 (exit $RC, wanted $2)" "$T/err"; return; fi
    if ! grep -Eq -- "$3" "$T/err"; then fail "$1 (log lacks /$3/)" "$T/err"; return; fi
    pass "$1"
}
lacks() {  # NAME PATTERN: the last run did not log PATTERN
    if grep -Eq -- "$2" "$T/err"; then fail "$1 (log has /$2/)" "$T/err"; else pass "$1"; fi
}
boots() {  # NAME VERSION: the device's next boot runs VERSION
    if $OTA boot "$T/$1.img" >"$T/boot.out" 2>&1 && grep -q "App version: *$2" "$T/boot.out"; then
        pass "  $1 boots $2"
    else
        fail "  $1 should boot $2" "$T/boot.out"
    fi
}

# ---- the DDI server first ---------------------------------------------------------
new_device a
offer a 11
both a "$URL"
expect_rc "the DDI server deploys: its action installs" 0 "feedback deploymentBase 11: proceeding/none: installed"
expect_rc "  and the manifest is not read" 0 "deployed action 11: the release manifest is not read"
lacks "  (no release decision)" "OTA_RELEASE"
boots a v2.0.0
both a "$URL"
expect_rc "the next run reports the outcome; no deployment left: the manifest runs" 0 \
    "has no deployment for this device: the release manifest"
expect_rc "  the outcome went first" 0 "deploymentBase 11: closed/success"
expect_rc "  and the release installs" 0 "OTA_RELEASE: .*v3.0.0.*: (full image|patch)"
boots a v3.0.0
both a "$URL"
expect_rc "then the manifest says up to date (exit 4)" 4 "OTA_RELEASE: .*: up to date"

# ---- unreachable or unusable: said, and the manifest instead ------------------------
new_device b
both b "$DEAD"
expect_rc "a DDI server that cannot be reached: said, and the manifest runs" 0 \
    "DDI server $DEAD unreachable or unusable \\(.*\\): the release manifest instead"
boots b v3.0.0
new_device c
printf '{"fault": "status500"}\n' >"$T/st/c.json"
both c "$URL"
expect_rc "a DDI server that answers HTTP 500: the manifest runs" 0 "unreachable or unusable .*the release manifest instead"
boots c v3.0.0
new_device d
$OTA -v run "$T/d.img" --ddi "$DEAD" --controller-id d --rollback --connect-timeout 1000 >"$T/out" 2>"$T/err"
RC=$?
expect_rc "without --manifest an unreachable DDI server is still an error" 1 "DDI server .*: "
boots d v1.0.0
# a deployment the device refuses is the server's answer: no manifest that time
# A DDI install that waits for its restart (--no-reboot), then the server is
# gone: the manifest must not write over the app the record names.
new_device h
offer h 14
both h "$URL" --no-reboot
expect_rc "a DDI install left for a later restart" 0 "feedback deploymentBase 14: proceeding/none: installed"
both h "$DEAD"
expect_rc "  the server gone: the manifest waits for that restart (exit 1: the server's error)" 1 \
    "waits for its restart.*the release manifest is not read"
lacks "  (no release decision)" "OTA_RELEASE"
boots h v2.0.0

new_device e
printf '{"action": {"id": "12", "chunks": [{"part": "os", "name": "app", "version": "v2.0.0", "file": "%s", "bad_sha256": true}]}}\n' \
    "$T/v2.bin" >"$T/st/e.json"
both e "$URL"
expect_rc "a deployment that fails is reported; the manifest is not read" 1 "deployed action 12: the release manifest is not read"
boots e v1.0.0

# ---- the app's say over the switch, for both paths ----------------------------------
new_device f
$OTA -v run "$T/f.img" --manifest "$MANIFEST" --manifest-pub "$PUB" --rollback --defer-activation \
    >"$T/out" 2>"$T/err"
RC=$?
expect_rc "a release the app defers: verified, not selected (exit 0)" 0 "the app defers the activation"
expect_rc "  the item says so" 0 "OTA_ERR_ACTIVATION_DEFERRED|the app deferred the activation"
lacks "  no restart" "restart!"
boots f v1.0.0
$OTA -v run "$T/f.img" --manifest "$MANIFEST" --manifest-pub "$PUB" --rollback >"$T/out" 2>"$T/err"
RC=$?
expect_rc "  a later run that may switch installs it" 0 "restart!"
boots f v3.0.0
new_device g
offer g 13
both g "$URL" --defer-activation
expect_rc "a DDI deployment the app defers: verified, the action stays open" 0 "waiting for the maintenance window or the app"
boots g v1.0.0
both g "$URL"
expect_rc "  the next run that may switch installs it (the manifest waits)" 0 "deployed action 13: the release manifest is not read"
boots g v2.0.0

# ---- usage ----
both a "ftp://127.0.0.1/x"
expect_rc "a DDI URL the client refuses is an error, not hidden by the manifest" 1 "--ddi ftp://127.0.0.1/x: "
lacks "  (the manifest is not read)" "OTA_RELEASE"--------------------------------------------------------------------
expect_fail "--ddi with --app is still bad usage" 2 "no --app or --data" \
    $OTA run "$T/a.img" --ddi "$URL" --controller-id a --app "$URL/x"

finish
