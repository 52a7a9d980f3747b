#!/usr/bin/env bash
# The OTA service end to end against real servers on loopback (python's
# http.server, nginx, a fault-injecting server) and an SD card folder.
# Every failure must give its specific result and leave the running app
# bootable. Usage: test_service.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

mkdir -p "$T/www" "$T/sd" "$T/tones"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
mk() { $OTA image make "$T/www/$1" --project "$2" --version "$3" --size "${4:-300000}" ${5:+--chip $5} >/dev/null; }
mk old.bin ota_example v1.0.0
mk new.bin play_mp3_control v2.0.0
mk older.bin play_mp3_control v0.9.0
mk same.bin play_mp3_control v1.0.0
mk gitver.bin play_mp3_control v2.2-237-g6532b89f
mk s2.bin play_mp3_control v2.0.0 300000 esp32s2
mk big.bin play_mp3_control v2.0.0 1600000
cp "$T/www/new.bin" "$T/www/hash.bin"
flip_byte "$T/www/hash.bin" 299999   # stored SHA-256
cp "$T/www/new.bin" "$T/www/cksum.bin"
printf '\x00\x00' | dd of="$T/www/cksum.bin" bs=1 seek=150000 conv=notrunc 2>/dev/null  # payload
head -c 3000 /dev/urandom >"$T/tones/a.mp3"
head -c 1234 /dev/urandom >"$T/tones/b.mp3"
$OTA tone make "$T/sd/flash_tone.bin" "$T/tones/a.mp3" "$T/tones/b.mp3" >/dev/null
$OTA tone make "$T/sd/tone1.bin" "$T/tones/a.mp3" --format 1 --version v1.1.0 >/dev/null
cp "$T/sd/flash_tone.bin" "$T/sd/badtag.bin"
printf 'XX' | dd of="$T/sd/badtag.bin" bs=1 seek=0 conv=notrunc 2>/dev/null
cp "$T/sd/flash_tone.bin" "$T/www/flash_tone.bin"
echo "secret" >"$T/secret.bin"
ln -s "$T/secret.bin" "$T/sd/escape.bin"
mkdir -p "$T/sd/sub" && cp "$T/sd/flash_tone.bin" "$T/sd/sub/t.bin"

$OTA flash create "$T/base.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/www/old.bin" >/dev/null
$OTA boot "$T/base.img" >/dev/null

start_python_server "$T/www"
start_nginx "$T/www"
start_fault_server "$T/www"
PY=http://127.0.0.1:$PY_PORT
NG=http://127.0.0.1:$NGINX_PORT
FS=http://127.0.0.1:$FAULT_PORT
D="$T/dev.img"
fresh() { copy_device "$T/base.img" "$D"; }

# run_ok NAME ARGS...: the list succeeds, the device restarts into ota_1
run_ok() {
    local name=$1; shift
    fresh
    expect_ok "$name" $OTA -v run "$D" --sdcard "$T/sd" --retry-backoff 20 "$@"
    cat "$T/out" "$T/err" >"$T/run.log"  # results on stdout, log lines on stderr
}

# run_fails NAME RESULT ERRNAME ARGS...: the item fails with RESULT (ERRNAME),
# no restart, and the running app (ota_0, ota_example) still boots. The exit
# status is 1, or $WANT_RC (4: nothing to do, 5: device busy).
run_fails() {
    local name=$1 result=$2 errname=$3 want=${WANT_RC:-1}; shift 3
    fresh
    $OTA -v run "$D" --sdcard "$T/sd" --retry-backoff 20 "$@" >"$T/run.log" 2>&1
    local rc=$?
    if [ $rc -ne "$want" ]; then fail "$name: exit $rc, wanted $want" "$T/run.log"; return; fi
    if ! grep -q "OTA failed: $result ($errname" "$T/run.log"; then
        fail "$name: no 'OTA failed: $result ($errname'" "$T/run.log"; return
    fi
    if grep -q "restart!" "$T/run.log"; then fail "$name: restarted after a failure" "$T/run.log"; return; fi
    if ! $OTA boot "$D" >"$T/boot.log" 2>&1 || ! grep -q "^booted: ota_0" "$T/boot.log" \
        || ! grep -q "Project name: *ota_example" "$T/boot.log"; then
        fail "$name: the running app does not boot any more" "$T/boot.log"; return
    fi
    pass "$name"
}

log_has() {  # NAME PATTERN: the last run's log matches
    if grep -Eq -- "$2" "$T/run.log"; then pass "$1"; else fail "$1 (log lacks /$2/)" "$T/run.log"; fi
}

# --- the seed scenario -----------------------------------------------------------
run_ok "seed scenario: tone from SD, app from python http.server" \
    --data flash_tone=file://sdcard/flash_tone.bin --app "$PY/new.bin"
log_has "data item first, success" "List id: 0, OTA success"
log_has "app item second, success" "List id: 1, OTA success"
log_has "version line" "Running firmware version: v1.0.0, the incoming firmware version v2.0.0"
log_has "restart after FINISH" "OTA_END!"
log_has "the bootloader boots ota_1" "^booted: ota_1"
log_has "new app runs" "Project name: +play_mp3_control"
expect_ok "tone partition holds the new image" $OTA tone info "$D" --label flash_tone
expect_out "2 files, format 0" "format 0, 2 files"
cmp -s <(head -c "$(stat -c %s "$T/sd/flash_tone.bin")" <($OTA flash read "$D" flash_tone /dev/stdout 2>/dev/null)) \
    "$T/sd/flash_tone.bin" && pass "tone bytes identical" || fail "tone bytes identical"
run_ok "same list against nginx" --data flash_tone="$NG/flash_tone.bin" --app "$NG/new.bin"
log_has "nginx: booted ota_1" "^booted: ota_1"
run_ok "through two redirects" --app "$FS/redirect/2/new.bin"
log_has "redirected: booted ota_1" "^booted: ota_1"
run_ok "format-1 tone image, CRC checked after writing" --data flash_tone=file://sdcard/tone1.bin --no-reboot
log_has "CRC and tail verified" "CRC and tail valid"
run_ok "config file like menuconfig" --config <(printf 'CONFIG_WIFI_SSID="myssid"\nCONFIG_FIRMWARE_UPGRADE_URI="%s/new.bin"\nCONFIG_DATA_UPGRADE_URI="file://sdcard/flash_tone.bin"\nCONFIG_DATA_PARTITION_LABEL="flash_tone"\n# CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER is not set\n' "$PY")
log_has "config: Wi-Fi step logged" "connected to 'myssid'"
log_has "config: booted ota_1" "^booted: ota_1"

# --- versions, flags --------------------------------------------------------------
WANT_RC=4 run_fails "force version check: older -> NO_HIGHER_VERSION, exit 4 (nothing to do)" NO_HIGHER_VERSION \
    OTA_ERR_NOT_NEWER --app "$PY/older.bin" --force-version-check
WANT_RC=4 run_fails "force version check: equal -> NO_HIGHER_VERSION, exit 4" NO_HIGHER_VERSION OTA_ERR_NOT_NEWER \
    --app "$PY/same.bin" --force-version-check
run_fails "force version check: git-describe version -> ERROR_VERSION" ERROR_VERSION OTA_ERR_VERSION_FORMAT \
    --app "$PY/gitver.bin" --force-version-check
run_ok "without the check an older app is accepted" --app "$PY/older.bin"
run_fails "break_after_fail stops the list" FILE_NOT_FOUND OTA_ERR_FILE_NOT_FOUND \
    --data flash_tone=file://sdcard/missing.bin --app "$PY/new.bin" --break-after-fail
if grep -q "Starting OTA" "$T/run.log"; then fail "break_after_fail: the app item ran" "$T/run.log"
else pass "break_after_fail: the app item did not run"; fi
run_fails "without break_after_fail the list goes on" FILE_NOT_FOUND OTA_ERR_FILE_NOT_FOUND \
    --data flash_tone=file://sdcard/missing.bin --app "$PY/older.bin" --force-version-check
log_has "the app item ran after the failed data item" "List id: 1, OTA failed: NO_HIGHER_VERSION"
run_fails "a failed item with reboot_flag: no restart" STREAM_INIT_FAIL OTA_ERR_HTTP_STATUS --app "$PY/nothere.bin"

# --- rollback: trial boot, self-test ------------------------------------------------------
run_ok "rollback: trial boot, self-test passes" --app "$PY/new.bin" --rollback --self-test pass
log_has "trial boot of the new app" "NEW -> PENDING_VERIFY"
log_has "self-test marks it valid" "marked VALID"
expect_ok "after a restart it stays" $OTA boot "$D" --rollback
expect_log "still the new app" "Project name: +play_mp3_control"
fresh
$OTA -v run "$D" --app "$PY/new.bin" --rollback --self-test fail >"$T/run.log" 2>&1
log_has "rollback: self-test fails -> marked invalid" "self-test failed: app marked invalid"
log_has "rollback: the previous app boots" "^booted: ota_0"
expect_ok "rollback: and keeps booting" $OTA boot "$D" --rollback
expect_log "rollback: previous app" "Project name: +ota_example"
fresh
$OTA -v run "$D" --app "$PY/new.bin" --rollback --self-test skip >"$T/run.log" 2>&1
log_has "rollback: trial boot without self-test" "^booted: ota_1.*PENDING_VERIFY"
$OTA -v run "$D" --app "$PY/new.bin" --rollback >"$T/run2.log" 2>&1
rc=$?
if [ $rc -eq 5 ] && grep -q "OTA failed: UNKNOWN (OTA_ERR_PENDING_VERIFY" "$T/run2.log"; then
    pass "rollback: a new OTA is refused while pending verify, exit 5 (device busy)"
else fail "rollback: a new OTA is refused while pending verify" "$T/run2.log"; fi
expect_ok "rollback: restart without marking valid" $OTA boot "$D" --rollback
expect_log "rollback: the previous app boots" "Project name: +ota_example"
expect_ok "rollback: otadata shows the aborted trial" $OTA otadata show "$D"
expect_out "rollback: ABORTED" "state ABORTED"

# --- every error, specific, device still boots ---------------------------------------
run_fails "404" STREAM_INIT_FAIL OTA_ERR_HTTP_STATUS --app "$NG/missing.bin"
log_has "404 is named" "HTTP 404"
run_fails "500" STREAM_INIT_FAIL OTA_ERR_HTTP_STATUS --app "$NG/status500/new.bin"
log_has "500 is named" "HTTP 500"
run_fails "500 from the fault server" STREAM_INIT_FAIL OTA_ERR_HTTP_STATUS --app "$FS/status/503/new.bin"
run_fails "connection refused" STREAM_INIT_FAIL OTA_ERR_CONNECT --app "http://127.0.0.1:$(free_port)/new.bin"
run_fails "unresolvable host" STREAM_INIT_FAIL OTA_ERR_RESOLVE --app "http://no-such-host.invalid/new.bin"
run_fails "server closes early (short body)" STREAM_RD_FAIL OTA_ERR_SHORT_READ --app "$FS/drop/100000/new.bin"
run_fails "wrong Content-Length" STREAM_RD_FAIL OTA_ERR_SHORT_READ --app "$FS/lie/5000/new.bin"
run_fails "stalled server: read timeout" STREAM_RD_FAIL OTA_ERR_TIMEOUT --app "$FS/stall/4000/50000/new.bin" \
    --read-timeout 1000 --retries 1
run_fails "too many redirects" STREAM_INIT_FAIL OTA_ERR_TOO_MANY_REDIRECTS --app "$FS/redirect/9/new.bin"
run_fails "image larger than the slot" PARTITION_WT_FAIL OTA_ERR_IMG_TOO_BIG --app "$PY/big.bin"
log_has "refused before writing" "does not fit partition ota_1 .*nothing written"
run_fails "absurd Content-Length (1 TiB more than sent)" PARTITION_WT_FAIL OTA_ERR_IMG_TOO_BIG --app "$FS/lie/1099511627776/new.bin"
log_has "refused before writing" "does not fit partition ota_1 .*nothing written"
run_fails "wrong chip id" UNKNOWN OTA_ERR_IMG_CHIP --app "$PY/s2.bin"
run_fails "one corrupted byte in the hash" UNKNOWN OTA_ERR_IMG_HASH --app "$PY/hash.bin"
run_fails "one corrupted byte in the payload" UNKNOWN OTA_ERR_IMG_CHECKSUM --app "$PY/cksum.bin"
run_fails "not an image at all" ERROR_MAGIC_WORD OTA_ERR_IMG_MAGIC --app "$PY/flash_tone.bin"
run_fails "file missing on the SD card" FILE_NOT_FOUND OTA_ERR_FILE_NOT_FOUND --data flash_tone=file://sdcard/missing.bin
run_fails "path escaping the SD folder (..)" FILE_NOT_FOUND OTA_ERR_PATH_ESCAPE --data flash_tone=file://sdcard/../secret.bin
run_fails "path escaping the SD folder (absolute)" FILE_NOT_FOUND OTA_ERR_PATH_ESCAPE --data flash_tone=file:///etc/passwd
run_fails "path escaping the SD folder (symlink)" FILE_NOT_FOUND OTA_ERR_PATH_ESCAPE --data flash_tone=file://sdcard/escape.bin
run_ok "a subfolder of the SD card is fine" --data flash_tone=file://sdcard/sub/t.bin --no-reboot
run_fails "unknown partition label" PARTITION_NOT_FOUND OTA_ERR_NOT_FOUND --data nope=file://sdcard/flash_tone.bin
run_fails "unknown URI scheme" URL_PARSE_FAIL OTA_ERR_URI --app ftp://127.0.0.1/new.bin
run_fails "tone image with a bad tag" ERROR_MAGIC_WORD OTA_ERR_TONE_TAG --data flash_tone=file://sdcard/badtag.bin
run_fails "tone image cut short" STREAM_RD_FAIL OTA_ERR_SHORT_READ --data flash_tone="$FS/drop/2000/flash_tone.bin"
run_fails "plain http forbidden by configuration" URL_PARSE_FAIL OTA_ERR_INSECURE --app "$PY/new.bin" --forbid-http
run_fails "plain http forbidden in the config file" URL_PARSE_FAIL OTA_ERR_INSECURE --app "$PY/new.bin" \
    --config <(printf 'CONFIG_OTA_FORBID_PLAIN_HTTP=y\n')
fresh
# Trickled at 100 KB/s (3 s): the rate is measured, never the
# first chunk over no time (an absurd first sample).
script -qec "$OTA -v run $D --app $FS/trickle/100000/new.bin --no-reboot" /dev/null >"$T/tty.log" 2>&1
if grep -q $'\r\[#*' "$T/tty.log" && grep -q "100% 293.0 KiB/293.0 KiB" "$T/tty.log"; then pass "progress bar on a terminal"
else fail "progress bar on a terminal" "$T/tty.log"; fi
grep -Eq "[0-9.]+ (B|KiB|MiB)/s, [0-9]+:[0-9]{2} left" "$T/tty.log" && pass "progress bar: rate and time left" \
    || fail "progress bar: rate and time left" "$T/tty.log"
grep -Eq "([0-9]{2,}\.[0-9] MiB|[0-9]+\.[0-9] GiB)/s" "$T/tty.log" && fail "progress bar: no absurd rate (>= 10 MiB/s of 100 KB/s)" "$T/tty.log" \
    || pass "progress bar: no absurd rate sample"
# The bar ends its line before the next log line: no log line starts mid-line.
grep -Eq "B(, [0-9.]+ (B|KiB|MiB)/s, [0-9:]+ left )?[IWE] \([0-9]+\)" "$T/tty.log" && fail "progress bar: a log line on the bar's line" "$T/tty.log" \
    || pass "progress bar: its line ends before the next log line"
fresh
$OTA -v run "$D" --app "$PY/new.bin" --no-reboot >"$T/out" 2>"$T/err"
[ ! -s "$T/out" ] && grep -q "List id: 0, OTA success" "$T/err" && pass "run: log lines on stderr, nothing on stdout" \
    || fail "run: log lines on stderr, nothing on stdout" "$T/out"
expect_fail "nothing to do is a usage error" 2 "nothing to upgrade" $OTA -v run "$D"
expect_fail "bad --data" 2 "LABEL=URI" $OTA -v run "$D" --data nolabel

# A corrupt tone image is checked before it is committed: it never counts
# as the installed version, so the right file is taken on the next run.
head -c 2000 "$T/sd/tone1.bin" >"$T/sd/tone1-short.bin"
fresh
$OTA -v run "$D" --sdcard "$T/sd" --no-reboot --data flash_tone=file://sdcard/tone1-short.bin >"$T/run.log" 2>&1
if [ $? -eq 1 ] && grep -q "OTA failed: .*(OTA_ERR_TONE_" "$T/run.log" && grep -q "not committed" "$T/run.log"; then
    pass "a truncated tone image fails before its commit"
else fail "a truncated tone image fails before its commit" "$T/run.log"; fi
$OTA -v run "$D" --sdcard "$T/sd" --no-reboot --data flash_tone=file://sdcard/tone1.bin >"$T/run.log" 2>&1
if [ $? -eq 0 ] && grep -q "CRC and tail valid" "$T/run.log"; then
    pass "the right tone image is taken on the next run"
else fail "the right tone image is taken on the next run" "$T/run.log"; fi

# Streams that end early without a length to betray them (HTTP/1.0 close-
# delimited, or chunked with a proper last chunk): the content check fails
# the item before its commit, and the whole file is taken afterwards.
cp "$T/sd/tone1.bin" "$T/www/tone1.bin"
for mode in closedelim chunked; do
    fresh
    $OTA -v run "$D" --no-reboot --data "flash_tone=$FS/$mode/3000/tone1.bin" >"$T/run.log" 2>&1
    if [ $? -eq 1 ] && grep -q "OTA failed: .*(OTA_ERR_TONE_" "$T/run.log" && grep -q "not committed" "$T/run.log"; then
        pass "$mode: a tone stream cut short fails before its commit"
    else fail "$mode: a tone stream cut short fails before its commit" "$T/run.log"; fi
    $OTA -v run "$D" --no-reboot --data "flash_tone=$FS/$mode/999999999/tone1.bin" >"$T/run.log" 2>&1
    if [ $? -eq 0 ] && grep -q "CRC and tail valid" "$T/run.log"; then
        pass "$mode: the whole tone stream is taken on the next run"
    else fail "$mode: the whole tone stream is taken on the next run" "$T/run.log"; fi
    $OTA -v run "$D" --no-reboot --app "$FS/$mode/100000/new.bin" >"$T/run.log" 2>&1
    if [ $? -eq 1 ] && grep -q "OTA failed: .*(OTA_ERR_" "$T/run.log" && $OTA boot "$D" | grep -q "booted: ota_0"; then
        pass "$mode: an app stream cut short is refused, the old app boots"
    else fail "$mode: an app stream cut short is refused, the old app boots" "$T/run.log"; fi
done

stop_servers
finish
