#!/usr/bin/env bash
# Resume and network faults against real servers: a dropped connection at
# 10/50/90% of an app and of a data image, through a cutting proxy in front
# of nginx (honours Range: resumes with 206) and python's http.server (no
# Range: restarts from 0, comparing instead of rewriting); an emulated power
# cut mid-download, then the next run resumes from the journal; a source
# that changed in between starts over. Figures go to $REPORT.
# Usage: test_resume.sh OTA REPORT
set -u
OTA=$1
REPORT=${2:-/dev/null}
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
: >"$REPORT"
report() { echo "$*" | tee -a "$REPORT"; }

mkdir -p "$T/www" "$T/sd"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
APP_SIZE=600000
$OTA image make "$T/www/app.bin" --project play_mp3_control --version v2.0.0 --size $APP_SIZE >/dev/null
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
head -c 150000 /dev/urandom >"$T/a.mp3"
head -c 170000 /dev/urandom >"$T/b.mp3"
$OTA tone make "$T/www/tone.bin" "$T/a.mp3" "$T/b.mp3" --format 1 --version v1.0.1 >/dev/null
TONE_SIZE=$(stat -c %s "$T/www/tone.bin")
$OTA flash create "$T/base.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/old.bin" >/dev/null
$OTA boot "$T/base.img" >/dev/null
start_nginx "$T/www"
start_python_server "$T/www"
D="$T/dev.img"

received() { sed -n 's/.*received \([0-9]*\) bytes over \([0-9]*\) streams.*/\1/p' "$T/run.log" | tail -1; }

# drop_test NAME SERVER_PORT CUT ARGS...: the first connection dies after CUT bytes
drop_test() {
    local name=$1 upstream=$2 cut=$3; shift 3
    copy_device "$T/base.img" "$D"
    start_cut_proxy "$upstream" "$cut"
    local url="http://127.0.0.1:$PROXY_PORT"
    # shellcheck disable=SC2001
    local args=("${@//@URL@/$url}")
    if $OTA -v run "$D" --retry-backoff 20 --no-reboot "${args[@]}" >"$T/run.log" 2>&1; then
        pass "$name: completes"
    else
        fail "$name: did not complete" "$T/run.log"
    fi
    stop_cut_proxy
}

for pct in 10 50 90; do
    cut=$((APP_SIZE * pct / 100))
    drop_test "app, nginx, dropped at $pct%" "$NGINX_PORT" "$cut" --app "@URL@/app.bin"
    got=$(received)
    report "app $APP_SIZE B via nginx, connection dropped at $pct%: received ${got:-?} B in total ($(python3 -c "print(round(${got:-0}/$APP_SIZE, 3))") x image)"
    if [ -n "$got" ] && [ "$got" -lt $((APP_SIZE * 12 / 10)) ] && grep -q "(resumed)" "$T/run.log"; then
        pass "app, nginx, $pct%: resumed with 206, < 1.2 x image"
    else fail "app, nginx, $pct%: resumed with 206, < 1.2 x image" "$T/run.log"; fi
    expect_ok "app, nginx, $pct%: the slot verifies" $OTA image verify "$D" --label ota_1

    cut=$((TONE_SIZE * pct / 100))
    drop_test "data, nginx, dropped at $pct%" "$NGINX_PORT" "$cut" --data "flash_tone=@URL@/tone.bin"
    got=$(received)
    report "tone $TONE_SIZE B via nginx, connection dropped at $pct%: received ${got:-?} B in total"
    if [ -n "$got" ] && [ "$got" -lt $((TONE_SIZE * 12 / 10)) ] && grep -q "(resumed)" "$T/run.log"; then
        pass "data, nginx, $pct%: resumed with 206, < 1.2 x image"
    else fail "data, nginx, $pct%: resumed with 206, < 1.2 x image" "$T/run.log"; fi
    expect_ok "data, nginx, $pct%: tone verifies in flash" $OTA tone info "$D" --label flash_tone

    cut=$((APP_SIZE * pct / 100))
    drop_test "app, python http.server (no Range), dropped at $pct%" "$PY_PORT" "$cut" --app "@URL@/app.bin"
    got=$(received)
    report "app $APP_SIZE B via python http.server, dropped at $pct%: received ${got:-?} B (restart from 0, compared)"
    if grep -q "byte .* differs" "$T/run.log"; then fail "python, $pct%: flash and source disagreed" "$T/run.log"
    else pass "python, $pct%: restarted from 0 cleanly"; fi
    expect_ok "python, $pct%: the slot verifies" $OTA image verify "$D" --label ota_1

    cut=$((TONE_SIZE * pct / 100))
    drop_test "data, python http.server (no Range), dropped at $pct%" "$PY_PORT" "$cut" --data "flash_tone=@URL@/tone.bin"
    got=$(received)
    report "tone $TONE_SIZE B via python http.server, dropped at $pct%: received ${got:-?} B (restart from 0, compared)"
    expect_ok "data, python, $pct%: tone verifies in flash, journal COMPLETE" $OTA tone info "$D" --label flash_tone
    expect_out "data, python, $pct%: journal COMPLETE" "update journal: COMPLETE"
done

# --- power cut mid-download, then the next run resumes from the journal ---------------
# The app update's flash operations: about 18 per 4 KiB sector; cut near the middle.
power_cut_test() {  # NAME UPSTREAM_URL
    local name=$1 url=$2
    copy_device "$T/base.img" "$D"
    $OTA -v run "$D" --app "$url/app.bin" --power-cut-at 1300 >"$T/run1.log" 2>&1
    local rc=$?
    if [ $rc -ne 3 ]; then fail "$name: the emulated power cut did not happen (exit $rc)" "$T/run1.log"; return; fi
    pass "$name: power cut mid-download"
    expect_ok "$name: after the cut the old app still boots" $OTA boot "$D"
    expect_log "$name: old app" "Project name: +ota_example"
    $OTA -v run "$D" --app "$url/app.bin" >"$T/run.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then fail "$name: the next run failed" "$T/run.log"; return; fi
    pass "$name: the next run completes"
    if ! grep -q "^booted: ota_1" "$T/run.log"; then fail "$name: new app boots" "$T/run.log"; else pass "$name: new app boots"; fi
}

power_cut_test "power cut, nginx" "http://127.0.0.1:$NGINX_PORT"
durable=$(sed -n 's/.*resuming the interrupted transfer at byte \([0-9]*\) of.*/\1/p' "$T/run.log")
got=$(received)
remaining=$((APP_SIZE - ${durable:-0}))
report "power cut mid-download (nginx): resumed at byte ${durable:-?} of $APP_SIZE; received ${got:-?} B after the cut (remaining $remaining B)"
if [ -n "$durable" ] && [ -n "$got" ] && [ "$got" -lt $((remaining + 4096)) ]; then
    pass "power cut, nginx: resumed from the journal, received < remaining + one chunk"
else fail "power cut, nginx: resumed from the journal" "$T/run.log"; fi

power_cut_test "power cut, python http.server" "http://127.0.0.1:$PY_PORT"
if grep -q "comparing the first [0-9]* bytes with flash" "$T/run.log"; then
    pass "power cut, python: restarted from 0, compared instead of rewriting"
else fail "power cut, python: compared with flash" "$T/run.log"; fi
report "power cut mid-download (python http.server): $(grep -o 'comparing the first [0-9]* bytes with flash' "$T/run.log")"

# --- the source changed between the cut and the next run -------------------------------
copy_device "$T/base.img" "$D"
$OTA -v run "$D" --app "http://127.0.0.1:$NGINX_PORT/app.bin" --power-cut-at 1300 >"$T/run1.log" 2>&1
$OTA image make "$T/www/app.bin" --project play_mp3_control --version v2.0.1 --size $APP_SIZE >/dev/null
touch -d '+1 minute' "$T/www/app.bin"
$OTA -v run "$D" --app "http://127.0.0.1:$NGINX_PORT/app.bin" >"$T/run.log" 2>&1
if [ $? -eq 0 ] && grep -q "App version: *v2.0.1" "$T/run.log" && grep -q "does not continue the interrupted transfer" "$T/run.log"; then
    pass "a changed source starts over cleanly (If-Range)"
else fail "a changed source starts over cleanly" "$T/run.log"; fi

# --- faults that cannot complete end cleanly, the running app untouched ------------------
start_fault_server "$T/www"
FS=http://127.0.0.1:$FAULT_PORT
fault() {  # NAME ERRNAME ARGS...
    local name=$1 errname=$2; shift 2
    copy_device "$T/base.img" "$D"
    local t0=$SECONDS
    $OTA -v run "$D" --retry-backoff 20 --retries 2 "$@" >"$T/run.log" 2>&1
    local rc=$? dt=$((SECONDS - t0))
    if [ $rc -eq 1 ] && grep -q "OTA failed: .*($errname" "$T/run.log" && ! grep -q "restart!" "$T/run.log" \
        && $OTA boot "$D" 2>&1 | grep -q "Project name: *ota_example"; then
        pass "$name: $errname in ${dt}s, old app boots"
        report "fault '$name': $errname after ${dt}s, running app intact"
    else fail "$name" "$T/run.log"; fi
}
fault "drops at the same byte every time" OTA_ERR_SHORT_READ --app "$FS/drop/300000/app.bin"
fault "lies in Content-Length" OTA_ERR_SHORT_READ --app "$FS/lie/1000/app.bin"
fault "stalls" OTA_ERR_TIMEOUT --app "$FS/stall/3000/100000/app.bin" --read-timeout 500
fault "answers 503" OTA_ERR_HTTP_STATUS --app "$FS/status/503/app.bin"
fault "short body on the data item" OTA_ERR_SHORT_READ --data "flash_tone=$FS/drop/1000/tone.bin"
copy_device "$T/base.img" "$D"
if $OTA -v run "$D" --retry-backoff 20 --app "$FS/norange/app.bin" >"$T/run.log" 2>&1; then
    pass "a server that ignores Range still completes"
else fail "a server that ignores Range still completes" "$T/run.log"; fi

# A resume answered with 416 (stale validator, or no ranges for this file):
# the item starts again from byte 0 instead of failing for ever.
copy_device "$T/base.img" "$D"
$OTA -v run "$D" --app "$FS/range416/app.bin" --power-cut-at 1300 >"$T/run1.log" 2>&1
$OTA -v run "$D" --retry-backoff 20 --app "$FS/range416/app.bin" >"$T/run.log" 2>&1
if [ $? -eq 0 ] && grep -q "416 for a range from byte [0-9]*: asking for all of it" "$T/run.log" && grep -q "^booted: ota_1" "$T/run.log"; then
    pass "HTTP 416 on a resume: the item starts over and installs"
else fail "HTTP 416 on a resume starts over" "$T/run.log"; fi

stop_servers
finish
