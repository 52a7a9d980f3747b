#!/usr/bin/env bash
# The argument layer: a bad number names the option and the value; sizes
# and durations take units (bare numbers keep their old meaning); curl's
# option names work with curl's units; typos get "did you mean" and one
# usage line. Usage: test_args.sh OTA
set -u
OTA=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
HOLD_PID=
trap '[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null; rm -rf "$T"' EXIT
. "$HERE/lib.sh"

CSV=$HERE/../../examples/ota_example/partitions.csv
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/new.bin" --project ota_example --version v2.0.0 --size 200000 >/dev/null
$OTA flash create "$T/dev.img" --table "$CSV" >/dev/null
$OTA flash write "$T/dev.img" ota_0 "$T/old.bin" >/dev/null
$OTA boot "$T/dev.img" >/dev/null 2>&1

# --- a bad number names the option and the value (exit 2) -------------------
bad() {  # bad OPTION VALUE CMD...: exit 2, "--OPTION: 'VALUE' is not ..."
    local opt=$1 val=$2; shift 2
    expect_fail "--$opt $val: named, exit 2" 2 "^ota: --$opt: '$val' is not " "$@" "--$opt" "$val"
}
bad connect-timeout 5x $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad read-timeout -3 $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad deadline 1500ms $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad retries many $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad retries -1 $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad power-cut-at 0 $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad low-speed-limit 1T $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad max-time soon $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x
bad chunk 0 $OTA delta apply "$T/old.bin" "$T/old.bin" "$T/x"
bad flash-size 4QB $OTA partition make "$CSV" "$T/p.bin"
expect_fail "--retries=abc (with =) named too" 2 "^ota: --retries: 'abc' is not a whole number" \
    $OTA -v run "$T/dev.img" --app http://127.0.0.1:9/x --retries=abc

# --- sizes: 4MiB, 4M, 4MB, hex and bytes are one size; no ESP flash is 33MB ---
expect_ok "partition make --flash-size 4MB" $OTA partition make "$CSV" "$T/p.bin" --flash-size 4MB
for s in 4MiB 4M 4mb 0x400000 4194304 4096K 4096KiB; do
    expect_ok "--flash-size $s works" $OTA partition make "$CSV" "$T/p2.bin" --flash-size $s
    expect_ok "  the same table" cmp "$T/p.bin" "$T/p2.bin"
done
for s in 33MB 3MB 256MB 0x300000 1000000; do
    expect_fail "--flash-size $s: no ESP chip has that flash" 2 "'$s' is not a flash size: 1MB, 2MB, 4MB" \
        $OTA partition make "$CSV" "$T/p3.bin" --flash-size $s
done
[ ! -e "$T/p3.bin" ] && pass "  nothing written" || fail "  nothing written"
for s in 33MB 36MB 3MB 256MB; do
    expect_fail "flash create --size $s: no ESP chip has that flash" 2 "--size: '$s' is not a flash size" \
        $OTA flash create "$T/f33.img" --table "$CSV" --size $s
done
[ ! -e "$T/f33.img" ] && pass "  no device made" || fail "  no device made"
expect_ok "flash create --size 64MiB: a real size" $OTA flash create "$T/f64.img" --table "$CSV" --size 64MiB
expect_fail "--flash-size 2MB: a real size, the table does not fit" 1 "beyond the end of the flash" \
    $OTA partition make "$CSV" "$T/p3.bin" --flash-size 2MB
expect_ok "--chunk 1KiB" $OTA delta make "$T/old.bin" "$T/old.bin" "$T/same.patch"
expect_ok "  applies in 1 KiB pieces" $OTA delta apply "$T/old.bin" "$T/same.patch" "$T/same.bin" --chunk 1KiB
expect_ok "  to the same image" cmp "$T/same.bin" "$T/old.bin"

# --- --help states each unit ---------------------------------------------------
expect_ok "run --help" $OTA -v run --help
expect_out "--connect-timeout: bare number is milliseconds" "--connect-timeout MS .*bare number counts milliseconds"
expect_out "--deadline: bare number is seconds" "--deadline S .*bare number counts seconds"
expect_out "--retry-delay: curl's seconds" "--retry-delay S .*bare number counts seconds"
expect_out "--low-speed-limit: a size" "--low-speed-limit BYTES .*4KiB"
expect_ok "partition make --help" $OTA partition make --help
expect_out "--flash-size lists the flash sizes" "--flash-size SIZE .*1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB or 128MB"

# --- durations with units and curl's names, against a server that never answers ---
# The server: /drop answers with the headers and the first 1000 bytes of a
# 200000-byte app image, then
# hangs up (a dropped transfer); any other path is read and never answered.
python3 -c '
import os, socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
head = open(sys.argv[2], "rb").read(1000)
def serve(c):
    req = c.recv(4096)
    if b"/drop" in req.split(b"\r\n")[0]:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\nETag: \"x\"\r\n\r\n" + head)
        c.close()
    else:
        held.append(c)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
' "$T/port" "$T/new.bin" &
HOLD_PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/port")/x.bin

# timed NAME MIN_MS MAX_MS PATTERN CMD...: exit 1 within [MIN, MAX] ms, stderr matches
timed() {
    local name=$1 lo=$2 hi=$3 pattern=$4; shift 4
    local t0 t1 rc
    t0=$(date +%s%N)
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    if [ $rc -eq 1 ] && [ $ms -ge "$lo" ] && [ $ms -le "$hi" ] && grep -Eq -- "$pattern" "$T/err"; then
        pass "$name (${ms} ms)"
    else
        fail "$name (exit $rc, ${ms} ms, wanted ${lo}..${hi})" "$T/err"
    fi
}
run() { $OTA -v run "$T/dev.img" --app "$URL" --retries 0 "$@"; }
timed "--read-timeout 1s is one second" 900 4000 "OTA_ERR_TIMEOUT" run --read-timeout 1s
timed "--read-timeout 0.5s" 400 3000 "OTA_ERR_TIMEOUT" run --read-timeout 0.5s
timed "--read-timeout 700 (bare: milliseconds, as before)" 600 3000 "OTA_ERR_TIMEOUT" run --read-timeout 700
timed "--deadline 2s" 1900 5000 "OTA_ERR_DEADLINE" run --read-timeout 1m --deadline 2s
timed "--max-time 1 (curl: seconds)" 900 4000 "OTA_ERR_DEADLINE" run --read-timeout 1m --max-time 1
timed "--speed-limit 10 --speed-time 1 (curl: bytes per second)" 900 4000 \
    "0 bytes in 1 s, below the limit of 10 bytes" run --read-timeout 1m --speed-limit 10 --speed-time 1
timed "--speed-limit 10 --speed-time 2: 20 bytes per window" 1900 5000 \
    "0 bytes in 2 s, below the limit of 20 bytes" run --read-timeout 1m --speed-limit 10 --speed-time 2
timed "--retry 1 --retry-delay 1 (curl: seconds)" 900 10000 "reconnecting in 1000 ms \(1 of 1\)" \
    $OTA -v run "$T/dev.img" --app "${URL%/*}/drop" --retry 1 --retry-delay 1
timed "--retry-backoff 1500ms" 1400 10000 "reconnecting in 1500 ms \(1 of 1\)" \
    $OTA -v run "$T/dev.img" --app "${URL%/*}/drop" --retries 1 --retry-backoff 1500ms
expect_fail "--cacert is --ca: its file is read" 1 "cannot open $T/none.pem" run --cacert "$T/none.pem"

# --- typos: "did you mean" and one usage line, not the whole help -------------
expect_fail "an unknown option suggests the near one" 2 "unknown option '--sise': did you mean '--size'\?" \
    $OTA image make "$T/x.bin" --sise 1
[ "$(wc -l <"$T/err")" -eq 2 ] && grep -q "^usage: ota image make" "$T/err" && pass "  and prints one usage line" \
    || fail "  and prints one usage line" "$T/err"
expect_fail "--max-tme=3 suggests --max-time" 2 "did you mean '--max-time'" $OTA -v run "$T/dev.img" --max-tme=3
expect_fail "an unknown command suggests the near one" 2 "unknown command 'flsh': did you mean 'flash'\?" \
    $OTA flsh create
[ "$(wc -l <"$T/err")" -eq 2 ] && pass "  in two lines, not the overview" || fail "  in two lines, not the overview" "$T/err"
expect_fail "an unknown subcommand suggests the near one" 2 "unknown 'delta' command: aply: did you mean 'apply'\?" \
    $OTA delta aply
[ "$(wc -l <"$T/err")" -eq 2 ] && grep -q "^usage: ota delta apply" "$T/err" && pass "  and its usage line" \
    || fail "  and its usage line" "$T/err"
expect_fail "nothing near: no suggestion" 2 "^ota: unknown command 'frobnicate'$" $OTA frobnicate

finish
