# Tiny harness for CLI tests: expect_ok / expect_fail record results; finish
# prints the closing "N passed, N failed" line and sets the exit status.
PASSED=0
FAILED=0
SKIPPED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       | /' "$2" | head -20; }
# skip NAME: a part that cannot run here (a missing tool, server or the
# vectors). Under CI=true nothing may be left out: it is a failure instead.
skip() {
    if [ "${CI:-}" = true ]; then fail "$1 (would be skipped; CI=true runs everything)"; return; fi
    SKIPPED=$((SKIPPED + 1)); echo "skip - $1"
}

# expect_ok NAME CMD...: exit 0
expect_ok() {
    local name=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then pass "$name"; else fail "$name (exit $?)" "$T/err"; fi
}

# expect_fail NAME STATUS PATTERN CMD...: exit STATUS, stderr matches PATTERN, stdout has no error
expect_fail() {
    local name=$1 status=$2 pattern=$3; shift 3
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -ne "$status" ]; then fail "$name (exit $rc, wanted $status)" "$T/err"; return; fi
    if ! grep -Eq -- "$pattern" "$T/err"; then fail "$name (stderr lacks /$pattern/)" "$T/err"; return; fi
    pass "$name"
}

# expect_out NAME PATTERN: the last command's stdout matches PATTERN
expect_out() {
    if grep -Eq -- "$2" "$T/out"; then pass "$1"; else fail "$1 (stdout lacks /$2/)" "$T/out"; fi
}

finish() {
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
    [ "$FAILED" -eq 0 ]
}

# expect_log NAME PATTERN: the last command's log (stderr, where log lines go) matches PATTERN
expect_log() {
    if grep -Eq -- "$2" "$T/err"; then pass "$1"; else fail "$1 (stderr lacks /$2/)" "$T/err"; fi
}

# flip_byte FILE OFFSET: corrupt one byte for certain (all its bits
# inverted). Writing a fixed value is no corruption when the byte already
# holds it: an image's appended SHA-256 changes with its build time, so a
# fixed byte there matched one run in 256.
flip_byte() {
    local b
    b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
    [ -n "$b" ] || { echo "flip_byte: $1 has no byte at $2" >&2; return 1; }
    printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# copy_device SRC DST: a device is its image and the files beside it
# (IMAGE.efuse, IMAGE.running, ...): copy them all, drop DST's old ones.
copy_device() {
    rm -f "$2".*
    cp "$1" "$2"
    local f
    for f in "$1".*; do
        [ -e "$f" ] && cp "$f" "$2${f#"$1"}"
    done
    return 0
}

# killed_while_reconnecting LOG CMD...: CMD in the background, killed (-9)
# once LOG says it waits to reconnect after a dropped connection; got1: the
# bytes it had taken by then
killed_while_reconnecting() {
    local log=$1 victim
    shift
    "$@" >"$log" 2>&1 &
    victim=$!
    for _ in $(seq 300); do grep -q "reconnecting in" "$log" && break; sleep 0.05; done
    kill -9 "$victim"
    wait "$victim" 2>/dev/null
    got1=$(sed -n 's/.*at byte \([0-9]*\); reconnecting.*/\1/p' "$log" | tail -1)
}
